package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
)

// TestNoAttacksFlags: generate --no-attacks writes no GuardDuty finding
// and a truth.json holding only the benign scenario; demo --no-attacks
// says so, finds nothing, and is a different demo from the one with the
// attacks (the same database is not reused for both).
func TestNoAttacksFlags(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	stdout, _, err := run(t, "generate", "--out", gen, "--flows", "20000", "--cloudtrail", "2000", "--dns", "2000", "--days", "2", "--no-attacks", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st demo.Stats
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || st.Findings != 0 || st.CloudTrailEvents == 0 {
		t.Errorf("generate --no-attacks: %v %+v; want CloudTrail events and no GuardDuty findings", err, st)
	}
	truth, err := demo.ReadTruth(filepath.Join(gen, demo.TruthFile))
	if err != nil || !truth.NoAttacks || len(truth.Scenarios) != 1 || !truth.Scenarios[0].Benign {
		t.Errorf("generate --no-attacks truth: %v %+v", err, truth)
	}

	db := filepath.Join(dir, "demo.duckdb")
	out := filepath.Join(dir, "logs")
	stdout, stderr, err := run(t, "demo", "--db", db, "--out", out, "--days", "2", "--seed", "5", "--no-serve", "--no-attacks")
	if err != nil {
		t.Fatalf("demo --no-attacks: %v\n%s\n%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "(seed 5, without the attacks)") || !strings.Contains(stdout, "0 GuardDuty findings") {
		t.Errorf("demo --no-attacks output:\n%s", stdout)
	}
	if rows := queryRows(t, db, "SELECT count(*) FROM findings"); rows[0][0] != "0" {
		t.Errorf("demo --no-attacks: %v findings; want none", rows)
	}
	stdout, _, err = run(t, "demo", "--db", db, "--out", out, "--days", "2", "--seed", "5", "--no-serve", "--no-attacks")
	if err != nil || !strings.Contains(stdout, "reusing the logs") {
		t.Errorf("demo --no-attacks again: %v; want the logs reused\n%s", err, stdout)
	}
	_, _, err = run(t, "demo", "--db", db, "--out", out, "--days", "2", "--seed", "5", "--no-serve")
	if err == nil || !strings.Contains(err.Error(), "no-attacks") {
		t.Errorf("demo with the attacks on the demo without: %v; want a refusal naming no-attacks", err)
	}
}
