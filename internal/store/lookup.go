package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// mentionsMacro defines mentions(value): every row of every table that
// mentions an address, access key, instance, interface, principal, account
// or domain, in the spirit of Tailpipe's tp_ips/tp_akas columns. Exact
// matches on the columns that hold identifiers, plus a substring search of
// the raw JSON of CloudTrail events and findings (request parameters name
// instances and buckets). Temporary, like the views it reads. {{flows}} is
// the flow part, made by mentionsSQL.
const mentionsMacro = `CREATE OR REPLACE TEMP MACRO mentions(v) AS TABLE
SELECT m.log, m.time, m.matched, m.object_id, m.record, o.uri
FROM (
{{flows}}
	UNION ALL
	SELECT 'cloudtrail_events', event_time,
		coalesce(nullif(concat_ws(',',
			CASE WHEN source_ip = v THEN 'source_ip' END, CASE WHEN access_key_id = v THEN 'access_key_id' END,
			CASE WHEN user_arn = v THEN 'user_arn' END, CASE WHEN principal_id = v THEN 'principal_id' END,
			CASE WHEN user_name = v THEN 'user_name' END, CASE WHEN session_issuer_arn = v THEN 'session_issuer_arn' END,
			CASE WHEN account_id = v THEN 'account_id' END), ''), 'raw'),
		object_id, object_record
	FROM cloudtrail_events
	WHERE source_ip = v OR access_key_id = v OR user_arn = v OR principal_id = v OR user_name = v
		OR session_issuer_arn = v OR account_id = v OR contains(raw::VARCHAR, v)
	UNION ALL
	SELECT 'findings', coalesce(last_seen, updated_at),
		coalesce(nullif(concat_ws(',',
			CASE WHEN remote_ip = v THEN 'remote_ip' END, CASE WHEN instance_id = v THEN 'instance_id' END,
			CASE WHEN access_key_id = v THEN 'access_key_id' END, CASE WHEN principal = v THEN 'principal' END,
			CASE WHEN domain = v THEN 'domain' END, CASE WHEN account_id = v THEN 'account_id' END), ''), 'raw'),
		object_id, object_record
	FROM findings
	WHERE remote_ip = v OR instance_id = v OR access_key_id = v OR principal = v OR domain = v OR account_id = v
		OR contains(raw::VARCHAR, v)
	UNION ALL
	SELECT 'dns_queries', query_time,
		coalesce(nullif(concat_ws(',',
			CASE WHEN srcaddr = v THEN 'srcaddr' END, CASE WHEN instance_id = v THEN 'instance_id' END,
			CASE WHEN rtrim(lower(query_name), '.') = rtrim(lower(v), '.') THEN 'query_name' END), ''), 'answers'),
		object_id, object_record
	FROM dns_queries
	WHERE srcaddr = v OR instance_id = v OR rtrim(lower(query_name), '.') = rtrim(lower(v), '.') OR contains(answers::VARCHAR, v)
) m
LEFT JOIN ingested_objects o USING (object_id)
ORDER BY m.time, m.log`

// Lookup returns every row that mentions value (see mentionsMacro), at most
// limit rows (0: no bound).
func (s *Store) Lookup(ctx context.Context, value string, limit int) (*Result, error) {
	q := "SELECT * FROM mentions(" + "'" + sqlQuote(value) + "'" + ")"
	return s.Query(ctx, q, limit)
}

// mentionsSQL is mentionsMacro for this store's lake. Flows are read from
// the lake's files rather than the flow_logs view, one UNION ALL branch per
// column: DuckDB pushes an equality on a plain column into the Parquet
// scan, where the row groups' bloom filters (see bloomColumns) skip nearly
// every row group, while an OR across columns, or the view's NULLIF, is
// evaluated on every row (docs/storage.md has the numbers). A row that
// matches several columns comes from the branch of the first, with every
// matching column in matched. An empty value matches nothing: the files
// hold some NULLs as empty strings (see lakeViewSQL).
func (s *Store) mentionsSQL() string {
	src := fmt.Sprintf("read_parquet('%s', hive_partitioning = false, union_by_name = true)",
		sqlQuote(filepath.Join(s.lakeDir, flowTable, "**", "*.parquet")))
	var matched []string
	for _, c := range mentionFlowColumns {
		matched = append(matched, fmt.Sprintf("CASE WHEN %s = v THEN '%s' END", c, c))
	}
	var branches []string
	for i, c := range mentionFlowColumns {
		where := []string{c + " = v", "v <> ''"}
		for _, prev := range mentionFlowColumns[:i] {
			where = append(where, prev+" IS DISTINCT FROM v")
		}
		branches = append(branches, fmt.Sprintf("\tSELECT 'flow_logs' AS log, start_time AS time, concat_ws(',', %s) AS matched, object_id, object_line AS record\n\tFROM %s WHERE %s",
			strings.Join(matched, ", "), src, strings.Join(where, " AND ")))
	}
	return strings.Replace(mentionsMacro, "{{flows}}", strings.Join(branches, "\n\tUNION ALL\n"), 1)
}

// mentionFlowColumns are the flow_logs columns mentions() matches.
var mentionFlowColumns = []string{"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "interface_id", "instance_id"}
