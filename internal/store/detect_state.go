package store

// Detection state (internal/detect). Detectors run incrementally: each run
// reads the segments committed since the last run (the watermark in
// detect_state), re-evaluates the hours those segments touched, and records
// each finding's occurrences per hour in detect_hits. A finding's count is
// the sum of its hours, so evaluating an hour again replaces that hour's
// occurrences instead of adding to them: running detection twice, or over
// the same hours again (--since), changes nothing.
//
// The tables are created on first use (CREATE TABLE IF NOT EXISTS) rather
// than by a numbered migration, so that detection ships without touching
// the migration list; they are gumshoe's own bookkeeping, not part of the
// public SQL contract.

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const detectSchema = `
CREATE TABLE IF NOT EXISTS detect_state (
	name       VARCHAR PRIMARY KEY,
	segment_id BIGINT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS detect_hits (
	finding_id   VARCHAR NOT NULL,
	window_start TIMESTAMP NOT NULL,
	occurrences  BIGINT NOT NULL,
	first_seen   TIMESTAMP NOT NULL,
	last_seen    TIMESTAMP NOT NULL,
	PRIMARY KEY (finding_id, window_start)
);
CREATE TABLE IF NOT EXISTS finding_groups (
	group_id       VARCHAR PRIMARY KEY,
	status         VARCHAR NOT NULL,
	parents        JSON NOT NULL,
	title          VARCHAR NOT NULL,
	severity       DOUBLE NOT NULL,
	severity_label VARCHAR NOT NULL,
	tactics        JSON NOT NULL,
	entities       JSON NOT NULL,
	accounts       JSON NOT NULL,
	finding_counts JSON NOT NULL,
	first_seen     TIMESTAMP,
	last_seen      TIMESTAMP,
	created_at     TIMESTAMP NOT NULL,
	updated_at     TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS finding_group_members (
	group_id   VARCHAR NOT NULL,
	finding_id VARCHAR NOT NULL,
	PRIMARY KEY (group_id, finding_id)
);
CREATE TABLE IF NOT EXISTS detect_api_hours (
	principal    VARCHAR NOT NULL,
	event_source VARCHAR,
	event_name   VARCHAR,
	hour         TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS detect_addr_hours (
	principal VARCHAR NOT NULL,
	source_ip VARCHAR,
	hour      TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS detect_port_hours (
	interface_id VARCHAR NOT NULL,
	remote_port  INTEGER NOT NULL,
	protocol     INTEGER NOT NULL,
	hour         TIMESTAMP NOT NULL
);`

// TimeRange is a half-open range of time [Start, End).
type TimeRange struct{ Start, End time.Time }

// DetectScope is what one detection run reads: the segments after the
// last run's watermark up to the newest committed one, and per log family
// the hours (as merged ranges of whole hours) those segments hold.
type DetectScope struct {
	FromSegment, ToSegment int64
	Flows, CloudTrail, DNS []TimeRange
}

// Empty reports whether the scope holds no hours at all.
func (d *DetectScope) Empty() bool {
	return len(d.Flows) == 0 && len(d.CloudTrail) == 0 && len(d.DNS) == 0
}

// DetectBegin creates the detection tables when missing and returns the
// scope of a run named name: the segments committed since its watermark, or
// with since set, every hour from since on whatever the watermark.
func (s *Store) DetectBegin(ctx context.Context, name string, since time.Time) (*DetectScope, error) {
	if s.readOnly {
		return nil, fmt.Errorf("detect: database is open read-only")
	}
	if _, err := s.db.ExecContext(ctx, detectSchema); err != nil {
		return nil, fmt.Errorf("detect: create tables: %w", err)
	}
	sc := &DetectScope{}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce((SELECT segment_id FROM detect_state WHERE name = $1), 0),
		coalesce((SELECT max(segment_id) FROM ingested_objects), 0)`, name).Scan(&sc.FromSegment, &sc.ToSegment); err != nil {
		return nil, fmt.Errorf("detect: watermark: %w", err)
	}
	var err error
	if !since.IsZero() {
		t := ts(since.Truncate(time.Hour))
		if sc.Flows, err = s.hourRanges(ctx, `SELECT DISTINCT hour FROM flow_rollup_hourly WHERE hour >= $1::TIMESTAMP`, t); err != nil {
			return nil, err
		}
		if sc.CloudTrail, err = s.hourRanges(ctx, `SELECT DISTINCT date_trunc('hour', event_time) FROM cloudtrail_events WHERE event_time >= $1::TIMESTAMP`, t); err != nil {
			return nil, err
		}
		if sc.DNS, err = s.hourRanges(ctx, `SELECT DISTINCT date_trunc('hour', query_time) FROM dns_queries WHERE query_time >= $1::TIMESTAMP`, t); err != nil {
			return nil, err
		}
		return sc, nil
	}
	if sc.FromSegment >= sc.ToSegment {
		return sc, nil
	}
	if sc.CloudTrail, err = s.hourRanges(ctx, `SELECT DISTINCT date_trunc('hour', event_time) FROM cloudtrail_events
		WHERE object_id IN (SELECT object_id FROM ingested_objects WHERE segment_id > $1 AND segment_id <= $2)`,
		sc.FromSegment, sc.ToSegment); err != nil {
		return nil, err
	}
	for _, lt := range []struct {
		table, col string
		dst        *[]TimeRange
	}{{rollupTable, "hour", &sc.Flows}, {dnsTable, "date_trunc('hour', query_time)", &sc.DNS}} {
		files, err := s.segmentFiles(ctx, lt.table, sc.FromSegment, sc.ToSegment)
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			continue
		}
		q := fmt.Sprintf(`SELECT DISTINCT %s FROM read_parquet(%s, hive_partitioning = false)`, lt.col, parquetList(files))
		if *lt.dst, err = s.hourRanges(ctx, q); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// segmentFiles lists the committed lake files of a table written by the
// segments in (from, to].
func (s *Store) segmentFiles(ctx context.Context, table string, from, to int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path FROM lake_files WHERE table_name = $1 AND segment_id > $2 AND segment_id <= $3
		AND staged_path = '' ORDER BY path`, table, from, to)
	if err != nil {
		return nil, fmt.Errorf("detect: lake files: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("detect: lake files: %w", err)
		}
		out = append(out, filepath.Join(s.lakeDir, p))
	}
	return out, rows.Err()
}

func parquetList(files []string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("'" + sqlQuote(f) + "'")
	}
	b.WriteString("]")
	return b.String()
}

// hourRanges runs a query returning hours and merges them into ranges.
func (s *Store) hourRanges(ctx context.Context, q string, args ...any) ([]TimeRange, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("detect: hours: %w", err)
	}
	defer rows.Close()
	var hours []time.Time
	for rows.Next() {
		var h sql.NullTime
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("detect: hours: %w", err)
		}
		if h.Valid {
			hours = append(hours, h.Time.UTC())
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: hours: %w", err)
	}
	return MergeHours(hours), nil
}

// MergeHours turns hours into sorted ranges of consecutive whole hours.
func MergeHours(hours []time.Time) []TimeRange {
	sort.Slice(hours, func(i, j int) bool { return hours[i].Before(hours[j]) })
	var out []TimeRange
	for _, h := range hours {
		h = h.Truncate(time.Hour)
		if n := len(out); n > 0 && !h.After(out[n-1].End) {
			if h.Add(time.Hour).After(out[n-1].End) {
				out[n-1].End = h.Add(time.Hour)
			}
			continue
		}
		out = append(out, TimeRange{h, h.Add(time.Hour)})
	}
	return out
}

// rangePredicate renders "col in any of the ranges" with its parameters,
// numbered from $first.
func rangePredicate(col string, rs []TimeRange, first int) (string, []any) {
	if len(rs) == 0 {
		return "false", nil
	}
	var parts []string
	var args []any
	for i, r := range rs {
		parts = append(parts, fmt.Sprintf("(%s >= $%d::TIMESTAMP AND %s < $%d::TIMESTAMP)", col, first+2*i, col, first+2*i+1))
		args = append(args, ts(r.Start), ts(r.End))
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// DetectHit is one finding's occurrences in one hour.
type DetectHit struct {
	FindingID   string
	Window      time.Time // the hour
	Occurrences int64
	First, Last time.Time
}

// FindingTotals is a finding's occurrences over all its hours, and what the
// findings table holds for it (zero values when it is not stored yet).
type FindingTotals struct {
	ID                           string
	Count                        int64
	First, Last                  time.Time
	Stored                       bool
	StoredCount                  int64
	StoredFirst, StoredLast      time.Time
	StoredCreated, StoredUpdated time.Time
	StoredRaw                    string
	StoredArchived               bool
	StoredSource                 string
}

// SaveDetectHits records hits (replacing the occurrences of the same
// finding and hour) and returns the totals of every finding they touch.
func (s *Store) SaveDetectHits(ctx context.Context, hits []DetectHit) ([]FindingTotals, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("detect: save hits: %w", err)
	}
	defer tx.Rollback()
	ids := map[string]bool{}
	for len(hits) > 0 {
		n := min(len(hits), 400)
		var b strings.Builder
		b.WriteString("INSERT INTO detect_hits VALUES ")
		args := make([]any, 0, 5*n)
		for i, h := range hits[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?::TIMESTAMP, ?, ?::TIMESTAMP, ?::TIMESTAMP)")
			args = append(args, h.FindingID, ts(h.Window), h.Occurrences, tsMicro(h.First), tsMicro(h.Last))
			ids[h.FindingID] = true
		}
		b.WriteString(` ON CONFLICT (finding_id, window_start) DO UPDATE SET occurrences = excluded.occurrences,
			first_seen = excluded.first_seen, last_seen = excluded.last_seen`)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return nil, fmt.Errorf("detect: save hits: %w", err)
		}
		hits = hits[n:]
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("detect: save hits: %w", err)
	}
	var list []string
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	var out []FindingTotals
	for len(list) > 0 {
		n := min(len(list), 500)
		ph := make([]string, n)
		args := make([]any, n)
		for i, id := range list[:n] {
			ph[i] = "?"
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT h.finding_id, sum(h.occurrences)::BIGINT, min(h.first_seen), max(h.last_seen),
			any_value(f.count), any_value(f.first_seen), any_value(f.last_seen), any_value(f.created_at), any_value(f.updated_at),
			any_value(f.raw)::VARCHAR, any_value(f.archived), any_value(f.source)
		FROM detect_hits h LEFT JOIN findings f ON f.id = h.finding_id
		WHERE h.finding_id IN (`+strings.Join(ph, ", ")+`)
		GROUP BY h.finding_id ORDER BY h.finding_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("detect: totals: %w", err)
		}
		for rows.Next() {
			var t FindingTotals
			var sc sql.NullInt64
			var sf, sl, scr, su sql.NullTime
			var raw, src sql.NullString
			var arch sql.NullBool
			if err := rows.Scan(&t.ID, &t.Count, &t.First, &t.Last, &sc, &sf, &sl, &scr, &su, &raw, &arch, &src); err != nil {
				rows.Close()
				return nil, fmt.Errorf("detect: totals: %w", err)
			}
			t.First, t.Last = t.First.UTC(), t.Last.UTC()
			if sc.Valid {
				t.Stored, t.StoredCount = true, sc.Int64
				t.StoredFirst, t.StoredLast = sf.Time.UTC(), sl.Time.UTC()
				t.StoredCreated, t.StoredUpdated = scr.Time.UTC(), su.Time.UTC()
				t.StoredRaw, t.StoredArchived, t.StoredSource = raw.String, arch.Bool, src.String
			}
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("detect: totals: %w", err)
		}
		list = list[n:]
	}
	return out, nil
}

const tsMicroLayout = "2006-01-02 15:04:05.999999"

func tsMicro(t time.Time) string { return t.UTC().Format(tsMicroLayout) }

// CommitDetections stores findings made by gumshoe's detectors through the
// same path as ingested findings (a staged Parquet file loaded in one
// commit, newest version winning), so that the behavior graph learns what
// they involve. The run is recorded in the ledger as an object with a
// negative ID (URI "gumshoe:detect/<time>"), an ID space ingest never
// allocates from, so a detection run inside a serving process cannot
// collide with a concurrent ingest.
func (s *Store) CommitDetections(ctx context.Context, rows []FindingRow) error {
	if len(rows) == 0 {
		return nil
	}
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT least(coalesce(min(object_id), 0), 0) - 1 FROM ingested_objects`).Scan(&id); err != nil {
		return fmt.Errorf("detect: commit: %w", err)
	}
	w, err := s.NewFindingWriter()
	if err != nil {
		return fmt.Errorf("detect: commit: %w", err)
	}
	for i := range rows {
		rows[i].ObjectID = id
		rows[i].ObjectRecord = int32(i + 1)
	}
	if err := w.Write(rows); err != nil {
		w.Abort()
		return fmt.Errorf("detect: commit: %w", err)
	}
	sf, err := w.Close()
	if err != nil {
		w.Abort()
		return fmt.Errorf("detect: commit: %w", err)
	}
	now := time.Now().UTC()
	obj := ObjectRecord{ID: id, URI: "gumshoe:detect/" + now.Format("20060102T150405.000000Z"), Modified: now,
		LogType: "findings", Records: int64(len(rows))}
	if err := s.Commit(ctx, Segment{Objects: []ObjectRecord{obj}, Files: []StagedFile{sf}}); err != nil {
		w.Abort()
		return fmt.Errorf("detect: commit: %w", err)
	}
	return nil
}

// DetectEnd advances the run's watermark to the scope's last segment.
func (s *Store) DetectEnd(ctx context.Context, name string, sc *DetectScope) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO detect_state VALUES ($1, $2, now()::TIMESTAMP)
		ON CONFLICT (name) DO UPDATE SET segment_id = greatest(detect_state.segment_id, excluded.segment_id), updated_at = excluded.updated_at`,
		name, sc.ToSegment)
	if err != nil {
		return fmt.Errorf("detect: watermark: %w", err)
	}
	return nil
}
