package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// run executes gumshoe with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

const sample = `version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
bogus line
`

func TestIngestAndQuery(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(data, "a.log"), []byte(sample), 0o644)

	out, _, err := run(t, "ingest", "--db", db, "--json", data)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("ingest --json output is not JSON: %v\n%s", err, out)
	}
	for k, want := range map[string]float64{"objects_read": 1, "objects_skipped": 0, "records_ingested": 3, "lines_rejected": 1} {
		if sum[k] != want {
			t.Errorf("%s = %v; want %v", k, sum[k], want)
		}
	}
	rej := sum["rejected_lines"].([]any)[0].(map[string]any)
	if rej["line"] != float64(5) || !strings.HasSuffix(rej["file"].(string), "a.log") {
		t.Errorf("rejected line = %v; want a.log line 5", rej)
	}

	out, _, err = run(t, "query", "--db", db, "--format", "csv", "SELECT srcaddr, dstport, start_time, log_status FROM flow_logs ORDER BY object_line")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"srcaddr", "dstport", "start_time", "log_status"},
		{"172.31.16.139", "22", "2014-12-14 04:06:50", "OK"},
		{"172.31.9.69", "3389", "2014-12-14 04:06:50", "OK"},
		{"", "", "2015-05-10 18:01:16", "NODATA"},
	}
	if len(recs) != len(want) {
		t.Fatalf("query csv = %q; want %q", recs, want)
	}
	for i := range want {
		if strings.Join(recs[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("csv row %d = %q; want %q", i, recs[i], want[i])
		}
	}

	out, _, err = run(t, "query", "--db", db, "--format", "json", "SELECT count(*) AS n FROM flow_logs")
	if err != nil || !strings.Contains(out, `"n": 3`) {
		t.Errorf("query json = %q, %v", out, err)
	}
	out, _, err = run(t, "query", "--db", db, "SELECT action, count(*) AS n FROM flow_logs GROUP BY ALL ORDER BY n DESC, action")
	if err != nil || !strings.Contains(out, "NULL") || !strings.Contains(out, "(3 rows)") {
		t.Errorf("query table = %q, %v", out, err)
	}
	if _, _, err := run(t, "query", "--db", db, "DELETE FROM flow_rollup_hourly"); err == nil {
		t.Error("query DELETE succeeded; want refusal")
	}

	// Again: everything skipped, nothing added.
	out, _, err = run(t, "ingest", "--db", db, "--json", data)
	if err != nil || !strings.Contains(out, `"objects_skipped": 1`) {
		t.Errorf("second ingest = %s, %v", out, err)
	}
}

func TestIngestExitStatus(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	os.WriteFile(filepath.Join(data, "a.log"), []byte(sample), 0o644)
	_, _, err := run(t, "ingest", "--db", db, "--strict", data)
	var ee exitError
	if !errors.As(err, &ee) || ee.code == 0 {
		t.Errorf("ingest --strict with a bad line = %v; want a non-zero exit", err)
	}
	_, _, err = run(t, "ingest", "--db", db, filepath.Join(dir, "missing"))
	if !errors.As(err, &ee) || ee.code == 0 {
		t.Errorf("ingest of a missing path = %v; want a non-zero exit", err)
	}
	if _, _, err := run(t, "ingest", "--db", db, "--format", "${version} ${nonsense}", data); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("ingest --format with an unknown field = %v; want an error naming it", err)
	}
}

func TestHeaderlessWithFormat(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	f := filepath.Join(dir, "cwl.log")
	os.WriteFile(f, []byte("eni-1 10.0.0.1 10.0.0.2 443 ACCEPT\neni-1 10.0.0.2 10.0.0.1 80 REJECT\n"), 0o644)
	out, _, err := run(t, "ingest", "--db", db, "--json", "--format", "${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${action}", f)
	if err != nil || !strings.Contains(out, `"records_ingested": 2`) {
		t.Fatalf("ingest = %s, %v", out, err)
	}
	out, _, err = run(t, "query", "--db", db, "--format", "csv", "SELECT interface_id, dstport, version, start_time FROM flow_logs ORDER BY dstport")
	if err != nil || out != "interface_id,dstport,version,start_time\neni-1,80,,\neni-1,443,,\n" {
		t.Errorf("query = %q, %v", out, err)
	}
}

func TestTableOutputEscapesControlCharacters(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	if _, _, err := run(t, "ingest", "--db", db, "--format", "${interface-id}", writeFile(t, dir, "x.log", "eni-\x1b[31mred\n")); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "query", "--db", db, "SELECT interface_id FROM flow_logs")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `eni-\x1b[31mred`) {
		t.Errorf("table output = %q; want the escape sequence escaped", out)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	os.WriteFile(p, []byte(content), 0o644)
	return p
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "gumshoe ") {
		t.Errorf("version = %q, %v", out, err)
	}
}

// TestMain lets tests run this binary as gumshoe itself in a second
// process: GUMSHOE_TEST_ARGS holds the arguments, one per line.
func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv("GUMSHOE_TEST_ARGS"); ok {
		os.Args = append([]string{"gumshoe"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestSecondProcessIsToldWhoHoldsTheDatabase runs a real second process
// while this one holds the database open for writing: it must fail at
// once with a message naming the file and the holder, not hang.
func TestSecondProcessIsToldWhoHoldsTheDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	st, err := (&globalOptions{db: db}).open(context.Background(), os.Stderr, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, args := range [][]string{
		{"query", "--db", db, "SELECT 1"},
		{"ingest", "--db", db, dir},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, os.Args[0])
		cmd.Env = append(os.Environ(), "GUMSHOE_TEST_ARGS="+strings.Join(args, "\n"))
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			t.Errorf("%v while the database is held: succeeded; want failure", args[0])
		}
		msg := string(out)
		if !strings.Contains(msg, "in use") || !strings.Contains(msg, db) || !strings.Contains(msg, "process "+strconv.Itoa(os.Getpid())) {
			t.Errorf("%v while the database is held: %q; want a message naming %s and this process", args[0], msg, db)
		}
	}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	writeFile(t, dir, "a.log", sample)
	if _, _, err := run(t, "ingest", "--db", db, filepath.Join(dir, "a.log")); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "lookup", "--db", db, "--format", "csv", "172.31.9.69")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "log,time,matched,object_id,record,uri\n") || !strings.Contains(out, "flow_logs,2014-12-14 04:06:50,srcaddr,1,3,") {
		t.Errorf("lookup = %q; want the flow record at line 3", out)
	}
	// Quotes in the value are data, not SQL.
	if out, _, err := run(t, "lookup", "--db", db, "--format", "csv", "x'); DROP TABLE findings; --"); err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("lookup of a hostile value = %q, %v; want only the header", out, err)
	}
}

// TestIngestRunsDetections checks that ingest runs the detections over
// what it committed (a trail stopped in a real Stratus Red Team
// detonation), reports them, and that --no-detect leaves them out.
func TestIngestRunsDetections(t *testing.T) {
	src := "../../internal/cloudtrail/testdata/stratus-red-team_detonation-logs/aws.defense-evasion.cloudtrail-stop.json"
	dir := t.TempDir()
	db := filepath.Join(dir, "d.duckdb")
	stdout, stderr, err := run(t, "ingest", "--db", db, "--json", src)
	if err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	var out struct {
		RecordsIngested int64 `json:"records_ingested"`
		Detections      *struct {
			New    int            `json:"new"`
			ByType map[string]int `json:"by_type"`
		} `json:"detections"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("ingest --json: %v\n%s", err, stdout)
	}
	if out.RecordsIngested == 0 || out.Detections == nil || out.Detections.ByType["Stealth:IAMUser/CloudTrailLoggingDisabled"] == 0 {
		t.Fatalf("ingest --json = %s; want the events and a CloudTrailLoggingDisabled finding", stdout)
	}
	stdout, _, err = run(t, "query", "--db", db, "--format", "csv", "SELECT count(*) FROM findings WHERE source = 'gumshoe'")
	if lines := strings.Fields(stdout); err != nil || len(lines) != 2 || lines[1] == "0" {
		t.Errorf("findings after ingest: %q, %v; want some", stdout, err)
	}

	db2 := filepath.Join(dir, "n.duckdb")
	stdout, stderr, err = run(t, "ingest", "--db", db2, "--json", "--no-detect", src)
	if err != nil {
		t.Fatalf("ingest --no-detect: %v\n%s", err, stderr)
	}
	if strings.Contains(stdout, `"detections"`) {
		t.Errorf("ingest --no-detect ran the detections: %s", stdout)
	}
	stdout, _, err = run(t, "query", "--db", db2, "--format", "csv", "SELECT count(*) FROM findings WHERE source = 'gumshoe'")
	if lines := strings.Fields(stdout); err != nil || len(lines) != 2 || lines[1] != "0" {
		t.Errorf("findings after ingest --no-detect: %q, %v; want none", stdout, err)
	}
	// The text summary names what was found.
	db3 := filepath.Join(dir, "t.duckdb")
	stdout, _, err = run(t, "ingest", "--db", db3, src)
	if err != nil || !strings.Contains(stdout, "detections: ") || !strings.Contains(stdout, "CloudTrailLoggingDisabled") {
		t.Errorf("ingest summary = %q, %v; want the detections", stdout, err)
	}
}
