package athena

import (
	"fmt"
	"strings"
)

// Translate rewrites a gumshoe query over flow_logs (DuckDB SQL) into
// Athena SQL over a table created by CreateTable, so that a result in
// gumshoe can be re-run in Athena ("see results in Athena").
//
// Flow log columns have the same names in both, except the times: gumshoe's
// start_time and end_time are UTC timestamps, Athena's start and "end" are
// Unix seconds. So start_time becomes from_unixtime(start), epoch(start_time)
// becomes start, and likewise for end; flow_logs becomes table; any other
// epoch(x) becomes to_unixtime(x). The rewrite is lexical: literals,
// comments and aliases (AS start_time) are kept as they are, and everything
// else passes through unchanged, which is right for the SQL both engines
// share (SELECT, WHERE, CAST, TRY_CAST, coalesce, strpos, concat_ws, LIKE
// ... ESCAPE, IS DISTINCT FROM, GROUP BY, ORDER BY ... NULLS LAST, TIMESTAMP
// '...' literals). What has no Athena counterpart
// is an error rather than a query that fails there: gumshoe's own tables
// and provenance columns (object_id, object_line), DuckDB's :: casts and
// GROUP BY ALL. Other DuckDB-only syntax is not detected.
func Translate(sql, table string) (string, error) {
	if table == "" {
		table = "vpc_flow_logs"
	}
	if !tableName.MatchString(table) {
		return "", fmt.Errorf("athena table %q: use lower-case letters, digits and _", table)
	}
	toks, err := tokenize(sql)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == punct && t.text == "::" {
			return "", fmt.Errorf("athena: %q at offset %d: write CAST(x AS type) instead", t.text, t.off)
		}
		if t.kind != ident {
			b.WriteString(t.text)
			continue
		}
		name := strings.ToLower(t.name)
		if previousWord(toks, i) == "as" {
			// An alias (AS start_time) names an output column.
			b.WriteString(t.text)
			continue
		}
		switch name {
		case "flow_logs":
			b.WriteString(table)
		case "start_time":
			b.WriteString("from_unixtime(start)")
		case "end_time":
			b.WriteString(`from_unixtime("end")`)
		case "epoch":
			if col, next, ok := epochOf(toks, i); ok {
				b.WriteString(col)
				i = next
				continue
			}
			b.WriteString("to_unixtime")
		case "object_id", "object_line":
			return "", fmt.Errorf("athena: column %s is gumshoe's provenance and has no Athena counterpart", name)
		case "ingested_objects", "flow_rollup_hourly", "cloudtrail_events", "findings", "dns_queries", "entities", "relationships", "interface_addresses", "ip_info":
			return "", fmt.Errorf("athena: table %s is gumshoe's own; only flow_logs has an Athena counterpart", name)
		case "all":
			if prev := previousWord(toks, i); prev == "by" {
				return "", fmt.Errorf("athena: GROUP BY ALL / ORDER BY ALL at offset %d: name the columns", t.off)
			}
			b.WriteString(t.text)
		default:
			b.WriteString(t.text)
		}
	}
	return b.String(), nil
}

// epochOf matches epoch(start_time) or epoch(end_time) at toks[i] and
// returns the Athena column and the index of the closing parenthesis.
func epochOf(toks []token, i int) (string, int, bool) {
	var seq []int
	for j := i + 1; j < len(toks) && len(seq) < 3; j++ {
		if toks[j].kind != space {
			seq = append(seq, j)
		}
	}
	if len(seq) < 3 || toks[seq[0]].text != "(" || toks[seq[1]].kind != ident || toks[seq[2]].text != ")" {
		return "", 0, false
	}
	switch strings.ToLower(toks[seq[1]].name) {
	case "start_time":
		return "start", seq[2], true
	case "end_time":
		return `"end"`, seq[2], true
	}
	return "", 0, false
}

func previousWord(toks []token, i int) string {
	for j := i - 1; j >= 0; j-- {
		if toks[j].kind == space {
			continue
		}
		if toks[j].kind == ident {
			return strings.ToLower(toks[j].name)
		}
		return ""
	}
	return ""
}

type tokenKind int

const (
	space   tokenKind = iota // white space and comments
	literal                  // '...'
	ident                    // a word or a "quoted identifier"
	punct                    // anything else, one character (or ::)
)

type token struct {
	kind tokenKind
	text string // as written
	name string // identifiers: the name, unquoted
	off  int
}

func tokenize(sql string) ([]token, error) {
	var toks []token
	for i := 0; i < len(sql); {
		start := i
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			for i < len(sql) && strings.IndexByte(" \t\n\r", sql[i]) >= 0 {
				i++
			}
			toks = append(toks, token{kind: space, text: sql[start:i], off: start})
		case strings.HasPrefix(sql[i:], "--"):
			end := strings.IndexByte(sql[i:], '\n')
			if end < 0 {
				end = len(sql) - i
			}
			i += end
			toks = append(toks, token{kind: space, text: sql[start:i], off: start})
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("athena: unterminated comment at offset %d", start)
			}
			i += end + 4
			toks = append(toks, token{kind: space, text: sql[start:i], off: start})
		case c == '\'' || c == '"':
			i++
			for {
				if i >= len(sql) {
					return nil, fmt.Errorf("athena: unterminated %c at offset %d", c, start)
				}
				if sql[i] == c {
					if i+1 < len(sql) && sql[i+1] == c {
						i += 2
						continue
					}
					i++
					break
				}
				i++
			}
			text := sql[start:i]
			if c == '\'' {
				toks = append(toks, token{kind: literal, text: text, off: start})
			} else {
				name := strings.ReplaceAll(text[1:len(text)-1], `""`, `"`)
				toks = append(toks, token{kind: ident, text: text, name: name, off: start})
			}
		case isWordStart(c):
			for i < len(sql) && (isWordStart(sql[i]) || sql[i] >= '0' && sql[i] <= '9' || sql[i] == '$') {
				i++
			}
			toks = append(toks, token{kind: ident, text: sql[start:i], name: sql[start:i], off: start})
		case strings.HasPrefix(sql[i:], "::"):
			i += 2
			toks = append(toks, token{kind: punct, text: "::", off: start})
		case c >= '0' && c <= '9':
			// Numbers, including 1e5 and 2.5: never identifiers.
			for i < len(sql) && (isWordStart(sql[i]) || sql[i] >= '0' && sql[i] <= '9' || sql[i] == '.') {
				i++
			}
			toks = append(toks, token{kind: punct, text: sql[start:i], off: start})
		default:
			i++
			toks = append(toks, token{kind: punct, text: sql[start:i], off: start})
		}
	}
	return toks, nil
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
