package cloudtrail

import (
	"bytes"
	"fmt"
	"io"
)

const (
	initialBufferSize = 64 << 10
	// idleBufferSize is the size above which the buffer is given back
	// once the large record that needed it is done.
	idleBufferSize = 1 << 20
)

// maxRecordSize bounds the bytes one record may hold in memory. CloudTrail
// events are a few KB (AWS truncates large request and response
// elements), so a bigger record is hostile or broken; it is skipped and
// reported. A variable so that tests can lower it.
var maxRecordSize = 64 << 20

// reader frames JSON values in a stream without decoding them: it finds
// where a value ends (strings, escapes, nesting) and keeps the bytes of the
// value being framed, from mark on, in its buffer. Full validation is left
// to encoding/json, record by record, so that a broken record costs that
// record only.
type reader struct {
	r        io.Reader
	buf      []byte
	pos      int   // next unread byte
	end      int   // end of the data in buf
	mark     int   // start of the bytes to keep, or -1
	base     int64 // input offset of buf[0]
	eof      bool
	readErr  error
	overflow bool // the kept bytes passed maxRecordSize and were let go
}

func newReader(r io.Reader) *reader {
	return &reader{r: r, buf: make([]byte, initialBufferSize), mark: -1}
}

// offset returns the input offset of the next unread byte.
func (r *reader) offset() int64 { return r.base + int64(r.pos) }

// setMark starts keeping bytes from the next unread one.
func (r *reader) setMark() { r.mark, r.overflow = r.pos, false }

// marked returns the bytes from the mark to the next unread byte; they stay
// valid until the next read.
func (r *reader) marked() []byte { return r.buf[r.mark:r.pos] }

// fill reads more input into the free end of the buffer. When there is
// none, it first moves the bytes still needed (from mark, or pos) to the
// front, and grows the buffer when they take more than half of it, so that
// each byte is moved a bounded number of times however small the reads.
// It returns false at the end of the input. Indices into buf change; pos,
// end and mark are adjusted.
func (r *reader) fill() bool {
	if r.eof {
		return false
	}
	if r.end == len(r.buf) {
		keep := r.pos
		if r.mark >= 0 && r.mark < keep {
			if r.end-r.mark >= maxRecordSize {
				r.mark, r.overflow = -1, true
			} else {
				keep = r.mark
			}
		}
		if keep > 0 {
			n := copy(r.buf, r.buf[keep:r.end])
			r.base += int64(keep)
			r.pos -= keep
			r.end = n
			if r.mark >= 0 {
				r.mark -= keep
			}
		}
		switch {
		case r.end > len(r.buf)/2:
			nb := make([]byte, 2*len(r.buf))
			copy(nb, r.buf[:r.end])
			r.buf = nb
		case len(r.buf) > idleBufferSize && r.end < initialBufferSize/2:
			// The large record that needed the space is done.
			nb := make([]byte, initialBufferSize)
			copy(nb, r.buf[:r.end])
			r.buf = nb
		}
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err != nil {
			r.eof = true
			if err != io.EOF {
				r.readErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	r.eof, r.readErr = true, io.ErrNoProgress
	return false
}

// endError describes why the input ended where it did: a read error (such
// as a truncated gzip stream) or, when the input simply stopped, ErrTruncated.
func (r *reader) endError() error {
	if r.readErr != nil {
		return fmt.Errorf("%w at byte %d: %w", ErrRead, r.offset(), r.readErr)
	}
	return fmt.Errorf("%w at byte %d (truncated object?)", ErrTruncated, r.offset())
}

// skipSpace moves to the next byte that is not JSON white space and
// returns it without consuming it; ok is false at the end of the input.
func (r *reader) skipSpace() (c byte, ok bool) {
	for {
		for r.pos < r.end {
			switch c := r.buf[r.pos]; c {
			case ' ', '\t', '\n', '\r':
				r.pos++
			default:
				return c, true
			}
		}
		if !r.fill() {
			return 0, false
		}
	}
}

// skipValue moves past the JSON value starting at the next byte, which is
// not white space. It returns false when the input ends inside the value.
func (r *reader) skipValue() bool {
	switch r.buf[r.pos] {
	case '"':
		return r.skipString()
	case '{', '[':
		return r.skipNested()
	default:
		r.skipScalar()
		return true
	}
}

// structural marks the bytes skipNested stops at.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipNested moves past an object or array. It counts brackets without
// matching their kinds; encoding/json checks that later.
func (r *reader) skipNested() bool {
	depth := 0
	for {
		buf, i := r.buf[:r.end], r.pos
		for i < len(buf) {
			c := buf[i]
			if !structural[c] {
				i++
				continue
			}
			switch c {
			case '"':
				r.pos = i
				if !r.skipString() {
					return false
				}
				buf, i = r.buf[:r.end], r.pos
				continue
			case '{', '[':
				depth++
			default:
				depth--
				if depth == 0 {
					r.pos = i + 1
					return true
				}
			}
			i++
		}
		r.pos = i
		if !r.fill() {
			return false
		}
	}
}

// skipString moves past a string starting at pos. Each byte is looked at
// a bounded number of times, however many escapes the string holds.
func (r *reader) skipString() bool {
	r.pos++ // the opening quote
	// quote is the index of the next '"' at or after pos, or end for none
	// in the buffer.
	quote := -1
	for {
		if quote < r.pos {
			if q := bytes.IndexByte(r.buf[r.pos:r.end], '"'); q >= 0 {
				quote = r.pos + q
			} else {
				quote = r.end
			}
		}
		if b := bytes.IndexByte(r.buf[r.pos:quote], '\\'); b >= 0 {
			if r.pos+b+1 < r.end {
				r.pos += b + 2 // the escape and the byte it escapes
				continue
			}
			r.pos += b // keep the backslash for after the refill
		} else if quote < r.end {
			r.pos = quote + 1
			return true
		} else {
			r.pos = r.end
		}
		if !r.fill() {
			return false
		}
		quote = -1
	}
}

// skipScalar moves past a number or literal (or whatever stands in one's
// place), stopping at the first delimiter or at the end of the input.
func (r *reader) skipScalar() {
	for {
		for r.pos < r.end {
			switch r.buf[r.pos] {
			case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
				return
			}
			r.pos++
		}
		if !r.fill() {
			return
		}
	}
}

// readKey moves past the string starting at pos and returns up to
// len(dst) bytes of its content, as written (escapes not decoded), and
// whether the content was longer.
func (r *reader) readKey(dst []byte) (key []byte, long, ok bool) {
	r.pos++
	n := 0
	escaped := false
	for {
		for r.pos < r.end {
			c := r.buf[r.pos]
			r.pos++
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				return dst[:n], long, true
			}
			if n < len(dst) {
				dst[n] = c
				n++
			} else {
				long = true
			}
		}
		if !r.fill() {
			return nil, false, false
		}
	}
}

// skipLine moves past the rest of the line and any following lines that do
// not start with '{' or '[' in their first column: after a broken value in
// NDJSON or concatenated JSON, the next value starts there. It returns
// false at the end of the input.
func (r *reader) skipLine() bool {
	for {
		if i := bytes.IndexByte(r.buf[r.pos:r.end], '\n'); i >= 0 {
			r.pos += i + 1
			if r.pos == r.end && !r.fill() {
				return false
			}
			if c := r.buf[r.pos]; c == '{' || c == '[' {
				return true
			}
			continue
		}
		r.pos = r.end
		if !r.fill() {
			return false
		}
	}
}
