package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// CloudWatch Logs hands its events to S3 in two wrappings besides the
// plain lines that Firehose writes when it decompresses: subscription
// filter envelopes (gzip JSON, base64 in Kinesis records and Lambda events,
// concatenated by Firehose, sometimes gzipped again by a Firehose that
// compresses) and export task files ("<RFC 3339 time> <message>" lines).
// Unwrap turns both into the message lines the decoders read.

// maxEnvelope bounds what Unwrap holds in memory at once: one envelope,
// one Lambda event's data or one export line.
const maxEnvelope = 256 << 20

// maxLayers bounds how many gzip and base64 wrappings Unwrap peels.
const maxLayers = 4

// errTooLarge marks an envelope or line beyond maxEnvelope.
var errTooLarge = errors.New("too large to hold in memory")

// Flattener is implemented by the readers that turn CloudWatch Logs events
// into lines (Object.Open of a cwl:// object, Unwrap): a message holding
// carriage returns or line feeds has them replaced by spaces, so that one
// event stays one line, and Flattened says how many messages were so
// changed. A line ending at the very end of a message is dropped silently:
// it terminates the message rather than belonging to it.
type Flattener interface {
	Flattened() int
}

// appendLine appends msg and "\n" to dst, with msg's trailing line ending
// dropped and its other CR and LF bytes turned into spaces; flat reports
// whether there were any of the latter.
func appendLine(dst []byte, msg string) ([]byte, bool) {
	msg = strings.TrimRight(msg, "\r\n")
	start := len(dst)
	dst = append(dst, msg...)
	flat := false
	if strings.ContainsAny(msg, "\r\n") {
		flat = true
		for i := start; i < len(dst); i++ {
			if dst[i] == '\r' || dst[i] == '\n' {
				dst[i] = ' '
			}
		}
	}
	return append(dst, '\n'), flat
}

// Unwrap returns a reader of plain message lines when data (already
// gunzipped) is an awslogs envelope (JSON with messageType, possibly base64
// of gzip of it, possibly many concatenated) or a CloudWatch Logs export
// file (lines starting with an RFC 3339 timestamp and a space); ok is false
// (and r is nil) when it is neither, so the caller decodes data as it is.
// owner is the envelope's account (for the ledger), "" for exports.
//
// prefix is a peek at r's first bytes (r still yields them); Unwrap decides
// on it alone, so it should hold at least the first few hundred bytes, or
// all of a shorter input. Besides the forms above Unwrap reads Lambda
// events ({"awslogs":{"data":"<base64>"}}), base64 records one per line or
// wrapped, and envelopes gzipped a second time (a Firehose that compresses
// what CloudWatch Logs already compressed).
//
// Envelopes are read one at a time. CONTROL_MESSAGE envelopes (the probe
// CloudWatch Logs sends when a subscription is created) yield nothing. owner
// is the first data envelope's: a destination shared by many accounts can
// mix owners in one file, and the records then carry their own account.
// An export line that does not start with a timestamp continues the
// message before it (a message that held a line feed) and is joined to it
// with a space. Errors (malformed or truncated JSON, an unknown
// messageType, an envelope or line larger than 256 MiB) are returned by
// Unwrap when they concern the first envelope and by Read otherwise, after
// the lines before them. The reader implements Flattener.
func Unwrap(prefix []byte, r io.Reader) (out io.Reader, owner string, ok bool, err error) {
	return unwrap(prefix, r, maxEnvelope)
}

func unwrap(prefix []byte, r io.Reader, limit int64) (io.Reader, string, bool, error) {
	bom := bytes.HasPrefix(prefix, utf8BOM)
	if bom {
		prefix = prefix[len(utf8BOM):]
	}
	layers, export, ok := sniffAwslogs(prefix, 0)
	if !ok {
		return nil, "", false, nil
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if bom {
		if _, err := br.Discard(len(utf8BOM)); err != nil {
			return nil, "", true, fmt.Errorf("awslogs: %w", err)
		}
	}
	var src io.Reader = br
	for _, l := range layers {
		switch l {
		case layerGzip:
			src = &gzipReader{src: bufio.NewReaderSize(src, 64<<10)}
		case layerBase64:
			src = &b64Reader{r: bufio.NewReaderSize(src, 64<<10)}
		}
	}
	if export {
		return &exportReader{r: bufio.NewReaderSize(src, 64<<10), limit: limit}, "", true, nil
	}
	er := &envelopeReader{limit: limit}
	er.push(src)
	owner, err := er.start()
	if err != nil {
		return nil, "", true, err
	}
	return er, owner, true, nil
}

var utf8BOM = []byte("\ufeff")

type layer uint8

const (
	layerGzip layer = iota + 1
	layerBase64
)

// sniffAwslogs decides from p alone whether Unwrap applies, and through
// which wrappings: each gzip or base64 layer is undone on the prefix and
// what it holds must be one of the known shapes, so that text or JSON of
// another kind that merely starts like one is left alone.
func sniffAwslogs(p []byte, depth int) (layers []layer, export, ok bool) {
	if depth > maxLayers {
		return nil, false, false
	}
	if len(p) >= 2 && p[0] == 0x1f && p[1] == 0x8b {
		inner, _, ok := sniffAwslogs(gunzipPrefix(p), depth+1)
		if !ok {
			return nil, false, false
		}
		return append([]layer{layerGzip}, inner...), false, true
	}
	if depth == 0 && isExportStart(p) {
		return nil, true, true
	}
	t := bytes.TrimLeft(p, " \t\r\n")
	switch {
	case len(t) == 0:
		return nil, false, false
	case t[0] == '{':
		return nil, false, isEnvelopeStart(t)
	case b64Value[t[0]] != b64Invalid:
		inner, _ := io.ReadAll(io.LimitReader(&b64Reader{r: bufio.NewReader(bytes.NewReader(t))}, 64<<10))
		if len(inner) < 2 || !(inner[0] == 0x1f && inner[1] == 0x8b || inner[0] == '{') {
			return nil, false, false
		}
		rest, _, ok := sniffAwslogs(inner, depth+1)
		if !ok {
			return nil, false, false
		}
		return append([]layer{layerBase64}, rest...), false, true
	}
	return nil, false, false
}

// gunzipPrefix decompresses as much of a gzip prefix as it can.
func gunzipPrefix(p []byte) []byte {
	z, err := gzip.NewReader(bytes.NewReader(p))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(z, 64<<10))
	return out
}

// envelopeKeys are the top-level keys of a subscription envelope (any of
// which a re-serializing tool may put first) and of a Lambda event.
var envelopeKeys = map[string]bool{
	"messageType":         true,
	"owner":               true,
	"logGroup":            true,
	"logStream":           true,
	"subscriptionFilters": true,
	"logEvents":           true,
	"policyLevel":         true,
	"awslogs":             true,
}

// isEnvelopeStart reports whether JSON text p opens an object whose first
// key is an envelope's. CloudTrail files open with "Records", single events
// with "eventVersion", findings with "schemaVersion" or "version".
func isEnvelopeStart(p []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(p))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return false
	}
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	key, ok := tok.(string)
	return ok && envelopeKeys[key]
}

// isExportStart reports whether the first non-blank line of p is an export
// line.
func isExportStart(p []byte) bool {
	for len(p) > 0 {
		line, rest, _ := bytes.Cut(p, []byte("\n"))
		if len(bytes.TrimSpace(line)) > 0 {
			_, ok := cutExportTime(line)
			return ok
		}
		p = rest
	}
	return false
}

// cutExportTime splits an export line into its timestamp, which it checks
// to be RFC 3339 (YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)), and the message
// after the one space that follows it.
func cutExportTime(line []byte) (msg []byte, ok bool) {
	if len(line) < len("2006-01-02T15:04:05Z ") {
		return nil, false
	}
	for i := 0; i < 19; i++ {
		c := line[i]
		switch i {
		case 4, 7:
			ok = c == '-'
		case 10:
			ok = c == 'T'
		case 13, 16:
			ok = c == ':'
		default:
			ok = c >= '0' && c <= '9'
		}
		if !ok {
			return nil, false
		}
	}
	i := 19
	if line[i] == '.' {
		i++
		for i < len(line) && line[i] >= '0' && line[i] <= '9' {
			i++
		}
		if i == 20 {
			return nil, false
		}
	}
	if i >= len(line) {
		return nil, false
	}
	switch line[i] {
	case 'Z':
		i++
	case '+', '-':
		z := line[i+1:]
		if len(z) < 5 || !isDigit(z[0]) || !isDigit(z[1]) || z[2] != ':' || !isDigit(z[3]) || !isDigit(z[4]) {
			return nil, false
		}
		i += 6
	default:
		return nil, false
	}
	if i >= len(line) || line[i] != ' ' {
		return nil, false
	}
	return line[i+1:], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// awslogsEnvelope is a subscription filter's message, or a Lambda event
// carrying one as base64 gzip in awslogs.data.
type awslogsEnvelope struct {
	MessageType string `json:"messageType"`
	Owner       string `json:"owner"`
	LogEvents   []struct {
		Message string `json:"message"`
	} `json:"logEvents"`
	Awslogs *struct {
		Data string `json:"data"`
	} `json:"awslogs"`
}

// jsonSource is a stream of concatenated JSON values.
type jsonSource struct {
	dec *json.Decoder
	lim *limitReader
}

// envelopeReader renders envelopes' messages as lines, decoding one
// envelope at a time. Its sources form a stack: a Lambda event pushes the
// envelopes in its data until they are used up.
type envelopeReader struct {
	limit   int64
	stack   []jsonSource
	n       int // values decoded, for error messages
	events  []string
	next    int
	buf     []byte
	off     int
	err     error // sticky; io.EOF at the end
	flatten int
}

func (e *envelopeReader) push(r io.Reader) {
	lim := &limitReader{r: r}
	e.stack = append(e.stack, jsonSource{dec: json.NewDecoder(lim), lim: lim})
}

// start reads up to the first data envelope and returns its owner.
func (e *envelopeReader) start() (string, error) {
	env, err := e.nextEnvelope()
	if err == io.EOF {
		e.err = io.EOF
		return "", nil
	}
	if err != nil {
		return "", err
	}
	e.setEvents(env)
	return env.Owner, nil
}

func (e *envelopeReader) setEvents(env *awslogsEnvelope) {
	e.events = e.events[:0]
	for _, ev := range env.LogEvents {
		e.events = append(e.events, ev.Message)
	}
	e.next = 0
}

// nextEnvelope returns the next DATA_MESSAGE envelope, or io.EOF.
func (e *envelopeReader) nextEnvelope() (*awslogsEnvelope, error) {
	for len(e.stack) > 0 {
		top := e.stack[len(e.stack)-1]
		// json.Decoder may already hold part of this value from the last
		// read; the limit applies to what it reads on top of that.
		top.lim.n = e.limit
		at := top.dec.InputOffset()
		var env awslogsEnvelope
		err := top.dec.Decode(&env)
		if err == io.EOF {
			e.stack = e.stack[:len(e.stack)-1]
			continue
		}
		e.n++
		if err != nil {
			var typeErr *json.UnmarshalTypeError
			switch {
			case errors.Is(err, errTooLarge):
				err = fmt.Errorf("larger than %s: %w", sizeString(e.limit), err)
			case errors.As(err, &typeErr) && typeErr.Field == "":
				err = fmt.Errorf("a JSON %s, not an object: %w", typeErr.Value, err)
			case errors.As(err, &typeErr):
				err = fmt.Errorf("field %s is a JSON %s: %w", typeErr.Field, typeErr.Value, err)
			}
			return nil, fmt.Errorf("awslogs envelope %d (byte %d): %w", e.n, at, err)
		}
		if env.Awslogs != nil {
			if len(e.stack) > 1 {
				return nil, fmt.Errorf("awslogs envelope %d (byte %d): Lambda event inside a Lambda event", e.n, at)
			}
			data, err := decodeLambdaData(env.Awslogs.Data, e.limit)
			if err != nil {
				return nil, fmt.Errorf("awslogs envelope %d (byte %d): awslogs.data: %w", e.n, at, err)
			}
			e.push(bytes.NewReader(data))
			continue
		}
		switch env.MessageType {
		case "DATA_MESSAGE":
			return &env, nil
		case "CONTROL_MESSAGE":
			continue
		case "":
			return nil, fmt.Errorf("awslogs envelope %d (byte %d): no messageType", e.n, at)
		default:
			return nil, fmt.Errorf("awslogs envelope %d (byte %d): unknown messageType %q", e.n, at, truncate(env.MessageType, 64))
		}
	}
	return nil, io.EOF
}

// decodeLambdaData undoes a Lambda event's base64 and (normally) gzip.
func decodeLambdaData(data string, limit int64) ([]byte, error) {
	raw, err := io.ReadAll(&b64Reader{r: bufio.NewReader(strings.NewReader(data))})
	if err != nil {
		return nil, err
	}
	if len(raw) < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
		return raw, nil
	}
	z, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", eofIsUnexpected(err))
	}
	out, err := io.ReadAll(&limitReader{r: z, n: limit})
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, fmt.Errorf("decompressed larger than %s: %w", sizeString(limit), err)
		}
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return out, nil
}

func (e *envelopeReader) Read(p []byte) (int, error) {
	for e.off >= len(e.buf) {
		if e.err != nil {
			return 0, e.err
		}
		e.fill()
	}
	n := copy(p, e.buf[e.off:])
	e.off += n
	return n, nil
}

// fill renders about 64 KiB of lines, moving to the next envelope when the
// current one is used up.
func (e *envelopeReader) fill() {
	e.buf, e.off = e.buf[:0], 0
	for len(e.buf) < 64<<10 {
		if e.next == len(e.events) {
			env, err := e.nextEnvelope()
			if err != nil {
				e.events, e.err = nil, err
				return
			}
			e.setEvents(env)
			continue
		}
		var flat bool
		e.buf, flat = appendLine(e.buf, e.events[e.next])
		e.events[e.next] = "" // let a big message go once rendered
		e.next++
		if flat {
			e.flatten++
		}
	}
}

// Flattened implements Flattener.
func (e *envelopeReader) Flattened() int { return e.flatten }

// exportReader renders an export file's lines without their timestamps,
// joining continuation lines to the message they continue.
type exportReader struct {
	r       *bufio.Reader
	limit   int64
	line    int // lines read, for error messages
	pending []byte
	has     bool // pending holds a message
	cont    bool // pending was joined from several lines
	buf     []byte
	off     int
	err     error
	flatten int
	scratch []byte
}

func (x *exportReader) Read(p []byte) (int, error) {
	for x.off >= len(x.buf) {
		if x.err != nil {
			return 0, x.err
		}
		x.fill()
	}
	n := copy(p, x.buf[x.off:])
	x.off += n
	return n, nil
}

func (x *exportReader) fill() {
	x.buf, x.off = x.buf[:0], 0
	for len(x.buf) < 64<<10 {
		line, err := x.readLine()
		if err != nil && err != io.EOF {
			x.err = err
			return
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if msg, ok := cutExportTime(line); ok {
				x.emit()
				x.pending = append(x.pending[:0], msg...)
				x.has = true
			} else if x.has {
				if int64(len(x.pending)+1+len(line)) > x.limit {
					x.err = fmt.Errorf("export line %d: message larger than %s: %w", x.line, sizeString(x.limit), errTooLarge)
					return
				}
				x.pending = append(append(x.pending, ' '), line...)
				x.cont = true
			} else {
				x.err = fmt.Errorf("export line %d: no timestamp", x.line)
				return
			}
		}
		if err == io.EOF {
			x.emit()
			x.err = io.EOF
			return
		}
	}
}

// emit renders the pending message.
func (x *exportReader) emit() {
	if !x.has {
		return
	}
	var flat bool
	x.buf, flat = appendLine(x.buf, string(x.pending))
	if flat || x.cont {
		x.flatten++
	}
	x.has, x.cont = false, false
}

// readLine returns the next line without its line ending; at the end of
// the input it returns the last line, possibly empty, with io.EOF. The
// line is valid until the next call.
func (x *exportReader) readLine() ([]byte, error) {
	x.scratch = x.scratch[:0]
	for {
		chunk, err := x.r.ReadSlice('\n')
		if int64(len(x.scratch)+len(chunk)) > x.limit+2 {
			return nil, fmt.Errorf("export line %d: longer than %s: %w", x.line+1, sizeString(x.limit), errTooLarge)
		}
		if err == bufio.ErrBufferFull {
			x.scratch = append(x.scratch, chunk...)
			continue
		}
		var line []byte
		if len(x.scratch) > 0 {
			x.scratch = append(x.scratch, chunk...)
			line = x.scratch
		} else {
			line = chunk
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		x.line++
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, err
	}
}

// Flattened implements Flattener.
func (x *exportReader) Flattened() int { return x.flatten }

// limitReader fails with errTooLarge once more than n bytes are read.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// Tell a value that ends exactly at the limit from one that goes
		// on: only the latter has more to read.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n == 0 {
			return 0, err
		}
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// b64Reader decodes base64 in either alphabet (standard or URL-safe),
// ignoring whitespace, and accepts what a file of records holds: several
// encodings one after another, each ended by its padding or, unpadded, by
// a line break inside a 4-character group.
type b64Reader struct {
	r      *bufio.Reader
	quad   [4]byte
	n      int // characters in quad
	pad    bool
	out    [3]byte
	outN   int
	outOff int
	off    int64 // input offset, for error messages
	err    error
}

const b64Invalid = 0xff

var b64Value = func() [256]byte {
	var t [256]byte
	for i := range t {
		t[i] = b64Invalid
	}
	const std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(std); i++ {
		t[std[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

func (b *b64Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if b.outOff < b.outN {
			c := copy(p[n:], b.out[b.outOff:b.outN])
			b.outOff += c
			n += c
			continue
		}
		if b.err != nil {
			break
		}
		b.step()
	}
	if n > 0 {
		return n, nil
	}
	return 0, b.err
}

// step consumes input until it has output or an error.
func (b *b64Reader) step() {
	for b.outOff >= b.outN && b.err == nil {
		c, err := b.r.ReadByte()
		if err != nil {
			b.flush()
			if b.err == nil {
				b.err = err
			}
			return
		}
		b.off++
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if c == '\n' {
				b.flush() // an unpadded record ends with its line
			}
		case c == '=':
			if b.n >= 2 {
				b.flush()
				b.pad = true
			} else if !(b.n == 0 && b.pad) {
				b.err = fmt.Errorf("base64: misplaced padding at byte %d", b.off-1)
			}
		case b64Value[c] != b64Invalid:
			b.pad = false
			b.quad[b.n] = b64Value[c]
			b.n++
			if b.n == 4 {
				b.flush()
			}
		default:
			b.err = fmt.Errorf("base64: invalid byte %q at byte %d", c, b.off-1)
		}
	}
}

// flush turns the pending characters into bytes: 4 make 3; 3 and 2 end an
// encoding and make 2 and 1; 1 cannot end one.
func (b *b64Reader) flush() {
	q := b.quad
	v := uint32(q[0])<<18 | uint32(q[1])<<12 | uint32(q[2])<<6 | uint32(q[3])
	b.out = [3]byte{byte(v >> 16), byte(v >> 8), byte(v)}
	b.outOff = 0
	switch b.n {
	case 0:
		b.outN = 0
	case 1:
		b.outN = 0
		b.err = fmt.Errorf("base64: truncated group at byte %d", b.off)
	default:
		b.outN = b.n - 1
	}
	b.n = 0
	b.quad = [4]byte{}
}
