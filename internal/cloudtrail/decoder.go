package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Decoder reads the CloudTrail events of one object, already
// decompressed, whatever its shape: it tells them apart from the content,
// not the name. Records arrays are streamed: only the event being decoded
// is held in memory, besides the batch.
type Decoder struct {
	opts Options
	r    *reader

	state state
	// afterArray is the state to go to when the array being read ends:
	// the top level, or the rest of the object around a Records array.
	afterArray state
	elements   int // elements read from the current array

	container string // "records", "lookup-events", "array", "single" or "ndjson"
	tops      int    // top-level values started
	record    int    // number of the last record started
	first     kind   // kind of the first record that had one
	firstSeen bool
	recorded  bool // a record was decoded or rejected
	digests   int
	done      bool

	key  [8]byte
	strs []byte // the flattened strings of one event
}

type state int

const (
	stStart     state = iota
	stTop             // between top-level values
	stArray           // before an element of an array (or its end)
	stArraySep        // after an element: ',' or ']'
	stObjectSep       // in a top-level object after a member: ',' or '}'
)

// NewDecoder returns a decoder reading r, which must already be
// decompressed.
func NewDecoder(r io.Reader, opts Options) *Decoder {
	return &Decoder{opts: opts, r: newReader(r)}
}

// Digests returns the number of CloudTrail digest files recognised and
// skipped. A digest file yields no events and no error.
func (d *Decoder) Digests() int { return d.digests }

// Shape describes the object as read so far: "records" (an S3 log file),
// "lookup-events" (aws cloudtrail lookup-events output, whole or one
// record per line), "eventbridge" (EventBridge envelopes, alone, in an
// array or one per line), "digest", or, for plain events, "array",
// "single" or "ndjson" (one JSON value after another). It is "" before
// the first call to Next.
func (d *Decoder) Shape() string {
	switch {
	case d.container == "records" || d.container == "lookup-events":
		return d.container
	case d.firstSeen && d.first == kindEventBridge:
		return "eventbridge"
	case d.firstSeen && d.first == kindLookup:
		return "lookup-events"
	case d.firstSeen && d.first == kindDigest:
		return "digest"
	}
	return d.container
}

// Next decodes up to cap(b.Events) events into b, replacing its contents
// (a capacity of 0 means 1024). Rejected records are appended to b.Errors,
// counting towards the capacity, and decoding goes on. Next returns io.EOF
// once the input is exhausted and the batch is empty; any other error is a
// *ParseError that ends decoding of the object: input that is not JSON or
// not CloudTrail at all, broken JSON structure between records, or input
// that stops inside a record (a truncated gzip stream). Events decoded
// before such an error are still in b.
//
// Events own their memory; b can be reused once they are no longer needed.
func (d *Decoder) Next(b *Batch) error {
	b.Events = b.Events[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Events) == 0 {
		b.Events = make([]Event, 0, 1024)
	}
	if d.done {
		return io.EOF
	}
	for len(b.Events)+len(b.Errors) < cap(b.Events) {
		src, perr, err := d.next()
		if err != nil {
			d.done = true
			if err == io.EOF {
				if len(b.Events)+len(b.Errors) > 0 {
					return nil
				}
				return io.EOF
			}
			return err
		}
		if perr != nil {
			d.recorded = true
			b.Errors = append(b.Errors, perr)
			continue
		}
		b.Events = b.Events[:len(b.Events)+1]
		ev := &b.Events[len(b.Events)-1]
		k, err := d.decode(src, ev)
		if !d.firstSeen && k != kindNone {
			d.first, d.firstSeen = k, true
		}
		if err != nil {
			*ev = Event{}
			b.Events = b.Events[:len(b.Events)-1]
			if !d.recorded && (errors.Is(err, ErrNotCloudTrail) || errors.Is(err, ErrNotObject)) {
				// The object is something else, such as a GuardDuty
				// finding: one error for the object, not one per record.
				d.done = true
				return &ParseError{File: d.opts.File, Err: fmt.Errorf("not a CloudTrail log: record %d: %w", d.record, err)}
			}
			d.recorded = true
			b.Errors = append(b.Errors, &ParseError{File: d.opts.File, Record: d.record, Err: err})
			continue
		}
		d.recorded = true
		if k == kindDigest {
			d.digests++
			*ev = Event{}
			b.Events = b.Events[:len(b.Events)-1]
			continue
		}
		ev.Record = d.record
	}
	return nil
}

// next returns the bytes of the next record, valid until the following
// call; or a rejected record; or io.EOF; or a fatal *ParseError.
func (d *Decoder) next() (src []byte, perr *ParseError, err error) {
	r := d.r
	for {
		switch d.state {
		case stStart:
			if err := d.start(); err != nil {
				return nil, nil, err
			}
			d.state = stTop

		case stTop:
			r.mark = -1
			c, ok := r.skipSpace()
			if !ok {
				if r.readErr != nil {
					return nil, nil, d.fatal(d.record+1, r.endError())
				}
				return nil, nil, io.EOF
			}
			d.tops++
			if d.tops == 2 && d.container == "single" {
				d.container = "ndjson"
			}
			switch c {
			case '[':
				if d.container == "" {
					d.container = "array"
				}
				r.pos++
				d.state, d.afterArray, d.elements = stArray, stTop, 0
			case '{':
				if d.container == "" {
					d.container = "single"
				}
				r.setMark()
				r.pos++
				src, perr, err := d.members(true)
				if src != nil || perr != nil || err != nil {
					return src, perr, err
				}
			default:
				// Only after a first good value; the first byte was
				// checked by start.
				d.record++
				at := r.offset()
				if !r.skipLine() && r.readErr != nil {
					return nil, nil, d.fatal(d.record, r.endError())
				}
				return nil, d.syntax(d.record, at, "expected '{' or '[' at the start of a record, found %s", quoteByte(c)), nil
			}

		case stArray:
			r.mark = -1
			c, ok := r.skipSpace()
			if !ok {
				return nil, nil, d.fatal(d.record+1, r.endError())
			}
			if c == ']' && d.elements == 0 {
				r.pos++
				d.state = d.afterArray
				continue
			}
			if c == ']' || c == '}' || c == ',' || c == ':' {
				return nil, nil, d.fatal(d.record+1, fmt.Errorf("%w at byte %d: expected a record, found %s",
					ErrSyntax, r.offset(), quoteByte(c)))
			}
			d.record++
			d.elements++
			d.state = stArraySep
			r.setMark()
			if !r.skipValue() {
				return nil, nil, d.fatal(d.record, r.endError())
			}
			if r.overflow {
				return nil, d.tooLarge(), nil
			}
			return r.marked(), nil, nil

		case stArraySep:
			r.mark = -1
			c, ok := r.skipSpace()
			if !ok {
				return nil, nil, d.fatal(d.record+1, r.endError())
			}
			switch c {
			case ',':
				r.pos++
				d.state = stArray
			case ']':
				r.pos++
				d.state = d.afterArray
			default:
				return nil, nil, d.fatal(d.record+1, fmt.Errorf("%w at byte %d: expected ',' or ']' after record %d, found %s",
					ErrSyntax, r.offset(), d.record, quoteByte(c)))
			}

		case stObjectSep:
			// The rest of a top-level object after its Records array.
			c, ok := r.skipSpace()
			if !ok {
				return nil, nil, d.fatal(d.record+1, r.endError())
			}
			switch c {
			case '}':
				r.pos++
				d.state = stTop
			case ',':
				r.pos++
				src, perr, err := d.members(false)
				if src != nil || perr != nil || err != nil {
					return src, perr, err
				}
			default:
				return nil, nil, d.fatal(d.record+1, fmt.Errorf("%w at byte %d: expected ',' or '}' after the %s array, found %s",
					ErrSyntax, r.offset(), d.container, quoteByte(c)))
			}
		}
	}
}

// start checks the first bytes of the object: JSON, not binary, not
// empty.
func (d *Decoder) start() error {
	r := d.r
	for r.end-r.pos < 3 && r.fill() {
	}
	if bytes.HasPrefix(r.buf[r.pos:r.end], []byte("\xef\xbb\xbf")) {
		r.pos += 3
	}
	c, ok := r.skipSpace()
	if !ok {
		if r.readErr != nil {
			return d.fatal(0, r.endError())
		}
		return d.fatal(0, ErrEmpty)
	}
	if c == '{' || c == '[' {
		return nil
	}
	for r.end-r.pos < 512 && r.fill() {
	}
	head := r.buf[r.pos:min(r.end, r.pos+512)]
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return d.fatal(0, fmt.Errorf("%w (gzip-compressed; decompress it first)", ErrBinary))
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return d.fatal(0, fmt.Errorf("%w (zstd-compressed; decompress it first)", ErrBinary))
	case bytes.HasPrefix(head, []byte("PAR1")):
		return d.fatal(0, fmt.Errorf("%w (Parquet)", ErrBinary))
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return d.fatal(0, fmt.Errorf("%w (UTF-16 text; CloudTrail is UTF-8)", ErrBinary))
	case isBinary(head):
		return d.fatal(0, ErrBinary)
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	return d.fatal(0, fmt.Errorf("%w: it starts with %s, not with an object or array", ErrNotJSON, quote(line)))
}

// isBinary reports whether b, the start of an object, holds bytes that
// text does not.
func isBinary(b []byte) bool {
	for len(b) > 0 {
		c, size := utf8.DecodeRune(b)
		if c == utf8.RuneError && size == 1 && len(b) >= utf8.UTFMax {
			return true // a cut-off character at the end is not proof
		}
		if c < ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' {
			return true
		}
		b = b[size:]
	}
	return false
}

// members reads the members of a top-level object after its '{' (first)
// or after a ',' that follows a Records array (not first). A member named
// Records or Events whose value is an array makes the object a container:
// next goes on with the array's elements, and members returns nothing.
// Otherwise, when the object ends, it is returned whole as one record.
func (d *Decoder) members(first bool) (src []byte, perr *ParseError, err error) {
	r := d.r
	for n := 0; ; n++ {
		c, ok := r.skipSpace()
		if !ok {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if first && n == 0 && c == '}' {
			r.pos++
			break
		}
		if c != '"' {
			return d.badTop("expected a member name, found %s", quoteByte(c))
		}
		key, long, ok := r.readKey(d.key[:])
		if !ok {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if c, ok = r.skipSpace(); !ok {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if c != ':' {
			return d.badTop("expected ':' after a member name, found %s", quoteByte(c))
		}
		r.pos++
		if c, ok = r.skipSpace(); !ok {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if c == '[' && !long && (string(key) == "Records" || string(key) == "Events") {
			if d.tops == 1 {
				d.container = "records"
				if string(key) == "Events" {
					d.container = "lookup-events"
				}
			}
			r.mark = -1
			r.pos++
			d.state, d.afterArray, d.elements = stArray, stObjectSep, 0
			return nil, nil, nil
		}
		if !r.skipValue() {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if c, ok = r.skipSpace(); !ok {
			return nil, nil, d.fatal(d.record+1, r.endError())
		}
		if c == '}' {
			r.pos++
			break
		}
		if c != ',' {
			return d.badTop("expected ',' or '}' after a member, found %s", quoteByte(c))
		}
		r.pos++
	}
	d.state = stTop
	if !first {
		return nil, nil, nil // the end of a Records object
	}
	d.record++
	if r.overflow {
		return nil, d.tooLarge(), nil
	}
	return r.marked(), nil, nil
}

// badTop rejects a top-level value whose structure is broken and moves to
// the next line that starts a value, as in NDJSON, where the next line is
// the next record.
func (d *Decoder) badTop(format string, args ...any) ([]byte, *ParseError, error) {
	r := d.r
	d.record++
	at := r.offset()
	if r.mark >= 0 {
		// A broken line may have run into the next one (an unterminated
		// string): start again from the line after the record's start,
		// but only then, so that no byte is scanned more than twice.
		seen := r.buf[r.mark:r.pos]
		if i := bytes.IndexByte(seen, '\n'); i < 0 || bytes.IndexByte(seen[i+1:], '\n') < 0 {
			r.pos = r.mark
		}
	}
	r.mark = -1
	d.state = stTop
	if !r.skipLine() && r.readErr != nil {
		return nil, nil, d.fatal(d.record, r.endError())
	}
	return nil, d.syntax(d.record, at, format, args...), nil
}

func (d *Decoder) syntax(record int, at int64, format string, args ...any) *ParseError {
	return &ParseError{File: d.opts.File, Record: record,
		Err: fmt.Errorf("%w at byte %d: %s", ErrSyntax, at, fmt.Sprintf(format, args...))}
}

func (d *Decoder) tooLarge() *ParseError {
	d.r.overflow = false
	return &ParseError{File: d.opts.File, Record: d.record,
		Err: fmt.Errorf("%w (over %d MiB), skipped", ErrTooLarge, maxRecordSize>>20)}
}

func (d *Decoder) fatal(record int, err error) *ParseError {
	return &ParseError{File: d.opts.File, Record: record, Err: err}
}

// quoteByte renders a byte found where JSON wanted another.
func quoteByte(c byte) string {
	if c >= ' ' && c < utf8.RuneSelf {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
