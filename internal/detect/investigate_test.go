package detect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func indicatorCounts(inv *detect.Investigation) map[string]int {
	m := map[string]int{}
	for _, in := range inv.Indicators {
		m[in.IndicatorType]++
	}
	return m
}

// TestInvestigateUser investigates alice on the fixture's attack day: her
// key is used from a Kali box, a new address, for new APIs.
func TestInvestigateUser(t *testing.T) {
	st, _ := setup(t)
	ctx := context.Background()
	if _, err := detect.Run(ctx, st, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	var cfg detect.InvestigateConfig
	if err := cfg.Intel.Read("list", "list.txt", strings.NewReader("203.0.113.66\n")); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return clock }
	entity := "iam_user:arn:aws:iam::" + acct + ":user/alice"
	inv, err := detect.Investigate(ctx, st, entity, day0, day0.Add(24*time.Hour), cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := indicatorCounts(inv)
	if inv.EntityType != "IAM_USER" || inv.Status != "SUCCESSFUL" || inv.State != "ACTIVE" || len(inv.InvestigationID) != 21 {
		t.Errorf("investigation %+v", inv)
	}
	// Kali, CloudTrail stopped, discovery and persistence anomalies.
	if n[detect.IndicatorRelatedFinding] != 4 || n[detect.IndicatorTTP] != 4 {
		t.Errorf("related findings %d, TTPs %d; want 4 and 4 (%v)", n[detect.IndicatorRelatedFinding], n[detect.IndicatorTTP], inv.Indicators)
	}
	if n[detect.IndicatorNewUserAgent] != 1 || n[detect.IndicatorFlaggedIP] != 1 {
		t.Errorf("new user agents %d, flagged addresses %d; want 1 and 1", n[detect.IndicatorNewUserAgent], n[detect.IndicatorFlaggedIP])
	}
	if n[detect.IndicatorNewGeolocation] != 0 || !strings.Contains(strings.Join(inv.Notes, " "), "GeoIP") {
		t.Errorf("without GeoIP: %d new geolocations, notes %v; want none and a note", n[detect.IndicatorNewGeolocation], inv.Notes)
	}
	if n[detect.IndicatorRelatedGroup] != 1 {
		t.Errorf("related groups %d; want 1", n[detect.IndicatorRelatedGroup])
	}
	if inv.Severity != "MEDIUM" {
		t.Errorf("severity %s; want MEDIUM (the highest related finding)", inv.Severity)
	}
	stopped := false
	for _, in := range inv.Indicators {
		if d, ok := in.IndicatorDetail.(detect.TTPsObservedDetail); ok && d.Procedure == detect.TypeCloudTrailDisabled {
			stopped = true
			if d.Tactic != "Defense Evasion" || d.Technique != "T1562.008" || d.APISuccessCount != 1 || d.IPAddress != "203.0.113.66" {
				t.Errorf("StopLogging TTP %+v", d)
			}
		}
	}
	if !stopped {
		t.Error("no TTP_OBSERVED for the stopped trail")
	}

	// Stored: listed, read back, paged by type, archived.
	list, err := detect.Investigations(ctx, st)
	if err != nil || len(list) != 1 || list[0].InvestigationID != inv.InvestigationID {
		t.Fatalf("Investigations: %v %v", list, err)
	}
	page, next, err := detect.ListIndicators(ctx, st, inv.InvestigationID, detect.IndicatorTTP, 0, 3)
	if err != nil || len(page) != 3 || next != 3 {
		t.Errorf("first page: %d indicators, next %d, %v; want 3 and 3", len(page), next, err)
	}
	page, next, _ = detect.ListIndicators(ctx, st, inv.InvestigationID, detect.IndicatorTTP, 3, 3)
	if len(page) != 1 || next != 0 {
		t.Errorf("second page: %d indicators, next %d; want 1 and 0", len(page), next)
	}
	if err := detect.SetInvestigationState(ctx, st, inv.InvestigationID, "ARCHIVED"); err != nil {
		t.Fatal(err)
	}
	got, err := detect.GetInvestigation(ctx, st, inv.InvestigationID)
	if err != nil || got.State != "ARCHIVED" || len(got.Indicators) != len(inv.Indicators) {
		t.Errorf("after archiving: %v %v", got, err)
	}
	if _, err := detect.GetInvestigation(ctx, st, "000000000000000000000"); !errors.Is(err, store.ErrNoInvestigation) {
		t.Errorf("unknown id: %v; want ErrNoInvestigation", err)
	}
	if _, err := detect.Investigate(ctx, st, "spaceship:1", day0, day0.Add(time.Hour), cfg); !errors.Is(err, detect.ErrBadEntity) {
		t.Errorf("unknown entity type: %v; want ErrBadEntity", err)
	}

	// carol did nothing unusual on the day but call from a listed
	// address once; her usual agent is not new.
	inv, err = detect.Investigate(ctx, st, "iam_user:arn:aws:iam::"+acct+":user/carol", day0.Add(-48*time.Hour), day0.Add(-24*time.Hour), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Indicators) != 0 || inv.Severity != "INFORMATIONAL" {
		t.Errorf("carol's ordinary day: %v, %s; want no indicators", inv.Indicators, inv.Severity)
	}
}
