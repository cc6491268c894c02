package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/ctgen"
	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
)

// TestLoadBaseline runs each baseline statement on generated files: the
// analyst's way must load every record, or the comparison means nothing.
func TestLoadBaseline(t *testing.T) {
	for _, tc := range []struct {
		format string
		gen    func(dir string) (int, error)
	}{
		{"v2", func(dir string) (int, error) {
			st, err := flowgen.Generate(dir, flowgen.Config{Records: 5_000, RecordsPerFile: 1_000, Seed: 1})
			return st.Records, err
		}},
		{cloudTrail, func(dir string) (int, error) {
			// More files than DuckDB samples by default (32), with rare
			// members in the files it does not sample.
			st, err := ctgen.Generate(dir, ctgen.Config{Events: 6_000, EventsPerFile: 100, Seed: 1})
			return st.Events, err
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			data := t.TempDir()
			n, err := tc.gen(data)
			if err != nil {
				t.Fatalf("generate: %v", err)
			}
			res, err := loadBaseline(context.Background(), tc.format, data, filepath.Join(t.TempDir(), "b.duckdb"))
			if err != nil {
				t.Fatalf("loadBaseline: %v", err)
			}
			if res.Rows != int64(n) {
				t.Errorf("loadBaseline(%s) loaded %d rows; want %d", tc.format, res.Rows, n)
			}
		})
	}
}

func TestEnsureData(t *testing.T) {
	cache := t.TempDir()
	dir, in, err := ensureData(cache, cloudTrail, 3_000)
	if err != nil {
		t.Fatalf("ensureData: %v", err)
	}
	if in.records != 3_000 || in.files != 2 || in.bytes == 0 || in.jsonBytes <= in.bytes {
		t.Errorf("ensureData(cloudtrail, 3,000) = %+v", in)
	}
	// Reused, not regenerated: a file put there survives.
	keep := filepath.Join(dir, "keep")
	if err := os.WriteFile(keep, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	again, in2, err := ensureData(cache, cloudTrail, 3_000)
	if err != nil || again != dir || in2 != in {
		t.Errorf("second ensureData = %s, %+v, %v; want %s, %+v", again, in2, err, dir, in)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("cache regenerated: %v", err)
	}

	// Markers of an older flow generator are stale: the data is made again.
	flow := filepath.Join(cache, "v2-1000")
	if err := os.MkdirAll(flow, 0o755); err != nil {
		t.Fatal(err)
	}
	old := `{"format": "v2", "records": 1000, "seed": 1, "stats": {"Files": 1, "Records": 1000, "Bytes": 12345}}`
	if err := os.WriteFile(flow+".json", []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	got, in, err := ensureData(cache, "v2", 1_000)
	if err != nil || got != flow || in.records != 1_000 || in.bytes == 12_345 {
		t.Errorf("ensureData(v2) with an old generator's marker = %s, %+v, %v; want %s regenerated", got, in, err, flow)
	}
	// A current marker holds.
	current := fmt.Sprintf(`{"format": "v2", "records": 1000, "seed": 1, "generator_version": %d, "stats": {"Files": 1, "Records": 1000, "Bytes": 12345}}`, flowgen.Version)
	if err := os.WriteFile(flow+".json", []byte(current), 0o644); err != nil {
		t.Fatal(err)
	}
	got, in, err = ensureData(cache, "v2", 1_000)
	if want := (input{files: 1, records: 1_000, bytes: 12_345}); err != nil || got != flow || in != want {
		t.Errorf("ensureData(v2) with a current marker = %s, %+v, %v; want %s, %+v", got, in, err, flow, want)
	}
}

func TestRenderReport(t *testing.T) {
	var done side
	done.add(measurement{seconds: 2, cpu: 3, rssKiB: 2048, dbBytes: 100_000})
	flow := row{format: "v2", in: input{files: 1, records: 1_000, bytes: 1e6}, baseline: done, gumshoe: done}
	trail := row{format: cloudTrail, in: input{files: 1, records: 1_000, bytes: 1e6, jsonBytes: 1.5e6}, baseline: done, gumshoe: done}
	for _, tc := range []struct {
		name      string
		rows      []row
		want, not []string
	}{
		{"flows", []row{flow}, []string{"| format | records | baseline records/s |", "read_csv('<dir>/**/*.log.gz'", "| v2 | 1,000 | 500 | 500 | 1.00× | 100.0 |"}, []string{"events", "read_json", "cloudtrail"}},
		{"cloudtrail", []row{trail}, []string{"| format | events | baseline events/s | gumshoe events/s | gumshoe/baseline | baseline B/event |", "| cloudtrail | 1,000 | 500 | 500 | 1.00× | 100.0 |",
			"read_json('<dir>/**/*.json.gz'", "1,500 bytes of JSON per event"}, []string{"read_csv", "records/s", "flowgen"}},
		{"both", []row{flow, trail}, []string{"| v2 | 1,000 |", "| cloudtrail | 1,000 |", "- v2 CPU time", "- cloudtrail CPU time"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderReport(facts{cpus: 2}, options{runs: 1}, tc.rows)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("report has %q:\n%s", n, got)
				}
			}
		})
	}
}
