package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// fixtureNow is the clock of the tests: the fixture's flows, calls and
// finding fall in the 24 hours before it.
var fixtureNow = time.Date(2025, 3, 6, 4, 0, 0, 0, time.UTC)

var (
	fixtureOnce  sync.Once
	fixtureStore *store.Store
	fixtureErr   error
)

// fixture ingests testdata/fixture (flow log lines of one interface,
// CloudTrail events of a user and the role session it starts, and a
// GuardDuty SSH brute-force finding) into a store shared by the tests.
func fixture(t *testing.T) *Engine {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := filepath.Abs("testdata/fixture")
		if err != nil {
			fixtureErr = err
			return
		}
		db := filepath.Join(tempDir, "fixture.duckdb")
		st, err := store.Open(context.Background(), db, store.Options{})
		if err != nil {
			fixtureErr = err
			return
		}
		if _, err := ingest.Run(context.Background(), st, ingest.Config{Sources: []string{dir}, Workers: 1}); err != nil {
			fixtureErr = err
			return
		}
		fixtureStore = st
	})
	if fixtureErr != nil {
		t.Fatalf("fixture: %v", fixtureErr)
	}
	e, err := New(fixtureStore, Options{Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var tempDir string

func TestMain(m *testing.M) {
	var code int
	func() {
		dir, err := os.MkdirTemp("", "gumshoe-engine")
		if err != nil {
			panic(err)
		}
		tempDir = dir
		defer os.RemoveAll(dir)
		code = m.Run()
		if fixtureStore != nil {
			fixtureStore.Close()
		}
	}()
	os.Exit(code)
}

func entity(t *testing.T, e *Engine, id string) *store.Entity {
	t.Helper()
	ent, err := e.Entity(context.Background(), id)
	if err != nil {
		t.Fatalf("Entity(%q): %v", id, err)
	}
	return ent
}

func mustScope(t *testing.T, start, end string) Scope {
	t.Helper()
	s, err := ParseTime(start)
	if err != nil {
		t.Fatal(err)
	}
	en, err := ParseTime(end)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := NewScope(s, en)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestScopeDefaults(t *testing.T) {
	now := time.Date(2025, 3, 6, 4, 17, 42, 0, time.UTC)
	sc := EntityScope(now)
	if want := time.Date(2025, 3, 6, 4, 18, 0, 0, time.UTC); !sc.End.Equal(want) {
		t.Errorf("EntityScope end = %s; want %s", sc.End, want)
	}
	if sc.End.Sub(sc.Start) != 24*time.Hour || sc.Source != "entity_default" {
		t.Errorf("EntityScope = %+v; want 24 hours, entity_default", sc)
	}
	if want := sc.Start.Add(-45 * 24 * time.Hour); !sc.BaselineStart.Equal(want) {
		t.Errorf("baseline start = %s; want %s", sc.BaselineStart, want)
	}
	if sc.BucketSeconds != 900 {
		t.Errorf("24 h bucket = %ds; want 900", sc.BucketSeconds)
	}
	first := time.Date(2025, 3, 6, 2, 12, 30, 0, time.UTC)
	last := time.Date(2025, 3, 6, 2, 16, 10, 0, time.UTC)
	fs := FindingScope(&first, &last, now)
	if !fs.Start.Equal(time.Date(2025, 3, 6, 1, 12, 0, 0, time.UTC)) || !fs.End.Equal(time.Date(2025, 3, 6, 3, 17, 0, 0, time.UTC)) || fs.Source != "finding" {
		t.Errorf("FindingScope = %s–%s (%s); want 01:12–03:17 (finding)", fs.Start, fs.End, fs.Source)
	}
	if fs.BucketSeconds != 60 {
		t.Errorf("finding scope bucket = %d; want 60", fs.BucketSeconds)
	}
	if s := FindingScope(nil, nil, now); s.Source != "entity_default" {
		t.Errorf("FindingScope without times = %+v; want the entity default", s)
	}
	for _, c := range []struct {
		d    time.Duration
		want time.Duration
	}{
		{time.Hour, time.Minute}, {200 * time.Minute, time.Minute}, {201 * time.Minute, 5 * time.Minute},
		{24 * time.Hour, 15 * time.Minute}, {7 * 24 * time.Hour, time.Hour}, {30 * 24 * time.Hour, 6 * time.Hour},
		{90 * 24 * time.Hour, 24 * time.Hour}, {365 * 24 * time.Hour, 24 * time.Hour},
	} {
		if got := BucketFor(c.d); got != c.want {
			t.Errorf("BucketFor(%s) = %s; want %s", c.d, got, c.want)
		}
	}
	if _, err := NewScope(now, now); !errors.Is(err, ErrInvalid) {
		t.Errorf("NewScope(empty) err = %v; want ErrInvalid", err)
	}
	if tm, err := ParseTime("2025-03-06T02:17:59Z"); err != nil || !tm.Equal(time.Date(2025, 3, 6, 2, 17, 0, 0, time.UTC)) {
		t.Errorf("ParseTime = %s, %v; want 02:17 (minute precision)", tm, err)
	}
	if tm, err := ParseTime("2025-03-06T04:17+02:00"); err != nil || !tm.Equal(time.Date(2025, 3, 6, 2, 17, 0, 0, time.UTC)) {
		t.Errorf("ParseTime(offset) = %s, %v; want 02:17Z", tm, err)
	}
	if _, err := ParseTime("yesterday"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseTime(yesterday) err = %v; want ErrInvalid", err)
	}
}

func rowIDs(d *FlowDetails) []string {
	var ids []string
	for _, r := range d.Rows {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestFlowDetailsAnnotationSortFilter(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	inst := entity(t, e, "instance:i-0a1b2c3d4e5f67890")
	sc := mustScope(t, "2025-03-06T02:00Z", "2025-03-06T04:00Z")

	d, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: sc, Finding: "f0000000000000000000000000000001"})
	if err != nil {
		t.Fatalf("FlowDetails: %v", err)
	}
	// Rows are conversations (both directions of a connection), their
	// direction who opened them.
	want := []string{
		"198.51.100.7|22|40000|6|inbound",   // the finding's flow
		"198.51.100.7|22|40001|6|inbound",   // same address, other port
		"192.0.2.200|49152|443|6|outbound",  // then by bytes in
		"203.0.113.50|3389|51000|6|inbound", //
		"10.0.0.2|53211|53|17|outbound",     //
	}
	if got := rowIDs(d); !slices.Equal(got, want) {
		t.Errorf("default order = %q; want %q", got, want)
	}
	if d.Rows[0].Finding != "match" || d.Rows[1].Finding != "related" || d.Rows[2].Finding != "" {
		t.Errorf("annotations = %q, %q, %q; want match, related, none", d.Rows[0].Finding, d.Rows[1].Finding, d.Rows[2].Finding)
	}
	// Exact sums: the finding's row has two records in (02:12 and 03:10)
	// and the reply out (02:12).
	if r := d.Rows[0]; r.BytesIn != 1240 || r.PacketsIn != 14 || r.BytesOut != 1200 || r.PacketsOut != 8 || r.Flows != 3 || r.AcceptedFlows != 3 || r.Action != "ACCEPT" {
		t.Errorf("finding row = %+v; want 1240 bytes in (14 packets), 1200 out (8), 3 accepted flows", r)
	}
	if d.Totals.Rows != 5 || d.Totals.Flows != 8 || d.Totals.Rejected != 2 || d.Totals.BytesIn != 31460 || d.Totals.BytesOut != 6270 {
		t.Errorf("totals = %+v; want 5 rows, 8 flows, 2 rejected, 31460 bytes in, 6270 out", d.Totals)
	}

	for _, c := range []struct {
		name    string
		filters []string
		any     bool
		sort    string
		desc    bool
		want    []string
	}{
		{"sort by remote port ascending", nil, false, "remote_port", false,
			[]string{"10.0.0.2|53211|53|17|outbound", "192.0.2.200|49152|443|6|outbound",
				"198.51.100.7|22|40000|6|inbound", "198.51.100.7|22|40001|6|inbound", "203.0.113.50|3389|51000|6|inbound"}},
		{"sort by bytes out descending", nil, false, "bytes_out", true,
			[]string{"192.0.2.200|49152|443|6|outbound", "198.51.100.7|22|40000|6|inbound", "10.0.0.2|53211|53|17|outbound",
				"198.51.100.7|22|40001|6|inbound", "203.0.113.50|3389|51000|6|inbound"}},
		{"rejected only", []string{"action=reject"}, false, "remote_ip", false,
			[]string{"198.51.100.7|22|40001|6|inbound", "203.0.113.50|3389|51000|6|inbound"}},
		{"private only", []string{"remote_ip=private"}, false, "", false, []string{"10.0.0.2|53211|53|17|outbound"}},
		{"public CIDR and inbound", []string{"remote_ip=198.51.100.0/24", "direction=inbound"}, false, "", false,
			[]string{"198.51.100.7|22|40000|6|inbound", "198.51.100.7|22|40001|6|inbound"}},
		{"port 22 or 3389", []string{"local_port=22", "local_port=3389"}, true, "local_port", false,
			[]string{"198.51.100.7|22|40000|6|inbound", "198.51.100.7|22|40001|6|inbound", "203.0.113.50|3389|51000|6|inbound"}},
		{"partial address", []string{"remote_ip~192.0"}, false, "", false,
			[]string{"192.0.2.200|49152|443|6|outbound"}},
		{"udp by name", []string{"protocol=udp"}, false, "", false, []string{"10.0.0.2|53211|53|17|outbound"}},
		{"port range, not tcp", []string{"remote_port=1-1024", "protocol!=tcp"}, false, "", false, []string{"10.0.0.2|53211|53|17|outbound"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var fs []Filter
			for _, s := range c.filters {
				f, err := ParseFilter(s)
				if err != nil {
					t.Fatalf("ParseFilter(%q): %v", s, err)
				}
				fs = append(fs, f)
			}
			d, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: sc, Filters: fs, Any: c.any, Sort: c.sort, Desc: c.desc})
			if err != nil {
				t.Fatal(err)
			}
			if got := rowIDs(d); !slices.Equal(got, c.want) {
				t.Errorf("rows = %q; want %q", got, c.want)
			}
		})
	}
	for _, bad := range []string{"remote_ip=999.1.1.1", "color=red", "local_port=70000", "direction=sideways", "local_port", "remote_ip=10.0.0.0/99"} {
		if _, err := ParseFilter(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseFilter(%q) err = %v; want ErrInvalid", bad, err)
		}
	}
	if _, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: sc, Sort: "bytes_in; DROP TABLE findings"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad sort err = %v; want ErrInvalid", err)
	}
}

func TestFlowDetailsOfRemoteAddress(t *testing.T) {
	e := fixture(t)
	ip := entity(t, e, "ip:198.51.100.7")
	sc := mustScope(t, "2025-03-06T02:00Z", "2025-03-06T04:00Z")
	d, err := e.FlowDetails(context.Background(), ip, FlowQuery{Scope: sc, Finding: "f0000000000000000000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"instance=i-0a1b2c3d4e5f67890|22|40000|6|inbound", "instance=i-0a1b2c3d4e5f67890|22|40001|6|inbound"}
	if d.RowKey != KeyInstance || !slices.Equal(rowIDs(d), want) {
		t.Errorf("rows = %s %q; want instance %q", d.RowKey, rowIDs(d), want)
	}
	recs, err := e.Records(context.Background(), ip, RecordsQuery{Scope: sc, Row: want[0]})
	if err != nil {
		t.Fatal(err)
	}
	// Both directions of the conversation: two records in, the reply out.
	if len(recs.Records) != 3 {
		t.Fatalf("records behind %s = %d; want 3", want[0], len(recs.Records))
	}
}

func TestRecordsAndSeries(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	inst := entity(t, e, "instance:i-0a1b2c3d4e5f67890")
	// From 02:12, the minute of the row's first records.
	sc := mustScope(t, "2025-03-06T02:12Z", "2025-03-06T03:30Z")
	row := "198.51.100.7|22|40000|6|inbound"
	recs, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Row: row, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) != 1 || !recs.More || recs.Records[0]["bytes"] != int64(840) || recs.Records[0]["object_line"] != int32(2) {
		t.Fatalf("first page = %v (more %v); want the 840-byte record of line 2, and more", recs.Records, recs.More)
	}
	if !strings.Contains(recs.Records[0]["object_uri"].(string), "flows.log") {
		t.Errorf("provenance uri = %v; want the flows.log path", recs.Records[0]["object_uri"])
	}
	page2, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Row: row, Limit: 1, Offset: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Records) != 1 || !page2.More || page2.Records[0]["bytes"] != int64(1200) || page2.Records[0]["srcaddr"] != "10.0.1.25" {
		t.Fatalf("second page = %v (more %v); want the 1200-byte reply, and more", page2.Records, page2.More)
	}
	page3, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Row: row, Limit: 1, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page3.Records) != 1 || page3.More || page3.Records[0]["bytes"] != int64(400) {
		t.Fatalf("third page = %v (more %v); want the 400-byte record, last", page3.Records, page3.More)
	}
	for _, want := range []string{"FROM vpc_flow_logs", "from_unixtime(start) >= TIMESTAMP '2025-03-06 02:12:00'",
		"interface_id IN ('eni-0123456789abcdef0')", "(srcaddr = '198.51.100.7' AND srcport = 40000 AND dstport = 22) OR (dstaddr = '198.51.100.7' AND dstport = 40000 AND srcport = 22)"} {
		if !strings.Contains(recs.AthenaSQL, want) {
			t.Errorf("Athena SQL lacks %q:\n%s", want, recs.AthenaSQL)
		}
	}
	if strings.Contains(recs.AthenaSQL, "graph_edges") || strings.Contains(recs.AthenaSQL, "::") || strings.Contains(recs.AthenaSQL, "object_") {
		t.Errorf("Athena SQL names gumshoe's own tables, casts or columns:\n%s", recs.AthenaSQL)
	}
	// The SQL shown selects the same records when run through the
	// read-only query path.
	res, err := fixtureStore.Query(ctx, recs.SQL, 0)
	if err != nil {
		t.Fatalf("Query(shown SQL): %v\n%s", err, recs.SQL)
	}
	if len(res.Rows) != 3 {
		t.Errorf("shown SQL selects %d records; want 3\n%s", len(res.Rows), recs.SQL)
	}
	b := time.Date(2025, 3, 6, 2, 12, 0, 0, time.UTC)
	inBucket, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Bucket: &b})
	if err != nil {
		t.Fatal(err)
	}
	if len(inBucket.Records) != 2 {
		t.Errorf("records in the 02:12 bucket = %d; want 2", len(inBucket.Records))
	}
	bad := b.Add(30 * time.Second)
	if _, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Bucket: &bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unaligned bucket err = %v; want ErrInvalid", err)
	}
	for _, bad := range []string{"x|1|2|6|inbound", "198.51.100.7|22|40000|6", "198.51.100.7|22|40000|6|in' OR 1=1", "instance=i-1;DROP|1|2|6|inbound"} {
		if _, err := e.Records(ctx, inst, RecordsQuery{Scope: sc, Row: bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("row %q err = %v; want ErrInvalid", bad, err)
		}
	}

	s, err := e.Series(ctx, inst, sc, []string{row})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Overall) != 78 || len(s.Rows) != 1 || len(s.Rows[0].Buckets) != 78 {
		t.Fatalf("series = %+v; want 78 minute buckets, overall and one row", s)
	}
	if got := bytesInOf(s.Rows[0].Buckets); !maps.Equal(got, map[string]int64{"03-06T02:12": 840012, "03-06T03:10": 400000}) {
		t.Errorf("row series (in×1000 + out/100) = %v; want 840 in and 1200 out at 02:12, 400 in at 03:10", got)
	}
	if got := bytesInOf(s.Overall); !maps.Equal(got, map[string]int64{"03-06T02:12": 840012, "03-06T02:15": 180000,
		"03-06T02:30": 30000050, "03-06T03:05": 0, "03-06T03:10": 400000, "03-06T03:20": 40000}) {
		t.Errorf("overall series = %v", got)
	}
}

func TestPrincipalPanels(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	alice := entity(t, e, "iam_user:arn:aws:iam::111122223333:user/alice")
	sc := EntityScope(fixtureNow)
	calls, err := e.APICalls(ctx, alice, sc)
	if err != nil {
		t.Fatal(err)
	}
	if calls.TotalSuccess != 3 || calls.TotalFailure != 1 || len(calls.Buckets) != 96 {
		t.Errorf("api calls = %d ok, %d failed, %d buckets; want 3, 1, 96", calls.TotalSuccess, calls.TotalFailure, len(calls.Buckets))
	}
	// Two calls in the baseline, 45 days of 15-minute buckets.
	if want := round6(2.0 / (45 * 96)); calls.BaselineSuccess != 2 || calls.BaselineAvgSuccess != want || want == 0 {
		t.Errorf("baseline = %d calls, %v a bucket; want 2, %v", calls.BaselineSuccess, calls.BaselineAvgSuccess, want)
	}
	ips, err := e.Observed(ctx, alice, "ips", sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ips.Values) != 1 || ips.Values[0].Value != "198.51.100.7" || !ips.Values[0].NewlyObserved {
		t.Errorf("observed ips = %+v; want 198.51.100.7, newly observed", ips.Values)
	}
	uas, err := e.Observed(ctx, alice, "user-agents", sc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range uas.Values {
		got[v.Value] = v.NewlyObserved
	}
	if len(got) != 2 || got["aws-cli/2.15.0"] || !got["<script>alert(1)</script>"] {
		t.Errorf("user agents = %v; want aws-cli known, the script tag new", got)
	}
	roles, err := e.Roles(ctx, alice, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles.Rows) != 1 || roles.Rows[0].Target != "arn:aws:iam::111122223333:role/admin" || roles.Rows[0].Session != "AROAEXAMPLEADMIN0001:alice-session" {
		t.Errorf("roles = %+v; want admin, session alice-session", roles.Rows)
	}
	bk, err := e.Buckets(ctx, alice, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(bk.Rows) != 1 || bk.Rows[0].Target != "corp-secrets" || !bk.Rows[0].NewlyObserved {
		t.Errorf("buckets = %+v; want corp-secrets, new", bk.Rows)
	}
	if _, err := e.FlowDetails(ctx, alice, FlowQuery{Scope: sc}); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("flow details of a user err = %v; want ErrNotApplicable", err)
	}
	fs, err := e.Findings(ctx, entity(t, e, "interface:eni-0123456789abcdef0"))
	if err != nil || len(fs) != 1 {
		t.Errorf("findings of the interface = %v, %v; want the finding of its instance", fs, err)
	}
}

func TestSearch(t *testing.T) {
	e := fixture(t)
	for _, c := range []struct {
		q, kind, wantID string
	}{
		{"198.51.100.7", "ip", "ip:198.51.100.7"},
		{"198.51.100.0/24", "cidr", "ip:198.51.100.7"},
		{"i-0a1b2c3d4e5f67890", "instance", "instance:i-0a1b2c3d4e5f67890"},
		{"eni-0123456789abcdef0", "interface", "interface:eni-0123456789abcdef0"},
		{"arn:aws:iam::111122223333:user/alice", "arn", "iam_user:arn:aws:iam::111122223333:user/alice"},
		{"arn:aws:sts::111122223333:assumed-role/admin/alice-session", "arn", "role_session:AROAEXAMPLEADMIN0001:alice-session"},
		{"AKIAEXAMPLEALICE0001", "access_key", "access_key:AKIAEXAMPLEALICE0001"},
		{"111122223333", "account", "account:111122223333"},
		{"<script>alert(1)</script>", "text", "user_agent:<script>alert(1)</script>"},
		{"arn:aws:s3:::corp-secrets", "s3_bucket_arn", "bucket:corp-secrets"},
		{"f0000000000000000000000000000001", "finding", "finding:f0000000000000000000000000000001"},
		{"alice", "text", "iam_user:arn:aws:iam::111122223333:user/alice"},
		{"' OR 1=1 --", "text", ""},
	} {
		res, err := e.Search(context.Background(), c.q)
		if err != nil {
			t.Fatalf("Search(%q): %v", c.q, err)
		}
		var ids []string
		for _, ents := range res.ByType {
			for _, ent := range ents {
				ids = append(ids, ent.ID)
			}
		}
		for _, ents := range res.ByType {
			for _, ent := range ents {
				if ent.Type != "finding" && ent.LastSeen == nil {
					t.Errorf("Search(%q): %s has no last seen", c.q, ent.ID)
				}
			}
		}
		if res.Kind != c.kind || (c.wantID != "" && !slices.Contains(ids, c.wantID)) || (c.wantID == "" && len(ids) != 0) {
			b, _ := json.Marshal(res)
			t.Errorf("Search(%q) = %s; want kind %s with %q", c.q, b, c.kind, c.wantID)
		}
	}
}

// TestTargetedLookupsMatchViews checks that the store's direct entity and
// neighbour lookups (which avoid scanning the graph views) answer what the
// entities and relationships views say, for every entity of the fixture.
func TestTargetedLookupsMatchViews(t *testing.T) {
	fixture(t)
	ctx := context.Background()
	res, err := fixtureStore.Query(ctx, `SELECT entity_id, coalesce(display_name, natural_key), coalesce(account_id, ''), first_seen, last_seen, coalesce(attributes::VARCHAR, '') FROM entities ORDER BY 1`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) < 15 {
		t.Fatalf("fixture has %d entities; want at least 15", len(res.Rows))
	}
	start, end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"ip:192.0.2.1", "instance:i-ffffffffffffffff0", "interface:eni-1", "user_agent:nobody", "bucket:none", "nonsense", "ip:"} {
		if _, err := fixtureStore.EntityRef(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EntityRef(%q) err = %v; want ErrNotFound", id, err)
		}
		if _, err := fixtureStore.EntityByID(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("EntityByID(%q) err = %v; want ErrNotFound", id, err)
		}
	}
	for _, row := range res.Rows {
		id := row[0].(string)
		ent, err := fixtureStore.EntityByID(ctx, id)
		if err != nil {
			t.Errorf("EntityByID(%q): %v", id, err)
			continue
		}
		attrs := ""
		if ent.Attributes != nil {
			b, _ := json.Marshal(ent.Attributes)
			attrs = string(b)
		}
		var wantAttrs map[string]any
		json.Unmarshal([]byte(row[5].(string)), &wantAttrs)
		for k, v := range wantAttrs {
			if v == nil {
				delete(wantAttrs, k)
			}
		}
		wb, _ := json.Marshal(wantAttrs)
		if len(wantAttrs) == 0 {
			wb = nil
		}
		if ent.DisplayName != row[1] || ent.AccountID != row[2] || !ent.FirstSeen.Equal(row[3].(time.Time)) || !ent.LastSeen.Equal(row[4].(time.Time)) || attrs != string(wb) {
			t.Errorf("EntityByID(%q) = %+v; the entities view has %v", id, ent, row)
		}
		ref, err := fixtureStore.EntityRef(ctx, id)
		if err != nil || ref.Type != ent.Type || ref.NaturalKey != ent.NaturalKey || fmt.Sprint(ref.Attributes) != fmt.Sprint(ent.Attributes) {
			t.Errorf("EntityRef(%q) = %+v, %v; want type %s, key %s", id, ref, err, ent.Type, ent.NaturalKey)
		}
		if last, err := fixtureStore.LastSeen(ctx, id); err != nil || last == nil || !last.Equal(row[4].(time.Time)) {
			t.Errorf("LastSeen(%q) = %v, %v; the entities view has %v", id, last, err, row[4])
		}
		got, err := fixtureStore.Neighbours(ctx, id, start, end, 1000)
		if err != nil {
			t.Fatal(err)
		}
		q := `SELECT type, dir, other, sum(count)::BIGINT, coalesce(sum(failures), 0)::BIGINT FROM (
			SELECT type, 'out' AS dir, to_id AS other, count, failures, hour FROM relationships WHERE from_id = '` + strings.ReplaceAll(id, "'", "''") + `'
			UNION ALL SELECT type, 'in', from_id, count, failures, hour FROM relationships WHERE to_id = '` + strings.ReplaceAll(id, "'", "''") + `')
			WHERE hour >= TIMESTAMP '2025-01-01' AND hour < TIMESTAMP '2025-04-01'
			GROUP BY ALL ORDER BY 4 DESC, 1, 3`
		want, err := fixtureStore.Query(ctx, q, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want.Rows) {
			t.Errorf("Neighbours(%q) = %d; the relationships view has %d", id, len(got), len(want.Rows))
			continue
		}
		for i, n := range got {
			w := want.Rows[i]
			if n.Relationship != w[0] || n.Direction != w[1] || n.ID != w[2] || n.Count != w[3] || n.Failures != w[4] {
				t.Errorf("Neighbours(%q)[%d] = %+v; the view has %v", id, i, n, w)
			}
		}
	}
}

func TestAnnotate(t *testing.T) {
	p := func(n int64) *int64 { return &n }
	row := &FlowRow{RemoteIP: "203.0.113.77", LocalPort: p(22), RemotePort: p(58533), Protocol: p(6), Direction: "inbound"}
	for _, c := range []struct {
		name string
		f    store.Finding
		want string
	}{
		{"all given, all match", store.Finding{RemoteIP: "203.0.113.77", LocalPort: p(22), RemotePort: p(58533), Direction: "inbound"}, "match"},
		{"remote port 0 means none", store.Finding{RemoteIP: "203.0.113.77", LocalPort: p(22), RemotePort: p(0), Direction: "inbound"}, "match"},
		{"no ports or direction", store.Finding{RemoteIP: "203.0.113.77"}, "match"},
		{"other local port", store.Finding{RemoteIP: "203.0.113.77", LocalPort: p(3389)}, "related"},
		{"other direction", store.Finding{RemoteIP: "203.0.113.77", Direction: "outbound"}, "related"},
		{"IPv4-mapped address", store.Finding{RemoteIP: "::ffff:203.0.113.77", LocalPort: p(22)}, "match"},
		{"other address", store.Finding{RemoteIP: "203.0.113.78", LocalPort: p(22)}, ""},
		{"no address", store.Finding{LocalPort: p(22)}, ""},
	} {
		if got := annotate(row, &c.f, KeyRemoteIP); got != c.want {
			t.Errorf("%s: annotate = %q; want %q", c.name, got, c.want)
		}
	}
	irow := &FlowRow{Instance: "i-0a1b2c3d4e5f67890", LocalPort: p(22), Direction: "inbound"}
	if got := annotate(irow, &store.Finding{InstanceID: "i-0a1b2c3d4e5f67890", LocalPort: p(22), Direction: "inbound"}, KeyInstance); got != "match" {
		t.Errorf("instance row: annotate = %q; want match", got)
	}
}

func TestIPv4Prefix(t *testing.T) {
	for cidr, want := range map[string]string{
		"203.0.113.0/24": "203.0.113.", "10.0.0.0/8": "10.", "0.0.0.0/0": "", "10.1.16.0/20": "10.1.",
		"10.1.2.4/31": "10.1.2.", "10.1.2.3/32": "10.1.2.3", "172.16.0.0/12": "172.",
	} {
		if got := ipv4Prefix(netip.MustParsePrefix(cidr).Masked()); got != want {
			t.Errorf("ipv4Prefix(%s) = %q; want %q", cidr, got, want)
		}
	}
}

func TestFindingFlows(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	sc := mustScope(t, "2025-03-06T02:00Z", "2025-03-06T04:00Z")
	d, err := e.FindingFlows(ctx, "f0000000000000000000000000000001", FlowQuery{Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rowIDs(d), []string{"198.51.100.7|22|40000|6|inbound", "198.51.100.7|22|40001|6|inbound"}; !slices.Equal(got, want) || d.Rows[0].Finding != "match" {
		t.Errorf("finding flows = %q (first %q); want %q, the finding's row first", got, d.Rows[0].Finding, want)
	}
	if _, err := e.FindingFlows(ctx, "f0000000000000000000000000000999", FlowQuery{Scope: sc}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown finding err = %v; want ErrNotFound", err)
	}
	f, _ := ParseFilter("local_port=22")
	if _, err := e.FindingFlows(ctx, "f0000000000000000000000000000001", FlowQuery{Scope: sc, Filters: []Filter{f}, Any: true}); !errors.Is(err, ErrInvalid) {
		t.Errorf("match=any err = %v; want ErrInvalid", err)
	}
}

// TestFlowViews checks that an interface, and an address that is an
// interface's own, show the same rows as the instance they belong to, and
// that a scope without traffic has none.
func TestFlowViews(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	sc := mustScope(t, "2025-03-06T02:00Z", "2025-03-06T04:00Z")
	want, err := e.FlowDetails(ctx, entity(t, e, "instance:i-0a1b2c3d4e5f67890"), FlowQuery{Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"interface:eni-0123456789abcdef0", "ip:10.0.1.25"} {
		d, err := e.FlowDetails(ctx, entity(t, e, id), FlowQuery{Scope: sc})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if d.RowKey != KeyRemoteIP || !slices.Equal(rowIDs(d), rowIDs(want)) || d.Totals != want.Totals {
			t.Errorf("%s rows = %s %q %+v; want the instance's %q %+v", id, d.RowKey, rowIDs(d), d.Totals, rowIDs(want), want.Totals)
		}
	}
	empty, err := e.FlowDetails(ctx, entity(t, e, "ip:10.0.1.25"), FlowQuery{Scope: mustScope(t, "2025-03-01T00:00Z", "2025-03-02T00:00Z")})
	if err != nil || len(empty.Rows) != 0 || empty.Totals.Rows != 0 {
		t.Errorf("a day without traffic = %+v, %v; want no rows", empty, err)
	}
	vol, err := e.FlowVolume(ctx, entity(t, e, "ip:10.0.1.25"), sc)
	if err != nil {
		t.Fatal(err)
	}
	var in02 int64
	for _, b := range vol.Buckets[:60] {
		in02 += b.BytesIn
	}
	if len(vol.Buckets) != 120 || in02 != 31020 || vol.Buckets[30].BytesIn != 30000 {
		t.Errorf("flow volume of the address = %d buckets, %d bytes in 02:00–03:00, %d at 02:30; want 120 minute buckets, 31020, 30000",
			len(vol.Buckets), in02, vol.Buckets[30].BytesIn)
	}
}

func TestAPICallRecords(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	alice := entity(t, e, "iam_user:arn:aws:iam::111122223333:user/alice")
	sc := mustScope(t, "2025-03-06T02:00Z", "2025-03-06T03:00Z")
	all, err := e.APICallRecords(ctx, alice, EventsQuery{Scope: sc, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Records) != 2 || !all.More || all.Records[0]["event_name"] != "ListBuckets" {
		t.Errorf("first page = %v (more %v); want ListBuckets first of 4", all.Records, all.More)
	}
	res, err := fixtureStore.Query(ctx, all.SQL, 0)
	if err != nil || len(res.Rows) != 4 {
		t.Errorf("shown SQL = %v rows, %v; want alice's 4 calls in scope\n%s", res, err, all.SQL)
	}
	failed, err := e.APICallRecords(ctx, alice, EventsQuery{Scope: sc, Operation: "cloudtrail.amazonaws.com:DeleteTrail", SourceIP: "198.51.100.7"})
	if err != nil || len(failed.Records) != 1 || failed.Records[0]["error_code"] != "AccessDenied" {
		t.Errorf("DeleteTrail from 198.51.100.7 = %v, %v; want the one AccessDenied call", failed, err)
	}
	b := sc.Start.Add(90 * time.Second)
	if _, err := e.APICallRecords(ctx, alice, EventsQuery{Scope: sc, Bucket: &b}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unaligned bucket err = %v; want ErrInvalid", err)
	}
	if _, err := e.APICallRecords(ctx, entity(t, e, "interface:eni-0123456789abcdef0"), EventsQuery{Scope: sc}); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("events of an interface err = %v; want ErrNotApplicable", err)
	}
}

// minutesEngine ingests testdata/minutes: one instance's SSH flows from
// 198.51.100.20–26, each address once, started at 02:10:00, 02:16:59,
// 02:17:00, 02:20:00 (with the reply at 02:20:30), 03:04:59, 03:05:00 and
// 03:30:00 on 2025-03-06, of 100, 200, 400, 800 (1600 back), 3200, 6400
// and 12800 bytes.
func minutesEngine(t *testing.T) (*Engine, *store.Entity) {
	t.Helper()
	dir, err := filepath.Abs("testdata/minutes")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "m.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := ingest.Run(context.Background(), st, ingest.Config{Sources: []string{dir}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	e, err := New(st, Options{Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	return e, entity(t, e, "instance:i-0aaaa1111bbbb2222")
}

func bytesInOf(bs []VolumeBucket) map[string]int64 {
	m := map[string]int64{}
	for _, b := range bs {
		if b.BytesIn != 0 || b.BytesOut != 0 {
			m[b.Start.Format("01-02T15:04")] = b.BytesIn*1000 + b.BytesOut/100
		}
	}
	return m
}

// TestMinuteScope checks that flow panels count exactly the flows that
// started in a scope at minute precision: 02:17–03:05 takes the flows of
// 02:17:00, 02:20:00 (and its reply) and 03:04:59, not those of 02:10,
// 02:16:59 or 03:05:00.
func TestMinuteScope(t *testing.T) {
	e, inst := minutesEngine(t)
	ctx := context.Background()
	sc := mustScope(t, "2025-03-06T02:17Z", "2025-03-06T03:05Z")
	d, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: sc, Sort: "remote_ip"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"198.51.100.22|22|50000|6|inbound", "198.51.100.23|22|50000|6|inbound", "198.51.100.24|22|50000|6|inbound"}
	if got := rowIDs(d); !slices.Equal(got, want) {
		t.Errorf("rows = %q; want %q", got, want)
	}
	if d.Totals.Flows != 4 || d.Totals.BytesIn != 4400 || d.Totals.BytesOut != 1600 {
		t.Errorf("totals = %+v; want 4 flows, 4400 bytes in, 1600 out", d.Totals)
	}
	if d.Window.Start != sc.Start || d.Window.End != sc.End || d.Window.BucketSeconds != 60 {
		t.Errorf("window = %+v; want the scope with 1-minute buckets", d.Window)
	}
	if r := d.Rows[1]; r.FirstSeen != time.Date(2025, 3, 6, 2, 20, 0, 0, time.UTC) || r.LastSeen != time.Date(2025, 3, 6, 2, 21, 0, 0, time.UTC) {
		t.Errorf("first/last seen of %s = %s, %s; want 02:20:00, 02:21:00", r.ID, r.FirstSeen, r.LastSeen)
	}

	// Minute buckets: 48 of them, from 02:17.
	vol, err := e.FlowVolume(ctx, inst, sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(vol.Buckets) != 48 || !vol.Buckets[0].Start.Equal(sc.Start) {
		t.Errorf("%d buckets from %s; want 48 from 02:17", len(vol.Buckets), vol.Buckets[0].Start)
	}
	if got, want := bytesInOf(vol.Buckets), map[string]int64{"03-06T02:17": 400000, "03-06T02:20": 800016, "03-06T03:04": 3200000}; !maps.Equal(got, want) {
		t.Errorf("minute buckets (in×1000 + out/100) = %v; want %v", got, want)
	}
	s, err := e.Series(ctx, inst, sc, []string{want[1]})
	if err != nil {
		t.Fatal(err)
	}
	if got := bytesInOf(s.Rows[0].Buckets); !maps.Equal(got, map[string]int64{"03-06T02:20": 800016}) || len(s.Overall) != 48 {
		t.Errorf("series of %s = %v (%d overall buckets); want 800 in, 1600 out at 02:20", want[1], got, len(s.Overall))
	}

	// Raw records: the scope's, a bucket's.
	recs, err := e.Records(ctx, inst, RecordsQuery{Scope: sc})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Records) != 4 || recs.Records[0]["bytes"] != int64(400) || recs.Records[3]["bytes"] != int64(3200) {
		t.Errorf("records = %v; want the 4 records from 02:17:00 to 03:04:59", recs.Records)
	}
	b := time.Date(2025, 3, 6, 2, 20, 0, 0, time.UTC)
	recs, err = e.Records(ctx, inst, RecordsQuery{Scope: sc, Bucket: &b})
	if err != nil || len(recs.Records) != 2 {
		t.Errorf("records of the 02:20 bucket = %v, %v; want the record and its reply", recs, err)
	}

	// Longer scopes: 5-minute buckets on the clock grid, the first cut
	// short (23:17–23:20); hour buckets, the last cut short (03:00–03:05)
	// and read from the records.
	long := mustScope(t, "2025-03-05T23:17Z", "2025-03-06T03:05Z")
	vol, err = e.FlowVolume(ctx, inst, long)
	if err != nil {
		t.Fatal(err)
	}
	if long.BucketSeconds != 300 || len(vol.Buckets) != 46 || !vol.Buckets[1].Start.Equal(time.Date(2025, 3, 5, 23, 20, 0, 0, time.UTC)) {
		t.Errorf("%ds buckets: %d, the second at %s; want 300 s, 46, 23:20", long.BucketSeconds, len(vol.Buckets), vol.Buckets[1].Start)
	}
	if got, want := bytesInOf(vol.Buckets), map[string]int64{"03-06T02:10": 100000, "03-06T02:15": 600000, "03-06T02:20": 800016, "03-06T03:00": 3200000}; !maps.Equal(got, want) {
		t.Errorf("5-minute buckets = %v; want %v", got, want)
	}
	days := mustScope(t, "2025-03-03T02:17Z", "2025-03-06T03:05Z")
	vol, err = e.FlowVolume(ctx, inst, days)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bytesInOf(vol.Buckets), map[string]int64{"03-06T02:00": 1500016, "03-06T03:00": 3200000}; days.BucketSeconds != 3600 || !maps.Equal(got, want) {
		t.Errorf("hour buckets (%d s) = %v; want %v", days.BucketSeconds, got, want)
	}
	if last := vol.Buckets[len(vol.Buckets)-1]; !last.Start.Equal(time.Date(2025, 3, 6, 3, 0, 0, 0, time.UTC)) || !vol.Buckets[0].Start.Equal(days.Start) {
		t.Errorf("buckets from %s to %s; want from the scope's start to 03:00", vol.Buckets[0].Start, last.Start)
	}
	// The console names a bucket by its start on the grid: 02:00 for the
	// first bucket of a scope from 02:17.
	grid := time.Date(2025, 3, 3, 2, 0, 0, 0, time.UTC)
	recs, err = e.Records(ctx, inst, RecordsQuery{Scope: days, Bucket: &grid})
	if err != nil || !recs.Start.Equal(days.Start) || !recs.End.Equal(grid.Add(time.Hour)) {
		t.Errorf("records of the first bucket = %v, %v; want 02:17–03:00", recs, err)
	}
	for _, bad := range []time.Time{grid.Add(-time.Hour), grid.Add(90 * time.Minute), days.End} {
		if _, err := e.Records(ctx, inst, RecordsQuery{Scope: days, Bucket: &bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bucket %s err = %v; want ErrInvalid", bad, err)
		}
	}
}

// TestHourAlignedScopeMatchesParts checks that the rows of an hour-aligned
// scope (read from the rollup) are the sums of the rows of two unaligned
// scopes that split it (read partly from the records).
func TestHourAlignedScopeMatchesParts(t *testing.T) {
	e, inst := minutesEngine(t)
	ctx := context.Background()
	whole, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: mustScope(t, "2025-03-06T02:00Z", "2025-03-06T04:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]FlowRow{}
	for _, part := range [][2]string{{"2025-03-06T02:00Z", "2025-03-06T02:17Z"}, {"2025-03-06T02:17Z", "2025-03-06T04:00Z"}} {
		d, err := e.FlowDetails(ctx, inst, FlowQuery{Scope: mustScope(t, part[0], part[1])})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range d.Rows {
			s, ok := sum[r.ID]
			if !ok {
				sum[r.ID] = r
				continue
			}
			s.BytesIn += r.BytesIn
			s.BytesOut += r.BytesOut
			s.PacketsIn += r.PacketsIn
			s.PacketsOut += r.PacketsOut
			s.Flows += r.Flows
			s.AcceptedFlows += r.AcceptedFlows
			s.RejectedFlows += r.RejectedFlows
			s.FirstSeen = minTime(s.FirstSeen, r.FirstSeen)
			s.LastSeen = maxTime(s.LastSeen, r.LastSeen)
			sum[r.ID] = s
		}
	}
	if len(whole.Rows) != 7 || len(sum) != len(whole.Rows) {
		t.Fatalf("%d rows in the hours, %d in the parts; want 7", len(whole.Rows), len(sum))
	}
	for _, r := range whole.Rows {
		got, _ := json.Marshal(sum[r.ID])
		want, _ := json.Marshal(r)
		if string(got) != string(want) {
			t.Errorf("row %s: hours %s; parts %s", r.ID, want, got)
		}
	}
}

// TestDefaultScopeOfIdleEntity: a profile opened without a scope on an
// entity idle for more than a day reads the last day of its activity,
// found from the entity's reference alone (the API's panels have no last
// seen), the minute of its last activity included.
func TestDefaultScopeOfIdleEntity(t *testing.T) {
	e := fixture(t)
	ctx := context.Background()
	later := fixtureNow.Add(3*24*time.Hour + 17*time.Minute)
	idle, err := New(fixtureStore, Options{Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{
		"instance:i-0a1b2c3d4e5f67890", "interface:eni-0123456789abcdef0", "ip:198.51.100.7", "ip:10.0.1.25",
		"iam_user:arn:aws:iam::111122223333:user/alice",
	} {
		full := entity(t, e, id)
		if full.LastSeen == nil {
			t.Fatalf("%s has no last seen", id)
		}
		ref, err := e.EntityRef(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if ref.LastSeen != nil {
			t.Fatalf("EntityRef(%s) has a last seen: the test would not look it up", id)
		}
		last, err := fixtureStore.LastSeen(ctx, id)
		if err != nil || last == nil || !last.Equal(*full.LastSeen) {
			t.Errorf("LastSeen(%s) = %v, %v; want the entities view's %s", id, last, err, full.LastSeen)
		}
		// Now, a day after the fixture: the last 24 hours hold its activity.
		sc, err := e.DefaultScope(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Source != "entity_default" || !sc.End.Equal(fixtureNow.Add(time.Minute)) {
			t.Errorf("%s: default scope at the fixture's now = %s–%s (%s); want the last 24 hours", id, sc.Start, sc.End, sc.Source)
		}
		// Three days later: the last day of its activity.
		sc, err = idle.DefaultScope(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		end := full.LastSeen.Truncate(time.Minute).Add(time.Minute)
		if sc.Source != "entity_last_activity" || !sc.End.Equal(end) || !sc.Start.Equal(end.Add(-24*time.Hour)) || sc.BucketSeconds != 900 {
			t.Errorf("%s (last seen %s): idle default scope = %s–%s (%s, %d s); want the 24 h to %s, entity_last_activity, 900 s",
				id, full.LastSeen, sc.Start, sc.End, sc.Source, sc.BucketSeconds, end)
		}
		if got, err := idle.DefaultScope(ctx, full); err != nil || got != sc {
			t.Errorf("%s: default scope from the full entity = %+v, %v; want %+v", id, got, err, sc)
		}
	}
	if last, err := fixtureStore.LastSeen(ctx, "ip:203.0.113.254"); err != nil || last != nil {
		t.Errorf("LastSeen of an unknown address = %v, %v; want nil", last, err)
	}
	// Seen exactly on a minute: that minute is in the scope.
	on := time.Date(2025, 3, 1, 10, 15, 0, 0, time.UTC)
	if sc := IdleScope(later, &on); !sc.End.Equal(on.Add(time.Minute)) {
		t.Errorf("IdleScope(last seen %s) ends %s; want %s", on, sc.End, on.Add(time.Minute))
	}
	if sc := IdleScope(later, nil); sc.Source != "entity_default" {
		t.Errorf("IdleScope without a last seen = %+v; want the entity default", sc)
	}
}

// TestLastSeenShared: concurrent default scopes of one entity share one
// lookup, and agree.
func TestLastSeenShared(t *testing.T) {
	fixture(t)
	later := fixtureNow.Add(3 * 24 * time.Hour)
	e, err := New(fixtureStore, Options{Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := e.EntityRef(context.Background(), "ip:198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	scopes := make([]Scope, 8)
	for i := range scopes {
		wg.Go(func() {
			sc, err := e.DefaultScope(context.Background(), ref)
			if err != nil {
				t.Error(err)
			}
			scopes[i] = sc
		})
	}
	wg.Wait()
	for _, sc := range scopes {
		if sc != scopes[0] || sc.Source != "entity_last_activity" {
			t.Errorf("scopes = %+v; want one, entity_last_activity", scopes)
			break
		}
	}
	if n := len(e.seen.m); n != 1 {
		t.Errorf("%d cached lookups; want 1", n)
	}
}
