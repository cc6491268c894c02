package api

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// TestSummary reads the summary over HTTP on the analysis fixture (the
// engine fixture, alice's attack, detected and grouped): every panel's
// content, and the windows relative to the newest data.
func TestSummary(t *testing.T) {
	s := analysisServer(t, "secret")
	h := s.Handler()
	if w := call(t, h, "GET", "/api/v1/summary", "", nil); w.Code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/summary without the token = %d; want 401", w.Code)
	}
	w := call(t, h, "GET", "/api/v1/summary", "", map[string]string{"Authorization": "Bearer secret"})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/summary = %d %s", w.Code, w.Body)
	}
	var got struct {
		FindingsWindow *store.SummaryWindow    `json:"findings_window"`
		FindingBuckets []store.SeverityBucket  `json:"finding_buckets"`
		TrafficWindow  *store.SummaryWindow    `json:"traffic_window"`
		TopInstances   []store.InstanceTraffic `json:"top_instances"`
		APICallWindow  *store.SummaryWindow    `json:"api_call_window"`
		TopPrincipals  []store.PrincipalCalls  `json:"top_principals"`
		NewWindow      *store.SummaryWindow    `json:"newly_observed_window"`
		NewlyObserved  []store.NewEntity       `json:"newly_observed"`
		RecentFindings []store.Finding         `json:"recent_findings"`
		Groups         []struct {
			ID            string         `json:"id"`
			Status        string         `json:"status"`
			SeverityLabel string         `json:"severityLabel"`
			FindingCounts map[string]int `json:"findingCounts"`
		} `json:"active_groups"`
		GroupsTotal int `json:"active_groups_total"`
		Ingest      struct {
			LogTypes []store.IngestKind `json:"log_types"`
			Watch    []WatchStatus      `json:"watch"`
		} `json:"ingest"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("summary is not the expected JSON: %v\n%s", err, w.Body)
	}

	// Findings: the fixture's brute force and alice's two, in 6-hour
	// buckets covering every finding, each bucket present.
	if len(got.RecentFindings) < 3 || got.RecentFindings[0].Severity < got.RecentFindings[len(got.RecentFindings)-1].Severity {
		t.Errorf("recent_findings = %d findings, most severe first?; want the fixture's 3 or more", len(got.RecentFindings))
	}
	if got.FindingsWindow == nil || len(got.FindingBuckets) == 0 {
		t.Fatalf("findings_window = %v with %d buckets; want a window", got.FindingsWindow, len(got.FindingBuckets))
	}
	width := time.Duration(store.SummaryBucketSeconds) * time.Second
	if n := int(got.FindingsWindow.End.Sub(got.FindingsWindow.Start) / width); n != len(got.FindingBuckets) {
		t.Errorf("%d buckets over %v; want %d, empty ones included", len(got.FindingBuckets), got.FindingsWindow, n)
	}
	counted := 0
	for i, b := range got.FindingBuckets {
		if want := got.FindingsWindow.Start.Add(time.Duration(i) * width); !b.Start.Equal(want) {
			t.Errorf("bucket %d starts %v; want %v", i, b.Start, want)
		}
		for _, n := range b.Counts {
			counted += n
		}
	}
	if counted < len(got.RecentFindings) {
		t.Errorf("the buckets count %d finding-buckets; want every one of the %d findings in one at least", counted, len(got.RecentFindings))
	}

	// Traffic: the fixture's flow logs are version 2, without the
	// instance: its one interface, in the 7 days up to its last hour.
	if len(got.TopInstances) != 1 || got.TopInstances[0].EntityID != "interface:eni-0123456789abcdef0" || got.TopInstances[0].Name != "eni-0123456789abcdef0" ||
		got.TopInstances[0].BytesIn == 0 || got.TopInstances[0].BytesOut == 0 {
		t.Errorf("top_instances = %+v; want the fixture's interface with its bytes in and out", got.TopInstances)
	}
	if got.TrafficWindow == nil || got.TrafficWindow.End.Sub(got.TrafficWindow.Start) != 7*24*time.Hour || got.TrafficWindow.End.After(fixtureNow.Add(time.Hour)) {
		t.Errorf("traffic_window = %v; want the 7 days up to the fixture's last flow hour", got.TrafficWindow)
	}

	// API calls: alice first-class, with her profile's entity ID.
	found := false
	for _, p := range got.TopPrincipals {
		if p.EntityID == "iam_user:arn:aws:iam::111122223333:user/alice" && p.Principal == "arn:aws:iam::111122223333:user/alice" && p.Calls > 0 {
			found = true
		}
	}
	if !found || got.APICallWindow == nil {
		t.Errorf("top_principals = %+v (window %v); want alice's calls and her entity ID", got.TopPrincipals, got.APICallWindow)
	}

	// Newly observed: alice's Kali user agent, the attack's last step,
	// first (newest first); no private address.
	if got.NewWindow == nil || len(got.NewlyObserved) == 0 || got.NewlyObserved[0].EntityID != "user_agent:aws-cli/2.15.0 Python/3.11 Linux/6.5.0-kali3-amd64" {
		t.Errorf("newly_observed = %+v in %v; want the Kali user agent first", got.NewlyObserved, got.NewWindow)
	}
	for i, e := range got.NewlyObserved {
		if e.EntityID == "ip:10.0.1.25" || e.FirstSeen.Before(got.NewWindow.Start) || (i > 0 && e.FirstSeen.After(got.NewlyObserved[i-1].FirstSeen)) {
			t.Errorf("newly_observed[%d] = %+v; want public entities first seen in %v, newest first", i, e, got.NewWindow)
		}
	}

	if got.GroupsTotal == 0 || len(got.Groups) != got.GroupsTotal || got.Groups[0].Status != "ACTIVE" || got.Groups[0].SeverityLabel == "" {
		t.Errorf("active_groups = %+v (total %d); want the fixture's active groups", got.Groups, got.GroupsTotal)
	}
	kinds := map[string]int64{}
	for _, k := range got.Ingest.LogTypes {
		kinds[k.LogType] = k.Records
	}
	if kinds["cloudtrail"] == 0 || kinds["vpcflow"] == 0 || got.Ingest.Watch == nil {
		t.Errorf("ingest = %+v; want records per log type and an empty watch list", got.Ingest)
	}
}

// TestSummaryEmpty: on a database with nothing in it, the summary is
// empty lists and no windows, not an error.
func TestSummaryEmpty(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "empty.duckdb"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(Config{Store: st, Now: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	w := call(t, s.Handler(), "GET", "/api/v1/summary", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/summary on an empty database = %d %s", w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"findings_window", "traffic_window", "api_call_window", "newly_observed_window"} {
		if got[k] != nil {
			t.Errorf("%s = %v; want null on an empty database", k, got[k])
		}
	}
	for _, k := range []string{"finding_buckets", "top_instances", "top_principals", "newly_observed", "recent_findings", "active_groups"} {
		if l, ok := got[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s = %v; want []", k, got[k])
		}
	}
}
