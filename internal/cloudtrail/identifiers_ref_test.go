package cloudtrail

import (
	"strings"
	"sync"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// appendIdentifiersRef is AppendIdentifiers written over jsontext's
// decoder: slower (it measured a third of a CloudTrail ingest's decoding
// time), simpler, and the oracle the scanner is checked against.
func appendIdentifiersRef(dst []Identifier, raw string) []Identifier {
	w := walkers.Get().(*idWalker)
	defer walkers.Put(w)
	w.r.Reset(raw)
	w.d.Reset(&w.r, jsontext.AllowDuplicateNames(true))
	start := len(dst)
	if tok, err := w.d.ReadToken(); err != nil || tok.Kind() != '{' {
		return dst
	}
	for w.d.PeekKind() == '"' {
		name, err := w.d.ReadValue()
		if err != nil {
			return dst
		}
		member := w.unquote(name)
		if skippedMember(string(member)) {
			if w.d.SkipValue() != nil {
				return dst
			}
			continue
		}
		m := memberName(string(member))
		var ok bool
		if dst, ok = w.walk(dst, start, m, identifierKey(string(member))); !ok {
			return dst
		}
	}
	return dst
}

type idWalker struct {
	r   strings.Reader
	d   jsontext.Decoder
	buf []byte
}

var walkers = sync.Pool{New: func() any { return new(idWalker) }}

// unquote returns the content of a JSON string token, in w.buf when it
// has escapes. The result is valid until the next call.
func (w *idWalker) unquote(tok jsontext.Value) []byte {
	if len(tok) < 2 {
		return nil
	}
	if strings.IndexByte(string(tok), '\\') < 0 {
		return tok[1 : len(tok)-1]
	}
	var err error
	w.buf, err = jsontext.AppendUnquote(w.buf[:0], tok)
	if err != nil {
		return nil
	}
	return w.buf
}

// walk reads the next value, appending the identifiers it holds; idKey
// tells whether the name of the member holding it says it is an
// identifier (an array's elements inherit the array's). It returns false
// on invalid JSON.
func (w *idWalker) walk(dst []Identifier, start int, member string, idKey bool) ([]Identifier, bool) {
	switch w.d.PeekKind() {
	case '"':
		tok, err := w.d.ReadValue()
		if err != nil {
			return dst, false
		}
		return appendIfIdentifier(dst, start, member, idKey, string(w.unquote(tok))), true
	case '{':
		if _, err := w.d.ReadToken(); err != nil {
			return dst, false
		}
		for w.d.PeekKind() == '"' {
			name, err := w.d.ReadValue()
			if err != nil {
				return dst, false
			}
			var ok bool
			if dst, ok = w.walk(dst, start, member, identifierKey(string(w.unquote(name)))); !ok {
				return dst, false
			}
		}
		_, err := w.d.ReadToken() // '}'
		return dst, err == nil
	case '[':
		if _, err := w.d.ReadToken(); err != nil {
			return dst, false
		}
		for k := w.d.PeekKind(); k != ']' && k != 0; k = w.d.PeekKind() {
			var ok bool
			if dst, ok = w.walk(dst, start, member, idKey); !ok {
				return dst, false
			}
		}
		_, err := w.d.ReadToken() // ']'
		return dst, err == nil
	case 0:
		return dst, false
	}
	return dst, w.d.SkipValue() == nil
}

func BenchmarkAppendIdentifiersRef(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	var ids []Identifier
	for b.Loop() {
		ids = appendIdentifiersRef(ids[:0], benchEvent)
	}
}
