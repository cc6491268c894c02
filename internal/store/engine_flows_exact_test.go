package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// exactFixture commits two segments of one interface's flows over 23:00–
// 02:00 (across a day boundary). The second segment holds records of a
// conversation the first also has in the 23:00 hour, with another
// direction (one-way, no TCP flags: outbound; the first segment's SYN
// says inbound), so the rollup has two rows for it that hour.
func exactFixture(t *testing.T) (*Store, time.Time) {
	t.Helper()
	st := openTest(t)
	h := time.Date(2023, 11, 14, 23, 0, 0, 0, time.UTC)
	at := func(min, sec int) int64 {
		return h.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second).Unix()
	}
	lines := func(rows ...string) string {
		return "version interface-id instance-id srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status\n" +
			strings.Join(rows, "\n") + "\n"
	}
	rec := func(src, dst string, sp, dp, proto, pk, by int, start int64, action, flags, dir string) string {
		return fmt.Sprintf("5 eni-a i-1 %s %s %d %d %d %d %d %d %d %s %s %s OK", src, dst, sp, dp, proto, pk, by, start, start+60, action, flags, dir)
	}
	commitRecords(t, st, 1, decodeLines(t, lines(
		rec("198.51.100.7", "10.0.0.5", 40000, 22, 6, 10, 1000, at(10, 0), "ACCEPT", "2", "ingress"),
		rec("10.0.0.5", "198.51.100.7", 22, 40000, 6, 8, 5000, at(10, 0), "ACCEPT", "18", "egress"),
		rec("198.51.100.7", "10.0.0.5", 40000, 22, 6, 2, 200, at(25, 0), "ACCEPT", "16", "ingress"),
		rec("10.0.0.5", "203.0.113.9", 41000, 443, 6, 3, 300, at(50, 0), "ACCEPT", "2", "egress"),
		rec("203.0.113.9", "10.0.0.5", 443, 41000, 6, 4, 400, at(61, 40), "ACCEPT", "18", "ingress"),
		rec("192.0.2.1", "10.0.0.5", 1025, 3389, 6, 1, 40, at(66, 40), "REJECT", "2", "ingress"),
		rec("10.0.0.5", "10.0.0.2", 53211, 53, 17, 1, 70, at(121, 0), "ACCEPT", "-", "egress"),
		fmt.Sprintf("5 eni-a i-1 - - - - - - - %d %d - - - NODATA", at(122, 0), at(123, 0)),
	)))
	commitRecords(t, st, 2, decodeLines(t, lines(
		rec("10.0.0.5", "198.51.100.7", 22, 40000, 6, 1, 60, at(30, 0), "ACCEPT", "-", "egress"),
		rec("198.51.100.7", "10.0.0.5", 40000, 22, 6, 1, 100, at(150, 0), "ACCEPT", "-", "ingress"),
	)))
	return st, h
}

func aggText(aggs []FlowAggregate) []string {
	var out []string
	for _, a := range aggs {
		p := func(v *int64) string {
			if v == nil {
				return "-"
			}
			return fmt.Sprint(*v)
		}
		out = append(out, fmt.Sprintf("%s%s %s %s %s %s in=%d/%d out=%d/%d flows=%d/%d/%d %s %s", a.InstanceID, a.RemoteAddr,
			p(a.LocalPort), p(a.RemotePort), p(a.Protocol), a.Direction, a.BytesIn, a.PacketsIn, a.BytesOut, a.PacketsOut,
			a.Flows, a.Accepted, a.Rejected, a.FirstSeen.UTC().Format("15:04:05"), a.LastSeen.UTC().Format("15:04:05")))
	}
	slices.Sort(out)
	return out
}

// series returns the overall series of FlowSeries.
func series(s [][]FlowBucket, err error) ([]FlowBucket, error) {
	if err != nil {
		return nil, err
	}
	return s[0], nil
}

// withRawFlows runs f with every flow query reading raw records only.
func withRawFlows(f func()) {
	forceRawFlows = true
	defer func() { forceRawFlows = false }()
	f()
}

var exactSides = []struct {
	side       FlowSide
	key        string
	byInstance bool
}{
	{FlowInstance, "i-1", false}, {FlowInterface, "eni-a", false}, {FlowLocalAddr, "10.0.0.5", false},
	{FlowRemoteAddr, "198.51.100.7", true},
}

// TestExactFlowsMatchRollup checks that whole hours read from raw records
// (each record through the rollup row it went into) give exactly the
// rollup's answer, for flow details and series, on every flow side; and
// that minute buckets add up to the hours.
func TestExactFlowsMatchRollup(t *testing.T) {
	st, h := exactFixture(t)
	ctx := context.Background()
	start, end := h, h.Add(3*time.Hour)
	for _, s := range exactSides {
		t.Run(string(s.side), func(t *testing.T) {
			roll, err := st.FlowAggregates(ctx, s.side, s.key, s.byInstance, start, end)
			if err != nil {
				t.Fatal(err)
			}
			var raw []FlowAggregate
			withRawFlows(func() { raw, err = st.FlowAggregates(ctx, s.side, s.key, s.byInstance, start, end) })
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aggText(raw), aggText(roll); !slices.Equal(got, want) || len(want) == 0 {
				t.Errorf("from raw records:\n%s\nfrom the rollup:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			hourly, err := series(st.FlowSeries(ctx, s.side, s.key, nil, start, end, time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var rawHourly []FlowBucket
			withRawFlows(func() { rawHourly, err = series(st.FlowSeries(ctx, s.side, s.key, nil, start, end, time.Hour)) })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rawHourly, hourly) {
				t.Errorf("hourly series from raw records = %+v; from the rollup %+v", rawHourly, hourly)
			}
			minutes, err := series(st.FlowSeries(ctx, s.side, s.key, nil, start, end, time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			sums := map[time.Time]FlowBucket{}
			for _, m := range minutes {
				hb := m.Start.Truncate(time.Hour)
				b := sums[hb]
				b.Start = hb
				b.BytesIn += m.BytesIn
				b.BytesOut += m.BytesOut
				b.PacketsIn += m.PacketsIn
				b.PacketsOut += m.PacketsOut
				b.Flows += m.Flows
				b.Accepted += m.Accepted
				b.Rejected += m.Rejected
				sums[hb] = b
			}
			for _, hb := range hourly {
				if got := sums[hb.Start.UTC()]; got != (FlowBucket{Start: hb.Start.UTC(), BytesIn: hb.BytesIn, BytesOut: hb.BytesOut,
					PacketsIn: hb.PacketsIn, PacketsOut: hb.PacketsOut, Flows: hb.Flows, Accepted: hb.Accepted, Rejected: hb.Rejected}) {
					t.Errorf("minutes of %s add up to %+v; the hour is %+v", hb.Start, got, hb)
				}
			}
		})
	}
}

// TestExactFlowsMinutes checks minute precision against the records
// themselves: a scope of 23:25–01:30 counts the records that started in
// it (the one at 23:10 is out, the one at 23:25:00 in, the one at 01:30:00
// out: the end is excluded), from the 23:00 and 01:00 hours' records and
// the 00:00 hour's rollup rows.
func TestExactFlowsMinutes(t *testing.T) {
	st, h := exactFixture(t)
	ctx := context.Background()
	start, end := h.Add(25*time.Minute), h.Add(2*time.Hour+30*time.Minute)
	aggs, err := st.FlowAggregates(ctx, FlowInstance, "i-1", false, start, end)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"10.0.0.2 53211 53 17 outbound in=0/0 out=70/1 flows=1/1/0 01:01:00 01:02:00",
		"192.0.2.1 3389 1025 6 inbound in=40/1 out=0/0 flows=1/0/1 00:06:40 00:07:40",
		"198.51.100.7 22 40000 6 inbound in=200/2 out=0/0 flows=1/1/0 23:25:00 23:26:00",
		"198.51.100.7 22 40000 6 outbound in=0/0 out=60/1 flows=1/1/0 23:30:00 23:31:00",
		"203.0.113.9 41000 443 6 outbound in=400/4 out=300/3 flows=2/2/0 23:50:00 00:02:40",
	}
	if got := aggText(aggs); !slices.Equal(got, want) {
		t.Errorf("23:25–01:30 =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Buckets on the UTC grid, the first cut to start at 23:25.
	b, err := series(st.FlowSeries(ctx, FlowInstance, "i-1", nil, start, end, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range b {
		got = append(got, fmt.Sprintf("%s %d/%d %d", x.Start.UTC().Format("15:04"), x.BytesIn, x.BytesOut, x.Flows))
	}
	if want := []string{"23:25 200/360 3", "00:00 440/0 2", "01:00 0/70 1"}; !slices.Equal(got, want) {
		t.Errorf("hourly series = %q; want %q", got, want)
	}
	// Rows' series beside the overall one, in one reading.
	p22, p40000, tcp := int64(22), int64(40000), int64(6)
	rows := []*FlowRow{
		{RemoteAddr: "198.51.100.7", LocalPort: &p22, RemotePort: &p40000, Protocol: &tcp, Direction: "inbound"},
		{RemoteAddr: "198.51.100.7", LocalPort: &p22, RemotePort: &p40000, Protocol: &tcp, Direction: "outbound"},
		{RemoteAddr: "203.0.113.9", NullLocalPort: true},
	}
	all, err := st.FlowSeries(ctx, FlowInstance, "i-1", rows, start, end, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for i, s := range all {
		for _, x := range s {
			got = append(got, fmt.Sprintf("%d %s %d/%d", i, x.Start.UTC().Format("15:04"), x.BytesIn, x.BytesOut))
		}
	}
	if want := []string{"0 23:25 200/0", "0 23:30 0/60", "0 23:50 0/300", "0 00:00 400/0", "0 00:05 40/0", "0 01:00 0/70",
		"1 23:25 200/0", "2 23:30 0/60"}; !slices.Equal(got, want) {
		t.Errorf("5-minute series of the scope and rows = %q; want %q", got, want)
	}

	// An address's rows keyed by instance, from the partial hours.
	aggs, err = st.FlowAggregates(ctx, FlowRemoteAddr, "198.51.100.7", true, start, end)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aggText(aggs), []string{
		"i-1 22 40000 6 inbound in=200/2 out=0/0 flows=1/1/0 23:25:00 23:26:00",
		"i-1 22 40000 6 outbound in=0/0 out=60/1 flows=1/1/0 23:30:00 23:31:00",
	}; !slices.Equal(got, want) {
		t.Errorf("remote address 23:25–01:30 =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
