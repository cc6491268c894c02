package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestLastSeenAcrossDays: LastSeen reads the rollup files newest first and
// stops early, yet answers what the entities view says for every flow
// entity, from one seen on the newest day to one seen only weeks before,
// with segments whose days overlap and a segment written out of order.
func TestLastSeenAcrossDays(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	lines := func(rows ...string) string {
		return "version interface-id instance-id srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status\n" +
			strings.Join(rows, "\n") + "\n"
	}
	rec := func(eni, inst, remote string, at time.Time) string {
		return fmt.Sprintf("5 %s %s %s 10.0.0.5 40000 22 6 2 200 %d %d ACCEPT 2 ingress OK", eni, inst, remote, at.Unix(), at.Unix()+37)
	}
	day := func(d, h, m int) time.Time { return time.Date(2024, 3, d, h, m, 0, 0, time.UTC) }
	// Segment 1: 1–3 March; segment 2: 20 and 21 March; segment 3,
	// written last, 2 and 20 March (older than segment 2's newest).
	commitRecords(t, st, 1, decodeLines(t, lines(
		rec("eni-a", "i-1", "198.51.100.1", day(1, 5, 0)),
		rec("eni-a", "i-1", "198.51.100.2", day(3, 23, 59)),
		rec("eni-b", "i-2", "198.51.100.3", day(2, 12, 0)),
	)))
	commitRecords(t, st, 2, decodeLines(t, lines(
		rec("eni-a", "i-1", "198.51.100.1", day(20, 1, 0)),
		rec("eni-a", "i-1", "198.51.100.4", day(21, 8, 30)),
	)))
	commitRecords(t, st, 3, decodeLines(t, lines(
		rec("eni-b", "i-2", "198.51.100.3", day(20, 18, 0)),
		rec("eni-c", "i-3", "198.51.100.5", day(2, 6, 0)),
	)))
	res, err := st.Query(ctx, `SELECT entity_id, last_seen FROM entities WHERE type IN ('ip', 'instance', 'interface') ORDER BY 1`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) < 12 {
		t.Fatalf("%d flow entities; want at least 12", len(res.Rows))
	}
	for _, row := range res.Rows {
		id, want := row[0].(string), row[1].(time.Time)
		got, err := st.LastSeen(ctx, id)
		if err != nil || got == nil || !got.Equal(want) {
			t.Errorf("LastSeen(%s) = %v, %v; the entities view has %s", id, got, err, want)
		}
	}
	for _, id := range []string{"ip:192.0.2.99", "instance:i-9", "interface:eni-z", "user_agent:nobody"} {
		if got, err := st.LastSeen(ctx, id); err != nil || got != nil {
			t.Errorf("LastSeen(%s) = %v, %v; want nil", id, got, err)
		}
	}
}
