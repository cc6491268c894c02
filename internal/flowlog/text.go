package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"unicode/utf8"
)

// TextOptions configures a TextDecoder.
type TextOptions struct {
	// File names the object in errors.
	File string
	// Format is used when the object has no header line (CloudWatch Logs
	// messages, Firehose output). A header line, when present, wins. When
	// Format is nil and there is no header, a first line of 14 fields is
	// taken to be in the default format.
	Format *Format
}

// Batch receives decoded records and the lines rejected while decoding them.
type Batch struct {
	Records []Record // filled up to len; capacity sets the batch size
	Errors  []*ParseError
}

// TextDecoder decodes space-separated flow log records, as AWS writes them
// to S3 (with a header line) and CloudWatch Logs (without one).
type TextDecoder struct {
	r    io.Reader
	opts TextOptions

	buf      []byte
	start    int // first unread byte in buf
	end      int // end of valid data in buf
	eof      bool
	readErr  error
	line     int // number of the last line consumed
	started  bool
	content  bool // a non-blank line was seen; an object without one is ErrEmpty
	format   Format
	warnings []string
	fields   [][]byte // scratch: the current line split into fields
}

const (
	initialBufferSize = 256 << 10
	maxLineLength     = 1 << 20
)

// NewTextDecoder returns a decoder reading r, which must already be
// decompressed.
func NewTextDecoder(r io.Reader, opts TextOptions) *TextDecoder {
	return &TextDecoder{r: r, opts: opts, buf: make([]byte, initialBufferSize)}
}

// Format returns the format in use; it is known after the first call to
// Next.
func (d *TextDecoder) Format() Format { return d.format }

// Warnings returns notes about the object that are not errors, such as
// header fields this version does not know.
func (d *TextDecoder) Warnings() []string { return d.warnings }

// Next decodes up to cap(b.Records) records into b, replacing its contents.
// Rejected lines are appended to b.Errors and decoding goes on. Next returns
// io.EOF once the input is exhausted and no record was decoded; any other
// error is a *ParseError that ends decoding of the object (a read error such
// as a truncated gzip stream, or an object that is not a flow log). Records
// decoded before such an error are still in b. An object with no line at
// all, or only blank lines, is ErrEmpty rather than io.EOF, so that an empty
// or wrongly decompressed object is noticed. A line longer than 1 MiB is
// rejected like any bad line and decoding goes on after it.
func (d *TextDecoder) Next(b *Batch) error {
	b.Records = b.Records[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Records) == 0 {
		b.Records = make([]Record, 0, 1024)
	}
	for len(b.Records) < cap(b.Records) {
		line, err := d.nextLine(len(b.Records) == 0)
		if err != nil {
			if err == errNeedRefill {
				return nil // the buffer holds records that alias it
			}
			if perr, ok := err.(*ParseError); ok && errors.Is(perr.Err, ErrLineLength) {
				d.content = true
				b.Errors = append(b.Errors, perr)
				continue
			}
			if err == io.EOF && !d.content {
				d.content = true // report it once
				return &ParseError{File: d.opts.File, Err: ErrEmpty}
			}
			if err == io.EOF && len(b.Records) > 0 {
				return nil
			}
			return err
		}
		if line == nil {
			continue
		}
		d.content = true
		if !d.started {
			d.started = true
			isHeader, err := d.detectFormat(line)
			if err != nil {
				return err
			}
			if isHeader {
				continue
			}
		}
		b.Records = b.Records[:len(b.Records)+1]
		rec := &b.Records[len(b.Records)-1]
		if perr := d.parseLine(line, rec); perr != nil {
			b.Records = b.Records[:len(b.Records)-1]
			b.Errors = append(b.Errors, perr)
		}
	}
	return nil
}

var errNeedRefill = errors.New("need refill")

// nextLine returns the next line without its line ending, nil for a blank
// line, or an error. It refills the buffer only when mayRefill is true,
// since refilling moves bytes that returned records point to.
func (d *TextDecoder) nextLine(mayRefill bool) ([]byte, error) {
	for {
		if i := bytes.IndexByte(d.buf[d.start:d.end], '\n'); i >= 0 {
			line := d.buf[d.start : d.start+i]
			d.start += i + 1
			d.line++
			return trimLine(line), nil
		}
		if d.eof {
			if d.start < d.end {
				line := d.buf[d.start:d.end]
				d.start = d.end
				d.line++
				return trimLine(line), nil
			}
			if d.readErr != nil {
				err := d.readErr
				d.readErr = nil
				return nil, &ParseError{File: d.opts.File, Line: d.line + 1,
					Err: fmt.Errorf("read failed after line %d: %w", d.line, err)}
			}
			return nil, io.EOF
		}
		if !mayRefill {
			return nil, errNeedRefill
		}
		if err := d.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more input, first moving the unread bytes to the front and
// growing the buffer when a single line fills it.
func (d *TextDecoder) fill() error {
	if d.start > 0 {
		n := copy(d.buf, d.buf[d.start:d.end])
		d.start, d.end = 0, n
	}
	if d.end == len(d.buf) {
		if len(d.buf) >= maxLineLength {
			// Skip the rest of this line and report it.
			d.line++
			perr := &ParseError{File: d.opts.File, Line: d.line, Text: printable(d.buf[:64]),
				Err: fmt.Errorf("%w (over %d bytes)", ErrLineLength, maxLineLength)}
			if err := d.skipRestOfLine(); err != nil {
				return err
			}
			return perr
		}
		nb := make([]byte, 2*len(d.buf))
		copy(nb, d.buf[:d.end])
		d.buf = nb
	}
	// A reader that keeps returning nothing is broken; like bufio, give
	// up after a hundred empty reads rather than spin.
	for empty := 0; d.end < len(d.buf); empty++ {
		n, err := d.r.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.eof = true
			if err != io.EOF {
				d.readErr = err
			}
			return nil
		}
		if n > 0 {
			return nil
		}
		if empty == 100 {
			d.eof, d.readErr = true, io.ErrNoProgress
			return nil
		}
	}
	return nil
}

func (d *TextDecoder) skipRestOfLine() error {
	d.start, d.end = 0, 0
	for {
		n, err := d.r.Read(d.buf)
		if err != nil {
			// Keep the error even when this read also ends the long line.
			d.eof = true
			if err != io.EOF {
				d.readErr = err
			}
		}
		if i := bytes.IndexByte(d.buf[:n], '\n'); i >= 0 {
			d.start, d.end = i+1, n
			return nil
		}
		if err != nil {
			return nil
		}
	}
}

func trimLine(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	for len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		line = line[1:]
	}
	if len(line) == 0 {
		return nil
	}
	return line
}

// split cuts line at runs of spaces and tabs into d.fields.
func (d *TextDecoder) split(line []byte) [][]byte {
	f := d.fields[:0]
	for len(line) > 0 {
		i := 0
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		f = append(f, line[:i])
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		line = line[i:]
	}
	d.fields = f
	return f
}

// detectFormat decides the object's format from its first line and reports
// whether that line is a header.
func (d *TextDecoder) detectFormat(line []byte) (bool, error) {
	if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
		return false, &ParseError{File: d.opts.File, Line: d.line, Err: ErrBinary}
	}
	tokens := d.split(line)
	if f, ok := d.headerFormat(tokens); ok {
		d.format = f
		return true, nil
	}
	switch {
	case d.opts.Format != nil:
		d.format = *d.opts.Format
	case len(tokens) == len(DefaultFormat.Fields) && isDigits(tokens[0]):
		d.format = DefaultFormat
	default:
		return false, &ParseError{File: d.opts.File, Line: d.line, Text: printable(line),
			Err: fmt.Errorf("%w: the first line is neither a header of field names nor a default-format record (give the format of headerless custom logs with --format)", ErrNotFlowLog)}
	}
	return false, nil
}

// headerFormat recognises a header line: field names separated by spaces.
// Names this version does not know are kept as skipped positions so that a
// newer AWS field does not make the whole object unreadable.
func (d *TextDecoder) headerFormat(tokens [][]byte) (Format, bool) {
	var f Format
	known := 0
	seen := make(map[Field]bool, len(tokens))
	for _, t := range tokens {
		if !isFieldName(t) {
			return Format{}, false
		}
		field, ok := Lookup(string(t))
		if ok && !seen[field] {
			seen[field] = true
			known++
			f.Fields = append(f.Fields, field)
			if f.Skip != nil {
				f.Skip = append(f.Skip, false)
			}
			continue
		}
		if f.Skip == nil {
			f.Skip = make([]bool, len(f.Fields), len(tokens))
		}
		f.Fields = append(f.Fields, 0)
		f.Skip = append(f.Skip, true)
		f.Unknown = append(f.Unknown, string(t))
	}
	if known == 0 {
		return Format{}, false
	}
	for _, u := range f.Unknown {
		d.warnings = append(d.warnings, fmt.Sprintf("%s:%d: unknown header field %q ignored", d.opts.File, d.line, u))
	}
	return f, true
}

func isFieldName(t []byte) bool {
	if len(t) == 0 || t[0] < 'a' || t[0] > 'z' {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isDigits(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseLine decodes one record.
func (d *TextDecoder) parseLine(line []byte, rec *Record) *ParseError {
	rec.Set = 0
	rec.Line = d.line
	if !isASCII(line) && !utf8.Valid(line) {
		return &ParseError{File: d.opts.File, Line: d.line, Text: printable(line), Err: ErrEncoding}
	}
	tokens := d.split(line)
	if len(tokens) != len(d.format.Fields) {
		return &ParseError{File: d.opts.File, Line: d.line, Text: printable(line),
			Err: fmt.Errorf("%w: got %d, the format has %d", ErrFieldCount, len(tokens), len(d.format.Fields))}
	}
	for i, t := range tokens {
		if d.format.Skip != nil && d.format.Skip[i] {
			continue
		}
		f := d.format.Fields[i]
		if len(t) == 1 && t[0] == '-' {
			continue
		}
		if err := setValue(rec, f, t); err != nil {
			return &ParseError{File: d.opts.File, Line: d.line, Field: f.String(), Text: printable(line), Err: err}
		}
	}
	return nil
}

// setValue parses text t as field f into rec.
func setValue(rec *Record, f Field, t []byte) error {
	info := &fields[f]
	switch info.Kind {
	case String:
		if f.IsAddress() && !validAddress(t) {
			return fmt.Errorf("%w %q", ErrAddress, printable(t))
		}
		rec.Str[f] = t
	default:
		v, ok := parseUint(t)
		if !ok {
			return fmt.Errorf("%w %q", ErrNumber, printable(t))
		}
		limit := int64(math.MaxInt64)
		if info.Kind == Int32 {
			limit = math.MaxInt32
		}
		if info.Max > 0 {
			limit = info.Max
		}
		if v > limit {
			return fmt.Errorf("%w: %d > %d", ErrRange, v, limit)
		}
		rec.Int[f] = v
	}
	rec.Set |= 1 << f
	return nil
}

// parseUint parses a non-negative decimal integer that fits an int64.
func parseUint(t []byte) (int64, bool) {
	if len(t) == 0 || len(t) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if v < 0 { // 19 digits can overflow
		return 0, false
	}
	return v, true
}

// validAddress reports whether t is an IPv4 or IPv6 address. Dotted quads,
// by far the most common, are checked without allocating.
func validAddress(t []byte) bool {
	if bytes.IndexByte(t, ':') < 0 {
		return validIPv4(t)
	}
	// netip accepts a zone ("fe80::1%eth0"); flow logs never carry one.
	a, err := netip.ParseAddr(string(t))
	return err == nil && a.Zone() == ""
}

func validIPv4(t []byte) bool {
	parts, digits, v := 0, 0, 0
	for i := 0; i <= len(t); i++ {
		if i == len(t) || t[i] == '.' {
			if digits == 0 || v > 255 || (digits > 1 && t[i-digits] == '0') {
				return false
			}
			parts++
			digits, v = 0, 0
			continue
		}
		c := t[i]
		if c < '0' || c > '9' || digits == 3 {
			return false
		}
		v = v*10 + int(c-'0')
		digits++
	}
	return parts == 4
}
