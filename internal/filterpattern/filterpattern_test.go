package filterpattern

import (
	"errors"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// awsExamples are the flow log filter patterns of AWS's documentation
// (reference §9): every one must compile against the default format.
var awsExamples = []string{
	`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
	`[version, accountid, interfaceid, srcaddr = 10.0.0.1, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
	`[version, accountid, interfaceid, srcaddr = 10.0.2.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
	`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, logstatus]`,
	`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes >= 400, start, end, action = REJECT, logstatus]`,
	`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`,
}

func TestCompileAWSExamples(t *testing.T) {
	for _, p := range awsExamples {
		f, err := Compile(p, flowlog.Format{})
		if err != nil {
			t.Errorf("Compile(%q) = %v; want no error", p, err)
			continue
		}
		if f.Where == "" {
			t.Errorf("Compile(%q).Where is empty", p)
		}
	}
}

func TestCompileSQL(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    string
	}{
		{`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`,
			`(dstport = 22 AND protocol = 6 AND action = 'REJECT')`},
		{`[..., dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, logstatus]`,
			`(dstport = 80 OR dstport = 8080)`},
		{`[..., bytes>=400 && bytes<1000, start, end, action, status]`, `(bytes >= 400 AND bytes < 1000)`},
		{`[..., srcaddr = 10.0.2.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
			`srcaddr LIKE '10.0.2.%' ESCAPE '\'`},
		{`[..., action = *, logstatus]`, `coalesce(action, '-') LIKE '%' ESCAPE '\'`},
		{`[..., action = *-, logstatus]`, `coalesce(action, '-') LIKE '%-' ESCAPE '\'`},
		{`[..., action != RE*, logstatus]`, `coalesce(action, '-') NOT LIKE 'RE%' ESCAPE '\'`},
		{`[..., start >= 1418530100, end, action, logstatus]`, `start_time >= TIMESTAMP '2014-12-14 04:08:20'`},
		{`[..., start != 0, end, action, logstatus]`, `start_time IS DISTINCT FROM TIMESTAMP '1970-01-01 00:00:00'`},
		{`[..., start > 1.5e9, end, action, logstatus]`, `epoch(start_time) > 1.5e+09`},
		{`[..., start < 99999999999999, end, action, logstatus]`, `epoch(start_time) < 99999999999999`},
		{`[..., action = -, logstatus]`, `coalesce(action, '-') = '-'`},
		{`[..., end = 14185*, action, logstatus]`, `coalesce(CAST(CAST(epoch(end_time) AS BIGINT) AS VARCHAR), '-') LIKE '14185%' ESCAPE '\'`},
		{`[..., action != REJECT, logstatus]`, `action IS DISTINCT FROM 'REJECT'`},
		{`[..., dstport != 22, protocol, packets, bytes, start, end, action, logstatus]`, `dstport IS DISTINCT FROM 22`},
		{`[v, account > 1.5, ...]`, `TRY_CAST(account_id AS DOUBLE) > 1.5e+00`},
		{`[..., a = "x'); DROP TABLE flow_logs; --", ...]`, `coalesce(version, '-')`},
		{`[..., action = "50%_\\*", logstatus]`, `action LIKE '50\%\_\\%' ESCAPE '\'`},
		{`[...]`, `TRUE`},
		{``, `TRUE`},
		{`   `, `TRUE`},
		{`NODATA`, `strpos(concat_ws(' ', coalesce(CAST(version AS VARCHAR), '-'), coalesce(account_id, '-'), coalesce(interface_id, '-'), coalesce(srcaddr, '-'), coalesce(dstaddr, '-'), coalesce(CAST(srcport AS VARCHAR), '-'), coalesce(CAST(dstport AS VARCHAR), '-'), coalesce(CAST(protocol AS VARCHAR), '-'), coalesce(CAST(packets AS VARCHAR), '-'), coalesce(CAST(bytes AS VARCHAR), '-'), coalesce(CAST(CAST(epoch(start_time) AS BIGINT) AS VARCHAR), '-'), coalesce(CAST(CAST(epoch(end_time) AS BIGINT) AS VARCHAR), '-'), coalesce(action, '-'), coalesce(log_status, '-')), 'NODATA') > 0`},
	} {
		f, err := Compile(tc.pattern, flowlog.Format{})
		if tc.pattern == `[..., a = "x'); DROP TABLE flow_logs; --", ...]` {
			// A floating field: one alternative per position, each with
			// the value as one quoted literal.
			if err != nil || !strings.Contains(f.Where, `'x''); DROP TABLE flow_logs; --'`) || strings.Contains(f.Where, `'x');`) {
				t.Errorf("Compile(%q) = %v, %v; want the value as one literal", tc.pattern, f, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Compile(%q) = %v", tc.pattern, err)
			continue
		}
		if f.Where != tc.want {
			t.Errorf("Compile(%q).Where =\n%s\nwant\n%s", tc.pattern, f.Where, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		column  int
		msg     string
	}{
		{`[a, b`, 6, `expected "]"`},
		{`[a b]`, 4, `expected a comparison`},
		{`[a, , b]`, 5, `expected a field name or "..."`},
		{`[]`, 2, `expected a field name or "..."`},
		{`[a=]`, 4, `expected a value after "="`},
		{`[a > x, ...]`, 6, `expected a number after ">"`},
		{`[a >= 4*, ...]`, 7, `expected a number after ">="`},
		{`[a="abc, ...]`, 4, `unterminated quoted string`},
		{`[a=1 || b=2, ...]`, 9, `condition on "b" inside the field "a"`},
		{`[a, ...] x`, 10, `unexpected text after "]"`},
		{`{ $.eventType = "UpdateTrail" }`, 1, `JSON filter patterns`},
		{`%REJECT%`, 1, `regular expression`},
		{`?REJECT NODATA`, 9, `cannot be mixed`},
		{`[(a=1 || a=2, ...]`, 13, `expected ")" to close the "(" at column 2`},
		{`[a=1 &&, ...]`, 8, `expected a field name`},
		{`[a = 1 =, ...]`, 8, `expected "," or "]"`},
		{`[a, b]`, 6, `pattern has 2 fields and the flow log format 14`},
		{`[a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, ...]`, 50, `pattern has 15 fields besides "..." and the flow log format only 14`},
		{"[a, \x00]", 5, `control character`},
		{"[a, \xff]", 5, `invalid UTF-8`},
		{`"abc`, 1, `unterminated quoted string`},
		{`? `, 2, `expected a term`},
		{`[é=1 && b=2, ...]`, 9, `condition on "b"`},
	} {
		_, err := Compile(tc.pattern, flowlog.Format{})
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Compile(%q) = %v; want an *Error", tc.pattern, err)
			continue
		}
		if pe.Column != tc.column || !strings.Contains(pe.Msg, tc.msg) {
			t.Errorf("Compile(%q) = %v; want column %d, %q", tc.pattern, err, tc.column, tc.msg)
		}
		if !strings.HasPrefix(err.Error(), "filter pattern: column ") {
			t.Errorf("Compile(%q) error %q does not start with \"filter pattern: column \"", tc.pattern, err)
		}
	}
}

func TestCompileFloatingFields(t *testing.T) {
	// Two fields between two ellipses over a 4-field format: three
	// placements.
	format, err := flowlog.ParseFormat("${srcaddr} ${dstaddr} ${dstport} ${action}")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(`[..., a = 1, b = 2, ...]`, format)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(f.Where, " OR "); n != 2 {
		t.Errorf("Where = %s; want 3 alternatives", f.Where)
	}
	// Too many placements is an error at the first ellipsis, not a huge
	// query.
	var b strings.Builder
	b.WriteString("[a")
	for range 8 {
		b.WriteString(", ..., x = 1")
	}
	b.WriteString(", ...]")
	v5, err := flowlog.ParseFormat("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(b.String(), v5)
	var pe *Error
	if !errors.As(err, &pe) || pe.Column != 5 || !strings.Contains(pe.Msg, "placed in more than") {
		t.Errorf("Compile(%q) = %v; want a placement error at column 5", b.String(), err)
	}
}

func TestCompileCustomFormat(t *testing.T) {
	format, err := flowlog.ParseFormat("${version} ${vpc-id} ${srcaddr} ${dstport} ${start} ${action}")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(`[v, vpc = vpc-1*, src, port = 22, start > 100, action = REJECT]`, format)
	if err != nil {
		t.Fatal(err)
	}
	want := `(vpc_id LIKE 'vpc-1%' ESCAPE '\' AND dstport = 22 AND start_time > TIMESTAMP '1970-01-01 00:01:40' AND action = 'REJECT')`
	if f.Where != want {
		t.Errorf("Where = %s; want %s", f.Where, want)
	}
	sel := f.Select()
	if !strings.HasPrefix(sel, "SELECT f.version, f.vpc_id, f.srcaddr, f.dstport, f.start_time, f.action, o.uri, f.object_line AS line\n") {
		t.Errorf("Select() = %s; want the format's columns first", sel)
	}
}
