package filterpattern

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a pattern that cannot be compiled: the 1-based column (in
// characters, not bytes) where the problem was found, and what was expected
// there.
type Error struct {
	Column int
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("filter pattern: column %d: %s", e.Column, e.Msg)
}

// pattern is a parsed filter pattern: either a bracket pattern (fields) or a
// list of terms.
type pattern struct {
	bracket bool
	fields  []field
	close   int // byte offset of the closing bracket
	terms   []term
}

// field is one comma-separated position of a bracket pattern.
type field struct {
	off      int
	ellipsis bool
	label    string
	cond     *node // nil: any value
}

// node is a condition on one field: a comparison (op is one of the
// comparison operators) or two conditions joined by "&&" or "||".
type node struct {
	op          string
	left, right *node
	label       string
	labelOff    int
	value       string
	valueOff    int
	quoted      bool
}

// term is one word or quoted phrase of a term pattern. prefix is 0 (must
// appear), '?' (any of the ?terms must appear) or '-' (must not appear).
type term struct {
	off    int
	prefix byte
	text   string
}

type parser struct {
	src string
	pos int
}

func (p *parser) errorf(off int, format string, args ...any) *Error {
	return &Error{Column: p.column(off), Msg: fmt.Sprintf(format, args...)}
}

// column turns a byte offset into a 1-based column counted in characters.
func (p *parser) column(off int) int {
	if off > len(p.src) {
		off = len(p.src)
	}
	return utf8.RuneCountInString(p.src[:off]) + 1
}

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpace() {
	for !p.eof() && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parse parses a whole pattern. Bytes that cannot be part of a log line
// (invalid UTF-8, NUL and other control characters) are refused up front,
// so that nothing later has to think about them.
func parse(src string) (*pattern, error) {
	p := &parser{src: src}
	for i, r := range src {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(src[i:]); size == 1 {
				return nil, p.errorf(i, "invalid UTF-8")
			}
		}
		if unicode.IsControl(r) && !isSpace(byte(r)) {
			return nil, p.errorf(i, "control character %U", r)
		}
	}
	p.skipSpace()
	switch p.peek() {
	case '[':
		return p.bracket()
	case '{':
		return nil, p.errorf(p.pos, "JSON filter patterns do not apply to flow log records; use [field, ...]")
	case '%':
		return nil, p.errorf(p.pos, "regular expression filter patterns are not supported")
	}
	return p.termList()
}

func (p *parser) bracket() (*pattern, error) {
	pat := &pattern{bracket: true}
	p.pos++ // '['
	for {
		p.skipSpace()
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		pat.fields = append(pat.fields, f)
		p.skipSpace()
		if p.eof() {
			return nil, p.errorf(p.pos, `expected "]"`)
		}
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.peek() == ']' {
			pat.close = p.pos
			p.pos++
			break
		}
		return nil, p.errorf(p.pos, `expected "," or "]"`)
	}
	p.skipSpace()
	if !p.eof() {
		return nil, p.errorf(p.pos, `unexpected text after "]"`)
	}
	return pat, nil
}

// isWordByte reports whether c can be part of a field label or an
// unquoted value: anything but space and the pattern's own punctuation.
func isWordByte(c byte) bool {
	return !isSpace(c) && !strings.ContainsRune(`,[]=!<>&|()"`, rune(c))
}

func (p *parser) field() (field, error) {
	f := field{off: p.pos}
	if strings.HasPrefix(p.src[p.pos:], "...") {
		p.pos += 3
		f.ellipsis = true
		return f, nil
	}
	start := p.pos
	label := p.label()
	if label == "" && p.peek() != '(' {
		return f, p.errorf(p.pos, `expected a field name or "..."`)
	}
	f.label = label
	p.skipSpace()
	if label != "" && (p.eof() || p.peek() == ',' || p.peek() == ']') {
		return f, nil
	}
	if label != "" && !isOpByte(p.peek()) {
		return f, p.errorf(p.pos, `expected a comparison ("=", "!=", "<", "<=", ">", ">="), "," or "]"`)
	}
	p.pos = start
	cond, err := p.or()
	if err != nil {
		return f, err
	}
	f.cond = cond
	if f.label == "" {
		f.label = firstLabel(cond)
	}
	if err := p.sameLabel(cond, f.label); err != nil {
		return f, err
	}
	return f, nil
}

func isOpByte(c byte) bool { return c == '=' || c == '!' || c == '<' || c == '>' }

func firstLabel(n *node) string {
	for n.left != nil {
		n = n.left
	}
	return n.label
}

// sameLabel checks that every comparison in a field's condition names that
// field. CloudWatch Logs ignores case in these names (its own example is
// [w1=ERROR || W1=WARNING, w2]); a different name is most likely a
// condition meant for another position, which must not be applied here.
func (p *parser) sameLabel(n *node, label string) error {
	if n.left != nil {
		if err := p.sameLabel(n.left, label); err != nil {
			return err
		}
		return p.sameLabel(n.right, label)
	}
	if !strings.EqualFold(n.label, label) {
		return p.errorf(n.labelOff, "condition on %q inside the field %q: each field's conditions must name that field", n.label, label)
	}
	return nil
}

func (p *parser) label() string {
	start := p.pos
	for !p.eof() && isWordByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// or parses conditions joined by "||"; "&&" binds tighter.
func (p *parser) or() (*node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "||") {
			return left, nil
		}
		p.pos += 2
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &node{op: "||", left: left, right: right}
	}
}

func (p *parser) and() (*node, error) {
	left, err := p.comparison()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if !strings.HasPrefix(p.src[p.pos:], "&&") {
			return left, nil
		}
		p.pos += 2
		right, err := p.comparison()
		if err != nil {
			return nil, err
		}
		left = &node{op: "&&", left: left, right: right}
	}
}

var ops = []string{"!=", "<=", ">=", "=", "<", ">"}

func (p *parser) comparison() (*node, error) {
	p.skipSpace()
	if p.peek() == '(' {
		open := p.pos
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errorf(p.pos, `expected ")" to close the "(" at column %d`, p.column(open))
		}
		p.pos++
		return n, nil
	}
	n := &node{labelOff: p.pos}
	n.label = p.label()
	if n.label == "" {
		return nil, p.errorf(p.pos, "expected a field name")
	}
	p.skipSpace()
	for _, op := range ops {
		if strings.HasPrefix(p.src[p.pos:], op) {
			n.op = op
			p.pos += len(op)
			break
		}
	}
	if n.op == "" {
		return nil, p.errorf(p.pos, `expected a comparison ("=", "!=", "<", "<=", ">", ">=")`)
	}
	p.skipSpace()
	n.valueOff = p.pos
	if p.peek() == '"' {
		v, err := p.quoted()
		if err != nil {
			return nil, err
		}
		n.value, n.quoted = v, true
	} else {
		start := p.pos
		for !p.eof() && isWordByte(p.src[p.pos]) {
			p.pos++
		}
		n.value = p.src[start:p.pos]
		if n.value == "" {
			return nil, p.errorf(p.pos, "expected a value after %q", n.op)
		}
	}
	if n.op != "=" && n.op != "!=" {
		if _, ok := number(n.value); !ok {
			return nil, p.errorf(n.valueOff, "expected a number after %q", n.op)
		}
	}
	return n, nil
}

// quoted reads a double-quoted string; backslash escapes a double quote
// or a backslash.
func (p *parser) quoted() (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for !p.eof() {
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.src) && (p.src[p.pos+1] == '"' || p.src[p.pos+1] == '\\'):
			b.WriteByte(p.src[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf(open, "unterminated quoted string")
}

func (p *parser) termList() (*pattern, error) {
	pat := &pattern{}
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		t := term{off: p.pos}
		if c := p.peek(); c == '?' || c == '-' {
			t.prefix = c
			p.pos++
		}
		if p.peek() == '"' {
			v, err := p.quoted()
			if err != nil {
				return nil, err
			}
			t.text = v
		} else {
			start := p.pos
			for !p.eof() && !isSpace(p.src[p.pos]) && p.src[p.pos] != '"' {
				p.pos++
			}
			t.text = p.src[start:p.pos]
		}
		if t.text == "" {
			return nil, p.errorf(p.pos, "expected a term")
		}
		pat.terms = append(pat.terms, t)
	}
	var any, other *term
	for i := range pat.terms {
		if pat.terms[i].prefix == '?' {
			any = &pat.terms[i]
		} else {
			other = &pat.terms[i]
		}
	}
	if any != nil && other != nil {
		later := any
		if other.off > any.off {
			later = other
		}
		return nil, p.errorf(later.off, "?terms (any of) cannot be mixed with other terms")
	}
	return pat, nil
}
