package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestDetect ingests (without ingest's own detection run) a CloudTrail
// file with a stopped trail and a root call, runs gumshoe detect twice (the second time nothing changes), then
// with a threat list naming the caller's address.
func TestDetect(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "g.duckdb")
	events := []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAX","arn":"arn:aws:iam::111111111111:user/mallory","accountId":"111111111111","accessKeyId":"AKIAX","userName":"mallory"},"eventTime":"2025-03-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","requestParameters":{"name":"main"},"eventID":"e1","eventType":"AwsApiCall","recipientAccountId":"111111111111"}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111111111111","arn":"arn:aws:iam::111111111111:root","accountId":"111111111111"},"eventTime":"2025-03-01T10:05:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"console.amazonaws.com","eventID":"e2","eventType":"AwsApiCall","recipientAccountId":"111111111111"}`,
	}
	ct := writeFile(t, dir, "ct.json", `{"Records":[`+strings.Join(events, ",")+`]}`)
	if _, stderr, err := run(t, "ingest", "--db", db, "--no-detect", ct); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	out, stderr, err := run(t, "detect", "--db", db)
	if err != nil {
		t.Fatalf("detect: %v\n%s", err, stderr)
	}
	for _, want := range []string{"Stealth:IAMUser/CloudTrailLoggingDisabled", "Policy:IAMUser/RootCredentialUsage", "new"} {
		if !strings.Contains(out, want) {
			t.Errorf("detect output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "2 new findings") {
		t.Errorf("detect diagnostics: %q; want a count of 2 new findings", stderr)
	}
	out, _, err = run(t, "detect", "--db", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		New, Updated int
		Findings     []any
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if sum.New != 0 || sum.Updated != 0 || sum.Findings == nil || len(sum.Findings) != 0 {
		t.Errorf("second run: %+v; want nothing new or updated", sum)
	}

	list := writeFile(t, dir, "intel.txt", "# addresses\n203.0.113.0/28\n")
	out, _, err = run(t, "detect", "--db", db, "--since", "2025-03-01", "--threat-list", list, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.New != 2 {
		t.Errorf("with the threat list: %d new findings; want 2 (one per caller and address)\n%s", sum.New, out)
	}
	out, _, err = run(t, "query", "--db", db, "--format", "csv", `SELECT count(*) FROM findings WHERE source = 'gumshoe' AND type = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom'`)
	if err != nil || !strings.Contains(out, "\n2") {
		t.Errorf("query: %v\n%s", err, out)
	}

	bad := writeFile(t, dir, "bad.txt", "198.51.100.1\nnot an entry!\n")
	_, _, err = run(t, "detect", "--db", db, "--threat-list", bad)
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("bad threat list: %v; want an error naming bad.txt:2", err)
	}
	if _, _, err := run(t, "detect", "--db", filepath.Join(dir, "none.duckdb")); err == nil || !strings.Contains(err.Error(), "gumshoe ingest first") {
		t.Errorf("missing database: %v; want a hint to ingest first", err)
	}
	if _, _, err := run(t, "detect", "--db", db, "--since", "yesterday"); err == nil {
		t.Error("--since yesterday: no error")
	}
}
