package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

const v2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"

const goodV2 = v2Header +
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
	"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK\n"

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func write(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	return st
}

func count(t testing.TB, st *store.Store, q string) int64 {
	t.Helper()
	res, err := st.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("Query(%q): %v", q, err)
	}
	return res.Rows[0][0].(int64)
}

func TestIngestTwiceAddsNothing(t *testing.T) {
	data := t.TempDir()
	write(t, data, "a/one.log.gz", gz(t, goodV2))
	write(t, data, "b/two.log", []byte(goodV2+"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1418530010 1418530070 ACCEPT OK\n"))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()

	sum, err := Run(context.Background(), st, Config{Sources: []string{data}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.ObjectsRead != 2 || sum.RecordsIngested != 5 || sum.LinesRejected != 0 {
		t.Fatalf("first run = %+v; want 2 objects, 5 records", sum)
	}
	sum, err = Run(context.Background(), st, Config{Sources: []string{data}})
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if sum.ObjectsSkipped != 2 || sum.RecordsIngested != 0 {
		t.Fatalf("second run = %+v; want 2 skipped, 0 records", sum)
	}
	// The same bytes under another name are the same object.
	write(t, data, "c/copy-of-one.log.gz", gz(t, goodV2))
	sum, err = Run(context.Background(), st, Config{Sources: []string{data}})
	if err != nil {
		t.Fatalf("third Run: %v", err)
	}
	if sum.ObjectsSkipped != 3 || sum.RecordsIngested != 0 {
		t.Fatalf("third run = %+v; want 3 skipped", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM flow_logs"); n != 5 {
		t.Errorf("flow_logs has %d rows; want 5", n)
	}
	if n := count(t, st, "SELECT count(*) FROM ingested_objects"); n != 2 {
		t.Errorf("ingested_objects has %d rows; want 2", n)
	}
}

func TestBadInputs(t *testing.T) {
	truncated := gz(t, goodV2+strings.Repeat("2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1418530010 1418530070 ACCEPT OK\n", 2000))
	truncated = truncated[:len(truncated)*2/3]
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	cases := []struct {
		name       string
		data       []byte
		wantErr    string // in an object error
		wantReject string // in a rejected line
		minRecords int64
		maxRecords int64
	}{
		{"truncated.log.gz", truncated, "unexpected EOF", "", 1, 2001},
		{"empty.log", nil, "empty", "", 0, 0},
		{"binary.log", binary, "binary", "", 0, 0},
		{"notflow.log", []byte("hello world this is not a flow log\nsecond line\n"), "not a VPC flow log", "", 0, 0},
		{"fieldcount.log", []byte(goodV2 + "2 123 eni-1 10.0.0.1\n"), "", "wrong number of fields", 2, 2},
		{"number.log", []byte(goodV2 + "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 many 1 1418530010 1418530070 ACCEPT OK\n"), "", "invalid number", 2, 2},
		{"unknownfield.log", []byte("version account-id shiny-new-field srcaddr\n2 123 x 10.0.0.1\n"), "", "", 1, 1},
		{"notparquet.parquet", []byte("PAR1 but not really a parquet file"), "parquet", "", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			p := write(t, data, tc.name, tc.data)
			good := write(t, data, "good.log", []byte(goodV2))
			st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
			defer st.Close()
			sum, err := Run(context.Background(), st, Config{Sources: []string{data}})
			if err != nil {
				t.Fatalf("Run: %v (the good file should have been read)", err)
			}
			got := sum.RecordsIngested - 2 // good.log
			if got < tc.minRecords || got > tc.maxRecords {
				t.Errorf("records from %s = %d; want %d..%d", tc.name, got, tc.minRecords, tc.maxRecords)
			}
			if tc.wantErr != "" {
				if len(sum.ObjectErrors) != 1 || !strings.Contains(sum.ObjectErrors[0].Error, tc.wantErr) || !strings.Contains(sum.ObjectErrors[0].Error, p) {
					t.Errorf("object errors = %+v; want one naming %s and saying %q", sum.ObjectErrors, p, tc.wantErr)
				}
			}
			if tc.wantReject != "" {
				if sum.LinesRejected != 1 || len(sum.RejectedLines) != 1 || !strings.Contains(sum.RejectedLines[0].Error, tc.wantReject) ||
					sum.RejectedLines[0].File != p || sum.RejectedLines[0].Line != 4 {
					t.Errorf("rejected = %+v; want %s line 4: %q", sum.RejectedLines, p, tc.wantReject)
				}
			}
			if tc.name == "unknownfield.log" && (len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "shiny-new-field")) {
				t.Errorf("warnings = %q; want one naming shiny-new-field", sum.Warnings)
			}
			if n := count(t, st, "SELECT count(*) FROM flow_logs WHERE object_id = (SELECT object_id FROM ingested_objects WHERE uri = '"+good+"')"); n != 2 {
				t.Errorf("good file rows = %d; want 2", n)
			}
		})
	}
}

func TestStrictKeepsNothingOfABadObject(t *testing.T) {
	data := t.TempDir()
	write(t, data, "bad.log", []byte(goodV2+"2 123 eni-1 10.0.0.1\n"))
	write(t, data, "good.log", []byte(goodV2))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(context.Background(), st, Config{Sources: []string{data}, Strict: true})
	if !errors.Is(err, ErrStrict) {
		t.Fatalf("Run(strict) error = %v; want ErrStrict", err)
	}
	if sum.RecordsIngested != 2 || sum.LinesRejected != 1 {
		t.Errorf("summary = %+v; want 2 records (good.log only), 1 rejected", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM flow_logs"); n != 2 {
		t.Errorf("flow_logs = %d rows; want 2", n)
	}
}

func TestNothingReadFails(t *testing.T) {
	data := t.TempDir()
	write(t, data, "notflow.log", []byte("hello\n"))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	if _, err := Run(context.Background(), st, Config{Sources: []string{data}}); !errors.Is(err, ErrNothingRead) {
		t.Errorf("Run = %v; want ErrNothingRead", err)
	}
	if _, err := Run(context.Background(), st, Config{Sources: []string{filepath.Join(data, "missing")}}); !errors.Is(err, ErrNothingRead) {
		t.Errorf("Run(missing path) = %v; want ErrNothingRead", err)
	}
}

// TestMain lets the interruption test re-run this binary as an ingest that
// kills itself with SIGKILL part-way, like an operator's kill -9.
func TestMain(m *testing.M) {
	if os.Getenv("GUMSHOE_TEST_CHILD") == "ingest" {
		killAfter, _ := strconv.Atoi(os.Getenv("GUMSHOE_TEST_KILL_AFTER"))
		st, err := store.Open(context.Background(), os.Getenv("GUMSHOE_TEST_DB"), store.Options{})
		if err != nil {
			os.Exit(3)
		}
		cfg := Config{Sources: []string{os.Getenv("GUMSHOE_TEST_DATA")}, SegmentRecords: 20000}
		cfg.afterCommit = func(n int) {
			if killAfter > 0 && n >= killAfter {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
		}
		if _, err := Run(context.Background(), st, cfg); err != nil {
			os.Exit(4)
		}
		st.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestInterruptedIngestResumesExactly(t *testing.T) {
	data := t.TempDir()
	stats, err := flowgen.Generate(data, flowgen.Config{Records: 200000, RecordsPerFile: 5000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	dbDir := t.TempDir()
	db := filepath.Join(dbDir, "g.duckdb")
	run := func(killAfter int) error {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "GUMSHOE_TEST_CHILD=ingest", "GUMSHOE_TEST_DB="+db,
			"GUMSHOE_TEST_DATA="+data, "GUMSHOE_TEST_KILL_AFTER="+strconv.Itoa(killAfter))
		return cmd.Run()
	}
	// Killed twice at different points, then finished.
	for _, k := range []int{2, 5} {
		err := run(k)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child with kill after %d commits: %v; want killed by SIGKILL", k, err)
		}
	}
	if err := run(0); err != nil {
		t.Fatalf("resuming ingest: %v", err)
	}
	st := openStore(t, db)
	defer st.Close()
	if n := count(t, st, "SELECT count(*) FROM flow_logs"); n != int64(stats.Records) {
		t.Errorf("flow_logs = %d rows after interruptions; want %d", n, stats.Records)
	}
	if n := count(t, st, "SELECT count(*) FROM (SELECT object_id, object_line FROM flow_logs GROUP BY ALL HAVING count(*) > 1)"); n != 0 {
		t.Errorf("%d duplicated records", n)
	}
	if n := count(t, st, "SELECT count(*) FROM ingested_objects"); n != int64(stats.Files) {
		t.Errorf("ingested_objects = %d; want %d", n, stats.Files)
	}
	if n := count(t, st, "SELECT sum(flows)::BIGINT FROM flow_rollup_hourly"); n != count(t, st, "SELECT count(*) FROM flow_logs WHERE log_status = 'OK'") {
		t.Errorf("rollup flows = %d; want the OK records", n)
	}
	if n := count(t, st, "SELECT sum(bytes_in + bytes_out)::BIGINT FROM flow_rollup_hourly"); n != count(t, st, "SELECT sum(bytes)::BIGINT FROM flow_logs WHERE log_status = 'OK'") {
		t.Errorf("rollup bytes = %d; want the OK records' bytes", n)
	}
	if n := count(t, st, "SELECT count(*) FROM flow_rollup_hourly WHERE direction = 'unknown'"); n != 0 {
		t.Errorf("%d rollup rows of unknown direction", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(st.Lake(), "staging")); len(entries) != 0 {
		t.Errorf("staging not cleaned: %d entries", len(entries))
	}
}
