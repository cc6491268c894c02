package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ingestSummary is the part of `gumshoe ingest --json` output the harness
// checks.
type ingestSummary struct {
	ObjectsRead     *int64 `json:"objects_read"`
	ObjectsSkipped  *int64 `json:"objects_skipped"`
	RecordsIngested *int64 `json:"records_ingested"`
	LinesRejected   *int64 `json:"lines_rejected"`
	// Kinds counts by log family ("vpcflow", "cloudtrail").
	Kinds map[string]struct {
		Records *int64 `json:"records"`
	} `json:"kinds"`
}

// runGumshoe ingests dataDir into a fresh database with the gumshoe binary
// and checks that every generated record is there and queryable. The time
// runs until the ingest process exits, when the data is committed.
func runGumshoe(ctx context.Context, bin, cache, format, dataDir string, in input) measurement {
	dir, cleanup, err := scratch(cache, "gumshoe-")
	if err != nil {
		return measurement{err: err}
	}
	defer cleanup()
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return measurement{err: fmt.Errorf("gumshoe: %w", err)}
	}
	db := filepath.Join(dir, "g.duckdb")
	// The detections that ingest runs afterwards are measured on their own
	// (README); this is the ingest.
	out, u, err := child(ctx, bin, "ingest", "--no-detect", "--db", db, "--json", absData)
	if err != nil {
		return measurement{err: fmt.Errorf("gumshoe: %w", err)}
	}
	m := measurement{seconds: u.wall.Seconds(), cpu: u.cpu.Seconds(), rssKiB: u.rssKiB}

	var sum ingestSummary
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&sum); err != nil {
		m.err = fmt.Errorf("gumshoe: decode ingest --json output %q: %w", truncate(out), err)
		return m
	}
	if sum.ObjectsRead == nil || sum.ObjectsSkipped == nil || sum.RecordsIngested == nil || sum.LinesRejected == nil {
		m.err = fmt.Errorf("gumshoe: ingest --json output %q lacks objects_read, objects_skipped, records_ingested or lines_rejected", truncate(out))
		return m
	}
	m.rows, m.rejected = *sum.RecordsIngested, *sum.LinesRejected
	var problems []string
	if m.rows != int64(in.records) {
		problems = append(problems, fmt.Sprintf("records_ingested %d, generated %d", m.rows, in.records))
	}
	table := "flow_logs"
	if format == cloudTrail {
		// Every event must have been taken for CloudTrail, not for
		// something else; the events are unique, so none is dropped as a
		// duplicate.
		table = "cloudtrail_events"
		switch k := sum.Kinds[cloudTrail].Records; {
		case k == nil:
			problems = append(problems, "no kinds.cloudtrail.records")
		case *k != int64(in.records):
			problems = append(problems, fmt.Sprintf("kinds.cloudtrail.records %d, generated %d", *k, in.records))
		}
	}
	if m.rejected != 0 {
		problems = append(problems, fmt.Sprintf("lines_rejected %d, want 0", m.rejected))
	}
	if *sum.ObjectsRead != int64(in.files) || *sum.ObjectsSkipped != 0 {
		// Worth a look, but the records are what the benchmark is about.
		fmt.Fprintf(os.Stderr, "warning: gumshoe: objects_read %d and objects_skipped %d, generated %d files\n", *sum.ObjectsRead, *sum.ObjectsSkipped, in.files)
	}

	// Durable and queryable: a second process must see every row.
	qout, _, err := child(ctx, bin, "query", "--db", db, "--format", "csv", "SELECT count(*) FROM "+table)
	if err != nil {
		m.err = fmt.Errorf("gumshoe: %w", err)
		return m
	}
	n, err := lastInt(qout)
	switch {
	case err != nil:
		problems = append(problems, fmt.Sprintf("query output %q: %v", truncate(qout), err))
	case n != int64(in.records):
		problems = append(problems, fmt.Sprintf("%s holds %d rows, generated %d", table, n, in.records))
	}
	if len(problems) > 0 {
		m.err = fmt.Errorf("gumshoe: MISMATCH: %s", strings.Join(problems, "; "))
		return m
	}
	if m.dbBytes, err = diskBytes(db, db+".wal", filepath.Join(dir, "g.lake")); err != nil {
		m.err = fmt.Errorf("gumshoe: %w", err)
	}
	return m
}

// lastInt parses the last non-empty line of CSV output holding one value.
func lastInt(out []byte) (int64, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := strings.Trim(strings.TrimSpace(lines[len(lines)-1]), `"`)
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a count on the last line: %w", err)
	}
	return n, nil
}

func truncate(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
