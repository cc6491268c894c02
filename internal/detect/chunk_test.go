package detect

import (
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func TestChunkRanges(t *testing.T) {
	h := func(n int) time.Time {
		return time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	}
	rs := []store.TimeRange{{Start: h(0), End: h(30)}, {Start: h(40), End: h(41)}, {Start: h(47), End: h(50)}}
	got := chunkRanges(rs, 24*time.Hour)
	want := [][]store.TimeRange{
		{{Start: h(0), End: h(24)}},
		{{Start: h(24), End: h(30)}, {Start: h(40), End: h(41)}, {Start: h(47), End: h(48)}},
		{{Start: h(48), End: h(50)}},
	}
	if len(got) != len(want) {
		t.Fatalf("chunkRanges = %v; want %v", got, want)
	}
	total := 0
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("chunk %d = %v; want %v", i, got[i], want[i])
		}
		for j := range want[i] {
			if !got[i][j].Start.Equal(want[i][j].Start) || !got[i][j].End.Equal(want[i][j].End) {
				t.Errorf("chunk %d range %d = %v; want %v", i, j, got[i][j], want[i][j])
			}
			total += int(got[i][j].End.Sub(got[i][j].Start) / time.Hour)
		}
	}
	if total != 34 {
		t.Errorf("chunks cover %d hours; want 34", total)
	}
}
