package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.duckdb"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// decodeLines decodes flow log text with a header into records that own
// their bytes.
func decodeLines(t *testing.T, text string) []flowlog.Record {
	t.Helper()
	d := flowlog.NewTextDecoder(strings.NewReader(text), flowlog.TextOptions{File: "test"})
	b := &flowlog.Batch{Records: make([]flowlog.Record, 0, 1000)}
	var out []flowlog.Record
	for {
		err := d.Next(b)
		for _, e := range b.Errors {
			t.Fatalf("decode: %v", e)
		}
		for _, r := range b.Records {
			for f := range r.Str {
				r.Str[f] = append([]byte(nil), r.Str[f]...)
			}
			out = append(out, r)
		}
		if err != nil {
			break
		}
	}
	return out
}

const sampleV2 = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK
`

func commitRecords(t *testing.T, st *Store, id int64, recs []flowlog.Record) {
	t.Helper()
	fw, err := st.NewFlowWriter()
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(id, recs); err != nil {
		t.Fatal(err)
	}
	files, ev, err := fw.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = st.Commit(context.Background(), Segment{
		Objects:  []ObjectRecord{{ID: id, URI: "/x/" + string(rune('a'+id)), LogType: "vpcflow", Records: int64(len(recs))}},
		Files:    files,
		Evidence: ev,
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func queryOne(t *testing.T, st *Store, q string) []any {
	t.Helper()
	res, err := st.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("Query(%q): %v", q, err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("Query(%q) = %d rows; want 1", q, len(res.Rows))
	}
	return res.Rows[0]
}

func TestFlowLogsViewAndRollup(t *testing.T) {
	st := openTest(t)
	if got := queryOne(t, st, "SELECT count(*) FROM flow_logs"); got[0] != int64(0) {
		t.Fatalf("empty store: count = %v; want 0", got[0])
	}
	commitRecords(t, st, 1, decodeLines(t, sampleV2))

	row := queryOne(t, st, `SELECT count(*), count(srcaddr), sum(bytes), min(start_time)::VARCHAR, count(vpc_id), count(*) FILTER (WHERE log_status = 'NODATA') FROM flow_logs`)
	want := []any{int64(5), int64(4), float64(0), "2014-12-14 04:06:50", int64(0), int64(1)}
	want[2] = row[2] // sum type is HUGEINT/decimal; checked below
	for i := range want {
		if i == 2 {
			continue
		}
		if row[i] != want[i] {
			t.Errorf("column %d = %#v; want %#v", i, row[i], want[i])
		}
	}
	if got := queryOne(t, st, "SELECT sum(bytes)::BIGINT FROM flow_logs"); got[0] != int64(4249+4249+336+336) {
		t.Errorf("sum(bytes) = %v", got[0])
	}
	// Types follow the contract.
	res, err := st.Query(context.Background(), "SELECT srcport, packets, start_time, version, object_line FROM flow_logs LIMIT 1", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{"INTEGER", "BIGINT", "TIMESTAMP", "INTEGER", "INTEGER"}
	for i, ty := range res.Types {
		if ty != wantTypes[i] {
			t.Errorf("type of %s = %s; want %s", res.Columns[i], ty, wantTypes[i])
		}
	}
	// Rollup: NODATA excluded; the private address seen most is local.
	res, err = st.Query(context.Background(), `SELECT local_addr, local_port, remote_addr, remote_port, direction, action, bytes_in, bytes_out, flows
		FROM flow_rollup_hourly ORDER BY hour, local_port, remote_addr, direction`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 4 {
		t.Fatalf("rollup rows = %d; want 4: %v", len(res.Rows), res.Rows)
	}
	// The ICMP pair: 172.31.16.139 appears in three records, 203.0.113.12 in two.
	last := res.Rows[3]
	if last[0] != "172.31.16.139" || last[4] != "outbound" || last[6] != int64(0) || last[7] != int64(336) {
		t.Errorf("ICMP reply row = %v; want local 172.31.16.139 outbound 336 bytes out", last)
	}
	in := res.Rows[2]
	if in[0] != "172.31.16.139" || in[4] != "inbound" || in[6] != int64(336) {
		t.Errorf("ICMP request row = %v; want local 172.31.16.139 inbound 336 bytes in", in)
	}
}

func TestQueryIsReadOnly(t *testing.T) {
	st := openTest(t)
	outside := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(outside, []byte("a\n1\n"), 0o644)
	for _, q := range []string{
		"DELETE FROM ingested_objects",
		"INSERT INTO ingested_objects (object_id) VALUES (1)",
		"CREATE TABLE x AS SELECT 1",
		"DROP TABLE flow_rollup_hourly",
		"COPY ingested_objects TO '/tmp/x.csv'",
		"ATTACH '/tmp/other.duckdb' AS o",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"PRAGMA enable_profiling",
		"SELECT 1; DROP TABLE flow_rollup_hourly",
		"DROP TABLE flow_rollup_hourly; SELECT 1",
		"DELETE FROM ingested_objects; SELECT 1",
		"SELECT 1; SELECT 2",
		"EXPLAIN DELETE FROM ingested_objects",
		"EXPLAIN ANALYZE DELETE FROM ingested_objects",
		"PIVOT ingested_objects ON uri",
		"CHECKPOINT",
	} {
		if _, err := st.Query(context.Background(), q, 0); err == nil {
			t.Errorf("Query(%q) succeeded; want refusal", q)
		}
	}
	for _, q := range []string{
		"SELECT * FROM read_csv('" + outside + "')",
		"SELECT * FROM read_csv('/etc/passwd')",
		"SELECT * FROM read_text('/etc/hostname')",
		"SELECT * FROM read_parquet('https://example.com/x.parquet')",
		"SELECT * FROM glob('/etc/*')",
	} {
		res, err := st.Query(context.Background(), q, 0)
		if err == nil && len(res.Rows) > 0 {
			t.Errorf("Query(%q) read outside the lake: %v", q, res.Rows)
		}
	}
	// The tables survive.
	queryOne(t, st, "SELECT count(*) FROM flow_rollup_hourly")
	queryOne(t, st, "SELECT count(*) FROM ingested_objects")
	for _, q := range []string{"EXPLAIN SELECT * FROM flow_logs", "explain analyze SELECT 1", "WITH a AS (SELECT 1 AS x) SELECT x FROM a;", "FROM flow_logs LIMIT 1", "SELECT 1 UNION ALL SELECT 2"} {
		if _, err := st.Query(context.Background(), q, 0); err != nil {
			t.Errorf("Query(%q) = %v; want it allowed", q, err)
		}
	}
}

func TestRecoveryDropsUncommittedFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "g.duckdb")
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := decodeLines(t, sampleV2)
	commitRecords(t, st, 1, recs)
	// Write but never commit, as a crash would leave it.
	fw, err := st.NewFlowWriter()
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(2, recs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := queryOne(t, st, "SELECT count(*) FROM flow_logs"); got[0] != int64(5) {
		t.Errorf("after recovery count = %v; want 5", got[0])
	}
	if _, err := os.Stat(filepath.Join(st.Lake(), stagingDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staging still exists after recovery: %v", err)
	}
}

func TestSecondWriterGetsClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.duckdb")
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// In the same process DuckDB shares the instance; the lock message is
	// exercised across processes in the ingest tests. Here check that a
	// read-only open of a missing database is a clear error.
	_, err = Open(context.Background(), filepath.Join(t.TempDir(), "missing.duckdb"), Options{ReadOnly: true})
	if !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Open(missing, read-only) = %v; want ErrNoDatabase", err)
	}
}

// TestFlowRowsMatchFields fails when flowrow_gen.go is stale: rerun
// python3 internal/store/gen_flowrow.py.
func TestFlowRowsMatchFields(t *testing.T) {
	check := func(name string, schemaCols []string, maxVersion int) {
		t.Helper()
		var want []string
		for _, f := range flowlog.Fields() {
			if f.Info().Version <= maxVersion {
				want = append(want, f.Info().Column)
			}
		}
		want = append(want, "object_id", "object_line")
		if strings.Join(schemaCols, ",") != strings.Join(want, ",") {
			t.Errorf("%s columns = %v; want %v", name, schemaCols, want)
		}
	}
	cols := func(s *parquet.Schema) []string {
		var out []string
		for _, f := range s.Fields() {
			out = append(out, f.Name())
		}
		return out
	}
	check("flowRowV2", cols(parquet.SchemaOf(flowRowV2{})), 2)
	check("flowRowV5", cols(parquet.SchemaOf(flowRowV5{})), 5)
	check("flowRow", cols(parquet.SchemaOf(flowRow{})), 99)
	if got := strings.Join(cols(parquet.SchemaOf(flowRow{})), ","); got != strings.Join(FlowColumns(), ",") {
		t.Errorf("flowRow columns %v differ from FlowColumns %v", got, FlowColumns())
	}
}

// TestMixedShapesReadAsOneTable ingests default, v5 and v8 records and
// reads them back through one view.
func TestMixedShapesReadAsOneTable(t *testing.T) {
	st := openTest(t)
	commitRecords(t, st, 1, decodeLines(t, sampleV2))
	v5 := decodeLines(t, "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status\n"+
		"5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK\n")
	commitRecords(t, st, 2, v5)
	v8 := decodeLines(t, "version srcaddr dstaddr action reject-reason ecs-cluster-name start\n8 10.0.0.1 10.0.0.2 REJECT BPA prod 1616729292\n")
	commitRecords(t, st, 3, v8)
	row := queryOne(t, st, `SELECT count(*), count(traffic_path), count(reject_reason), max(ecs_cluster_name), sum(bytes)::BIGINT, count(vpc_id) FROM flow_logs`)
	want := []any{int64(7), int64(1), int64(1), "prod", int64(4249 + 4249 + 336 + 336 + 471), int64(1)}
	for i := range want {
		if row[i] != want[i] {
			t.Errorf("column %d = %#v; want %#v", i, row[i], want[i])
		}
	}
}

func commitRows(t *testing.T, st *Store, id int64, files ...StagedFile) {
	t.Helper()
	err := st.Commit(context.Background(), Segment{
		Objects: []ObjectRecord{{ID: id, URI: fmt.Sprintf("/x/%d", id), LogType: "test", Records: 1}},
		Files:   files,
	})
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func TestCloudTrailDeduplicatesByEventID(t *testing.T) {
	st := openTest(t)
	t0 := time.Date(2025, 3, 6, 2, 30, 0, 0, time.UTC)
	row := func(id string, sec int) CloudTrailRow {
		return CloudTrailRow{EventID: id, EventTime: Micros(t0.Add(time.Duration(sec) * time.Second)), EventName: "GetCallerIdentity",
			Raw: `{"eventID":"` + id + `"}`, ObjectRecord: int32(sec)}
	}
	for i, rows := range [][]CloudTrailRow{
		{row("a", 1), row("b", 2)},
		{row("b", 2), row("c", 3)}, // b again in another object
	} {
		w, err := st.NewCloudTrailWriter()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		sf, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		commitRows(t, st, int64(i+1), sf)
	}
	if got := queryOne(t, st, "SELECT count(*), count(DISTINCT event_id), string_agg(event_id, ',' ORDER BY event_id) FROM cloudtrail_events"); got[0] != int64(3) || got[2] != "a,b,c" {
		t.Errorf("cloudtrail_events = %v; want a, b, c once each", got)
	}
}

func TestFindingsKeepTheNewestVersion(t *testing.T) {
	st := openTest(t)
	t0 := time.Date(2025, 3, 6, 2, 30, 0, 0, time.UTC)
	f := func(id string, count int64, upd int, title string) FindingRow {
		return FindingRow{ID: id, Source: "guardduty", Severity: 5, Count: count, UpdatedAt: OptMicros(t0.Add(time.Duration(upd) * time.Hour)),
			Title: title, Raw: `{}`}
	}
	for i, rows := range [][]FindingRow{
		{f("x", 1, 0, "x1"), f("y", 3, 0, "y3")},
		{f("x", 2, 1, "x2"), f("y", 2, 5, "y2-older-count")},
		{f("x", 2, 0, "x2-stale"), f("z", 1, 0, "z1"), f("z", 1, 2, "z1-newer")},
	} {
		w, err := st.NewFindingWriter()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rows); err != nil {
			t.Fatal(err)
		}
		sf, err := w.Close()
		if err != nil {
			t.Fatal(err)
		}
		commitRows(t, st, int64(i+1), sf)
	}
	if got := queryOne(t, st, "SELECT string_agg(id || '=' || title, ',' ORDER BY id) FROM findings"); got[0] != "x=x2,y=y3,z=z1-newer" {
		t.Errorf("findings = %v; want x=x2,y=y3,z=z1-newer", got[0])
	}
}

// TestEmptyStringIsNull reproduces parquet-go v0.32 writing a few NULLs of
// optional string columns as empty strings (writes of 1,997 rows straddle
// the boundary that triggers it), and checks that the views read them as
// NULL.
func TestEmptyStringIsNull(t *testing.T) {
	st := openTest(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var recs []flowlog.Record
	want := 0
	for i := 0; i < 200000; i++ {
		var r flowlog.Record
		r.Line = i + 1
		r.SetInt(flowlog.Start, 1418530010)
		if rng.IntN(5) == 0 {
			r.SetInt(flowlog.SrcPort, int64(i%65536))
		}
		if rng.IntN(10) == 0 {
			r.SetStr(flowlog.Action, []byte("ACCEPT"))
		}
		if rng.IntN(7) == 0 {
			r.SetStr(flowlog.InterfaceID, []byte("eni-"+string(rune('a'+rng.IntN(20)))))
			want++
		}
		recs = append(recs, r)
	}
	fw, err := st.NewFlowWriter()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(recs); i += 1997 {
		if err := fw.Write(1, recs[i:min(i+1997, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
	files, ev, err := fw.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(context.Background(), Segment{Objects: []ObjectRecord{{ID: 1, URI: "/x", LogType: "vpcflow"}}, Files: files, Evidence: ev}); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, st, "SELECT count(interface_id), count(*) FILTER (WHERE interface_id = '') FROM flow_logs"); got[0] != int64(want) || got[1] != int64(0) {
		t.Errorf("count(interface_id), empty = %v; want %d, 0", got, want)
	}
}

// TestCloudTrailMigratesToLake opens a database made before CloudTrail
// events moved to the lake (schema version 4, events in a table) and checks
// that migration 5 keeps every event, readable through the view.
func TestCloudTrailMigratesToLake(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.duckdb")
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Back to version 4: the table as migration 2 made it, with an event.
	var catalog string
	if err := st.db.QueryRow(`SELECT current_database()`).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE "` + catalog + `".main.cloudtrail_events (event_id VARCHAR NOT NULL, event_time TIMESTAMP NOT NULL,
			event_name VARCHAR, user_agent VARCHAR, read_only BOOLEAN, resources JSON, raw JSON NOT NULL,
			object_id BIGINT NOT NULL, object_record INTEGER NOT NULL)`,
		`INSERT INTO "` + catalog + `".main.cloudtrail_events VALUES ('old-1', TIMESTAMP '2024-05-01 10:00:00', 'ListBuckets',
			'aws-cli/2', true, '[{"ARN":"arn:aws:s3:::b"}]', '{"eventID":"old-1"}', 7, 1)`,
		`DELETE FROM schema_migrations WHERE version > 4`,
	} {
		if _, err := st.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st.Close()
	if err := os.Remove(filepath.Join(LakeDir(path), cloudtrailTable, "migration-5.parquet")); err != nil {
		t.Fatal(err)
	}
	st, err = Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	row := queryOne(t, st, `SELECT event_id, event_name, read_only, json_extract_string(resources, '$[0].ARN'), raw->>'eventID', object_id, count(*) OVER () FROM cloudtrail_events`)
	want := []any{"old-1", "ListBuckets", true, "arn:aws:s3:::b", "old-1", int64(7), int64(1)}
	for i := range want {
		if row[i] != want[i] {
			t.Errorf("column %d = %#v; want %#v", i, row[i], want[i])
		}
	}
	if got := queryOne(t, st, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cloudtrail_events'`); got[0] != int64(0) {
		t.Errorf("the old table is still there")
	}
}
