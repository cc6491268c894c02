package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNoAttacks: without the attacks, the logs are those of the full demo
// less the attacks' records: every CloudTrail event is one the full demo
// writes too, the benign scenario is the same, and there is no GuardDuty
// finding (GuardDuty reports only the attacks).
func TestNoAttacks(t *testing.T) {
	cfg := small(5)
	cfg.Flows, cfg.CloudTrail, cfg.DNS = 20_000, 2_000, 2_000
	full, fullStats := generate(t, cfg)
	cfg.NoAttacks = true
	quiet, quietStats := generate(t, cfg)

	truth := func(dir string) Truth {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, TruthFile))
		if err != nil {
			t.Fatal(err)
		}
		var tr Truth
		if err := json.Unmarshal(b, &tr); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	ft, qt := truth(full), truth(quiet)
	if len(ft.Scenarios) != 7 || ft.NoAttacks {
		t.Fatalf("full demo: %d scenarios, no_attacks %v; want 7 and false", len(ft.Scenarios), ft.NoAttacks)
	}
	if len(qt.Scenarios) != 1 || !qt.Scenarios[0].Benign || !qt.NoAttacks {
		t.Fatalf("without attacks: %d scenarios (%+v), no_attacks %v; want only the benign one", len(qt.Scenarios), qt.Scenarios, qt.NoAttacks)
	}
	if diff := cmp.Diff(ft.Scenarios[6], qt.Scenarios[0]); diff != "" {
		t.Errorf("benign scenario differs without the attacks (-full +quiet):\n%s", diff)
	}

	fc, fev, _ := decodeAll(t, full)
	qc, qev, qfind := decodeAll(t, quiet)
	if quietStats.Findings != 0 || len(qfind) != 0 || fullStats.Findings == 0 {
		t.Errorf("GuardDuty findings: %d written, %d decoded without attacks (full demo: %d); want none", quietStats.Findings, len(qfind), fullStats.Findings)
	}
	for _, k := range []string{"flows", "cloudtrail", "dns"} {
		if qc[k] == 0 || qc[k] >= fc[k] {
			t.Errorf("%s: %d records without attacks, %d with; want fewer, but some", k, qc[k], fc[k])
		}
	}
	seen := map[string]bool{}
	for _, e := range fev {
		seen[string(e)] = true
	}
	for _, e := range qev {
		if !seen[string(e)] {
			t.Errorf("event only in the demo without attacks: %s", e)
			break
		}
	}
}
