package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// attackDB ingests the engine's fixture (a user, her role session, an
// interface's flows, a GuardDuty SSH brute force) plus alice stopping the
// trail from the brute-forcing address on a Kali box, with a user agent
// carrying terminal escapes; ingest runs the detections.
func attackDB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fixture := filepath.Join("..", "..", "internal", "engine", "testdata", "fixture")
	for _, name := range []string{"cloudtrail.json", "finding.json", "flows.log"} {
		b, err := os.ReadFile(filepath.Join(fixture, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, string(b))
	}
	event := func(id, at, name, ua string) string {
		return `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLEALICE0001","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLEALICE0001","userName":"alice"},` +
			`"eventTime":"` + at + `","eventSource":"cloudtrail.amazonaws.com","eventName":"` + name + `","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",` +
			`"userAgent":"` + ua + `","requestParameters":{"name":"main-trail"},"eventID":"` + id + `","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	}
	writeFile(t, dir, "attack.json", `{"Records":[`+
		event("a1", "2025-03-06T02:40:00Z", "StopLogging", "aws-cli/2.15.0 Linux/6.5.0-kali3-amd64")+","+
		event("a2", "2025-03-06T02:41:00Z", "DescribeTrails", `evil\u001b[2J\u001b]0;pwned\u0007\r\nFAKE LINE`)+`]}`)
	db := filepath.Join(t.TempDir(), "g.duckdb")
	if _, stderr, err := run(t, "ingest", "--db", db, dir); err != nil {
		t.Fatalf("ingest: %v\n%s", err, stderr)
	}
	return db
}

const aliceEntity = "iam_user:arn:aws:iam::111122223333:user/alice"

func TestInvestigate(t *testing.T) {
	db := attackDB(t)
	out, stderr, err := run(t, "investigate", aliceEntity, "--db", db, "--from", "2025-03-06", "--to", "2025-03-06T04:00")
	if err != nil {
		t.Fatalf("investigate: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"entity    " + aliceEntity + " (IAM_USER)\n",
		"scope     2025-03-06T00:00:00Z to 2025-03-06T04:00:00Z\n",
		"status    SUCCESSFUL\n",
		"severity  MEDIUM\n",
		"\nTTP_OBSERVED (2)\n",
		"Procedure=Stealth:IAMUser/CloudTrailLoggingDisabled",
		"\nRELATED_FINDING_GROUP (1)\n",
		`UserAgent="evil\x1b[2J\x1b]0;pwned\a\r\nFAKE LINE"`,
		"note: IMPOSSIBLE_TRAVEL and NEW_GEOLOCATION need GeoIP",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("investigate output lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\a\r") || strings.Contains(out, "\nFAKE LINE") {
		t.Errorf("control characters from the log reached the terminal:\n%q", out)
	}
	// Types in Detective's order.
	if i, j := strings.Index(out, "\nTTP_OBSERVED"), strings.Index(out, "\nNEW_USER_AGENT"); i < 0 || j < 0 || i > j {
		t.Errorf("TTP_OBSERVED (at %d) should come before NEW_USER_AGENT (at %d)", i, j)
	}

	out, _, err = run(t, "investigate", aliceEntity, "--db", db, "--from", "2025-03-06", "--to", "2025-03-06T04:00", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var inv struct {
		InvestigationId, Status, Severity, State string
		Indicators                               []struct{ IndicatorType string }
	}
	if err := json.Unmarshal([]byte(out), &inv); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(inv.InvestigationId) != 21 || inv.Status != "SUCCESSFUL" || inv.Severity != "MEDIUM" || inv.State != "ACTIVE" || len(inv.Indicators) < 5 {
		t.Errorf("--json report %+v", inv)
	}
	// Both runs are stored.
	rows := queryRows(t, db, "SELECT count(*) FROM investigations WHERE entity = '"+aliceEntity+"'")
	if len(rows) != 1 || rows[0][0] != "2" {
		t.Errorf("stored investigations: %v; want 2", rows)
	}
}

func TestInvestigateErrors(t *testing.T) {
	db := attackDB(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"spaceship:1"}, "cannot investigate entity"},
		{[]string{"alice"}, "want TYPE:KEY"},
		{[]string{aliceEntity, "--from", "yesterday"}, "--from"},
		{[]string{aliceEntity, "--from", "2025-03-06T04:00", "--to", "2025-03-06"}, "not after its start"},
		{[]string{aliceEntity, "--db", filepath.Join(t.TempDir(), "none.duckdb")}, "gumshoe ingest first"},
	}
	for _, c := range cases {
		args := append([]string{"investigate", "--db", db}, c.args...)
		if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("investigate %v: %v; want an error with %q", c.args, err, c.want)
		}
	}
}
