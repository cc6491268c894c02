package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
)

// TestLoadBaseline runs each baseline statement on generated files: the
// analyst's way must load every record, or the comparison means nothing.
func TestLoadBaseline(t *testing.T) {
	// Enough flow records that every file holds traffic: a file of
	// NODATA records only has no numbers, and read_csv then sniffs its
	// columns as text and refuses to unite it with the others (at the
	// benchmark's 3 M records, as here, there is none).
	for _, tc := range []struct {
		format string
		n      int
	}{{"v2", 200_000}, {"v5", 200_000}, {unpairedV2, 5_000}, {cloudTrail, 6_000}} {
		format := tc.format
		t.Run(format, func(t *testing.T) {
			cache := t.TempDir()
			dir, in, err := ensureData(cache, format, tc.n)
			if err != nil {
				t.Fatalf("ensureData: %v", err)
			}
			if in.records < tc.n || in.files == 0 || in.bytes == 0 {
				t.Fatalf("ensureData(%s, %d) = %+v", format, tc.n, in)
			}
			res, err := loadBaseline(context.Background(), format, dir, filepath.Join(t.TempDir(), "b.duckdb"))
			if err != nil {
				t.Fatalf("loadBaseline: %v", err)
			}
			if res.Rows != int64(in.records) {
				t.Errorf("loadBaseline(%s) loaded %d rows; want %d", format, res.Rows, in.records)
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
	// The scenarios add their events; only CloudTrail files are kept.
	if in.records < 3_000 || in.files == 0 || in.bytes == 0 || in.jsonBytes <= in.bytes {
		t.Errorf("ensureData(cloudtrail, 3,000) = %+v", in)
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(path, "/CloudTrail/") {
			t.Errorf("not a CloudTrail file: %s", path)
		}
		return err
	})
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

	// Markers of an older generator are stale: the data is made again.
	flow := filepath.Join(cache, "v2-unpaired-1000")
	if err := os.MkdirAll(flow, 0o755); err != nil {
		t.Fatal(err)
	}
	old := `{"format": "v2-unpaired", "records": 1000, "seed": 1, "stats": {"Files": 1, "Records": 1000, "Bytes": 12345}}`
	if err := os.WriteFile(flow+".json", []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	got, in, err := ensureData(cache, unpairedV2, 1_000)
	if err != nil || got != flow || in.records != 1_000 || in.bytes == 12_345 {
		t.Errorf("ensureData(v2-unpaired) with an old generator's marker = %s, %+v, %v; want %s regenerated", got, in, err, flow)
	}
	// A current marker holds.
	current := fmt.Sprintf(`{"format": "v2-unpaired", "records": 1000, "seed": 1, "generator_version": %d, "stats": {"Files": 1, "Records": 1000, "Bytes": 12345}}`, flowgen.Version)
	if err := os.WriteFile(flow+".json", []byte(current), 0o644); err != nil {
		t.Fatal(err)
	}
	got, in, err = ensureData(cache, unpairedV2, 1_000)
	if want := (input{files: 1, records: 1_000, bytes: 12_345}); err != nil || got != flow || in != want {
		t.Errorf("ensureData(v2-unpaired) with a current marker = %s, %+v, %v; want %s, %+v", got, in, err, flow, want)
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
