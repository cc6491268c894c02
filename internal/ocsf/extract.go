package ocsf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// extractor reads attributes of an assembled record, remembering the
// first error, which names the attribute.
type extractor struct {
	d   *Decoder
	err *ParseError
}

func (x *extractor) fail(path []string, err error) {
	if x.err == nil {
		x.err = x.d.recordError(strings.Join(path, "."), err)
	}
}

// str returns a text attribute, "" when absent. Integers and booleans are
// written as text; objects and lists are a type error.
func (x *extractor) str(v *value, path ...string) string {
	a := v.get(path...)
	if a == nil {
		return ""
	}
	switch a.kind {
	case vString:
		if !utf8.ValidString(a.s) {
			x.fail(path, fmt.Errorf("%w: \"%s\"", ErrEncoding, printable(a.s)))
			return ""
		}
		return a.s
	case vInt:
		return strconv.FormatInt(a.i, 10)
	case vBool:
		return strconv.FormatBool(a.b)
	}
	x.fail(path, fmt.Errorf("%w: %s; want a string", ErrType, kindName(a.kind)))
	return ""
}

// integer returns an integer attribute; text of digits is accepted.
func (x *extractor) integer(v *value, path ...string) (int64, bool) {
	a := v.get(path...)
	if a == nil {
		return 0, false
	}
	switch a.kind {
	case vInt:
		return a.i, true
	case vString:
		if a.s == "" || a.s == "-" {
			return 0, false
		}
		n, err := strconv.ParseInt(a.s, 10, 64)
		if err != nil {
			x.fail(path, fmt.Errorf("%w: \"%s\"", ErrNumber, printable(a.s)))
			return 0, false
		}
		return n, true
	}
	x.fail(path, fmt.Errorf("%w: %s; want an integer", ErrType, kindName(a.kind)))
	return 0, false
}

// time returns a time attribute: milliseconds since the epoch as OCSF
// writes them (a TIMESTAMP column converted), or RFC 3339 text.
func (x *extractor) time(v *value, path ...string) time.Time {
	a := v.get(path...)
	if a == nil {
		return time.Time{}
	}
	switch a.kind {
	case vInt:
		if a.i < minMillis || a.i > maxMillis {
			x.fail(path, fmt.Errorf("%w: %d ms", ErrTime, a.i))
			return time.Time{}
		}
		return millisTime(a.i)
	case vString:
		t, err := parseTime(a.s)
		if err != nil {
			x.fail(path, err)
			return time.Time{}
		}
		return t
	}
	x.fail(path, fmt.Errorf("%w: %s; want a time", ErrType, kindName(a.kind)))
	return time.Time{}
}

// The times accepted: years 0001 to 9999, which JSON and the store can
// hold.
const (
	minMillis = -62135596800000
	maxMillis = 253402300799999
)

// parseTime accepts RFC 3339 times, with or without the "T" and the
// offset (taken as UTC), as OCSF's *_dt attributes and hand-made files
// write them.
func parseTime(s string) (time.Time, error) {
	v := s
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05.999999999", v)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: \"%s\"", ErrTime, printable(s))
	}
	return t.UTC(), nil
}

func kindName(k vkind) string {
	switch k {
	case vBool:
		return "a boolean"
	case vInt:
		return "an integer"
	case vFloat:
		return "a number"
	case vString:
		return "a string"
	case vObject:
		return "an object"
	case vList:
		return "a list"
	}
	return "null"
}

// toJSON returns v as compact JSON in memory of its own.
func toJSON(v *value) []byte {
	return appendJSON(nil, v)
}

// rawJSON returns v as compact JSON in memory of its own, encoding it in
// the decoder's scratch buffer first so that the result is allocated once.
func (d *Decoder) rawJSON(v *value) []byte {
	d.scratch = appendJSON(d.scratch[:0], v)
	return bytes.Clone(d.scratch)
}
