package filterpattern

import (
	"errors"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// FuzzCompile checks that no pattern panics, that every error is an
// *Error with a column inside the pattern and a message, and that every
// compiled condition has its string literals closed and its parentheses
// balanced outside them (what a hostile value would have to break to
// escape into the SQL).
func FuzzCompile(f *testing.F) {
	for _, p := range awsExamples {
		f.Add(p)
	}
	for _, p := range []string{
		``, `REJECT`, `?NODATA ?SKIPDATA`, `ACCEPT -"10.0.0.1"`, `[..., a = "x'); DROP TABLE t; --", ...]`,
		`[(a=1 || a=2) && a!=3, ...]`, `[..., x = 1, ..., y = 2, ...]`, `[a="\"\\", ...]`, `[a=*, ...]`,
		`[a < -1.5e3, ...]`, `{ $.x = 1 }`, `%x%`, `[a, b`, `[é=ü, ...]`,
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		c, err := Compile(pattern, flowlog.Format{})
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) = %v; want an *Error", pattern, err)
			}
			if pe.Msg == "" || pe.Column < 1 || pe.Column > len([]rune(pattern))+1 {
				t.Fatalf("Compile(%q) = %#v; want a message and a column within the pattern", pattern, pe)
			}
			return
		}
		checkSQL(t, pattern, c.Where)
	})
}

// checkSQL walks a compiled condition as SQL's lexer would: quotes must
// close, and parentheses outside literals must balance.
func checkSQL(t *testing.T, pattern, where string) {
	t.Helper()
	if where == "" {
		t.Fatalf("Compile(%q).Where is empty", pattern)
	}
	if strings.ContainsRune(where, 0) {
		t.Fatalf("Compile(%q).Where has a NUL byte: %q", pattern, where)
	}
	depth := 0
	inString := false
	for i := 0; i < len(where); i++ {
		c := where[i]
		switch {
		case inString && c == '\'':
			if i+1 < len(where) && where[i+1] == '\'' {
				i++
				continue
			}
			inString = false
		case inString:
		case c == '\'':
			inString = true
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				t.Fatalf("Compile(%q).Where closes a parenthesis it did not open: %s", pattern, where)
			}
		case c == ';' || c == '-' && i+1 < len(where) && where[i+1] == '-':
			t.Fatalf("Compile(%q).Where has %q outside a literal: %s", pattern, c, where)
		}
	}
	if inString || depth != 0 {
		t.Fatalf("Compile(%q).Where is unbalanced: %s", pattern, where)
	}
}
