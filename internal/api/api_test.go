package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixtureNow is the tests' clock: the fixture's data falls in the 24 hours
// before it.
var fixtureNow = time.Date(2025, 3, 6, 4, 0, 0, 0, time.UTC)

var (
	testStore  *store.Store
	fixtureDir string
)

// TestMain builds the fixed dataset once: flow log lines of one
// interface, CloudTrail events of a user and the role session it starts,
// and a GuardDuty SSH brute-force finding (../engine/testdata/fixture).
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		tmp, err := os.MkdirTemp("", "gumshoe-api")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(tmp)
		fixtureDir, err = filepath.Abs("../engine/testdata/fixture")
		if err != nil {
			panic(err)
		}
		testStore, err = store.Open(context.Background(), filepath.Join(tmp, "api.duckdb"), store.Options{})
		if err != nil {
			panic(err)
		}
		defer testStore.Close()
		if _, err := ingest.Run(context.Background(), testStore, ingest.Config{Sources: []string{fixtureDir}, Workers: 1}); err != nil {
			panic(err)
		}
		return m.Run()
	}())
}

func newServer(t *testing.T, token string) *Server {
	t.Helper()
	s, err := New(Config{Store: testStore, Token: token, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// call makes one request through the handler.
func call(t *testing.T, h http.Handler, method, target string, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.Header.Set("X-Request-Id", "test-request")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// normalize makes a response independent of where the repository is.
func normalize(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte(fixtureDir), []byte("$FIXTURE"))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	got = normalize(got)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s is not JSON: %v", path, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s: response differs from %s (-want +got):\n%s", name, path, diff)
	}
}

const (
	instance = "instance:i-0a1b2c3d4e5f67890"
	alice    = "iam_user:arn:aws:iam::111122223333:user%2Falice"
	findID   = "f0000000000000000000000000000001"
	row      = "198.51.100.7%7C22%7C40000%7C6%7Cinbound"
)

func TestGolden(t *testing.T) {
	h := newServer(t, "").Handler()
	for _, c := range []struct {
		name, method, target, body string
		status                     int
	}{
		{"search_ip", "GET", "/api/v1/search?q=198.51.100.7", "", 200},
		{"search_cidr", "GET", "/api/v1/search?q=10.0.0.0%2F8", "", 200},
		{"search_assumed_role_arn", "GET", "/api/v1/search?q=arn:aws:sts::111122223333:assumed-role/admin/alice-session", "", 200},
		{"search_user_agent", "GET", "/api/v1/search?q=%3Cscript%3E", "", 200},
		{"entity_instance", "GET", "/api/v1/entities/" + instance, "", 200},
		{"entity_user", "GET", "/api/v1/entities/" + alice + "?start=2025-03-06T02:00Z&end=2025-03-06T03:00Z", "", 200},
		{"entity_interface_findings", "GET", "/api/v1/entities/interface:eni-0123456789abcdef0/findings", "", 200},
		{"user_api_calls", "GET", "/api/v1/entities/" + alice + "/api-calls?start=2025-03-06T02:00Z&end=2025-03-06T02:40Z", "", 200},
		{"user_api_call_records", "GET", "/api/v1/entities/" + alice + "/api-calls/records?start=2025-03-06T02:00Z&end=2025-03-06T02:40Z&bucket=2025-03-06T02:25:00Z", "", 200},
		{"user_api_call_records_ua", "GET", "/api/v1/entities/" + alice + "/api-calls/records?user_agent=%3Cscript%3Ealert(1)%3C%2Fscript%3E&operation=s3.amazonaws.com:GetObject", "", 200},
		{"user_observed_ips", "GET", "/api/v1/entities/" + alice + "/observed/ips", "", 200},
		{"user_observed_user_agents", "GET", "/api/v1/entities/" + alice + "/observed/user-agents", "", 200},
		{"user_observed_api_calls", "GET", "/api/v1/entities/" + alice + "/observed/api-calls", "", 200},
		{"user_roles", "GET", "/api/v1/entities/" + alice + "/roles", "", 200},
		{"role_assumed_by", "GET", "/api/v1/entities/iam_role:arn:aws:iam::111122223333:role%2Fadmin/roles", "", 200},
		{"user_buckets", "GET", "/api/v1/entities/" + alice + "/buckets", "", 200},
		{"instance_flow_volume", "GET", "/api/v1/entities/" + instance + "/flow-volume?start=2025-03-06T01:30Z&end=2025-03-06T04:00Z", "", 200},
		{"instance_flows_finding", "GET", "/api/v1/entities/" + instance + "/flows?finding=" + findID, "", 200},
		{"instance_flows_filtered", "GET", "/api/v1/entities/" + instance + "/flows?start=2025-03-06T02:00Z&end=2025-03-06T04:00Z&filter=remote_ip%3Dpublic&filter=action%3Dreject&match=all&sort=remote_port&order=asc", "", 200},
		{"instance_flows_unaligned", "GET", "/api/v1/entities/" + instance + "/flows?start=2025-03-06T02:17Z&end=2025-03-06T03:05Z", "", 200},
		{"ip_flows", "GET", "/api/v1/entities/ip:198.51.100.7/flows?start=2025-03-06T02:00Z&end=2025-03-06T04:00Z&finding=" + findID, "", 200},
		{"instance_series", "GET", "/api/v1/entities/" + instance + "/flows/series?start=2025-03-06T02:00Z&end=2025-03-06T04:00Z&row=" + row, "", 200},
		{"instance_records_row", "GET", "/api/v1/entities/" + instance + "/flows/records?start=2025-03-06T02:00Z&end=2025-03-06T04:00Z&row=" + row, "", 200},
		{"instance_records_bucket", "GET", "/api/v1/entities/" + instance + "/flows/records?start=2025-03-06T02:00Z&end=2025-03-06T04:00Z&bucket=2025-03-06T02:12:00Z&limit=1", "", 200},
		{"pattern_ssh_rejects", "GET", "/api/v1/flows/pattern?pattern=" + url.QueryEscape(`[version, account, eni, source, destination, srcport, destport="22", protocol, packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`), "", 200},
		{"pattern_error", "GET", "/api/v1/flows/pattern?pattern=" + url.QueryEscape(`[version, account, eni, source, destination, srcport, destport=="22"]`), "", 400},
		{"athena_ddl", "GET", "/api/v1/athena/ddl?location=s3%3A%2F%2Fflow-bucket%2Fprefix%2F&projection=true&account=111122223333&region=us-east-1&format=" + url.QueryEscape("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${flow-direction}"), "", 200},
		{"athena_ddl_error", "GET", "/api/v1/athena/ddl?location=s3%3A%2F%2Fb%2F&format=" + url.QueryEscape("${version} ${no-such-field}"), "", 400},
		{"finding_flows", "GET", "/api/v1/findings/" + findID + "/flows", "", 200},
		{"findings", "GET", "/api/v1/findings?min_severity=1", "", 200},
		{"finding", "GET", "/api/v1/findings/" + findID, "", 200},
		{"sql_json", "POST", "/api/v1/sql", `{"query": "SELECT srcaddr, dstport, sum(bytes) AS bytes, min(start_time) AS first FROM flow_logs WHERE srcaddr IS NOT NULL GROUP BY ALL ORDER BY bytes DESC", "limit": 3}`, 200},
		{"error_unknown_entity", "GET", "/api/v1/entities/instance:i-ffffffffffffffff0", "", 404},
		{"error_bad_filter", "GET", "/api/v1/entities/" + instance + "/flows?filter=remote_ip%3D300.1.1.1", "", 400},
		{"error_not_applicable", "GET", "/api/v1/entities/" + alice + "/flows", "", 404},
		{"error_bad_scope", "GET", "/api/v1/entities/" + instance + "/flows?start=2025-03-06T02:00Z", "", 400},
		{"error_no_route", "GET", "/api/v1/nothing-here", "", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := call(t, h, c.method, c.target, c.body, nil)
			if w.Code != c.status {
				t.Fatalf("%s %s = %d; want %d\n%s", c.method, c.target, w.Code, c.status, w.Body.Bytes())
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q; want application/json", ct)
			}
			golden(t, c.name, w.Body.Bytes())
		})
	}
}

func TestErrorEnvelope(t *testing.T) {
	h := newServer(t, "").Handler()
	w := call(t, h, "GET", "/api/v1/entities/instance:i-ffffffffffffffff0", "", map[string]string{"X-Request-Id": "bad id with spaces"})
	var env errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if env.Error.Code != "not_found" || env.Error.RequestID == "" || env.Error.RequestID == "bad id with spaces" {
		t.Errorf("envelope = %+v; want not_found with a fresh request id", env.Error)
	}
	if got := w.Header().Get("X-Request-Id"); got != env.Error.RequestID {
		t.Errorf("X-Request-Id = %q; want %q", got, env.Error.RequestID)
	}
}

func TestAuth(t *testing.T) {
	h := newServer(t, "s3cret-token").Handler()
	for _, c := range []struct {
		name, path, auth string
		want             int
	}{
		{"no token", "/api/v1/findings", "", 401},
		{"wrong token", "/api/v1/findings", "Bearer s3cret-tokeN", 401},
		{"prefix of the token", "/api/v1/findings", "Bearer s3cret", 401},
		{"not bearer", "/api/v1/findings", "Basic s3cret-token", 401},
		{"right token", "/api/v1/findings", "Bearer s3cret-token", 200},
		{"openapi needs it too", "/api/v1/openapi.json", "", 401},
		{"metrics need it", "/metrics", "", 401},
		{"unknown route needs it", "/api/v1/nope", "", 401},
		{"healthz is open", "/healthz", "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			hdr := map[string]string{}
			if c.auth != "" {
				hdr["Authorization"] = c.auth
			}
			w := call(t, h, "GET", c.path, "", hdr)
			if w.Code != c.want {
				t.Fatalf("GET %s with %q = %d; want %d", c.path, c.auth, w.Code, c.want)
			}
			if c.want == 401 {
				if !strings.Contains(w.Body.String(), `"code": "unauthorized"`) || strings.Contains(w.Body.String(), "s3cret") {
					t.Errorf("401 body = %s; want the unauthorized envelope, no token", w.Body.String())
				}
			}
		})
	}
	// Without a token, everything is open (loopback only: see CheckListen).
	if w := call(t, newServer(t, "").Handler(), "GET", "/api/v1/findings", "", nil); w.Code != 200 {
		t.Errorf("no token configured: GET findings = %d; want 200", w.Code)
	}
}

func TestCheckListen(t *testing.T) {
	for _, c := range []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"localhost:8080", "", true},
		{"[::1]:8080", "", true},
		{"127.0.0.2:9000", "", true},
		{"0.0.0.0:8080", "", false},
		{":8080", "", false},
		{"[::]:8080", "", false},
		{"192.168.1.10:8080", "", false},
		{"example.com:8080", "", false},
		{"0.0.0.0:8080", "tok", true},
		{"no-port", "", false},
	} {
		err := CheckListen(c.addr, c.token)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, %q) = %v; want ok=%v", c.addr, c.token, err, c.ok)
		}
		if !c.ok && c.addr != "no-port" && !errors.Is(err, ErrTokenRequired) {
			t.Errorf("CheckListen(%q) = %v; want ErrTokenRequired", c.addr, err)
		}
	}
}

func TestSQLRefusals(t *testing.T) {
	h := newServer(t, "").Handler()
	before := call(t, h, "POST", "/api/v1/sql", `{"query": "SELECT count(*) AS n FROM findings"}`, nil).Body.String()
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("a,b\n1,2\n"), 0o644)
	for _, q := range []string{
		"DELETE FROM findings",
		"INSERT INTO findings (id) VALUES ('x')",
		"UPDATE findings SET archived = true",
		"DROP TABLE findings",
		"CREATE TABLE x AS SELECT 1",
		"ATTACH '" + filepath.Join(t.TempDir(), "other.duckdb") + "' AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"COPY findings TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT 1; DELETE FROM findings",
		"SELECT 1; SELECT 2",
		"SET enable_external_access = true",
		"PRAGMA enable_profiling",
		"CALL pragma_version()",
		"SELECT * FROM read_parquet('https://example.com/x.parquet')",
	} {
		body, _ := json.Marshal(map[string]any{"query": q})
		w := call(t, h, "POST", "/api/v1/sql", string(body), nil)
		if w.Code != 400 {
			t.Errorf("SQL %q = %d; want 400\n%s", q, w.Code, w.Body.String())
			continue
		}
		var env errorBody
		json.Unmarshal(w.Body.Bytes(), &env)
		if env.Error.Code != "not_read_only" && env.Error.Code != "query_error" {
			t.Errorf("SQL %q: code %q; want not_read_only or query_error", q, env.Error.Code)
		}
	}
	if after := call(t, h, "POST", "/api/v1/sql", `{"query": "SELECT count(*) AS n FROM findings"}`, nil).Body.String(); after != before || !strings.Contains(after, "[\n      1\n    ]") {
		t.Errorf("findings after refusals = %s; want unchanged %s", after, before)
	}
	for _, body := range []string{`{"query": ""}`, `not json`, `{"query": "SELECT 1", "limit": -1}`, `{"query": "SELECT 1", "timeout_seconds": 1000}`, `{"query": "SELECT 1", "extra": 1}`} {
		if w := call(t, h, "POST", "/api/v1/sql", body, nil); w.Code != 400 {
			t.Errorf("SQL body %s = %d; want 400", body, w.Code)
		}
	}
}

func TestSQLLimitsAndCSV(t *testing.T) {
	h := newServer(t, "").Handler()
	w := call(t, h, "POST", "/api/v1/sql", `{"query": "SELECT range AS n FROM range(10)", "limit": 4}`, nil)
	var res sqlResult
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || res.RowCount != 4 || !res.Truncated || w.Header().Get("X-Gumshoe-Truncated") != "true" {
		t.Errorf("limited query = %d %+v; want 4 rows, truncated", w.Code, res)
	}
	w = call(t, h, "POST", "/api/v1/sql?format=csv", `{"query": "SELECT user_agent, count(*) AS n FROM cloudtrail_events GROUP BY ALL UNION ALL SELECT '=HYPERLINK(1)', 0 ORDER BY n DESC, user_agent"}`, nil)
	want := "user_agent,n\naws-cli/2.15.0,6\n<script>alert(1)</script>,1\n'=HYPERLINK(1),0\n"
	if w.Code != 200 || w.Body.String() != want || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") {
		t.Errorf("CSV = %d %q; want %q", w.Code, w.Body.String(), want)
	}
	// A query over its time limit is interrupted.
	start := time.Now()
	w = call(t, h, "POST", "/api/v1/sql", `{"query": "SELECT count(*) FROM range(1000000000000) a, range(1000) b", "timeout_seconds": 0.5}`, nil)
	if w.Code != http.StatusGatewayTimeout || !strings.Contains(w.Body.String(), `"timeout"`) {
		t.Errorf("slow query = %d %s; want 504 timeout", w.Code, w.Body.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("slow query took %s to stop", d)
	}
	// A request whose client goes away is cancelled the same way.
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("POST", "/api/v1/sql", strings.NewReader(`{"query": "SELECT count(*) FROM range(1000000000000) a, range(1000) b"}`)).WithContext(ctx)
	done := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		done <- rec.Code
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case code := <-done:
		if code != 499 {
			t.Errorf("cancelled query = %d; want 499", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cancelled query still running after 20s")
	}
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIMatchesRoutes checks that the document lists every route the
// server answers, and that every operation in it is answered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newServer(t, "")
	h := s.Handler()
	w := call(t, h, "GET", "/api/v1/openapi.json", "", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json = %v %q; want an OpenAPI 3 document", err, doc.OpenAPI)
	}
	served := map[string]bool{"GET /healthz": true, "GET /metrics": true}
	for _, rt := range s.routes {
		served[rt.method+" "+rt.path] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("served routes and documented operations differ (-served +documented):\n%s", diff)
	}
	// Every documented operation reaches a handler (not the not-found
	// fallback).
	for op := range documented {
		method, path, _ := strings.Cut(op, " ")
		target := pathParam.ReplaceAllString(path, "x")
		body := ""
		if method == "POST" {
			body = `{"query": "SELECT 1"}`
		}
		w := call(t, h, method, target, body, nil)
		if strings.Contains(w.Body.String(), "no such endpoint") || w.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s %s is documented but not served (%d)", method, target, w.Code)
		}
	}
}

func TestHealthMetricsAndPage(t *testing.T) {
	h := newServer(t, "").Handler()
	call(t, h, "GET", "/api/v1/findings", "", nil)
	if w := call(t, h, "GET", "/healthz", "", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"ok"`) {
		t.Errorf("healthz = %d %s", w.Code, w.Body.String())
	}
	w := call(t, h, "GET", "/metrics", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `gumshoe_http_requests_total{code="200",route="GET /api/v1/findings"} 1`) {
		t.Errorf("metrics = %d; want the request counter\n%.2000s", w.Code, w.Body.String())
	}
	w = call(t, h, "GET", "/", "", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `href="/api/v1/openapi.json"`) || !strings.Contains(w.Body.String(), `<div id="app">`) {
		t.Errorf("placeholder page = %d %s", w.Code, w.Body.String())
	}
	if strings.Contains(w.Body.String(), "198.51.100.7") {
		t.Error("placeholder page shows log data")
	}
}

func TestIngestStatus(t *testing.T) {
	h := newServer(t, "").Handler()
	w := call(t, h, "GET", "/api/v1/ingest/status", "", nil)
	var st struct {
		LogTypes []store.IngestKind `json:"log_types"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]int64{}
	for _, k := range st.LogTypes {
		got[k.LogType] = [2]int64{k.Objects, k.Records}
		if k.LastIngestedAt == nil || !strings.HasPrefix(k.LastObject, fixtureDir) {
			t.Errorf("log type %s: last ingest %v, object %q; want a time and a fixture file", k.LogType, k.LastIngestedAt, k.LastObject)
		}
	}
	want := map[string][2]int64{"vpcflow": {1, 9}, "cloudtrail": {1, 7}, "findings": {1, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ingest status (-want +got):\n%s", diff)
	}
}

func TestFlowsCSV(t *testing.T) {
	h := newServer(t, "").Handler()
	w := call(t, h, "GET", "/api/v1/entities/"+instance+"/flows?format=csv&finding="+findID+"&limit=2", "", nil)
	want := "id,remote_ip,instance,local_port,remote_port,protocol,direction,bytes_in,bytes_out,packets_in,packets_out,flows,accepted_flows,rejected_flows,action,first_seen,last_seen,finding\n" +
		"198.51.100.7|22|40000|6|inbound,198.51.100.7,,22,40000,6,inbound,1240,1200,14,8,3,3,0,ACCEPT,2025-03-06T02:12:00Z,2025-03-06T03:11:00Z,match\n" +
		"198.51.100.7|22|40001|6|inbound,198.51.100.7,,22,40001,6,inbound,180,0,3,0,1,0,1,REJECT,2025-03-06T02:15:00Z,2025-03-06T02:16:00Z,related\n"
	if w.Code != 200 || w.Body.String() != want {
		t.Errorf("flows CSV = %d\n%s\nwant\n%s", w.Code, w.Body.String(), want)
	}
}
