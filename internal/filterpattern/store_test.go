package filterpattern_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/filterpattern"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// defaultLog holds AWS's default-format examples (reference §8.5) on lines
// 2-8 and records made for these tests on lines 9-12.
const defaultLog = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK
2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK
2 123456789010 eni-1 10.0.0.1 10.0.2.15 51000 80 6 10 400 1418530100 1418530160 REJECT OK
2 123456789010 eni-1 10.0.2.200 10.0.0.1 51001 8080 6 10 999 1418530100 1418530160 ACCEPT OK
2 123456789010 eni-1 198.51.100.7 10.0.0.1 40000 22 6 3 180 1418530200 1418530260 REJECT OK
2 123456789010 eni-1 10.0.0.5 10.0.0.1 40001 443 6 5 1000 1418530200 1418530260 REJECT OK
`

const v5Format = "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"

// v5Log holds AWS's v5 examples (reference §8.5).
const v5Log = v5Format + `
5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK
5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK
`

func testStore(t *testing.T) *store.Store {
	t.Helper()
	data := t.TempDir()
	for name, content := range map[string]string{"default.log": defaultLog, "v5.log": v5Log} {
		if err := os.WriteFile(filepath.Join(data, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sum, err := ingest.Run(context.Background(), st, ingest.Config{Sources: []string{data}})
	if err != nil || sum.RecordsIngested != 13 || sum.LinesRejected != 0 {
		t.Fatalf("ingest = %+v, %v; want 13 records", sum, err)
	}
	return st
}

// matches returns the records a condition selects, as file:line.
func matches(t *testing.T, st *store.Store, where string) string {
	t.Helper()
	q := `SELECT regexp_extract(o.uri, '[^/]*$') || ':' || f.object_line FROM (SELECT * FROM flow_logs WHERE ` + where +
		`) f JOIN ingested_objects o USING (object_id) ORDER BY 1`
	res, err := st.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("Query(%s): %v", q, err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	return strings.Join(out, " ")
}

// lines names lines of default.log.
func lines(n ...int) string {
	var out []string
	for _, l := range n {
		out = append(out, fmt.Sprintf("default.log:%d", l))
	}
	return strings.Join(out, " ")
}

func TestPatternsOnStore(t *testing.T) {
	st := testStore(t)
	// Positions name columns, so a pattern written for the default format
	// applies to the v5 records too.
	const v5 = " v5.log:2 v5.log:3"
	all := lines(10, 11, 12, 2, 3, 4, 5, 6, 7, 8, 9) + v5 // sorted as text
	for _, tc := range []struct {
		pattern string
		want    string
	}{
		// AWS's examples (reference §9), in order.
		{awsExample(0), all},
		{awsExample(1), lines(9)},
		{awsExample(2), lines(10)},
		{awsExample(3), lines(10, 9) + " v5.log:3"},
		{awsExample(4), lines(9)},
		{awsExample(5), lines(11)},

		{`[..., bytes>=400 && bytes<1000, start, end, action, status]`, lines(10, 9) + " v5.log:3"},
		{`[..., action = REJECT, logstatus]`, lines(11, 12, 3, 7, 9)},
		{`[..., action != REJECT, logstatus]`, lines(10, 2, 4, 5, 6, 8) + v5},
		{`[..., action = -, logstatus]`, lines(4, 5)},
		{`[..., action = REJ*, logstatus]`, lines(11, 12, 3, 7, 9)},
		{`[..., action = *EC*, logstatus]`, lines(11, 12, 3, 7, 9)},
		{`[..., action = *, logstatus]`, all},
		{`[..., action = -*, logstatus]`, lines(4, 5)},
		{`[..., action != REJ*, logstatus]`, lines(10, 2, 4, 5, 6, 8) + v5},
		{`[..., action = *T, logstatus]`, lines(10, 11, 12, 2, 3, 6, 7, 8, 9) + v5},
		{`[..., start = 1418530010, end, action, logstatus]`, lines(2, 3)},
		{`[..., start = 14185300*, end, action, logstatus]`, lines(2, 3)},
		{`[..., start != 1418530010, end, action, logstatus]`, lines(10, 11, 12, 4, 5, 6, 7, 8, 9) + v5},
		{`[..., start > 1.4185301e9, end, action, logstatus]`, lines(11, 12, 4, 5, 6, 7, 8) + v5},
		{`[..., start < 0, end, action, logstatus]`, ``},
		{`[..., start >= 1418530100 && start < 1431280876, end, action, logstatus]`, lines(10, 11, 12, 9)},
		{`[v, a, eni, src, dst, srcport = 0, ...]`, lines(6, 7)},
		{`[v, a, eni, src, dst, srcport, dstport != 22, ...]`, lines(10, 12, 3, 4, 5, 6, 7, 9) + v5},
		{`[v, a, eni, src, dst, srcport, dstport = 022, ...]`, lines(11, 2, 8)},
		{`[v, a, eni, src, dst, srcport, dstport = -, ...]`, lines(4, 5)},
		{`[v, a, eni, src, dst, srcport, dstport = 2*, ...]`, lines(11, 2, 8)},
		{`[v, a, eni, src, dst, (srcport > 40000 && srcport < 51001) || srcport = 0, ...]`, lines(12, 3, 6, 7, 9)},
		{`[v, account = 123456789010, eni = eni-1, ...]`, lines(10, 11, 12, 9)},
		{`[v, account > 1e11, ...]`, all},
		{`[v, account, eni, srcaddr > 5, ...]`, ``},
		{`[v, account, eni, srcaddr = 2001:db8:*, ...]`, lines(8)},
		{`[version = 2, ...]`, lines(10, 11, 12, 2, 3, 4, 5, 6, 7, 8, 9)},
		{`[W1=2 || w1=5, ...]`, all},
		{`[..., x = 3389, ...]`, lines(3)},
		{`[..., a = REJECT, b = OK, ...]`, lines(11, 12, 3, 7, 9)},
		{`[..., a = 172.31.16.139, ..., b = REJECT, ...]`, lines(7)},
		{`[...]`, all},

		// Term patterns over the record rebuilt as its line.
		{`REJECT`, lines(11, 12, 3, 7, 9)},
		{`NODATA`, lines(4)},
		{`?NODATA ?SKIPDATA`, lines(4, 5)},
		{`REJECT -198.51.100.7`, lines(12, 3, 7, 9)},
		{`"ACCEPT OK"`, lines(10, 2, 6, 8) + v5},
		{`"- - - - - - -"`, lines(4, 5)},
		{`reject`, ``},
		{``, all},

		// Hostile values are data.
		{`[v, a, eni = "x'); DROP TABLE ingested_objects; --", ...]`, ``},
		{`[..., action = "REJECT' OR '1'='1", logstatus]`, ``},
		{`[..., action = "%", logstatus]`, ``},
		{`[..., action = "RE_ECT*", logstatus]`, ``},
		{`[..., action = "\\", logstatus]`, ``},
		{`"' OR 1=1 --"`, ``},
	} {
		f, err := filterpattern.Compile(tc.pattern, flowlog.Format{})
		if err != nil {
			t.Errorf("Compile(%q) = %v", tc.pattern, err)
			continue
		}
		got := matches(t, st, f.Where)
		// Results of the default-format patterns are the default log's
		// lines; anything else must be asked for.
		if got != tc.want {
			t.Errorf("pattern %s matches [%s]; want [%s]\nSQL: %s", tc.pattern, got, tc.want, f.Where)
		}
	}
	if res, err := st.Query(context.Background(), "SELECT count(*) FROM ingested_objects", 0); err != nil || res.Rows[0][0].(int64) != 2 {
		t.Errorf("ingested_objects after hostile patterns = %v, %v; want 2 rows", res, err)
	}
}

func awsExample(i int) string {
	return []string{
		`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
		`[version, accountid, interfaceid, srcaddr = 10.0.0.1, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
		`[version, accountid, interfaceid, srcaddr = 10.0.2.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]`,
		`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, logstatus]`,
		`[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes >= 400, start, end, action = REJECT, logstatus]`,
		`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`,
	}[i]
}

// TestCustomFormatOnStore runs a pattern written for the v5 custom format:
// positions follow that format, and the pattern applies to every stored
// record (default-format records have no AWS service fields).
func TestCustomFormatOnStore(t *testing.T) {
	st := testStore(t)
	format, err := flowlog.ParseFormat(v5Format)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ pattern, want string }{
		{`[version, srcaddr, dstaddr, srcport, dstport, protocol, start, end, type, packets, bytes, account, vpc, subnet, instance, eni, region, az, subtype, subid, action, flags, pktsrc, pktdst, srcsvc = S3, dstsvc, path, direction = ingress, status]`, "v5.log:2"},
		{`[..., path = 8, direction, status]`, "v5.log:3"},
		{`[..., flags = 19 || flags = 3, pktsrc, pktdst, srcsvc, dstsvc, path, direction, status]`, "v5.log:2 v5.log:3"},
		{`[version = 5, ...]`, "v5.log:2 v5.log:3"},
		{`[version = 2, ..., status = OK]`, lines(10, 11, 12, 2, 3, 6, 7, 8, 9)},
		{`apse2-az3 "ACCEPT 19"`, "v5.log:2"},
	} {
		f, err := filterpattern.Compile(tc.pattern, format)
		if err != nil {
			t.Errorf("Compile(%q) = %v", tc.pattern, err)
			continue
		}
		if got := matches(t, st, f.Where); got != tc.want {
			t.Errorf("pattern %s matches [%s]; want [%s]\nSQL: %s", tc.pattern, got, tc.want, f.Where)
		}
	}
	// Select runs as is.
	f, err := filterpattern.Compile(`[..., srcsvc = S3, dstsvc, path, direction, status]`, format)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Query(context.Background(), f.Select(), 0)
	if err != nil || len(res.Rows) != 1 || res.Columns[0] != "version" || res.Columns[len(res.Columns)-1] != "line" {
		t.Fatalf("Select() = %v, %v; want one row with the format's columns then uri and line", res, err)
	}
}
