package dnslog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Options configures a Decoder.
type Options struct {
	// File names the object in errors.
	File string
}

// Batch receives decoded queries and the records rejected while decoding
// them.
type Batch struct {
	Queries []Query // filled up to len; capacity sets the batch size
	Errors  []*ParseError
}

// mode is how an object lays out its records, decided from its first
// bytes.
type mode int

const (
	modeUnknown mode = iota
	// modeLines: one record per line (S3 delivery, CloudWatch Logs
	// messages). A bad line is rejected and decoding goes on at the next.
	modeLines
	// modeStream: a JSON array, or records spread over several lines
	// (pretty-printed). A syntax error ends the object, as there is no
	// line to resume at.
	modeStream
	modeDone
)

// Decoder decodes Route 53 Resolver query log records. It takes the
// object's shape from its first bytes: records one per line (S3 delivery,
// CloudWatch Logs messages; the common case), where a bad line is rejected
// and the next one decoded; or, when the object starts with '[' or with a
// '{' alone on its line, a JSON array or pretty-printed records, where a
// syntax error ends the object because there is no line to resume at.
type Decoder struct {
	opts Options
	br   *bufio.Reader
	mode mode

	// modeLines
	line      int    // number of the last line consumed
	long      []byte // scratch for a line longer than br's buffer
	checkJSON bool   // the first line does not start with '{' or '[': is it JSON at all?
	// unterminated: the last line read ended at the end of the input,
	// without a line ending.
	unterminated bool

	// modeStream
	dec     *json.Decoder
	inArray bool
	rec     int // number of the last record read
}

// readBufferSize holds many ordinary records; longer lines are assembled in
// Decoder.long.
const readBufferSize = 64 << 10

// NewDecoder returns a decoder reading r, which must already be
// decompressed.
func NewDecoder(r io.Reader, opts Options) *Decoder {
	return &Decoder{opts: opts, br: bufio.NewReaderSize(r, readBufferSize)}
}

// Next decodes up to cap(b.Queries) queries into b (1024 when the capacity
// is 0), replacing its contents. Rejected records are put in b.Errors and
// decoding goes on; a batch also ends once it holds as many errors as its
// capacity. Next returns io.EOF once the input is exhausted and nothing was
// decoded or rejected. Any other error is a *ParseError that ends decoding
// of the object (a read error such as a truncated gzip stream, a record cut
// short by the end of the input, a syntax error in a JSON array, or an
// object that is not JSON at all); queries and errors decoded before it
// are still in b, and later calls return io.EOF. An object with nothing
// but white space is ErrEmpty, so that an empty or wrongly decompressed
// object is noticed.
//
// Next reuses the backing array of b.Queries, but never the strings and
// byte slices a Query holds: a copied Query stays valid.
func (d *Decoder) Next(b *Batch) error {
	b.Queries = b.Queries[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Queries) == 0 {
		b.Queries = make([]Query, 0, 1024)
	}
	if d.mode == modeUnknown {
		if err := d.start(); err != nil {
			d.mode = modeDone
			return err
		}
	}
	for len(b.Queries) < cap(b.Queries) && len(b.Errors) < cap(b.Queries) {
		if d.mode == modeDone {
			break
		}
		raw, num, bad, err := d.read()
		if err != nil {
			d.mode = modeDone
			if err == io.EOF {
				break
			}
			return err
		}
		if bad != nil {
			b.Errors = append(b.Errors, bad)
			continue
		}
		b.Queries = b.Queries[:len(b.Queries)+1]
		if perr := d.parse(raw, num, &b.Queries[len(b.Queries)-1]); perr != nil {
			b.Queries = b.Queries[:len(b.Queries)-1]
			if d.mode == modeLines && d.unterminated && errors.Is(perr.Err, io.ErrUnexpectedEOF) {
				// The last line, without a line ending, cut short: the
				// object was truncated.
				d.mode = modeDone
				perr.Err = fmt.Errorf("truncated: %w", perr.Err)
				return perr
			}
			b.Errors = append(b.Errors, perr)
		}
	}
	if len(b.Queries) == 0 && len(b.Errors) == 0 {
		return io.EOF
	}
	return nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// start looks at the first bytes of the object to choose its mode.
func (d *Decoder) start() error {
	if p, _ := d.br.Peek(len(utf8BOM)); bytes.Equal(p, utf8BOM) {
		d.br.Discard(len(utf8BOM))
	}
	for {
		c, err := d.br.ReadByte()
		if err == io.EOF {
			return &ParseError{File: d.opts.File, Err: ErrEmpty}
		}
		if err != nil {
			return d.readError(err)
		}
		switch c {
		case '\n':
			d.line++
			continue
		case ' ', '\t', '\r':
			continue
		}
		d.br.UnreadByte()
		switch {
		case c == '[' || c == '{' && d.aloneOnLine():
			d.mode = modeStream
			d.dec = json.NewDecoder(d.br)
		case c == 0x1f:
			if p, _ := d.br.Peek(2); len(p) == 2 && p[1] == 0x8b {
				return &ParseError{File: d.opts.File, Err: fmt.Errorf("%w (gzip-compressed)", ErrBinary)}
			}
			fallthrough
		default:
			d.mode = modeLines
			d.checkJSON = c != '{'
		}
		return nil
	}
}

// aloneOnLine reports whether the byte at the read position, a '{', is the
// only thing on its line: the start of a pretty-printed record.
func (d *Decoder) aloneOnLine() bool {
	for n := 2; n <= 64; n++ {
		p, _ := d.br.Peek(n)
		if len(p) < n {
			return true // the object ends after "{": let the stream decoder say so
		}
		switch p[n-1] {
		case ' ', '\t':
			continue
		case '\n', '\r':
			return true
		}
		return false
	}
	return false
}

func (d *Decoder) readError(err error) *ParseError {
	return &ParseError{File: d.opts.File, Record: d.line + 1,
		Err: fmt.Errorf("read failed after line %d: %w", d.line, err)}
}

// read returns the next record's bytes and number, valid until the next
// call. A record rejected before parsing comes back as bad; the end of the
// input as io.EOF; any other error ends the object.
func (d *Decoder) read() (raw []byte, num int, bad *ParseError, err error) {
	if d.mode == modeStream {
		return d.readValue()
	}
	for {
		line, err := d.readLine()
		if err != nil {
			if perr, ok := err.(*ParseError); ok && errors.Is(perr.Err, ErrTooLong) {
				return nil, 0, perr, nil
			}
			return nil, 0, nil, err
		}
		line = trimSpace(line)
		if len(line) == 0 {
			continue
		}
		if d.checkJSON {
			d.checkJSON = false
			if !json.Valid(line) {
				e := ErrNotJSON
				if looksBinary(line) {
					e = ErrBinary
				}
				return nil, 0, nil, &ParseError{File: d.opts.File, Text: printable(line), Err: e}
			}
		}
		return line, d.line, nil, nil
	}
}

// readLine returns the next line, with its line ending, or an error. A line
// over maxRecordSize is skipped and reported as ErrTooLong.
func (d *Decoder) readLine() ([]byte, error) {
	d.long = d.long[:0]
	tooLong := false
	for {
		frag, err := d.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			switch {
			case tooLong:
			case len(d.long)+len(frag) > maxRecordSize:
				// Keep the start of the line for the error.
				tooLong = true
				d.long = append(d.long, frag[:maxErrorText]...)[:maxErrorText]
			default:
				d.long = append(d.long, frag...)
			}
			continue
		}
		if err != nil && err != io.EOF {
			// A partial line before a read error is not decoded: it is
			// most likely cut short.
			return nil, d.readError(err)
		}
		if len(frag) == 0 && len(d.long) == 0 && !tooLong {
			return nil, io.EOF
		}
		d.line++
		d.unterminated = err == io.EOF
		if tooLong {
			return nil, &ParseError{File: d.opts.File, Record: d.line, Text: printable(d.long),
				Err: fmt.Errorf("%w (over %d bytes)", ErrTooLong, maxRecordSize)}
		}
		if len(d.long) > 0 {
			d.long = append(d.long, frag...)
			return d.long, nil
		}
		return frag, nil
	}
}

// readValue returns the next record of a JSON array or of a sequence of
// JSON values.
func (d *Decoder) readValue() (raw []byte, num int, bad *ParseError, err error) {
	for {
		if !d.dec.More() {
			tok, err := d.dec.Token()
			if err == io.EOF && !d.inArray {
				return nil, 0, nil, io.EOF
			}
			if err != nil {
				return nil, 0, nil, d.streamError(err)
			}
			if tok != json.Delim(']') || !d.inArray {
				return nil, 0, nil, &ParseError{File: d.opts.File, Record: d.rec + 1,
					Err: fmt.Errorf("%w: unexpected %v", ErrSyntax, tok)}
			}
			d.inArray = false
			continue
		}
		if !d.inArray && firstNonSpace(d.dec.Buffered()) == '[' {
			if _, err := d.dec.Token(); err != nil {
				return nil, 0, nil, d.streamError(err)
			}
			d.inArray = true
			continue
		}
		var v json.RawMessage
		if err := d.dec.Decode(&v); err != nil {
			return nil, 0, nil, d.streamError(err)
		}
		d.rec++
		return v, d.rec, nil, nil
	}
}

// streamError wraps an error of the stream decoder, met while reading the
// record after d.rec; it ends the object.
func (d *Decoder) streamError(err error) *ParseError {
	perr := &ParseError{File: d.opts.File, Record: d.rec + 1}
	var serr *json.SyntaxError
	switch {
	case errors.As(err, &serr):
		perr.Err = fmt.Errorf("%w at byte %d: %w", ErrSyntax, serr.Offset, err)
	case err == io.ErrUnexpectedEOF:
		perr.Err = fmt.Errorf("truncated: %w", err)
	case err == io.EOF:
		perr.Err = fmt.Errorf("truncated: %w", io.ErrUnexpectedEOF)
	default:
		perr.Err = fmt.Errorf("read failed: %w", err)
	}
	return perr
}

// firstNonSpace returns the first byte of r that is not JSON white space,
// or 0.
func firstNonSpace(r io.Reader) byte {
	var c [1]byte
	for {
		if n, _ := r.Read(c[:]); n == 0 {
			return 0
		}
		switch c[0] {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c[0]
	}
}

// trimSpace removes JSON white space around a line, its line ending
// included.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// looksBinary reports whether b is not text: invalid UTF-8 or control
// characters other than tab.
func looksBinary(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return true
		}
	}
	return false
}

// Sniff reports whether prefix, the first bytes of a decompressed object
// (a few KiB is plenty), looks like Route 53 Resolver query logs: a JSON
// object, or an array of them, with the query_name key and another key only
// these logs have. It only looks, and never errs.
func Sniff(prefix []byte) bool {
	p := bytes.TrimPrefix(prefix, utf8BOM)
	p = trimLeft(p)
	if len(p) > 0 && p[0] == '[' {
		p = trimLeft(p[1:])
	}
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	if !bytes.Contains(p, []byte(`"query_name"`)) {
		return false
	}
	for _, k := range []string{`"query_timestamp"`, `"query_type"`, `"rcode"`, `"srcids"`} {
		if bytes.Contains(p, []byte(k)) {
			return true
		}
	}
	return false
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}
