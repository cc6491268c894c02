package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// mentionsBody is the query of mentions(value [, from_time := t0] [,
// to_time := t1]): every row of every table that mentions an address, access key,
// instance, interface, principal, account, bucket or domain, in the spirit
// of Tailpipe's tp_ips/tp_akas columns, with a time in [from_time,
// to_time) when they are given. Exact matches on the columns that hold
// identifiers; CloudTrail events through their identifiers (see
// cloudtrailIDRow: request parameters and responses name instances,
// buckets and addresses); a substring search of the raw JSON of findings
// and of DNS answers. {{flows}}, {{cloudtrail}} and {{dns}} are made by
// mentionsQuery; {{v}}, {{from}} and {{to}} are the value and the bounds.
//
// The window is written "(from IS NULL OR t >= from)": DuckDB
// folds it to the bare comparison, or to nothing, before pushing filters
// into the Parquet scans, where it prunes files and row groups on their
// time statistics.
const mentionsBody = `SELECT m.log, m.time, m.matched, m.object_id, m.record, o.uri
FROM (
{{flows}}
	UNION ALL
{{cloudtrail}}
	UNION ALL
	SELECT 'findings', coalesce(last_seen, updated_at),
		coalesce(nullif(concat_ws(',',
			CASE WHEN remote_ip = {{v}} THEN 'remote_ip' END, CASE WHEN instance_id = {{v}} THEN 'instance_id' END,
			CASE WHEN access_key_id = {{v}} THEN 'access_key_id' END, CASE WHEN principal = {{v}} THEN 'principal' END,
			CASE WHEN domain = {{v}} THEN 'domain' END, CASE WHEN account_id = {{v}} THEN 'account_id' END), ''), 'raw'),
		object_id, object_record
	FROM findings
	WHERE (remote_ip = {{v}} OR instance_id = {{v}} OR access_key_id = {{v}} OR principal = {{v}} OR domain = {{v}} OR account_id = {{v}}
		OR contains(raw::VARCHAR, {{v}})) AND {{v}} <> ''
		AND ({{from}} IS NULL OR coalesce(last_seen, updated_at) >= {{from}})
		AND ({{to}} IS NULL OR coalesce(first_seen, created_at, last_seen, updated_at) < {{to}})
	UNION ALL
	SELECT 'dns_queries', query_time,
		coalesce(nullif(concat_ws(',',
			CASE WHEN srcaddr = {{v}} THEN 'srcaddr' END, CASE WHEN instance_id = {{v}} THEN 'instance_id' END,
			CASE WHEN rtrim(lower(query_name), '.') = rtrim(lower({{v}}), '.') THEN 'query_name' END), ''), 'answers'),
		object_id, object_record
	FROM {{dns}}
	WHERE (srcaddr = {{v}} OR instance_id = {{v}} OR rtrim(lower(query_name), '.') = rtrim(lower({{v}}), '.') OR contains(answers, {{v}}))
		AND {{v}} <> '' AND ({{from}} IS NULL OR query_time >= {{from}}) AND ({{to}} IS NULL OR query_time < {{to}})
) m
LEFT JOIN ingested_objects o USING (object_id)
ORDER BY m.time, m.log`

// window is the time condition of a branch whose time column is col.
func window(col string) string {
	return fmt.Sprintf("({{from}} IS NULL OR %[1]s >= {{from}}) AND ({{to}} IS NULL OR %[1]s < {{to}})", col)
}

// Window bounds a lookup in time: rows at or after From and before To. A
// zero bound is no bound.
type Window struct {
	From, To time.Time
}

// Lookup returns every row that mentions value (see mentionsBody) within
// w, at most limit rows (0: no bound). It runs the same query as the
// mentions() macro, with one difference: it reads only the flow files
// whose day lies in w and whose bloom filters may hold value (see
// flowCandidates), which a macro cannot know when it is made. For a rare
// value that is a few files out of hundreds, and DuckDB no longer opens,
// binds and probes the others once per flow column.
func (s *Store) Lookup(ctx context.Context, value string, w Window, limit int) (*Result, error) {
	files, err := s.flowCandidates(value, w)
	if err != nil {
		files = nil // read them all
	}
	from, to := "NULL::TIMESTAMP", "NULL::TIMESTAMP"
	if !w.From.IsZero() {
		from = timestampLiteral(w.From)
	}
	if !w.To.IsZero() {
		to = timestampLiteral(w.To)
	}
	q := s.mentionsQuery(files, "'"+sqlQuote(value)+"'", from, to)
	if limit > 0 {
		// DuckDB then keeps the first rows in a heap as it scans instead
		// of sorting every match: an address in millions of flows took
		// 7.8 s without, 1.5 s with (docs/storage.md). One row more than
		// the limit tells Query the result is truncated.
		q += fmt.Sprintf(" LIMIT %d", limit+1)
	}
	return s.Query(ctx, q, limit)
}

func timestampLiteral(t time.Time) string {
	return "TIMESTAMP '" + t.UTC().Format("2006-01-02 15:04:05.999999") + "'"
}

// mentionsSQL defines mentions(v [, from_time := t0] [, to_time := t1])
// for this store's lake: mentionsBody over every flow file. Temporary,
// like the views it reads.
func (s *Store) mentionsSQL() string {
	return "CREATE OR REPLACE TEMP MACRO mentions(v, from_time := NULL, to_time := NULL) AS TABLE\n" +
		s.mentionsQuery(nil, "v", "from_time", "to_time")
}

// mentionsQuery is mentionsBody for this store's lake, reading the flow
// files flowFiles (nil: all), with v, from and to the SQL expressions of
// the value and the window's bounds.
//
// Flows are read from the lake's files rather than the flow_logs view, one
// UNION ALL branch per column: DuckDB pushes an equality on a plain column
// into the Parquet scan, where the row groups' bloom filters (see
// bloomColumns) skip nearly every row group, while an OR across columns,
// or the view's NULLIF, is evaluated on every row (docs/storage.md has the
// numbers). A row that matches several columns comes from the branch of
// the first, with every matching column in matched. An empty value matches
// nothing: the files hold some NULLs as empty strings (see lakeViewSQL).
//
// CloudTrail events are found by an equality on cloudtrail_identifiers,
// pruned the same way; the events files written before it existed are
// searched as they were, by their identity columns and a substring search
// of their JSON.
func (s *Store) mentionsQuery(flowFiles []string, v, from, to string) string {
	src := fmt.Sprintf("read_parquet('%s', hive_partitioning = false, union_by_name = true)",
		sqlQuote(filepath.Join(s.lakeDir, flowTable, "**", "*.parquet")))
	if flowFiles != nil {
		// The anchor gives every column its type whichever files remain.
		src = readFilesByName(append([]string{filepath.Join(s.lakeDir, flowTable, anchorName)}, flowFiles...))
	}
	var matched []string
	for _, c := range mentionFlowColumns {
		matched = append(matched, fmt.Sprintf("CASE WHEN %s = {{v}} THEN '%s' END", c, c))
	}
	var branches []string
	for i, c := range mentionFlowColumns {
		where := []string{c + " = {{v}}", "{{v}} <> ''", window("start_time")}
		for _, prev := range mentionFlowColumns[:i] {
			where = append(where, prev+" IS DISTINCT FROM {{v}}")
		}
		branches = append(branches, fmt.Sprintf("\tSELECT 'flow_logs' AS log, start_time AS time, concat_ws(',', %s) AS matched, object_id, object_line AS record\n\tFROM %s WHERE %s",
			strings.Join(matched, ", "), src, strings.Join(where, " AND ")))
	}
	// DNS answers are searched in the files too: through the view, each
	// row's answers would be parsed as JSON before the search.
	dns := fmt.Sprintf("read_parquet('%s', hive_partitioning = false, union_by_name = true)",
		sqlQuote(filepath.Join(s.lakeDir, dnsTable, "**", "*.parquet")))
	// The templates first, then the expressions: a value is a quoted
	// literal by now, and is not scanned for placeholders.
	q := strings.NewReplacer("{{flows}}", strings.Join(branches, "\n\tUNION ALL\n"),
		"{{cloudtrail}}", s.cloudtrailMentionsSQL(), "{{dns}}", dns).Replace(mentionsBody)
	return strings.NewReplacer("{{v}}", v, "{{from}}", from, "{{to}}", to).Replace(q)
}

// readFilesByName reads files with union_by_name.
func readFilesByName(files []string) string {
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + sqlQuote(f) + "'"
	}
	return fmt.Sprintf("read_parquet([%s], hive_partitioning = false, union_by_name = true)", strings.Join(quoted, ", "))
}

// cloudtrailMentionsSQL is the CloudTrail part of mentions().
func (s *Store) cloudtrailMentionsSQL() string {
	var parts []string
	// A database opened read-only that no version with the index has
	// written to has no cloudtrail_identifiers folder, not even its anchor.
	ids := filepath.Join(s.lakeDir, cloudtrailIDTable)
	if dirExists(ids) {
		parts = append(parts, fmt.Sprintf(`	SELECT 'cloudtrail_events', event_time, matched, object_id, object_record
	FROM read_parquet('%s', hive_partitioning = false)
	WHERE identifier = {{v}} AND {{v}} <> '' AND %s`, sqlQuote(filepath.Join(ids, "**", "*.parquet")), window("event_time")))
	}
	legacy, err := s.legacyCloudTrailFiles()
	if err != nil {
		// Unreadable folder: search every file the slow way rather than
		// miss any; the index then lists some events twice.
		legacy = []string{filepath.Join(s.lakeDir, cloudtrailTable, "**", "*.parquet")}
	}
	if len(legacy) > 0 {
		parts = append(parts, fmt.Sprintf(`	SELECT 'cloudtrail_events', event_time,
		coalesce(nullif(concat_ws(',',
			CASE WHEN source_ip = {{v}} THEN 'source_ip' END, CASE WHEN access_key_id = {{v}} THEN 'access_key_id' END,
			CASE WHEN user_arn = {{v}} THEN 'user_arn' END, CASE WHEN principal_id = {{v}} THEN 'principal_id' END,
			CASE WHEN user_name = {{v}} THEN 'user_name' END, CASE WHEN session_issuer_arn = {{v}} THEN 'session_issuer_arn' END,
			CASE WHEN account_id = {{v}} THEN 'account_id' END), ''), 'raw'),
		object_id, object_record
	FROM %s
	WHERE (source_ip = {{v}} OR access_key_id = {{v}} OR user_arn = {{v}} OR principal_id = {{v}} OR user_name = {{v}}
		OR session_issuer_arn = {{v}} OR account_id = {{v}} OR contains(raw, {{v}})) AND {{v}} <> '' AND %s`,
			readFilesByName(legacy), window("event_time")))
	}
	if len(parts) == 0 {
		// Nothing to read: keep the branch's shape.
		parts = append(parts, `	SELECT 'cloudtrail_events', NULL::TIMESTAMP, NULL::VARCHAR, NULL::BIGINT, NULL::INTEGER WHERE false`)
	}
	return strings.Join(parts, "\n\tUNION ALL\n")
}

// mentionFlowColumns are the flow_logs columns mentions() matches.
var mentionFlowColumns = []string{"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "interface_id", "instance_id"}
