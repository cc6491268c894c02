package detect_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
	"github.com/gumshoe-dev/gumshoe/internal/detect"
)

// TestScenariosAtScale is the detections' precision and recall on what
// gumshoe generate writes by default: 10 million ordinary flow records,
// a million CloudTrail events and a million DNS queries over 45 days, the
// seven scenarios embedded. Volume is what changes the answer: an office
// that signs in to its bastion a few times an hour in the demo does so
// dozens of times here, and a detector that counts connections must not
// take that for an attack. Every expected (scenario, finding type) must be
// found (recall 1), every finding must belong to an attack scenario
// (precision 1), and the finding groups must keep the scenarios apart.
//
// GUMSHOE_SCALE_FLOWS sets another number of flow records (for a quicker
// run by hand); CI runs the default.
func TestScenariosAtScale(t *testing.T) {
	flows := int64(10_000_000)
	if v := os.Getenv("GUMSHOE_SCALE_FLOWS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("GUMSHOE_SCALE_FLOWS: %v", err)
		}
		flows = n
	}
	ctx := context.Background()
	d := ingestDemo(t, demo.Config{Days: 45, Seed: 7, Flows: flows, CloudTrail: 1_000_000, DNS: 1_000_000})
	st, truth, gen := d.st, d.truth, d.gen
	began := time.Now()
	if _, err := detect.Run(ctx, st, detect.Config{GeoIP: d.geo}); err != nil {
		t.Fatalf("detect.Run: %v", err)
	}
	detected := time.Since(began)

	score := scoreScenarios(t, demoFindings(t, st), truth)
	precision, recall := 1.0, 1.0
	if score.findings > 0 {
		precision = float64(score.inScenario) / float64(score.findings)
	}
	if score.expected > 0 {
		recall = float64(score.found) / float64(score.expected)
	}
	t.Logf("%d flow records, %d CloudTrail events, %d DNS queries: generated in %s, ingested in %s, detected in %s",
		gen.FlowRecords, gen.CloudTrailEvents, gen.DNSQueries, d.generated.Round(time.Second), d.ingested.Round(time.Second), detected.Round(time.Second))
	t.Logf("precision %.3f (%d of %d findings in an attack scenario), recall %.3f (%d of %d expected finding types)",
		precision, score.inScenario, score.findings, recall, score.found, score.expected)
	t.Logf("\n%s", score.table)
	checkGroups(t, st, truth)
}
