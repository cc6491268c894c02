// Package filterpattern runs CloudWatch Logs filter patterns over stored
// flow log records: a pattern written for a metric filter or a "filter log
// events" search compiles to a SQL condition over the flow_logs table, so
// that the patterns a team already has work unchanged on every record
// gumshoe holds, whatever the format or delivery of that record.
//
// Two syntaxes are supported:
//
//   - Bracket (space-delimited) patterns, the ones AWS documents for flow
//     logs: [version, account, eni, source, destination, srcport,
//     destport="22", protocol, packets, bytes, windowstart, windowend,
//     action="REJECT", flowlogstatus]. As in CloudWatch Logs, a field is
//     chosen by its position, not its name (names are labels); positions
//     follow a flow log format, by default AWS's default format (the v2
//     fields). Conditions use =, !=, <, <=, >, >=, * wildcards in = and !=
//     values, && and || (&& binds tighter; parentheses group), and "..."
//     stands for any number of fields. A pattern without "..." must have as
//     many fields as the format: CloudWatch would match no record of
//     another length, so such a pattern is an error here rather than a
//     search that silently finds nothing. Each position names a column of
//     flow_logs, so the pattern applies to every stored record, whatever
//     format that record was delivered in (a record without the column
//     reads as "-" there).
//   - Term patterns: ERROR, "exact phrase", ?any ?of, -without. A term
//     matches when it appears anywhere in the record rebuilt as the text
//     line CloudWatch Logs would hold (fields of the format in order,
//     separated by one space, "-" for absent values); matching is case
//     sensitive, as in CloudWatch Logs. ?terms cannot be mixed with other
//     terms. An empty pattern matches every record.
//
// JSON patterns ({ $.x = ... }) do not apply to flow logs, and regular
// expressions (%...%) are not supported; both are refused with an error.
//
// Comparing values. A field absent from a record (NULL in the store, "-" in
// the log) reads as "-", so action != REJECT matches NODATA records, as it
// does in CloudWatch Logs. = and != compare integer fields as numbers when
// the value is a number (dstport = 080 matches 80), other fields as text;
// with a * they match the field's text with the wildcard (srcaddr =
// 10.0.2.*). <, <=, > and >= need a number and never match a field whose
// text is not one. start and end compare as Unix seconds, as they appear in
// the log (written as a comparison of start_time and end_time with a UTC
// TIMESTAMP when the value is a whole number, so that the store can skip
// files and row groups outside the range).
//
// Patterns come from users and values from logs: nothing in a pattern ever
// reaches SQL except as a quoted string literal or a number the compiler
// formatted itself.
package filterpattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// Filter is a compiled filter pattern.
type Filter struct {
	// Where is a boolean SQL expression over the columns of flow_logs.
	Where string
	// Format is the flow log format whose positions the pattern's fields
	// name.
	Format flowlog.Format
}

// maxBranches bounds the alternatives a pattern with fields between two
// "..." can expand to: each placement of those fields is one branch.
const maxBranches = 4096

// Compile compiles a filter pattern whose positions follow format (AWS's
// default format when format has no fields). Errors are *Error values with
// the column of the problem.
func Compile(pattern string, format flowlog.Format) (*Filter, error) {
	if len(format.Fields) == 0 {
		format = flowlog.DefaultFormat
	}
	if len(format.Unknown) > 0 {
		return nil, fmt.Errorf("filter pattern: the flow log format has fields gumshoe does not store: %s", strings.Join(format.Unknown, ", "))
	}
	pat, err := parse(pattern)
	if err != nil {
		return nil, err
	}
	c := &compiler{src: pattern, format: format.Fields}
	var where string
	if pat.bracket {
		where, err = c.bracket(pat)
	} else {
		where = c.terms(pat.terms)
	}
	if err != nil {
		return nil, err
	}
	return &Filter{Where: where, Format: format}, nil
}

// Select returns a query for the matching records: the format's columns in
// order, then where each record came from (the object's URI and line), the
// earliest first.
func (f *Filter) Select() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, field := range f.Format.Fields {
		b.WriteString("f." + field.Info().Column + ", ")
	}
	b.WriteString("o.uri, f.object_line AS line\nFROM (SELECT * FROM flow_logs WHERE ")
	b.WriteString(f.Where)
	b.WriteString(") f\nLEFT JOIN ingested_objects o USING (object_id)\nORDER BY f.start_time NULLS LAST, f.object_id, f.object_line")
	return b.String()
}

type compiler struct {
	src      string
	format   []flowlog.Field
	branches int
}

func (c *compiler) errorf(off int, format string, args ...any) *Error {
	return (&parser{src: c.src}).errorf(off, format, args...)
}

// segment is a run of fields between ellipses.
type segment []field

func (s segment) hasCondition() bool {
	for _, f := range s {
		if f.cond != nil {
			return true
		}
	}
	return false
}

// bracket places the pattern's fields on the format's positions. Fields
// before the first "..." start at the first position, fields after the
// last end at the last one; runs of fields between two "..." may sit
// anywhere in between, in order, and the pattern matches if any placement
// does.
func (c *compiler) bracket(pat *pattern) (string, error) {
	var segs []segment
	var cur segment
	ellipses := 0
	firstEllipsis := -1
	for _, f := range pat.fields {
		if f.ellipsis {
			if firstEllipsis < 0 {
				firstEllipsis = f.off
			}
			ellipses++
			if len(cur) > 0 {
				segs = append(segs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, f)
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	n := len(c.format)
	total := 0
	for _, s := range segs {
		total += len(s)
	}
	if ellipses == 0 && total != n {
		return "", c.errorf(pat.close, `pattern has %d fields and the flow log format %d: add "..." where fields are left out, or use the format the pattern was written for`, total, n)
	}
	if total > n {
		return "", c.errorf(pat.close, "pattern has %d fields besides \"...\" and the flow log format only %d", total, n)
	}
	var parts []string
	lo, hi := 0, n
	if len(segs) > 0 && !pat.fields[0].ellipsis {
		parts = append(parts, c.segment(segs[0], 0)...)
		lo = len(segs[0])
		segs = segs[1:]
	}
	if len(segs) > 0 && !pat.fields[len(pat.fields)-1].ellipsis {
		last := segs[len(segs)-1]
		hi = n - len(last)
		parts = append(parts, c.segment(last, hi)...)
		segs = segs[:len(segs)-1]
	}
	if len(segs) > 0 {
		floating, err := c.place(segs, lo, hi)
		if err != nil {
			return "", c.errorf(firstEllipsis, "%v", err)
		}
		if floating != "TRUE" {
			parts = append(parts, floating)
		}
	}
	return and(parts), nil
}

// place returns the condition that segs, in order, fit somewhere within
// positions [lo, hi).
func (c *compiler) place(segs []segment, lo, hi int) (string, error) {
	if len(segs) == 0 {
		return "TRUE", nil
	}
	s := segs[0]
	if !s.hasCondition() {
		// The earliest placement leaves the most room for the rest.
		return c.place(segs[1:], lo+len(s), hi)
	}
	rest := 0
	for _, r := range segs[1:] {
		rest += len(r)
	}
	var alts []string
	for at := lo; at+len(s)+rest <= hi; at++ {
		c.branches++
		if c.branches > maxBranches {
			return "", fmt.Errorf("fields between two \"...\" can be placed in more than %d ways; anchor them to the start or end", maxBranches)
		}
		tail, err := c.place(segs[1:], at+len(s), hi)
		if err != nil {
			return "", err
		}
		parts := c.segment(s, at)
		if tail != "TRUE" {
			parts = append(parts, tail)
		}
		alts = append(alts, and(parts))
	}
	if len(alts) == 0 {
		return "FALSE", nil
	}
	return or(alts), nil
}

// segment returns the conditions of the fields of s placed from position at.
func (c *compiler) segment(s segment, at int) []string {
	var out []string
	for i, f := range s {
		if f.cond != nil {
			out = append(out, c.condition(f.cond, c.format[at+i]))
		}
	}
	return out
}

func (c *compiler) condition(n *node, f flowlog.Field) string {
	switch n.op {
	case "&&":
		return and([]string{c.condition(n.left, f), c.condition(n.right, f)})
	case "||":
		return or([]string{c.condition(n.left, f), c.condition(n.right, f)})
	}
	info := f.Info()
	kind := info.Kind
	num, isNum := number(n.value)
	op := n.op
	if op == "!=" {
		op = "<>"
	}
	if ts, ok := timestamp(n.value); ok && kind == flowlog.Timestamp && !strings.Contains(n.value, "*") {
		// The same comparison as epoch(column), written so that DuckDB
		// can skip the row groups and files outside the time range.
		if op == "<>" {
			op = "IS DISTINCT FROM"
		}
		return info.Column + " " + op + " " + ts
	}
	switch {
	case n.op != "=" && n.op != "!=":
		// The parser made sure the value is a number.
		return numeric(f) + " " + n.op + " " + num
	case strings.Contains(n.value, "*"):
		subject := text(f)
		if rest := strings.ReplaceAll(n.value, "*", ""); n.op == "=" && kind == flowlog.String && rest != "" && rest != "-" {
			// The pattern cannot match "-", so absent values need not
			// be read as "-" (and DuckDB can use a prefix to prune).
			subject = info.Column
		}
		like := "LIKE"
		if n.op == "!=" {
			like = "NOT LIKE"
		}
		return subject + " " + like + " " + literal(likePattern(n.value)) + ` ESCAPE '\'`
	case isNum && kind != flowlog.String:
		if n.op == "=" {
			return numeric(f) + " = " + num
		}
		return numeric(f) + " IS DISTINCT FROM " + num
	case kind == flowlog.String && n.value != "-":
		// Absent values read as "-", which is not the value: comparing
		// the column itself gives the same answer and lets DuckDB use
		// the Parquet statistics.
		if op == "<>" {
			op = "IS DISTINCT FROM"
		}
		return info.Column + " " + op + " " + literal(n.value)
	default:
		return text(f) + " " + op + " " + literal(n.value)
	}
}

// timestamp returns v, a whole number of Unix seconds, as a SQL TIMESTAMP
// literal (UTC, like the store's times), when it is within years 1-9999.
func timestamp(v string) (string, bool) {
	if !numberSyntax.MatchString(v) {
		return "", false
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < minTimestamp || secs > maxTimestamp {
		return "", false
	}
	return "TIMESTAMP '" + time.Unix(secs, 0).UTC().Format("2006-01-02 15:04:05") + "'", true
}

// The Unix seconds of 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC.
const (
	minTimestamp = -62135596800
	maxTimestamp = 253402300799
)

// terms matches the record rebuilt as its log line.
func (c *compiler) terms(terms []term) string {
	if len(terms) == 0 {
		return "TRUE"
	}
	cols := make([]string, len(c.format))
	for i, f := range c.format {
		cols[i] = text(f)
	}
	line := "concat_ws(' ', " + strings.Join(cols, ", ") + ")"
	var all, anyOf []string
	for _, t := range terms {
		has := "strpos(" + line + ", " + literal(t.text) + ") > 0"
		switch t.prefix {
		case '?':
			anyOf = append(anyOf, has)
		case '-':
			all = append(all, "NOT "+has)
		default:
			all = append(all, has)
		}
	}
	if len(anyOf) > 0 {
		return or(anyOf)
	}
	return and(all)
}

// text is a field's value as the log line holds it.
func text(f flowlog.Field) string {
	info := f.Info()
	switch info.Kind {
	case flowlog.String:
		return "coalesce(" + info.Column + ", '-')"
	case flowlog.Timestamp:
		return "coalesce(CAST(CAST(epoch(" + info.Column + ") AS BIGINT) AS VARCHAR), '-')"
	default:
		return "coalesce(CAST(" + info.Column + " AS VARCHAR), '-')"
	}
}

// numeric is a field's value as a number, NULL when it is not one.
func numeric(f flowlog.Field) string {
	info := f.Info()
	switch info.Kind {
	case flowlog.String:
		return "TRY_CAST(" + info.Column + " AS DOUBLE)"
	case flowlog.Timestamp:
		return "epoch(" + info.Column + ")"
	default:
		return info.Column
	}
}

var numberSyntax = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// number returns v as a SQL numeric literal formatted by this package, if
// v is a finite decimal number.
func number(v string) (string, bool) {
	if !numberSyntax.MatchString(v) {
		return "", false
	}
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return strconv.FormatInt(i, 10), true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatFloat(f, 'e', -1, 64), true
}

// literal quotes s as a SQL string literal. The parser refused NUL and
// invalid UTF-8, so doubling single quotes is all there is to do.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// likePattern turns a CloudWatch wildcard value into a LIKE pattern with
// backslash as the escape character.
func likePattern(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch r {
		case '*':
			b.WriteByte('%')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func and(parts []string) string { return join(parts, " AND ", "TRUE") }
func or(parts []string) string  { return join(parts, " OR ", "FALSE") }

func join(parts []string, sep, empty string) string {
	switch len(parts) {
	case 0:
		return empty
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, sep) + ")"
}
