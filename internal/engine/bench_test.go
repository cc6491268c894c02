package engine

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// The profile benchmarks run on a database made with gumshoe generate and
// gumshoe ingest (see README), named by GUMSHOE_BENCH_DB:
//
//	GUMSHOE_BENCH_DB=/tmp/bench.duckdb go test ./internal/engine -run '^$' -bench Profile -benchtime 50x
//
// Each reports the p50 and p95 latency of its operation, on the busiest
// instance, principal and address of the data.

func benchEngine(b *testing.B) (*Engine, *store.Store) {
	b.Helper()
	path := os.Getenv("GUMSHOE_BENCH_DB")
	if path == "" {
		b.Skip("GUMSHOE_BENCH_DB names no database")
	}
	st, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	e, err := New(st, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return e, st
}

func benchOne(b *testing.B, st *store.Store, q string) []any {
	b.Helper()
	res, err := st.Query(context.Background(), q, 1)
	if err != nil || len(res.Rows) == 0 {
		b.Fatalf("%s: %v", q, err)
	}
	return res.Rows[0]
}

// latencies runs op b.N times and reports p50 and p95, and the process's
// CPU time per operation (all threads).
func latencies(b *testing.B, op func() error) {
	b.Helper()
	var d []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for range b.N {
		t := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t))
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[min(len(d)-1, len(d)*95/100)].Microseconds())/1000, "p95-ms")
}

// busiestInstance returns the instance with the most flows and the end of
// its last hour of flows.
func busiestInstance(b *testing.B, st *store.Store) (string, time.Time) {
	row := benchOne(b, st, `SELECT instance_id, max(hour) FROM flow_rollup_hourly WHERE instance_id IS NOT NULL GROUP BY instance_id ORDER BY sum(flows) DESC LIMIT 1`)
	return "instance:" + row[0].(string), row[1].(time.Time).Add(time.Hour)
}

// flowScopes are the scopes of the flow benchmarks, ending at end: 24
// hours with edges off the hour (15-minute buckets; the rows read two
// partial hours from the records) and 3 hours (1-minute buckets).
func flowScopes(end time.Time) map[string]Scope {
	day, _ := NewScope(end.Add(-24*time.Hour-43*time.Minute), end.Add(-43*time.Minute))
	three, _ := NewScope(end.Add(-3*time.Hour-17*time.Minute), end.Add(-17*time.Minute))
	return map[string]Scope{"24h-unaligned": day, "3h-minutes": three}
}

func BenchmarkProfileFlowDetails24h(b *testing.B) {
	e, st := benchEngine(b)
	id, end := busiestInstance(b, st)
	sc, _ := NewScope(end.Add(-24*time.Hour), end)
	var rows int
	latencies(b, func() error {
		// As the API does it: resolve the entity, then the panel.
		ent, err := e.EntityRef(context.Background(), id)
		if err != nil {
			return err
		}
		d, err := e.FlowDetails(context.Background(), ent, FlowQuery{Scope: sc, Limit: 100})
		if err == nil {
			rows = d.Totals.Rows
		}
		return err
	})
	b.ReportMetric(float64(rows), "rows")
}

// BenchmarkProfileFlowPanels times each flow panel of the busiest
// instance, one API request each, on minute-precise scopes.
func BenchmarkProfileFlowPanels(b *testing.B) {
	e, st := benchEngine(b)
	id, end := busiestInstance(b, st)
	ctx := context.Background()
	for _, name := range []string{"24h-unaligned", "3h-minutes"} {
		sc := flowScopes(end)[name]
		ent, err := e.EntityRef(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		top, err := e.FlowDetails(ctx, ent, FlowQuery{Scope: sc, Limit: 5})
		if err != nil {
			b.Fatal(err)
		}
		var rowIDs []string
		for _, r := range top.Rows {
			rowIDs = append(rowIDs, r.ID)
		}
		panel := func(panel string, op func(ent *store.Entity) error) {
			b.Run(name+"/"+panel, func(b *testing.B) {
				latencies(b, func() error {
					ent, err := e.EntityRef(ctx, id)
					if err != nil {
						return err
					}
					return op(ent)
				})
			})
		}
		panel("flow-details", func(ent *store.Entity) error {
			_, err := e.FlowDetails(ctx, ent, FlowQuery{Scope: sc, Limit: 100})
			return err
		})
		panel("flow-volume", func(ent *store.Entity) error { _, err := e.FlowVolume(ctx, ent, sc); return err })
		panel("series-5-rows", func(ent *store.Entity) error { _, err := e.Series(ctx, ent, sc, rowIDs); return err })
		panel("records", func(ent *store.Entity) error {
			_, err := e.Records(ctx, ent, RecordsQuery{Scope: sc, Row: rowIDs[0], Limit: 100})
			return err
		})
	}
}

// BenchmarkProfileBaselinePanels times each panel that compares a 24-hour
// scope with its 45-day baseline, one API request each.
func BenchmarkProfileBaselinePanels(b *testing.B) {
	e, st := benchEngine(b)
	row := benchOne(b, st, `SELECT principal_id, max(event_time) FROM cloudtrail_events WHERE user_type = 'AssumedRole' GROUP BY principal_id ORDER BY count(*) DESC LIMIT 1`)
	id := "role_session:" + row[0].(string)
	end := row[1].(time.Time).Truncate(time.Minute).Add(time.Minute)
	sc, _ := NewScope(end.Add(-24*time.Hour), end)
	ctx := context.Background()
	panel := func(name string, op func(ent *store.Entity) error) {
		b.Run(name, func(b *testing.B) {
			latencies(b, func() error {
				ent, err := e.EntityRef(ctx, id)
				if err != nil {
					return err
				}
				return op(ent)
			})
		})
	}
	panel("api-calls", func(ent *store.Entity) error { _, err := e.APICalls(ctx, ent, sc); return err })
	for _, k := range []string{"ips", "user-agents", "api-calls", "geolocations"} {
		panel("observed-"+k, func(ent *store.Entity) error { _, err := e.Observed(ctx, ent, k, sc); return err })
	}
}

func BenchmarkProfileSearchIP(b *testing.B) {
	e, st := benchEngine(b)
	row := benchOne(b, st, `SELECT remote_addr FROM flow_rollup_hourly GROUP BY remote_addr ORDER BY sum(flows) DESC LIMIT 1`)
	ip := row[0].(string)
	latencies(b, func() error {
		e.seen = seenCache{} // each search looks its last seen up
		_, err := e.Search(context.Background(), ip)
		return err
	})
}

// BenchmarkProfileDefaultScope: the default scope of a profile opened
// without one, from the entity's reference (its last seen looked up), for
// the busiest instance and address and the address last seen longest ago.
func BenchmarkProfileDefaultScope(b *testing.B) {
	e, st := benchEngine(b)
	inst, _ := busiestInstance(b, st)
	busy := benchOne(b, st, `SELECT remote_addr FROM flow_rollup_hourly GROUP BY remote_addr ORDER BY sum(flows) DESC LIMIT 1`)[0].(string)
	rare := benchOne(b, st, `SELECT remote_addr FROM flow_rollup_hourly WHERE remote_addr IS NOT NULL GROUP BY remote_addr ORDER BY max(hour), remote_addr LIMIT 1`)[0].(string)
	for name, id := range map[string]string{"instance": inst, "busy-ip": "ip:" + busy, "rare-ip": "ip:" + rare} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			latencies(b, func() error {
				e.seen = seenCache{} // each scope looks its last seen up
				ent, err := e.EntityRef(ctx, id)
				if err != nil {
					return err
				}
				_, err = e.DefaultScope(ctx, ent)
				return err
			})
		})
	}
}
