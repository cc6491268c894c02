package detect_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// pantherRules maps the Panther rules whose intent a gumshoe detector
// covers to that detector's finding type.
var pantherRules = map[string]string{
	"AWS.CloudTrail.Stopped":                    detect.TypeCloudTrailDisabled,
	"AWS.CloudTrail.EventSelectorsDisabled":     detect.TypeCloudTrailDisabled,
	"AWS.Console.RootLogin":                     detect.TypeRootUsage,
	"AWS.Console.RootLoginFailed":               detect.TypeRootUsage,
	"AWS.Root.Activity":                         detect.TypeRootUsage,
	"AWS.CloudTrail.IMDSCredentialExfiltration": detect.TypeCredExfiltration,
}

// pantherDisagreements are the labelled events where gumshoe, following
// GuardDuty's definition of the finding type, deliberately answers
// otherwise than the Panther rule; README.md explains each.
var pantherDisagreements = map[int]bool{
	310: true, // AWS.Root.Activity, CreateServiceLinkedRole by root: Panther ignores it; any root API call is RootCredentialUsage
	314: true, // AWS.Root.Activity, root read-only enumeration: Panther ignores reads; any root API call is RootCredentialUsage
	193: true, // IMDSCredentialExfiltration from an Amazon.com ASN address that is in AWS's published ranges: "OutsideAWS" means outside them
}

// The project's copies of the shared samples (licence in its NOTICE).
const testdata = "../cloudtrail/testdata/"

// TestPantherLabelled runs each labelled Panther CloudTrail test event
// whose rule a detector covers through ingest and detection on its own, and
// checks that gumshoe raises the finding exactly where Panther alerts,
// except for the documented disagreements.
func TestPantherLabelled(t *testing.T) {
	lines := readLines(t, filepath.Join(testdata, "panther-analysis_cloudtrail_test_events.ndjson"))
	// Which rule and test each line comes from; beside this test, as the
	// CloudTrail decoder's golden tests read every file of its testdata.
	index := readLines(t, filepath.Join("testdata", "panther-analysis_cloudtrail_test_events.index.tsv"))
	type row struct {
		line           int
		rule, test     string
		want, got, dis bool
	}
	var rows []row
	for _, l := range index[1:] {
		f := strings.Split(l, "\t")
		typ, ok := pantherRules[f[1]]
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(f[0])
		st := openStore(t)
		dir := t.TempDir()
		sum, err := ingest.Run(context.Background(), st, ingest.Config{Sources: []string{writeFile(t, dir, "event.json", []byte(lines[n-1]))}})
		if err != nil {
			t.Fatal(err)
		}
		if sum.RecordsIngested == 0 {
			// Panther redacts some test events ("eventTime": "redacted"):
			// gumshoe rejects them, naming the line, and cannot judge.
			t.Logf("| %d | %s | %s | %v | (not CloudTrail gumshoe accepts: %s) |", n, f[1], f[2], f[3] == "True", sum.RejectedLines[0].Error)
			continue
		}
		if _, err := detect.Run(context.Background(), st, detect.Config{}); err != nil {
			t.Fatal(err)
		}
		got := hasType(t, st, typ)
		r := row{line: n, rule: f[1], test: f[2], want: f[3] == "True", got: got, dis: pantherDisagreements[n]}
		rows = append(rows, r)
		if (r.got == r.want) == r.dis {
			t.Errorf("line %d %s %q: gumshoe %s = %v, Panther %v, documented disagreement %v", n, f[1], f[2], typ, got, r.want, r.dis)
		}
	}
	agree := 0
	for _, r := range rows {
		if r.got == r.want {
			agree++
		}
		t.Logf("| %d | %s | %s | %v | %v |", r.line, r.rule, r.test, r.want, r.got)
	}
	t.Logf("%d of %d labelled events agree", agree, len(rows))
	if len(rows) < 20 {
		t.Errorf("only %d labelled events read", len(rows))
	}
}

func hasType(t *testing.T, st *store.Store, typ string) bool {
	return queryInt(t, st, `SELECT count(*) FROM findings WHERE source = 'gumshoe' AND type = '`+typ+`'`) > 0
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stratusExpected lists, per Stratus Red Team detonation, the finding types
// gumshoe must raise on the detonation's real CloudTrail events alone;
// every other detonation must raise none of the types below (they need no
// baseline, so they can fire on a detonation without history).
var stratusExpected = map[string][]string{
	"aws.defense-evasion.cloudtrail-stop.json":            {detect.TypeCloudTrailDisabled},
	"aws.defense-evasion.cloudtrail-delete.json":          {detect.TypeCloudTrailDisabled},
	"aws.defense-evasion.cloudtrail-event-selectors.json": {detect.TypeCloudTrailDisabled},
	// ec2-steal-instance-credentials uses the stolen credentials from
	// 18.236.253.47, an address in AWS's EC2 ranges (us-west-2): GuardDuty
	// calls that InstanceCredentialExfiltration.InsideAWS, which gumshoe
	// does not implement, so nothing is expected there.
	"aws.credential-access.ec2-steal-instance-credentials.json": nil,
}

var baselineFree = []string{detect.TypeCloudTrailDisabled, detect.TypeCredExfiltration, detect.TypeRootUsage,
	detect.TypeKali, detect.TypeParrot, detect.TypePentoo}

// TestStratusDetonations runs detection on each Stratus Red Team
// detonation's CloudTrail events.
func TestStratusDetonations(t *testing.T) {
	dir := "../cloudtrail/testdata/stratus-red-team_detonation-logs/"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".golden.json") {
			continue
		}
		n++
		st := openStore(t)
		ingestFiles(t, st, filepath.Join(dir, name))
		if _, err := detect.Run(context.Background(), st, detect.Config{}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, typ := range baselineFree {
			if hasType(t, st, typ) {
				got = append(got, typ)
			}
		}
		want := append([]string(nil), stratusExpected[name]...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: gumshoe raised %v; want %v", name, got, want)
		}
		t.Logf("| %s | %s |", strings.TrimSuffix(name, ".json"), strings.Join(got, ", "))
	}
	if n < 30 {
		t.Errorf("only %d detonations read", n)
	}
	for name := range stratusExpected {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("expected detonation %s: %v", name, err)
		}
	}
}
