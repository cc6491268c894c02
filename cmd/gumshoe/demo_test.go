package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
)

// queryRows runs a query through gumshoe query and returns the CSV rows
// without the header.
func queryRows(t *testing.T, db, sql string) [][]string {
	t.Helper()
	out, stderr, err := run(t, "query", "--db", db, "--format", "csv", sql)
	if err != nil {
		t.Fatalf("query %q: %v\n%s", sql, err, stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return rows[1:]
}

func TestDemo(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.duckdb")
	out := filepath.Join(dir, "logs")
	args := []string{"demo", "--db", db, "--out", out, "--days", "2", "--seed", "5", "--no-serve"}
	stdout, stderr, err := run(t, args...)
	if err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, stdout, stderr)
	}
	// The generator's counts, as printed, are what the tables hold.
	m := regexp.MustCompile(`(\d+) flow records, (\d+) CloudTrail events, (\d+) DNS queries, (\d+) GuardDuty findings`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("demo output lacks the generator's counts:\n%s", stdout)
	}
	if !strings.Contains(stdout, "0 lines rejected") || stderr != "" {
		t.Errorf("demo rejected lines or warned:\n%s\n%s", stdout, stderr)
	}
	for i, table := range []string{"flow_logs", "cloudtrail_events", "dns_queries", "findings"} {
		// The tables as ingested, before gumshoe's own detections add
		// findings (checked below).
		where := ""
		if table == "findings" {
			where = " WHERE source <> 'gumshoe'"
		}
		got := queryRows(t, db, "SELECT count(*) FROM "+table+where)[0][0]
		if got != m[i+1] {
			t.Errorf("%s holds %s rows; the generator wrote %s", table, got, m[i+1])
		}
		if n, _ := strconv.Atoi(got); n == 0 {
			t.Errorf("%s is empty", table)
		}
		if !regexp.MustCompile(`(?m)^\s+` + table + `\s+` + got + `\s*$`).MatchString(stdout) {
			t.Errorf("demo output does not print %s = %s:\n%s", table, got, stdout)
		}
	}
	if n := queryRows(t, db, "SELECT count(*) FROM findings WHERE source = 'gumshoe'")[0][0]; n == "0" || !strings.Contains(stdout, "detections: ") {
		t.Errorf("the demo raised no findings of its own (%s), or did not say:\n%s", n, stdout)
	}
	// Every entity of the ground truth is in the behavior graph.
	truth, err := demo.ReadTruth(filepath.Join(out, demo.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, s := range truth.Scenarios {
		for _, e := range s.Entities {
			values = append(values, "('"+s.ID+"', '"+e.Type+"', '"+strings.ReplaceAll(e.Key, "'", "''")+"')")
		}
	}
	missing := queryRows(t, db, `SELECT w.s, w.t, w.k FROM (VALUES `+strings.Join(values, ", ")+`) w(s, t, k)
		WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.type = w.t AND e.natural_key = w.k)`)
	for _, r := range missing {
		t.Errorf("scenario %s: entity %s %q not in the graph", r[0], r[1], r[2])
	}
	// GuardDuty's findings name the scenarios' instances and addresses.
	for _, s := range truth.Scenarios {
		for _, id := range s.GuardDutyFindings {
			if rows := queryRows(t, db, "SELECT type FROM findings WHERE id = '"+id+"'"); len(rows) != 1 {
				t.Errorf("scenario %s: finding %s stored %d times", s.ID, id, len(rows))
			}
		}
	}
	// Each scenario looks, once ingested, the way truth.json says.
	byID := map[string]demo.Scenario{}
	for _, s := range truth.Scenarios {
		byID[s.ID] = s
	}
	key := func(id, typ string) string {
		for _, e := range byID[id].Entities {
			if e.Type == typ {
				return e.Key
			}
		}
		t.Fatalf("scenario %s has no %s", id, typ)
		return ""
	}
	for _, c := range []struct{ name, sql string }{
		{"brute force: rejected and accepted attempts, then a long session",
			`SELECT count(*) FILTER (WHERE action = 'REJECT') > 50 AND count(*) FILTER (WHERE action = 'ACCEPT') > 500
				AND max(bytes) FILTER (WHERE flow_direction = 'egress') > 100000
			FROM flow_logs WHERE instance_id = '` + key("ssh-brute-force", "instance") + `' AND '` + key("ssh-brute-force", "ip") + `' IN (srcaddr, dstaddr)`},
		{"mining: the pool's name resolved before its first connection",
			`SELECT (SELECT min(query_time) FROM dns_queries WHERE query_name = 'pool.supportxmr.com.' AND instance_id = '` + key("crypto-mining", "instance") + `')
				< (SELECT min(start_time) FROM flow_logs WHERE dstaddr = '198.51.100.23' AND dstport = 3333)`},
		{"port scan: 1024 ports of one host",
			`SELECT count(DISTINCT dstport) = 1024 FROM flow_logs WHERE instance_id = '` + key("port-scan", "instance") + `' AND dstaddr = '198.51.100.77'`},
		{"exfiltration: the instance's session used from outside for S3 reads, then gigabytes out",
			`SELECT (SELECT count(*) > 100 FROM cloudtrail_events WHERE principal_id = '` + key("instance-credential-exfiltration", "role_session") + `'
					AND source_ip = '203.0.113.50' AND event_name = 'GetObject')
				AND (SELECT sum(bytes) > 1e9 FROM flow_logs WHERE dstaddr = '203.0.113.50' AND instance_id = '` + key("instance-credential-exfiltration", "instance") + `')`},
		{"leaked key: the trail stopped with a key the attacker made",
			`SELECT count(*) = 1 FROM cloudtrail_events WHERE event_name = 'StopLogging' AND user_agent LIKE '%kali%'
				AND access_key_id <> '` + key("leaked-access-key", "access_key") + `'`},
		{"root: console sign-in without MFA",
			`SELECT count(*) = 1 FROM cloudtrail_events WHERE event_name = 'ConsoleLogin' AND user_type = 'Root'
				AND json_extract_string(raw, '$.additionalEventData.MFAUsed') = 'No'`},
		{"benign: S3 through the internet gateway, then through the endpoint",
			`SELECT max(start_time) FILTER (WHERE traffic_path = 8) < min(start_time) FILTER (WHERE traffic_path = 7)
			FROM flow_logs WHERE instance_id = '` + key("benign-changes", "instance") + `' AND pkt_dst_aws_service = 'S3'`},
	} {
		if rows := queryRows(t, db, c.sql); len(rows) != 1 || rows[0][0] != "true" {
			t.Errorf("%s: %v", c.name, rows)
		}
	}
	// The synthetic GeoIP databases were used: AWS addresses are placed,
	// and so are the attackers in the documentation ranges.
	if rows := queryRows(t, db, "SELECT count(*) FROM ip_info WHERE aws_service IS NOT NULL"); rows[0][0] == "0" {
		t.Error("ip_info has no AWS addresses")
	}
	if rows := queryRows(t, db, "SELECT count(*) FROM ip_info WHERE ip LIKE '203.0.113.%' AND country IS NOT NULL AND asn IS NOT NULL"); rows[0][0] == "0" {
		t.Error("ip_info places none of the attackers (203.0.113.0/24)")
	}

	// Again with the same flags: nothing new.
	stdout, stderr, err = run(t, args...)
	if err != nil {
		t.Fatalf("demo again: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "reusing the logs") || !regexp.MustCompile(`0 objects read, \d+ already there, 0 records`).MatchString(stdout) {
		t.Errorf("second run did not reuse the logs and the database:\n%s", stdout)
	}
	// Another seed on the same database is refused, not mixed in.
	_, _, err = run(t, "demo", "--db", db, "--out", out, "--days", "2", "--seed", "6", "--no-serve")
	if err == nil || !strings.Contains(err.Error(), db) {
		t.Errorf("demo with another seed on the same database = %v; want an error naming %s", err, db)
	}
}

// TestDemoServes runs the demo as a newcomer does, without --no-serve:
// it ingests, detects, and serves the console, whose health endpoint and
// first page answer on loopback.
func TestDemoServes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := newRootCommand()
	cmd.SetArgs([]string{"demo", "--db", filepath.Join(dir, "d.duckdb"), "--days", "2", "--seed", "2", "--listen", addr})
	var stdout, stderr bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("demo ended before serving: %v\n%s\n%s", err, stdout.String(), stderr.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "ok") {
				t.Fatalf("/healthz = %d %s", resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console did not answer: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Errorf("GET / = %d, %.200s", resp.StatusCode, page)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo after shutdown: %v", err)
	}
	if !strings.Contains(stdout.String(), "detections: ") {
		t.Errorf("the demo did not report its detections:\n%s", stdout.String())
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	stdout, _, err := run(t, "generate", "--out", dir, "--flows", "30000", "--cloudtrail", "3000", "--dns", "2000", "--days", "2", "--format", "v2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"flow_records"`, `"cloudtrail_events"`, `"files"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("generate --json output lacks %s:\n%s", want, stdout)
		}
	}
	db := filepath.Join(dir, "g.duckdb")
	if _, stderr, err := run(t, "ingest", "--db", db, filepath.Join(dir, "AWSLogs")); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	// Every flow log is in the default format when --format v2 says so.
	if rows := queryRows(t, db, "SELECT DISTINCT version FROM flow_logs"); len(rows) != 1 || rows[0][0] != "2" {
		t.Errorf("flow log versions = %v; want only 2", rows)
	}
	if _, _, err := run(t, "generate", "--out", dir, "--format", "v9"); err == nil {
		t.Error("generate --format v9 succeeded")
	}
}

func TestDemoLeavesOthersLogsAlone(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "logs")
	theirs := filepath.Join(out, "AWSLogs", "123456789012", "keep.log")
	if err := os.MkdirAll(filepath.Dir(theirs), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(theirs, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(t, "demo", "--db", filepath.Join(dir, "d.duckdb"), "--out", out, "--days", "1", "--no-serve")
	if err == nil || !strings.Contains(err.Error(), "did not write") {
		t.Errorf("demo into a folder of someone else's logs = %v; want a refusal", err)
	}
	if _, err := os.Stat(theirs); err != nil {
		t.Errorf("their file: %v", err)
	}
	// An interrupted demo's logs are recognised and replaced.
	if err := os.WriteFile(filepath.Join(out, demoMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := run(t, "demo", "--db", filepath.Join(dir, "d.duckdb"), "--out", out, "--days", "1", "--no-serve")
	if err != nil || !strings.Contains(stdout, "replacing the interrupted demo's logs") {
		t.Errorf("demo after an interrupted one = %v\n%s", err, stdout)
	}
	if _, err := os.Stat(theirs); err == nil {
		t.Error("the interrupted demo's stray file is still there")
	}
}
