package detect_test

import (
	"context"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
	"github.com/gumshoe-dev/gumshoe/internal/detect"
)

// TestDemoWithoutAttacks: the demo organisation's ordinary traffic and its
// benign change, without the attacks, over the same ten days as
// TestDemoScenarios (long enough for the baselines to count), raise no
// finding at all, and so no finding group.
func TestDemoWithoutAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and ingests ten days of logs")
	}
	ctx := context.Background()
	st := ingestDemo(t, demo.Config{Days: 10, Seed: 1, NoAttacks: true}).st
	sum, err := detect.Run(ctx, st, detect.Config{})
	if err != nil {
		t.Fatalf("detect.Run: %v", err)
	}
	if sum.FlowHours == 0 || sum.CloudTrailHours == 0 || sum.DNSHours == 0 {
		t.Errorf("detect.Run evaluated %d flow, %d CloudTrail and %d DNS hours; want all three", sum.FlowHours, sum.CloudTrailHours, sum.DNSHours)
	}
	for _, f := range demoFindings(t, st) {
		t.Errorf("finding on ordinary traffic: %s %q on %v (%s .. %s)", f.typ, f.title, f.entities, f.first, f.last)
	}
	if n := len(allFindings(t, st)); n != 0 {
		t.Errorf("%d findings in all (GuardDuty's included); want none", n)
	}
	if sum.New != 0 || sum.Groups.Active != 0 {
		t.Errorf("detect.Run: %d new findings, %d active groups; want none", sum.New, sum.Groups.Active)
	}
}
