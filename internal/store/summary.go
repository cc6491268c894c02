package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The console's summary page: a few aggregates over the public tables,
// each relative to the newest data it reads (a database of last month's
// logs still has a summary), read one after another on one connection.

// SummaryBucketSeconds is the width of the findings timeline's buckets.
const SummaryBucketSeconds = 6 * 3600

// SummaryWindow is a half-open time range.
type SummaryWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// SeverityBucket counts the findings active in one bucket, by severity
// label (Critical, High, Medium, Low, Informational; absent labels are 0).
type SeverityBucket struct {
	Start  time.Time      `json:"start"`
	Counts map[string]int `json:"counts"`
}

// InstanceTraffic is an instance's traffic over the summary's window;
// flow logs without the instance-id field (the default format) give the
// network interface's instead.
type InstanceTraffic struct {
	EntityID  string `json:"entity_id"` // instance:i-… or interface:eni-…
	Name      string `json:"name"`      // the instance or interface ID
	AccountID string `json:"account_id"`
	BytesIn   int64  `json:"bytes_in"`
	BytesOut  int64  `json:"bytes_out"`
}

// PrincipalCalls is a principal's CloudTrail calls over the summary's
// window. EntityID is its graph entity (iam_role:…, iam_user:…,
// root:…), empty for principals the graph has no profile of (AWS
// services, anonymous callers).
type PrincipalCalls struct {
	EntityID  string `json:"entity_id,omitempty"`
	Principal string `json:"principal"`
	Calls     int64  `json:"calls"`
	Failed    int64  `json:"failed"`
}

// NewEntity is an entity first seen in the last day of data.
type NewEntity struct {
	EntityID    string    `json:"entity_id"`
	Type        string    `json:"type"`
	DisplayName string    `json:"display_name"`
	AccountID   string    `json:"account_id,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
}

// Summary is what the console's summary page shows besides findings,
// groups and ingest status. A window is nil when its table is empty.
type Summary struct {
	// FindingsWindow is at most the 14 days up to the newest finding's
	// last sighting, in SummaryBucketSeconds buckets; FindingBuckets
	// has every bucket of it, empty ones included.
	FindingsWindow *SummaryWindow    `json:"findings_window"`
	FindingBuckets []SeverityBucket  `json:"finding_buckets"`
	TrafficWindow  *SummaryWindow    `json:"traffic_window"` // 7 days up to the newest flow hour's end
	TopInstances   []InstanceTraffic `json:"top_instances"`
	APICallWindow  *SummaryWindow    `json:"api_call_window"` // 7 days up to the newest CloudTrail event
	TopPrincipals  []PrincipalCalls  `json:"top_principals"`
	NewWindow      *SummaryWindow    `json:"newly_observed_window"` // the last day of the graph's data
	NewlyObserved  []NewEntity       `json:"newly_observed"`
}

// SummaryLimits bounds the summary's lists.
type SummaryLimits struct {
	Instances, Principals, New int
}

// Summary computes the console summary's aggregates.
func (s *Store) Summary(ctx context.Context, lim SummaryLimits) (*Summary, error) {
	out := &Summary{FindingBuckets: []SeverityBucket{}, TopInstances: []InstanceTraffic{}, TopPrincipals: []PrincipalCalls{}, NewlyObserved: []NewEntity{}}
	for _, step := range []func(context.Context, *Summary, SummaryLimits) error{s.summaryFindings, s.summaryInstances, s.summaryPrincipals, s.summaryNew} {
		if err := step(ctx, out, lim); err != nil {
			return nil, fmt.Errorf("summary: %w", err)
		}
	}
	return out, nil
}

// summaryFindings counts the unarchived findings active in each 6-hour
// bucket (first_seen's bucket to last_seen's) of the last 14 days.
func (s *Store) summaryFindings(ctx context.Context, out *Summary, _ SummaryLimits) error {
	var end, first sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(last_seen), min(first_seen) FROM findings
WHERE NOT archived AND last_seen >= (SELECT max(last_seen) FROM findings WHERE NOT archived) - INTERVAL 14 DAY`).Scan(&end, &first); err != nil {
		return err
	}
	if !end.Valid {
		return nil
	}
	width := time.Duration(SummaryBucketSeconds) * time.Second
	w := SummaryWindow{End: end.Time.UTC().Truncate(width).Add(width)}
	w.Start = w.End.Add(-14 * 24 * time.Hour)
	if first.Valid && first.Time.UTC().Truncate(width).After(w.Start) {
		w.Start = first.Time.UTC().Truncate(width)
	}
	out.FindingsWindow = &w
	idx := map[time.Time]int{}
	for t := w.Start; t.Before(w.End); t = t.Add(width) {
		idx[t] = len(out.FindingBuckets)
		out.FindingBuckets = append(out.FindingBuckets, SeverityBucket{Start: t, Counts: map[string]int{}})
	}
	rows, err := s.db.QueryContext(ctx, `SELECT b, severity_label, count(*)::BIGINT FROM (
	SELECT severity_label, unnest(generate_series(time_bucket(INTERVAL 6 HOUR, first_seen), last_seen, INTERVAL 6 HOUR)) AS b
	FROM findings WHERE NOT archived AND last_seen >= $1::TIMESTAMP AND first_seen IS NOT NULL)
WHERE b >= $1::TIMESTAMP AND b < $2::TIMESTAMP GROUP BY ALL`, ts(w.Start), ts(w.End))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b time.Time
		var label string
		var n int
		if err := rows.Scan(&b, &label, &n); err != nil {
			return err
		}
		if i, ok := idx[b.UTC()]; ok {
			out.FindingBuckets[i].Counts[label] += n
		}
	}
	return rows.Err()
}

// summaryInstances reads the rollup's files of the newest day for its
// last hour, then those of the window's days (rollupSource): the view's
// glob spans every day, and binding it lists and checks every file (0.15 s
// a scan on the 45-day demo, twice).
func (s *Store) summaryInstances(ctx context.Context, out *Summary, lim SummaryLimits) error {
	var day sql.NullString
	if err := s.db.QueryRowContext(ctx, `SELECT max(regexp_extract(path, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1)) FROM lake_files WHERE table_name = $1`, rollupTable).Scan(&day); err != nil {
		return err
	}
	if !day.Valid || day.String == "" {
		return nil
	}
	d, err := time.Parse("2006-01-02", day.String)
	if err != nil {
		return fmt.Errorf("rollup day %q: %w", day.String, err)
	}
	src, err := s.rollupSource(ctx, d, d.Add(24*time.Hour))
	if err != nil || src == "" {
		return err
	}
	var last sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(hour) FROM `+src).Scan(&last); err != nil {
		return err
	}
	if !last.Valid {
		return nil
	}
	w := SummaryWindow{End: last.Time.UTC().Add(time.Hour)}
	w.Start = w.End.Add(-7 * 24 * time.Hour)
	out.TrafficWindow = &w
	if src, err = s.rollupSource(ctx, w.Start, w.End); err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT CASE WHEN instance_id IS NOT NULL THEN 'instance:' || instance_id ELSE 'interface:' || interface_id END AS id,
	coalesce(instance_id, interface_id), coalesce(any_value(account_id), ''), sum(bytes_in)::BIGINT AS i, sum(bytes_out)::BIGINT AS o
FROM `+src+` WHERE hour >= $1::TIMESTAMP AND hour < $2::TIMESTAMP AND coalesce(instance_id, interface_id) IS NOT NULL
GROUP BY 1, 2 ORDER BY i + o DESC, 1 LIMIT $3`, ts(w.Start), ts(w.End), lim.Instances)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r InstanceTraffic
		if err := rows.Scan(&r.EntityID, &r.Name, &r.AccountID, &r.BytesIn, &r.BytesOut); err != nil {
			return err
		}
		out.TopInstances = append(out.TopInstances, r)
	}
	return rows.Err()
}

func (s *Store) summaryPrincipals(ctx context.Context, out *Summary, lim SummaryLimits) error {
	var last sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(event_time) FROM cloudtrail_events`).Scan(&last); err != nil {
		return err
	}
	if !last.Valid {
		return nil
	}
	w := SummaryWindow{End: last.Time.UTC().Truncate(time.Minute).Add(time.Minute)}
	w.Start = w.End.Add(-7 * 24 * time.Hour)
	out.APICallWindow = &w
	rows, err := s.db.QueryContext(ctx, `SELECT
	coalesce(CASE WHEN user_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL THEN 'iam_role:' || session_issuer_arn
		WHEN user_type = 'IAMUser' THEN 'iam_user:' || user_arn
		WHEN user_type = 'Root' THEN 'root:' || account_id END, '') AS entity_id,
	coalesce(session_issuer_arn, user_arn, user_type, 'unknown') AS principal, count(*)::BIGINT AS calls, count(error_code)::BIGINT
FROM cloudtrail_events WHERE event_time >= $1::TIMESTAMP AND event_time < $2::TIMESTAMP
GROUP BY ALL ORDER BY calls DESC, principal LIMIT $3`, ts(w.Start), ts(w.End), lim.Principals)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r PrincipalCalls
		if err := rows.Scan(&r.EntityID, &r.Principal, &r.Calls, &r.Failed); err != nil {
			return err
		}
		out.TopPrincipals = append(out.TopPrincipals, r)
	}
	return rows.Err()
}

// summaryNew lists the entities first seen in the graph's last day, and
// not in its first: public addresses outside AWS, user
// agents, principals, long-term keys, domains, instances, buckets. It
// reads graph_entities rather than the entities view, which also derives
// every flow address (half a second on the 45-day demo) and would list
// the ephemeral ones.
func (s *Store) summaryNew(ctx context.Context, out *Summary, lim SummaryLimits) error {
	var last, first sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(last_seen), min(first_seen) FROM graph_entities WHERE type <> 'finding'`).Scan(&last, &first); err != nil {
		return err
	}
	if !last.Valid || !first.Valid {
		return nil
	}
	w := SummaryWindow{End: last.Time.UTC().Truncate(time.Minute).Add(time.Minute)}
	w.Start = w.End.Add(-24 * time.Hour)
	out.NewWindow = &w
	// Not in the first day of data either: there, everything is new.
	since := first.Time.UTC().Add(24 * time.Hour)
	if since.Before(w.Start) {
		since = w.Start
	}
	rows, err := s.db.QueryContext(ctx, `WITH e AS (
	SELECT entity_id, any_value(type) AS type, any_value(natural_key) AS natural_key,
		coalesce(any_value(display_name), any_value(natural_key)) AS display_name, coalesce(any_value(account_id), '') AS account_id,
		min(first_seen) AS first_seen
	FROM graph_entities WHERE type IN ('ip', 'user_agent', 'iam_role', 'iam_user', 'access_key', 'domain', 'instance', 's3_bucket', 'root')
	GROUP BY entity_id)
SELECT e.entity_id, e.type, e.display_name, e.account_id, e.first_seen
FROM e LEFT JOIN ip_info i ON e.type = 'ip' AND i.ip = e.natural_key
WHERE e.first_seen >= $1::TIMESTAMP
	AND NOT (e.type = 'ip' AND (is_private_address(e.natural_key) OR i.aws_service IS NOT NULL))
	AND NOT (e.type = 'access_key' AND e.natural_key LIKE 'ASIA%')
ORDER BY e.first_seen DESC, e.entity_id LIMIT $2`, ts(since), lim.New)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r NewEntity
		if err := rows.Scan(&r.EntityID, &r.Type, &r.DisplayName, &r.AccountID, &r.FirstSeen); err != nil {
			return err
		}
		r.FirstSeen = r.FirstSeen.UTC()
		out.NewlyObserved = append(out.NewlyObserved, r)
	}
	return rows.Err()
}
