package detect_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
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

	found := demoFindings(t, st)
	matched := make([]bool, len(found))
	var table []string
	expected, recalled := 0, 0
	for _, sc := range truth.Scenarios {
		keys := map[string]bool{}
		for _, e := range sc.Entities {
			keys[e.Type+":"+e.Key] = true
		}
		from, to := sc.Start.Add(-time.Hour), sc.End.Add(time.Hour)
		var types []string
		for i, f := range found {
			if f.last.Before(from) || f.first.After(to) || !f.involves(keys) {
				continue
			}
			if sc.Benign {
				t.Errorf("benign scenario %s: finding %s (%s)", sc.ID, f.typ, f.title)
				continue
			}
			matched[i] = true
			types = append(types, f.typ)
		}
		var missing []string
		for _, want := range sc.ExpectedFindings {
			expected++
			if contains(types, want) {
				recalled++
			} else {
				missing = append(missing, want)
				t.Errorf("scenario %s: no %s finding (found %v)", sc.ID, want, dedupe(types))
			}
		}
		table = append(table, fmt.Sprintf("| %s | %s | %s | %s |", sc.ID, strings.Join(sc.ExpectedFindings, ", "),
			strings.Join(dedupe(types), ", "), strings.Join(missing, ", ")))
	}
	tp := 0
	for i, f := range found {
		if matched[i] {
			tp++
			continue
		}
		t.Errorf("finding outside every attack scenario: %s %q on %v (%s .. %s)", f.typ, f.title, f.entities, f.first, f.last)
	}
	precision, recall := 1.0, 1.0
	if len(found) > 0 {
		precision = float64(tp) / float64(len(found))
	}
	if expected > 0 {
		recall = float64(recalled) / float64(expected)
	}
	t.Logf("%d flow records, %d CloudTrail events, %d DNS queries: generated in %s, ingested in %s, detected in %s",
		gen.FlowRecords, gen.CloudTrailEvents, gen.DNSQueries, d.generated.Round(time.Second), d.ingested.Round(time.Second), detected.Round(time.Second))
	t.Logf("precision %.3f (%d of %d findings in an attack scenario), recall %.3f (%d of %d expected finding types)",
		precision, tp, len(found), recall, recalled, expected)
	t.Logf("\n| scenario | expected | found | missing |\n|---|---|---|---|\n%s", strings.Join(table, "\n"))
	checkGroups(t, st, truth)
}
