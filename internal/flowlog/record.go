package flowlog

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Record is one decoded flow log record. A field absent from the record's
// format, or written as "-", is not set.
//
// String values alias the decoder's buffer and stay valid only until the
// next call to the decoder; integer values are copied.
type Record struct {
	// Set has bit f set when field f has a value.
	Set uint64
	// Int holds the values of integer and timestamp fields (Unix seconds).
	Int [NumFields]int64
	// Str holds the values of string fields.
	Str [NumFields][]byte
	// Line is the record's 1-based line number in its object (text), or
	// its 1-based row number (Parquet).
	Line int
}

// Has reports whether field f has a value.
func (r *Record) Has(f Field) bool { return r.Set&(1<<f) != 0 }

// Reset clears every value.
func (r *Record) Reset() { r.Set = 0 }

// SetInt sets an integer or timestamp field.
func (r *Record) SetInt(f Field, v int64) { r.Int[f] = v; r.Set |= 1 << f }

// SetStr sets a string field; b is kept as is, not copied.
func (r *Record) SetStr(f Field, b []byte) { r.Str[f] = b; r.Set |= 1 << f }

// Value returns field f as text the way a flow log writes it, "-" when
// unset. It allocates and is meant for tests and error messages.
func (r *Record) Value(f Field) string {
	if !r.Has(f) {
		return "-"
	}
	if fields[f].Kind == String {
		return string(r.Str[f])
	}
	return strconv.FormatInt(r.Int[f], 10)
}

// Errors that describe why a line or an object was rejected. They are
// wrapped in a *ParseError naming the file and line.
var (
	ErrFieldCount = errors.New("wrong number of fields")
	ErrNumber     = errors.New("invalid number")
	ErrRange      = errors.New("number out of range")
	ErrAddress    = errors.New("invalid IP address")
	ErrEncoding   = errors.New("invalid UTF-8")
	ErrLineLength = errors.New("line too long")
	ErrNotFlowLog = errors.New("not a VPC flow log")
	ErrBinary     = errors.New("binary data, not a text flow log")
	ErrEmpty      = errors.New("empty object")
	ErrType       = errors.New("unsupported column type")
)

// ParseError reports a line (or a whole object, when Line is 0) that could
// not be decoded.
type ParseError struct {
	File  string // the object's name: a path or an s3:// URI
	Line  int    // 1-based; 0 when the error concerns the whole object
	Field string // the field at fault, if any
	Text  string // the start of the offending line, made printable
	Err   error
}

func (e *ParseError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %s: %v", loc, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxErrorText bounds how much of a bad line an error quotes.
const maxErrorText = 120

// printable returns a short, printable rendering of b for error messages;
// log lines are untrusted, so control characters and invalid UTF-8 are
// escaped.
func printable(b []byte) string {
	truncated := false
	if len(b) > maxErrorText {
		b = b[:maxErrorText]
		truncated = true
	}
	s := strconv.Quote(string(b))
	s = s[1 : len(s)-1]
	if truncated {
		s += "…"
	}
	return s
}

// isASCII reports whether b holds only 7-bit bytes, the common case that
// needs no UTF-8 validation.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
