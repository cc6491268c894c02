package guardduty

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Options configures a Decoder.
type Options struct {
	// File names the object in errors.
	File string
}

// Batch receives decoded findings and the records rejected while decoding
// them.
type Batch struct {
	Findings []Finding // filled up to len; capacity sets the batch size
	Errors   []*ParseError
}

const (
	defaultBatchSize = 1024
	// maxLine bounds a line of line-delimited input. One ASFF finding is at
	// most 240 KB; a compact page of 100 of them fits.
	maxLine = 32 << 20
	// maxDepth bounds how deeply containers may nest around a finding:
	// an array of {"Findings": [...]} pages is as deep as it gets.
	maxDepth = 3
)

// Decoder decodes security findings from one object. It detects the shape
// from the content:
//
//   - Line-delimited JSON (NDJSON, the GuardDuty S3 export), whose first line
//     is a complete JSON value, is read a line at a time, so that a bad line
//     is rejected on its own and decoding goes on with the next.
//   - Anything else — a {"Findings": [...]} document, a bare array, a
//     single pretty-printed finding or event, concatenated values — is
//     read as a stream of JSON values, the elements of a top-level array or
//     "Findings" array one at a time. A syntax error there ends decoding of
//     the object, keeping the findings before it.
//
// Each value may be a GuardDuty finding, an ASFF finding, an EventBridge
// event carrying either, or an array or {"Findings": [...]} wrapper of
// these. Keys are matched case-insensitively, so the API's camelCase and the
// CLI's PascalCase read alike, and unknown keys are ignored.
type Decoder struct {
	opts Options
	br   *bufio.Reader

	started bool
	lines   bool // line-delimited input
	line    int  // number of the last line read (line-delimited input)
	lineBuf []byte

	dec     *json.Decoder // stream input
	state   streamState
	pairs   []pair // members of the top-level object being read
	wrapper bool   // the top-level object being read is {"Findings": [...]}

	record  int  // number of the last record started
	found   bool // a finding was decoded
	pending []result
	head    int   // first undelivered result in pending
	end     error // io.EOF, or the *ParseError that ended decoding
}

type streamState uint8

const (
	stTop      streamState = iota // between top-level values
	stArray                       // in a top-level array
	stObject                      // in a top-level object
	stFindings                    // in the "Findings" array of a top-level object
)

type pair struct {
	key string
	raw json.RawMessage
}

// result is a finding or a rejected record, waiting for a batch.
type result struct {
	f   Finding
	err *ParseError
}

// NewDecoder returns a decoder reading r, which must already be
// decompressed.
func NewDecoder(r io.Reader, opts Options) *Decoder {
	return &Decoder{opts: opts, br: bufio.NewReaderSize(r, 64<<10)}
}

// Next decodes up to cap(b.Findings) findings into b (1024 when the
// capacity is 0), replacing its contents; it also stops early once as many
// records were rejected. Rejected records are in b.Errors and decoding goes
// on after them. Next returns io.EOF, with an empty batch, once the input is
// exhausted. Any other error is a *ParseError that ends decoding of the
// object — input that is not JSON, a JSON syntax error in a document, a read
// error such as a truncated gzip stream (errors.Is io.ErrUnexpectedEOF), or
// an object whose first record is not a finding (ErrNotFinding) — and b
// still holds what was decoded before it. An object with no content at all
// is ErrEmpty, so that an empty or wrongly decompressed object is noticed;
// {"Findings": []} is not an error.
func (d *Decoder) Next(b *Batch) error {
	b.Findings = b.Findings[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Findings) == 0 {
		b.Findings = make([]Finding, 0, defaultBatchSize)
	}
	n := cap(b.Findings)
	for {
		for ; d.head < len(d.pending); d.head++ {
			if len(b.Findings) == n || len(b.Errors) == n {
				return nil
			}
			r := &d.pending[d.head]
			if r.err != nil {
				b.Errors = append(b.Errors, r.err)
			} else {
				b.Findings = append(b.Findings, r.f)
			}
			*r = result{} // let the finding go
		}
		d.pending, d.head = d.pending[:0], 0
		if d.end != nil {
			if d.end != io.EOF {
				err := d.end
				d.end = io.EOF
				return err
			}
			if len(b.Findings) > 0 || len(b.Errors) > 0 {
				return nil
			}
			return io.EOF
		}
		d.step()
	}
}

// step reads input until it has produced results or reached the end.
func (d *Decoder) step() {
	switch {
	case !d.started:
		d.started = true
		d.begin()
	case d.lines:
		d.stepLine()
	default:
		d.stepStream()
	}
}

var (
	byteOrderMark = []byte("\xef\xbb\xbf")
	gzipMagic     = []byte("\x1f\x8b")
)

// begin looks at the first bytes and chooses how to read the object.
func (d *Decoder) begin() {
	if b, _ := d.br.Peek(len(byteOrderMark)); bytes.Equal(b, byteOrderMark) {
		d.br.Discard(len(byteOrderMark))
	}
	for {
		c, err := d.br.ReadByte()
		if err == io.EOF {
			d.fail(0, ErrEmpty)
			return
		}
		if err != nil {
			d.fail(0, fmt.Errorf("read failed: %w", err))
			return
		}
		if !isSpace(c) {
			d.br.UnreadByte()
			break
		}
		if c == '\n' {
			d.line++
		}
	}
	head, _ := d.br.Peek(512)
	switch {
	case head[0] == '[':
		d.startStream(d.br)
	case head[0] == '{':
		d.startObject()
	case bytes.HasPrefix(head, gzipMagic):
		d.fail(0, fmt.Errorf("%w: gzip-compressed (decompress it first)", ErrBinary))
	case looksBinary(head):
		d.fail(0, ErrBinary)
	default:
		first, _, _ := bytes.Cut(head, []byte("\n"))
		d.fail(0, fmt.Errorf("%w: not JSON findings, starts with %s", ErrSyntax, quote(string(first))))
	}
}

// startObject reads the first line of input that starts with an object:
// when it is a complete JSON value, the input is line-delimited.
func (d *Decoder) startObject() {
	var buf []byte
	var readErr error
	for {
		frag, err := d.br.ReadSlice('\n')
		buf = append(buf, frag...)
		if err == bufio.ErrBufferFull && len(buf) <= maxLine {
			continue
		}
		if err != nil && err != bufio.ErrBufferFull {
			readErr = err
		}
		break
	}
	complete := readErr == io.EOF || (readErr == nil && bytes.HasSuffix(buf, []byte("\n")))
	if complete && len(buf) <= maxLine && json.Valid(buf) {
		d.lines = true
		d.line++
		d.processValue(bytes.TrimSpace(buf), 0)
		return
	}
	var rest io.Reader = d.br
	if readErr != nil && readErr != io.EOF {
		rest = errReader{readErr}
	}
	d.startStream(io.MultiReader(bytes.NewReader(buf), rest))
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func (d *Decoder) startStream(r io.Reader) {
	d.dec = json.NewDecoder(r)
	d.stepStream()
}

// stepLine decodes the next line of line-delimited input.
func (d *Decoder) stepLine() {
	line, tooLong, err := d.readLine()
	if err == io.EOF {
		d.end = io.EOF
		return
	}
	if err != nil {
		d.line++
		d.fail(d.record+1, fmt.Errorf("read failed: %w", err))
		return
	}
	d.line++
	if tooLong {
		d.record++
		d.reject(fmt.Errorf("%w (over %d bytes)", ErrLineLength, maxLine))
		return
	}
	if line = bytes.TrimSpace(line); len(line) > 0 {
		d.processValue(line, 0)
	}
}

// readLine returns the next line, or reports it too long and skips it. A
// read error drops the partial line it cut.
func (d *Decoder) readLine() (line []byte, tooLong bool, err error) {
	d.lineBuf = d.lineBuf[:0]
	for {
		frag, err := d.br.ReadSlice('\n')
		if len(d.lineBuf)+len(frag) > maxLine {
			tooLong = true
		}
		if !tooLong {
			d.lineBuf = append(d.lineBuf, frag...)
		}
		switch {
		case err == nil:
			return d.lineBuf, tooLong, nil
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(d.lineBuf) > 0 || tooLong):
			return d.lineBuf, tooLong, nil
		default:
			return nil, false, err
		}
	}
}

// stepStream reads the next top-level value, or the next element of a
// top-level array or "Findings" array.
func (d *Decoder) stepStream() {
	switch d.state {
	case stTop:
		tok, err := d.dec.Token()
		if err == io.EOF {
			d.end = io.EOF
			return
		}
		if err != nil {
			d.streamFailed(err)
			return
		}
		switch tok {
		case json.Delim('['):
			d.state = stArray
		case json.Delim('{'):
			d.state, d.wrapper, d.pairs = stObject, false, d.pairs[:0]
		default:
			d.record++
			d.notFinding(fmt.Sprintf("a JSON %s, not an object", tokenKind(tok)))
		}

	case stArray, stFindings:
		if d.dec.More() {
			var raw json.RawMessage
			if err := d.dec.Decode(&raw); err != nil {
				d.streamFailed(err)
				return
			}
			d.processValue(raw, 1)
			return
		}
		if _, err := d.dec.Token(); err != nil { // ]
			d.streamFailed(err)
			return
		}
		if d.state == stArray {
			d.state = stTop
		} else {
			d.state = stObject
		}

	case stObject:
		if !d.dec.More() {
			if _, err := d.dec.Token(); err != nil { // }
				d.streamFailed(err)
				return
			}
			d.state = stTop
			if !d.wrapper {
				obj := rebuildObject(d.pairs)
				clear(d.pairs)
				d.pairs = d.pairs[:0]
				d.processValue(obj, 0)
			}
			return
		}
		tok, err := d.dec.Token()
		if err != nil {
			d.streamFailed(err)
			return
		}
		key, _ := tok.(string)
		if strings.EqualFold(key, "Findings") {
			tok, err := d.dec.Token()
			if err != nil {
				d.streamFailed(err)
				return
			}
			if tok != json.Delim('[') {
				d.fail(d.record+1, fmt.Errorf("%w: %q is a JSON %s, not an array of findings", ErrNotFinding, key, tokenKind(tok)))
				return
			}
			clear(d.pairs)
			d.state, d.wrapper, d.pairs = stFindings, true, d.pairs[:0]
			return
		}
		if !d.wrapper && !d.found && d.record == 0 && strings.EqualFold(key, "Records") {
			// Say so before reading what may be a large array.
			d.fail(1, fmt.Errorf("%w: looks like a CloudTrail log file ({\"Records\": [...]})", ErrNotFinding))
			return
		}
		var raw json.RawMessage
		if err := d.dec.Decode(&raw); err != nil {
			d.streamFailed(err)
			return
		}
		if !d.wrapper {
			d.pairs = append(d.pairs, pair{key, raw})
		}
	}
}

// streamFailed ends decoding after an error from the JSON stream.
func (d *Decoder) streamFailed(err error) {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		err = fmt.Errorf("%w at byte %d: %v", ErrSyntax, se.Offset, se)
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		// Token reports io.EOF when the input ends between the members
		// of an object or the elements of an array, Decode
		// io.ErrUnexpectedEOF when it ends inside a value: both are
		// truncation, since stTop alone may meet a clean end.
		err = fmt.Errorf("%w: input ends after byte %d, inside a value: %w", ErrSyntax, d.dec.InputOffset(), io.ErrUnexpectedEOF)
	default:
		err = fmt.Errorf("read failed after byte %d: %w", d.dec.InputOffset(), err)
	}
	d.fail(d.record+1, err)
}

// rebuildObject writes a top-level object read member by member back as
// compact JSON.
func rebuildObject(pairs []pair) []byte {
	n := 2
	for _, p := range pairs {
		n += len(p.key) + len(p.raw) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, p := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p.key)
		b = append(b, ':')
		b = append(b, p.raw...)
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// probe holds the members that tell what a JSON object is. They are kept
// raw so that reading them cannot fail on a type.
type probe struct {
	DetailType    json.RawMessage `json:"detail-type"`
	Source        json.RawMessage `json:"source"`
	Detail        json.RawMessage `json:"detail"`
	Findings      json.RawMessage `json:"findings"`
	ProductArn    json.RawMessage `json:"productArn"`
	SchemaVersion json.RawMessage `json:"schemaVersion"`
	ID            json.RawMessage `json:"id"`
	Arn           json.RawMessage `json:"arn"`
	Type          json.RawMessage `json:"type"`
	Severity      json.RawMessage `json:"severity"`
	Service       json.RawMessage `json:"service"`
	Resource      json.RawMessage `json:"resource"`
	EventVersion  json.RawMessage `json:"eventVersion"`
	EventSource   json.RawMessage `json:"eventSource"`
	Records       json.RawMessage `json:"records"`
}

// processValue decodes one JSON value, which may be invalid in
// line-delimited input.
func (d *Decoder) processValue(raw []byte, depth int) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '{':
		d.processObject(raw, depth)
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			d.record++
			d.reject(syntaxError(err))
			return
		}
		if depth >= maxDepth {
			d.record++
			d.notFinding("arrays nested too deeply")
			return
		}
		for _, e := range elems {
			if d.end != nil {
				return
			}
			d.processValue(e, depth+1)
		}
	default:
		d.record++
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			d.reject(syntaxError(err))
			return
		}
		d.notFinding(fmt.Sprintf("a JSON %s, not an object", tokenKind(v)))
	}
}

func (d *Decoder) processObject(raw []byte, depth int) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		d.record++
		d.reject(syntaxError(err))
		return
	}
	switch {
	case present(p.DetailType) || (present(p.Source) && present(p.Detail)):
		d.processEvent(&p)
	case present(p.Findings):
		fs := bytes.TrimSpace(p.Findings)
		if fs[0] != '[' {
			d.record++
			d.notFinding(fmt.Sprintf("\"Findings\" is a JSON %s, not an array", rawKind(fs)))
			return
		}
		d.processValue(fs, depth)
	case present(p.ProductArn) || strings.HasPrefix(jsonString(p.SchemaVersion), "2018-10-08"):
		d.processFinding(raw, decodeASFF)
	case isGuardDuty(&p):
		d.processFinding(raw, decodeGuardDuty)
	default:
		d.record++
		d.notFinding(describe(raw, &p))
	}
}

// isGuardDuty reports whether an object that is not ASFF is a GuardDuty
// finding: by its ARN when it has one (Macie findings look much the same),
// else by its members.
func isGuardDuty(p *probe) bool {
	if svc := arnService(jsonString(p.Arn)); svc != "" {
		return svc == "guardduty"
	}
	return present(p.ID) && (isObject(p.Service) ||
		present(p.Type) && (isObject(p.Resource) || present(p.Severity)))
}

// describe says what an object that is not a finding looks like.
func describe(raw []byte, p *probe) string {
	switch {
	case present(p.EventVersion) || present(p.EventSource):
		return "looks like a CloudTrail event"
	case present(p.Records):
		return "looks like a CloudTrail log file ({\"Records\": [...]})"
	}
	if svc := arnService(jsonString(p.Arn)); svc != "" {
		return fmt.Sprintf("its arn is of service %s, not GuardDuty", quote(svc))
	}
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	if len(m) == 0 {
		return "an empty object"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	more := ""
	if len(keys) > 6 {
		keys, more = keys[:6], ", …"
	}
	for i, k := range keys {
		keys[i] = quote(k)
	}
	return fmt.Sprintf("an object with keys %s%s", strings.Join(keys, ", "), more)
}

// processEvent decodes an EventBridge event.
func (d *Decoder) processEvent(p *probe) {
	detailType, source := jsonString(p.DetailType), jsonString(p.Source)
	detail := bytes.TrimSpace(p.Detail)
	switch {
	case strings.EqualFold(detailType, "GuardDuty Finding"):
		if !isObject(detail) {
			d.record++
			d.reject(fmt.Errorf("%w: field detail: got %s, want object", ErrType, rawKind(detail)))
			return
		}
		d.processFinding(detail, decodeGuardDuty)
	case hasPrefixFold(detailType, "Security Hub Findings"):
		var det struct {
			Findings []json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(detail, &det); err != nil {
			d.record++
			d.reject(jsonError(err))
			return
		}
		for _, f := range det.Findings {
			if d.end != nil {
				return
			}
			if f = bytes.TrimSpace(f); !isObject(f) {
				d.record++
				d.reject(fmt.Errorf("%w: field detail.findings: got %s, want object", ErrType, rawKind(f)))
				continue
			}
			d.processFinding(f, decodeASFF)
		}
	case source == "aws.guardduty" || source == "aws.securityhub":
		// The services' other events (malware scan results, insight
		// results) carry no finding. They are not errors: a rule that
		// matches the source delivers them alongside the findings.
		d.record++
	default:
		d.record++
		d.notFinding(fmt.Sprintf("an EventBridge event of type %s from %s", quote(detailType), quote(source)))
	}
}

// processFinding decodes one finding with decode.
func (d *Decoder) processFinding(raw []byte, decode func([]byte) (Finding, error)) {
	d.record++
	if !isASCII(raw) && !utf8.Valid(raw) {
		d.reject(fmt.Errorf("%w at byte %d of the finding", ErrEncoding, invalidUTF8At(raw)))
		return
	}
	f, err := decode(raw)
	if err != nil {
		if f.ID != "" {
			err = fmt.Errorf("finding %s: %w", quote(f.ID), err)
		}
		d.reject(err)
		return
	}
	f.Raw = compact(raw)
	f.Record = d.record
	d.found = true
	d.pending = append(d.pending, result{f: f})
}

// reject records an error for the current record.
func (d *Decoder) reject(err error) {
	d.pending = append(d.pending, result{err: d.parseError(d.record, err)})
}

// notFinding rejects the current record as not a finding. When it is the
// object's first record, the object is taken not to hold findings at all
// and decoding stops, rather than reporting every record of, say, a
// CloudTrail file.
func (d *Decoder) notFinding(what string) {
	err := fmt.Errorf("%w: %s", ErrNotFinding, what)
	if d.record == 1 && !d.found {
		d.fail(1, err)
		return
	}
	d.reject(err)
}

// fail ends decoding with err.
func (d *Decoder) fail(record int, err error) {
	d.end = d.parseError(record, err)
}

func (d *Decoder) parseError(record int, err error) *ParseError {
	e := &ParseError{File: d.opts.File, Record: record, Err: err}
	if d.lines {
		e.Line = d.line
	}
	return e
}

// syntaxError describes invalid JSON in line-delimited input.
func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Error() == "unexpected end of JSON input" {
		return fmt.Errorf("%w: truncated: %w", ErrSyntax, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: %v", ErrSyntax, err)
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

func isObject(raw []byte) bool { return len(raw) > 0 && raw[0] == '{' }

// jsonString returns raw as a string if it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	json.Unmarshal(raw, &s)
	return s
}

// rawKind names the JSON type of a raw value.
func rawKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// tokenKind names the JSON type of a value from json.Decoder.Token or
// json.Unmarshal into an interface.
func tokenKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	case json.Delim:
		return "object or array"
	}
	return "value"
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// looksBinary reports whether the start of an object is not text: control
// characters other than white space, or invalid UTF-8.
func looksBinary(b []byte) bool {
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			if !utf8.FullRune(b) {
				return false // a character cut by the end of the peek
			}
			return true
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return true
		}
		b = b[size:]
	}
	return false
}
