package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/api"
)

func TestServeRefusesExposedAddressWithoutToken(t *testing.T) {
	t.Setenv("GUMSHOE_TOKEN", "")
	db := filepath.Join(t.TempDir(), "g.duckdb")
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		_, _, err := run(t, "serve", "--db", db, "--listen", addr)
		if !errors.Is(err, api.ErrTokenRequired) || !strings.Contains(err.Error(), "GUMSHOE_TOKEN") {
			t.Errorf("serve --listen %s without a token = %v; want a refusal naming GUMSHOE_TOKEN", addr, err)
		}
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("the refused server created the database (stat: %v)", err)
	}
}

// startServe runs the server in the background and returns its base URL.
func startServe(t *testing.T, o serveOptions) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	o.ready = func(a string) { addrs <- a }
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runServe: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
	})
	select {
	case a := <-addrs:
		return "http://" + a
	case err := <-done:
		t.Fatalf("runServe: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return ""
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func sqlCount(t *testing.T, base, token, query string) (int64, time.Duration) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest("POST", base+"/api/v1/sql", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST sql: %v", err)
	}
	defer resp.Body.Close()
	var res struct {
		Rows [][]float64 `json:"rows"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &res); err != nil || resp.StatusCode != 200 || len(res.Rows) != 1 {
		t.Fatalf("POST sql %q = %d %s", query, resp.StatusCode, b)
	}
	return int64(res.Rows[0][0]), time.Since(start)
}

// TestServeWatchesAndAnswers runs the whole server: a token, a watched
// folder that receives flow logs after the start, and API reads while the
// watcher ingests.
func TestServeWatchesAndAnswers(t *testing.T) {
	dir := t.TempDir()
	watch := filepath.Join(dir, "incoming")
	os.MkdirAll(watch, 0o755)
	const token = "test-token-123"
	base := startServe(t, serveOptions{
		dbPath: filepath.Join(dir, "g.duckdb"), listen: "127.0.0.1:0", token: token,
		watch: []string{watch}, interval: 200 * time.Millisecond,
	})
	if code, _ := get(t, base+"/healthz", ""); code != 200 {
		t.Errorf("healthz = %d; want 200 without a token", code)
	}
	if code, body := get(t, base+"/api/v1/findings", ""); code != 401 || !strings.Contains(body, "unauthorized") {
		t.Errorf("findings without token = %d %s; want 401", code, body)
	}
	if code, body := get(t, base+"/", ""); code != 200 || !strings.Contains(body, "/api/v1/openapi.json") {
		t.Errorf("placeholder = %d %s", code, body)
	}

	// A file large enough that its ingest takes a while: the API must
	// keep answering meanwhile.
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	const n = 200_000
	for i := range n {
		fmt.Fprintf(&b, "2 123456789010 eni-0aaaabbbbccccdddd 10.0.%d.%d 203.0.113.%d %d 443 6 10 %d %d %d ACCEPT OK\n",
			i/250%250, i%250+1, i%200+1, 1024+i%60000, 100+i%1000, 1741227120+i%3600, 1741227180+i%3600)
	}
	os.WriteFile(filepath.Join(dir, "big.log.tmp"), []byte(b.String()), 0o644)
	os.Rename(filepath.Join(dir, "big.log.tmp"), filepath.Join(watch, "big.log"))

	deadline := time.Now().Add(60 * time.Second)
	var slowest time.Duration
	var reads int
	for {
		got, took := sqlCount(t, base, token, "SELECT count(*) FROM flow_logs")
		reads++
		slowest = max(slowest, took)
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("flow_logs has %d records 60s after the file appeared; want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d API reads during the watched ingest, slowest %s", reads, slowest)
	code, body := get(t, base+"/api/v1/ingest/status", token)
	if code != 200 || !strings.Contains(body, `"source": "`+watch+`"`) || !strings.Contains(body, fmt.Sprintf(`"records": %d`, n)) {
		t.Errorf("ingest status = %d %s; want the watched folder with %d records", code, body, n)
	}
	code, body = get(t, base+"/metrics", token)
	if code != 200 || !strings.Contains(body, "gumshoe_watch_records_ingested_total 200000") {
		t.Errorf("metrics = %d; want the watch counter at %d", code, n)
	}

	// A trail stopped (real Stratus Red Team events) arrives: the
	// detections that follow the watched ingest raise a finding.
	stop, err := os.ReadFile("../../internal/cloudtrail/testdata/stratus-red-team_detonation-logs/aws.defense-evasion.cloudtrail-stop.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "trail.tmp"), stop, 0o644)
	os.Rename(filepath.Join(dir, "trail.tmp"), filepath.Join(watch, "trail.json"))
	for deadline := time.Now().Add(60 * time.Second); ; {
		code, body = get(t, base+"/api/v1/findings", token)
		if code == 200 && strings.Contains(body, "Stealth:IAMUser/CloudTrailLoggingDisabled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CloudTrailLoggingDisabled finding 60s after the trail arrived: %d %.300s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestServeConsoleImplRefusesExposedAddressWithoutToken(t *testing.T) {
	t.Setenv("GUMSHOE_TOKEN", "")
	db := filepath.Join(t.TempDir(), "g.duckdb")
	if err := serveConsoleImpl(context.Background(), &globalOptions{}, db, "0.0.0.0:0"); !errors.Is(err, api.ErrTokenRequired) {
		t.Errorf("serveConsoleImpl on 0.0.0.0 without a token = %v; want ErrTokenRequired", err)
	}
}
