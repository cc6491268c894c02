package demo

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends compact JSON: members are separated by looking at the last
// byte written, so callers only open, add and close.
type jw struct{ b []byte }

func (w *jw) sep() {
	// A value starts the buffer, a line or a member, or follows a comma.
	if n := len(w.b); n > 0 && w.b[n-1] != '{' && w.b[n-1] != '[' && w.b[n-1] != ':' && w.b[n-1] != ',' && w.b[n-1] != '\n' {
		w.b = append(w.b, ',')
	}
}

func (w *jw) key(k string) {
	w.sep()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
}

func (w *jw) open(k string) *jw {
	if w.b == nil {
		// One allocation for a typical fragment instead of a dozen
		// growing ones.
		w.b = make([]byte, 0, 512)
	}
	if k != "" {
		w.key(k)
	} else {
		w.sep()
	}
	w.b = append(w.b, '{')
	return w
}

func (w *jw) openArr(k string) *jw {
	w.key(k)
	w.b = append(w.b, '[')
	return w
}

func (w *jw) close() *jw    { w.b = append(w.b, '}'); return w }
func (w *jw) closeArr() *jw { w.b = append(w.b, ']'); return w }

func (w *jw) str(k, v string) *jw {
	w.key(k)
	w.b = appendJSONString(w.b, v)
	return w
}

// elem appends a string element of an array.
func (w *jw) elem(v string) *jw {
	w.sep()
	w.b = appendJSONString(w.b, v)
	return w
}

func (w *jw) num(k string, v int64) *jw {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
	return w
}

func (w *jw) float(k string, v float64) *jw {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64)
	return w
}

func (w *jw) boolean(k string, v bool) *jw {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	return w
}

func (w *jw) raw(k string, v []byte) *jw {
	w.key(k)
	if len(v) == 0 {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, v...)
	}
	return w
}

func (w *jw) null(k string) *jw {
	w.key(k)
	w.b = append(w.b, "null"...)
	return w
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func isoTime(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05Z") }

// expiration is how STS writes a credential's expiry in responseElements.
func expiration(t int64) string { return time.Unix(t, 0).UTC().Format("Jan 2, 2006, 3:04:05 PM") }
