package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// attackTrail is alice, from the address the fixture's GuardDuty finding
// names (198.51.100.7), on a Kali box, stopping the trail: detect.Run
// raises two findings on alice that group with the brute force.
const attackTrail = `{"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},
 "eventTime":"2025-03-06T02:40:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",
 "userAgent":"aws-cli/2.15.0 Python/3.11 Linux/6.5.0-kali3-amd64","requestParameters":{"name":"main-trail"},"responseElements":null,
 "eventID":"00000000-0000-4000-8000-0000000000a1","eventType":"AwsApiCall","recipientAccountId":"111122223333","readOnly":false}]}`

// analysisServer opens a store of its own (the shared one's findings
// stay as the other golden files have them): the engine fixture plus
// attackTrail, detected and grouped at fixtureNow.
func analysisServer(t *testing.T, token string) *Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"cloudtrail.json", "finding.json", "flows.log"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "attack.json"), []byte(attackTrail), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "analysis.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := ingest.Run(ctx, st, ingest.Config{Sources: []string{dir}, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := detect.Run(ctx, st, detect.Config{Now: func() time.Time { return fixtureNow }}); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Store: st, Token: token, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAnalysisGolden walks the groups and investigations endpoints as the
// console does: list the groups, open one, investigate alice over the
// attack's day, list, page and download the report, archive it.
func TestAnalysisGolden(t *testing.T) {
	s := analysisServer(t, "")
	h := s.Handler()
	get := func(target string) *httptest.ResponseRecorder {
		t.Helper()
		return call(t, h, "GET", target, "", nil)
	}

	w := get("/api/v1/finding-groups")
	if w.Code != http.StatusOK {
		t.Fatalf("groups: %d %s", w.Code, w.Body)
	}
	golden(t, "finding_groups", w.Body.Bytes())
	var list struct {
		Groups []detect.GroupView `json:"groups"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Groups) == 0 {
		t.Fatalf("groups: %v %s", err, w.Body)
	}
	var tied string
	for _, g := range list.Groups {
		if len(g.Findings) >= 2 {
			tied = g.ID
		}
	}
	if tied == "" {
		t.Fatalf("no group of two findings or more: %s", w.Body)
	}
	w = get("/api/v1/finding-groups?active=true")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tied) {
		t.Errorf("active groups: %d %s; want %s", w.Code, w.Body, tied)
	}
	w = get("/api/v1/finding-groups/" + tied)
	if w.Code != http.StatusOK {
		t.Fatalf("group: %d %s", w.Code, w.Body)
	}
	golden(t, "finding_group", w.Body.Bytes())

	w = call(t, h, "POST", "/api/v1/investigations",
		`{"entity":"iam_user:arn:aws:iam::111122223333:user/alice","scopeStart":"2025-03-06T00:00:00Z","scopeEnd":"2025-03-06T04:00:00Z"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("investigate: %d %s", w.Code, w.Body)
	}
	golden(t, "investigation", w.Body.Bytes())
	var inv detect.Investigation
	if err := json.Unmarshal(w.Body.Bytes(), &inv); err != nil || inv.InvestigationID == "" {
		t.Fatalf("investigation: %v %s", err, w.Body)
	}
	id := inv.InvestigationID

	golden(t, "investigations", get("/api/v1/investigations").Body.Bytes())
	w = get("/api/v1/investigations/" + id)
	if w.Code != http.StatusOK {
		t.Fatalf("get investigation: %d %s", w.Code, w.Body)
	}
	golden(t, "investigation", w.Body.Bytes())
	golden(t, "investigation_indicators_ttp", get("/api/v1/investigations/"+id+"/indicators?type=TTP_OBSERVED&max=1").Body.Bytes())

	w = get("/api/v1/investigations/" + id + "/report")
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="investigation-`+id+`.json"` {
		t.Errorf("report Content-Disposition %q", cd)
	}
	golden(t, "investigation", w.Body.Bytes())

	w = call(t, h, "POST", "/api/v1/investigations/"+id+"/state", `{"state":"ARCHIVED"}`, nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"State": "ARCHIVED"`) {
		t.Errorf("archive: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(get("/api/v1/investigations").Body.String(), `"State": "ARCHIVED"`) {
		t.Error("the list does not show the investigation archived")
	}
}

// TestAnalysisErrors: unknown IDs are 404s and bad requests 400s, in the
// error envelope; the token applies.
func TestAnalysisErrors(t *testing.T) {
	s := analysisServer(t, "secret")
	h := s.Handler()
	auth := map[string]string{"Authorization": "Bearer secret"}
	cases := []struct {
		name, method, target, body string
		code                       int
		errCode                    string
	}{
		{"no group", "GET", "/api/v1/finding-groups/group-none", "", 404, "not_found"},
		{"bad active", "GET", "/api/v1/finding-groups?active=maybe", "", 400, "invalid_request"},
		{"no investigation", "GET", "/api/v1/investigations/000000000000000000000", "", 404, "not_found"},
		{"no investigation report", "GET", "/api/v1/investigations/000000000000000000000/report", "", 404, "not_found"},
		{"no investigation indicators", "GET", "/api/v1/investigations/000000000000000000000/indicators", "", 404, "not_found"},
		{"no investigation state", "POST", "/api/v1/investigations/000000000000000000000/state", `{"state":"ARCHIVED"}`, 404, "not_found"},
		{"max 0", "GET", "/api/v1/investigations/000000000000000000000/indicators?max=0", "", 400, "invalid_request"},
		{"bad state", "POST", "/api/v1/investigations/000000000000000000000/state", `{"state":"GONE"}`, 400, "invalid_request"},
		{"bad entity", "POST", "/api/v1/investigations", `{"entity":"spaceship:1"}`, 400, "invalid_request"},
		{"no entity", "POST", "/api/v1/investigations", `{}`, 400, "invalid_request"},
		{"not JSON", "POST", "/api/v1/investigations", `entity=x`, 400, "invalid_request"},
		{"bad scope", "POST", "/api/v1/investigations", `{"entity":"ip:198.51.100.7","scopeStart":"yesterday"}`, 400, "invalid_request"},
		{"empty scope", "POST", "/api/v1/investigations", `{"entity":"ip:198.51.100.7","scopeStart":"2025-03-06T04:00:00Z","scopeEnd":"2025-03-06T04:00:00Z"}`, 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := call(t, h, c.method, c.target, c.body, auth)
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != c.code || e.Error.Code != c.errCode || e.Error.RequestID != "test-request" {
				t.Errorf("%s %s = %d %s; want %d %s in the envelope", c.method, c.target, w.Code, w.Body, c.code, c.errCode)
			}
			if w := call(t, h, c.method, c.target, c.body, nil); w.Code != http.StatusUnauthorized {
				t.Errorf("%s %s without the token = %d; want 401", c.method, c.target, w.Code)
			}
		})
	}
	golden(t, "error_no_group", call(t, h, "GET", "/api/v1/finding-groups/group-none", "", auth).Body.Bytes())
}
