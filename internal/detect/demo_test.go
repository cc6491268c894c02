package detect_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// TestDemoScenarios generates the demo organisation, ingests it as real
// logs are ingested, runs detection, and checks every finding against
// truth.json: each attack scenario is found with each of its expected
// finding types on its own entities, the benign scenario raises nothing,
// and no finding falls outside the scenarios.
func TestDemoScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests ten days of logs")
	}
	ctx := context.Background()
	d := ingestDemo(t, demo.Config{Days: 10, Seed: 1})
	st, truth := d.st, d.truth
	sum, err := detect.Run(ctx, st, detect.Config{})
	if err != nil {
		t.Fatalf("detect.Run: %v", err)
	}
	if sum.New == 0 {
		t.Fatal("no findings on the demo")
	}
	found := demoFindings(t, st)

	score := scoreScenarios(t, found, truth)
	t.Logf("\n%s", score.table)

	checkGroups(t, st, truth)

	// Investigating the leaked key's user over the scenario: a new
	// place, network and user agent, and the findings.
	for _, sc := range truth.Scenarios {
		if sc.ID != "leaked-access-key" {
			continue
		}
		for _, e := range sc.Entities {
			if e.Type != "iam_user" {
				continue
			}
			inv, err := detect.Investigate(ctx, st, "iam_user:"+e.Key, sc.Start.Add(-time.Hour), sc.End.Add(time.Hour), detect.InvestigateConfig{})
			if err != nil {
				t.Fatal(err)
			}
			n := indicatorCounts(inv)
			for _, typ := range []string{detect.IndicatorNewGeolocation, detect.IndicatorNewASO, detect.IndicatorNewUserAgent,
				detect.IndicatorRelatedFinding, detect.IndicatorTTP, detect.IndicatorRelatedGroup} {
				if n[typ] == 0 {
					t.Errorf("investigation of %s: no %s (%v; notes %v)", e.Key, typ, n, inv.Notes)
				}
			}
			if inv.Severity != "MEDIUM" && inv.Severity != "HIGH" {
				t.Errorf("investigation of %s: severity %s", e.Key, inv.Severity)
			}
			t.Logf("investigation of %s: %s %v", e.Key, inv.Severity, n)
		}
	}

	// A second run over the same data changes nothing.
	again, err := detect.Run(ctx, st, detect.Config{})
	if err != nil {
		t.Fatalf("second detect.Run: %v", err)
	}
	if again.New != 0 || again.Updated != 0 {
		t.Errorf("second run: %d new, %d updated; want none", again.New, again.Updated)
	}
}

type demoFinding struct {
	id, typ     string
	title       string
	first, last time.Time
	entities    []string
}

func (f demoFinding) involves(keys map[string]bool) bool {
	for _, e := range f.entities {
		if keys[e] {
			return true
		}
	}
	return false
}

// demoFindings reads gumshoe's findings with the graph entities they name.
func demoFindings(t *testing.T, st *store.Store) []demoFinding {
	return readFindings(t, st, "source = 'gumshoe'")
}

// allFindings reads every finding (GuardDuty's too).
func allFindings(t *testing.T, st *store.Store) []demoFinding { return readFindings(t, st, "true") }

func readFindings(t *testing.T, st *store.Store, where string) []demoFinding {
	t.Helper()
	res, err := st.Query(context.Background(), `SELECT type, title, first_seen, last_seen, instance_id, remote_ip, access_key_id, domain,
		coalesce(raw->>'$.resource.accessKeyDetails.principalId', raw->>'$.Resource.AccessKeyDetails.PrincipalId'),
		coalesce(raw->>'$.resource.accessKeyDetails.userType', raw->>'$.Resource.AccessKeyDetails.UserType'), raw->>'$.gumshoe.evidence.principal', account_id, id
		FROM findings WHERE `+where+` ORDER BY type, id`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []demoFinding
	for _, row := range res.Rows {
		s := func(i int) string {
			if v, ok := row[i].(string); ok {
				return v
			}
			return ""
		}
		f := demoFinding{id: s(12), typ: s(0), title: s(1), first: row[2].(time.Time), last: row[3].(time.Time)}
		add := func(typ, key string) {
			if key != "" {
				f.entities = append(f.entities, typ+":"+key)
			}
		}
		add("instance", s(4))
		add("ip", s(5))
		add("access_key", s(6))
		add("domain", s(7))
		switch s(9) {
		case "AssumedRole":
			add("role_session", s(8))
			add("iam_role", s(10))
		case "IAMUser":
			add("iam_user", s(10))
		case "Root":
			add("root", s(11))
		}
		out = append(out, f)
	}
	return out
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	m := map[string]bool{}
	for _, v := range list {
		m[v] = true
	}
	var out []string
	for v := range m {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "d.duckdb"), store.Options{MemoryLimit: "512MB", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func queryInt(t testing.TB, st *store.Store, q string) int64 {
	t.Helper()
	res, err := st.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if len(res.Rows) != 1 {
		t.Fatalf("%s: %d rows", q, len(res.Rows))
	}
	switch v := res.Rows[0][0].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case nil:
		return 0
	default:
		t.Fatalf("%s: got %T", q, v)
	}
	return 0
}

// checkGroups checks the finding groups against the scenarios: no group
// mixes scenarios, every attack scenario with findings is in a group, and
// the benign one in none.
func checkGroups(t *testing.T, st *store.Store, truth *demo.Truth) {
	t.Helper()
	ctx := context.Background()
	scenarioOf := map[string]string{} // finding ID → scenario
	all := allFindings(t, st)
	for _, sc := range truth.Scenarios {
		keys := map[string]bool{}
		for _, e := range sc.Entities {
			keys[e.Type+":"+e.Key] = true
		}
		from, to := sc.Start.Add(-time.Hour), sc.End.Add(time.Hour)
		for _, f := range all {
			if !f.last.Before(from) && !f.first.After(to) && f.involves(keys) {
				scenarioOf[f.id] = sc.ID
			}
		}
	}
	gs, err := st.FindingGroups(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	grouped := map[string]bool{}
	for _, g := range gs {
		ids := map[string]bool{}
		for _, m := range g.Members {
			ids[scenarioOf[m]] = true
			grouped[scenarioOf[m]] = true
		}
		if len(ids) != 1 {
			t.Errorf("group %s (%s) mixes scenarios %v", g.ID, g.Title, ids)
		}
		t.Logf("group %s %-8s %-55s tactics %s members %d (%v)", g.ID, g.SeverityLabel, g.Title, g.Tactics, len(g.Members), dedupe(keysOf(ids)))
	}
	for _, sc := range truth.Scenarios {
		if grouped[sc.ID] == sc.Benign {
			t.Errorf("scenario %s (benign %v): grouped %v", sc.ID, sc.Benign, grouped[sc.ID])
		}
	}
}

// ingestedDemo is a generated organisation, ingested.
type ingestedDemo struct {
	st                  *store.Store
	truth               *demo.Truth
	geo                 *geoip.Resolver
	gen                 *demo.Stats
	ingest              ingest.Summary
	generated, ingested time.Duration
}

// ingestDemo generates the demo organisation with cfg and ingests it as
// real logs are ingested (the synthetic GeoIP databases included); the
// logs are removed once ingested.
func ingestDemo(t *testing.T, cfg demo.Config) ingestedDemo {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	began := time.Now()
	gen, err := demo.Generate(ctx, dir, cfg)
	if err != nil {
		t.Fatalf("demo.Generate: %v", err)
	}
	d := ingestedDemo{gen: gen, generated: time.Since(began)}
	if d.truth, err = demo.ReadTruth(filepath.Join(dir, demo.TruthFile)); err != nil {
		t.Fatal(err)
	}
	d.geo, err = geoip.Open(geoip.Config{CityDB: filepath.Join(dir, demo.CityDB), ASNDB: filepath.Join(dir, demo.ASNDB), Examples: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.geo.Close() })
	d.st = openStore(t)
	began = time.Now()
	sum, err := ingest.Run(ctx, d.st, ingest.Config{Sources: []string{filepath.Join(dir, "AWSLogs")}, GeoIP: d.geo})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if sum == nil || sum.RecordsIngested == 0 {
		t.Fatal("nothing ingested")
	}
	d.ingest, d.ingested = *sum, time.Since(began)
	os.RemoveAll(filepath.Join(dir, "AWSLogs"))
	return d
}

// scenarioScore is how gumshoe's findings compare with truth.json.
type scenarioScore struct {
	findings, inScenario int // findings, and those in an attack scenario
	expected, found      int // expected (scenario, type) pairs, and those found
	table                string
}

// scoreScenarios checks found against the scenarios: every expected
// finding type of a scenario is found on its entities within its time
// (an hour either side), the benign scenario has no finding, and every
// finding belongs to an attack scenario; each miss is a test error. The
// table lists the scenarios, expected and found types, and what is
// missing.
func scoreScenarios(t *testing.T, found []demoFinding, truth *demo.Truth) scenarioScore {
	t.Helper()
	sc := scenarioScore{findings: len(found)}
	matched := make([]bool, len(found))
	rows := []string{"| scenario | expected | found | missing |", "|---|---|---|---|"}
	for _, s := range truth.Scenarios {
		keys := map[string]bool{}
		for _, e := range s.Entities {
			keys[e.Type+":"+e.Key] = true
		}
		from, to := s.Start.Add(-time.Hour), s.End.Add(time.Hour)
		var types []string
		for i, f := range found {
			if f.last.Before(from) || f.first.After(to) || !f.involves(keys) {
				continue
			}
			matched[i] = true
			if s.Benign {
				t.Errorf("benign scenario %s: finding %s (%s) on %v", s.ID, f.typ, f.title, f.entities)
				continue
			}
			sc.inScenario++
			types = append(types, f.typ)
		}
		var missing []string
		for _, want := range s.ExpectedFindings {
			sc.expected++
			if contains(types, want) {
				sc.found++
			} else {
				missing = append(missing, want)
				t.Errorf("scenario %s: no %s finding (found %v)", s.ID, want, dedupe(types))
			}
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", s.ID, strings.Join(s.ExpectedFindings, ", "),
			strings.Join(dedupe(types), ", "), strings.Join(missing, ", ")))
	}
	for i, f := range found {
		if !matched[i] {
			t.Errorf("finding outside every scenario: %s %q on %v (%s .. %s)", f.typ, f.title, f.entities, f.first, f.last)
		}
	}
	sc.table = strings.Join(rows, "\n")
	return sc
}
