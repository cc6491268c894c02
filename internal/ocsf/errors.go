package ocsf

import (
	"errors"
	"fmt"
	"strconv"
)

// Errors that describe why a record or a file was rejected. They are
// wrapped in a *ParseError naming the file, the record and the field.
var (
	// ErrCorrupt: the file cannot be read at all (not Parquet, truncated,
	// a damaged footer or page). Nothing after the damage is trusted.
	ErrCorrupt = errors.New("corrupt Parquet file")
	// ErrUnsupported: a Parquet feature this reader does not handle, such
	// as encryption.
	ErrUnsupported = errors.New("unsupported Parquet file")
	// ErrNotOCSF: a Parquet file whose schema lacks class_uid or
	// metadata.version, such as a flow log AWS delivered as Parquet.
	ErrNotOCSF = errors.New("not an OCSF file")
	// ErrClass: a record of an OCSF class gumshoe does not map.
	ErrClass = errors.New("unsupported OCSF class")
	// ErrType: a column or value of a type the attribute cannot hold.
	ErrType = errors.New("wrong type")
	// ErrMissing: a record without an attribute its class needs.
	ErrMissing = errors.New("missing attribute")
	// ErrRange: a number outside the attribute's range.
	ErrRange = errors.New("value out of range")
	// ErrNumber: text where a number was wanted that is not one.
	ErrNumber = errors.New("invalid number")
	// ErrAddress: an endpoint IP that does not parse.
	ErrAddress = errors.New("invalid IP address")
	// ErrTime: a time that does not parse or is out of range.
	ErrTime = errors.New("invalid time")
	// ErrEncoding: text that is not valid UTF-8.
	ErrEncoding = errors.New("invalid UTF-8")
)

// ParseError reports a record (or a whole file, when Record is 0) that
// could not be decoded.
type ParseError struct {
	File   string // the object's name: a path or an s3:// URI
	Record int    // 1-based row number in the file; 0 for the whole file
	Field  string // the OCSF attribute or column at fault, if any, e.g. "src_endpoint.port"
	Err    error
}

func (e *ParseError) Error() string {
	loc := e.File
	if e.Record > 0 {
		loc = fmt.Sprintf("%s: record %d", e.File, e.Record)
	}
	if e.Field != "" {
		// Column names come from the file: printed escaped.
		return fmt.Sprintf("%s: field %s: %v", loc, printable(e.Field), e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxErrorText bounds how much of a value an error quotes.
const maxErrorText = 120

// printable renders untrusted text for an error message: control
// characters and invalid UTF-8 escaped, cut short.
func printable(s string) string {
	cut := false
	if len(s) > maxErrorText {
		s, cut = s[:maxErrorText], true
	}
	q := strconv.Quote(s)
	q = q[1 : len(q)-1]
	if cut {
		q += "…"
	}
	return q
}
