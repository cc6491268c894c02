package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestFindings lists the attack fixture's findings (GuardDuty's brute
// force and gumshoe's two on alice) and a GuardDuty finding whose title
// carries terminal escapes, filtered, as JSON, and the group they form.
func TestFindings(t *testing.T) {
	db := attackDB(t)
	hostile := writeFile(t, t.TempDir(), "hostile.json", `{"Findings":[{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1",`+
		`"id":"f-hostile","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/d/finding/f-hostile","type":"Recon:EC2/Portscan","severity":1.5,`+
		`"createdAt":"2025-03-01T00:00:00Z","updatedAt":"2025-03-01T00:00:00Z","title":"scan\u001b[2J\tcolumn\nFAKE ROW","description":"",`+
		`"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0ffffffffffffffff"}},`+
		`"service":{"serviceName":"guardduty","count":1,"eventFirstSeen":"2025-03-01T00:00:00Z","eventLastSeen":"2025-03-01T00:00:00Z","archived":false}}]}`)
	if _, stderr, err := run(t, "ingest", "--db", db, "--no-detect", hostile); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}

	out, stderr, err := run(t, "findings", "--db", db)
	if err != nil {
		t.Fatalf("findings: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "SEVERITY") {
		t.Fatalf("findings: %d lines; want a header and 4 findings:\n%s", len(lines), out)
	}
	// Most severe first, then the latest: Kali (5), the stopped trail (2,
	// 02:40), the brute force (2, 02:16), the scan (1.5).
	for i, want := range []string{"5.0 PenTest:IAMUser/KaliLinux", "2.0 Stealth:IAMUser/CloudTrailLoggingDisabled",
		"2.0 UnauthorizedAccess:EC2/SSHBruteForce", "1.5 Recon:EC2/Portscan"} {
		if got := strings.Join(strings.Fields(lines[i+1])[:2], " "); got != want {
			t.Errorf("line %d starts %q; want %q", i+1, got, want)
		}
	}
	if !strings.Contains(lines[4], `scan\x1b[2J\tcolumn\nFAKE ROW`) || strings.ContainsAny(out, "\x1b") {
		t.Errorf("hostile title not escaped:\n%q", out)
	}
	if !strings.Contains(out, "gumshoe") || !strings.Contains(out, "2025-03-06T02:40:00Z") {
		t.Errorf("findings lack gumshoe's source or last seen:\n%s", out)
	}

	out, _, err = run(t, "findings", "--db", db, "--type", "kali")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "PenTest:IAMUser/KaliLinux") {
		t.Errorf("--type kali: %v\n%s", err, out)
	}
	out, _, err = run(t, "findings", "--db", db, "--min-severity", "2", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Total    int
		Findings []struct {
			ID       string
			Severity float64
			Source   string
		}
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if page.Total != 3 || len(page.Findings) != 3 || page.Findings[2].ID != "f0000000000000000000000000000001" || page.Findings[0].Source != "gumshoe" {
		t.Errorf("--min-severity 2 --json: %+v; want the 3 findings at 2 or more, GuardDuty's last", page)
	}
	_, stderr, err = run(t, "findings", "--db", db, "--limit", "1")
	if err != nil || !strings.Contains(stderr, "showing 1 of 4 findings") {
		t.Errorf("--limit 1: %v %q", err, stderr)
	}
	out, stderr, err = run(t, "findings", "--db", db, "--type", "nothing-like-this", "--json")
	if err != nil || !strings.Contains(out, `"findings": []`) {
		t.Errorf("no match --json: %v %q %q", err, out, stderr)
	}

	// The groups: alice's two findings and the brute force share
	// 198.51.100.7 (the hostile scan was not detected into a group).
	out, stderr, err = run(t, "findings", "groups", "--db", db)
	if err != nil {
		t.Fatalf("findings groups: %v\n%s", err, stderr)
	}
	lines = strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1])[:4], " ") != "ACTIVE 5.0 Medium 3" || !strings.Contains(lines[1], "Group with: TTP (3)") {
		t.Errorf("findings groups:\n%s", out)
	}
	out, _, err = run(t, "findings", "groups", "--db", db, "--active", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var groups struct {
		Groups []struct {
			ID       string
			Status   string
			Findings []string
		}
	}
	if err := json.Unmarshal([]byte(out), &groups); err != nil || len(groups.Groups) != 1 || len(groups.Groups[0].Findings) != 3 || groups.Groups[0].Status != "ACTIVE" {
		t.Errorf("findings groups --json: %v %+v", err, groups)
	}

	none := filepath.Join(t.TempDir(), "none.duckdb")
	for _, args := range [][]string{{"findings", "--db", none}, {"findings", "groups", "--db", none}} {
		if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "gumshoe ingest first") {
			t.Errorf("%v: %v; want a hint to ingest first", args, err)
		}
	}
	if _, _, err := run(t, "findings", "--db", db, "--limit", "0"); err == nil {
		t.Error("--limit 0: no error")
	}
}
