package store

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestLookupPhases times, on the database GUMSHOE_BENCH_DB names (made by
// gumshoe generate and gumshoe ingest: the values and window below are the
// benchmark's), what a gumshoe lookup process spends: opening the store,
// then each lookup.
func TestLookupPhases(t *testing.T) {
	db := os.Getenv("GUMSHOE_BENCH_DB")
	if db == "" {
		t.Skip("GUMSHOE_BENCH_DB not set")
	}
	ctx := context.Background()
	t0 := time.Now()
	st, err := Open(ctx, db, Options{ReadOnly: true, MemoryLimit: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Query(ctx, "SELECT 1", 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("open + first query: %v", time.Since(t0))
	w := Window{From: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	for _, v := range []string{"203.0.113.50", "203.0.113.50", "10.10.1.38", "i-011bfa9b6f3310957", "AKIAOT4VT6IBECIYIJDI"} {
		t1 := time.Now()
		res, err := st.Lookup(ctx, v, w, 1000)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("lookup %s: %d rows, %v", v, len(res.Rows), time.Since(t1))
	}
}

// TestFlowCandidatesPhases times flowCandidates on that database.
func TestFlowCandidatesPhases(t *testing.T) {
	db := os.Getenv("GUMSHOE_BENCH_DB")
	if db == "" {
		t.Skip("GUMSHOE_BENCH_DB not set")
	}
	st, err := Open(context.Background(), db, Options{ReadOnly: true, MemoryLimit: "1GB"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := Window{From: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	for _, v := range []string{"203.0.113.50", "203.0.113.50", "10.10.1.38", "i-011bfa9b6f3310957", "nothing"} {
		t1 := time.Now()
		files, err := st.flowCandidates(v, w)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("candidates %s: %d files, %v", v, len(files), time.Since(t1))
	}
}
