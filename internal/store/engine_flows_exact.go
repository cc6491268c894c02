package store

// Minute-exact flow panels. A flow log record is counted at its start_time:
// it is in a scope [start, end) when start <= start_time < end, and in the
// bucket its start_time falls in. That is the rollup's own rule (a record
// is rolled up into the hour its start_time falls in), so an hour counted
// from the rollup and the same hour counted from its raw records agree
// (TestExactFlowsMatchRollup).
//
// An entity's flows over a time range are read as one relation (exactFlows)
// with the rollup's columns: the whole hours inside the range from the
// rollup (a row per conversation per hour, hour = the row's hour), the
// minutes of the partial hours at either edge from the raw records (a row
// per record, hour = its start_time). A raw record takes the rollup row it
// was rolled up into — same ingest segment, hour, interface, account,
// instance, action, protocol and endpoints — for its local and remote
// sides and its direction, which are properties of the conversation, not
// of one record: so a minute-exact row has the same key as the rollup's,
// and its bytes in and out are split the same way.

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sqlArgs numbers the parameters of a statement as it is assembled.
type sqlArgs struct{ list []any }

// bind adds a parameter and returns its placeholder.
func (a *sqlArgs) bind(v any) string {
	a.list = append(a.list, v)
	return "$" + strconv.Itoa(len(a.list))
}

// bindTime binds a time as a TIMESTAMP (see ts).
func (a *sqlArgs) bindTime(t time.Time) string { return a.bind(ts(t)) + "::TIMESTAMP" }

// flowSpan splits [start, end) into the whole hours [hourStart, hourEnd)
// read from the rollup and the raw ranges read from the records.
type flowSpan struct {
	start, end         time.Time
	hourStart, hourEnd time.Time // equal: no rollup part
	raw                [][2]time.Time
}

// newFlowSpan splits [start, end); rawOnly reads it all from the records
// (buckets shorter than an hour).
func newFlowSpan(start, end time.Time, rawOnly bool) flowSpan {
	start, end = start.UTC(), end.UTC()
	sp := flowSpan{start: start, end: end}
	hs := start.Truncate(time.Hour)
	if hs.Before(start) {
		hs = hs.Add(time.Hour)
	}
	he := end.Truncate(time.Hour)
	if rawOnly || !hs.Before(he) || forceRawFlows {
		sp.hourStart, sp.hourEnd = start, start
		sp.raw = [][2]time.Time{{start, end}}
		return sp
	}
	sp.hourStart, sp.hourEnd = hs, he
	if start.Before(hs) {
		sp.raw = append(sp.raw, [2]time.Time{start, hs})
	}
	if he.Before(end) {
		sp.raw = append(sp.raw, [2]time.Time{he, end})
	}
	return sp
}

// forceRawFlows makes every flow query read raw records only: the tests
// compare it with the rollup.
var forceRawFlows = false

// lakeFile is one committed lake file.
type lakeFile struct {
	path    string // absolute
	segment int64
}

// lakeFilesOf lists the committed flow or rollup files that may hold
// records (rows) that started in [start, end): those of the day folders
// of the range, less the flow files whose start times (lake_files
// min_time and max_time) miss it, and the rollup files of segments whose
// flow files of that day all miss it. (A segment writes a day's rollup
// rows from its records of that day.)
func (s *Store) lakeFilesOf(ctx context.Context, table string, start, end time.Time) ([]lakeFile, error) {
	first := start.UTC().Format("2006-01-02")
	last := end.UTC().Add(-time.Microsecond).Format("2006-01-02")
	lo, hi := ts(start), ts(end)
	if table == rollupTable {
		// The hours of [start, end) hold the rows of the records that
		// started in their whole hours.
		lo = ts(start.Truncate(time.Hour))
		if h := end.Truncate(time.Hour); h.Before(end) {
			hi = ts(h.Add(time.Hour))
		}
	}
	rows, err := s.db.QueryContext(ctx, `WITH f AS (
	SELECT path, segment_id, min_time, max_time, table_name,
		regexp_extract(path, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS day
	FROM lake_files WHERE table_name IN ($1, $2)
), times AS (
	SELECT segment_id, day, bool_or(min_time < $6::TIMESTAMP AND max_time >= $5::TIMESTAMP) AS hit
	FROM f WHERE table_name = $1 AND min_time IS NOT NULL GROUP BY ALL
)
SELECT f.path, f.segment_id FROM f LEFT JOIN times t USING (segment_id, day)
WHERE f.table_name = $7 AND f.day BETWEEN $3 AND $4
	AND CASE WHEN f.table_name = $1 THEN f.min_time IS NULL OR (f.min_time < $6::TIMESTAMP AND f.max_time >= $5::TIMESTAMP)
		ELSE coalesce(t.hit, TRUE) END
ORDER BY f.path`, flowTable, rollupTable, first, last, lo, hi, table)
	if err != nil {
		return nil, fmt.Errorf("%s files: %w", table, err)
	}
	defer rows.Close()
	var out []lakeFile
	for rows.Next() {
		var f lakeFile
		if err := rows.Scan(&f.path, &f.segment); err != nil {
			return nil, fmt.Errorf("%s files: %w", table, err)
		}
		f.path = filepath.Join(s.lakeDir, f.path)
		out = append(out, f)
	}
	return out, rows.Err()
}

// filesRelation reads files with their schema anchor (which fixes the
// column types, as in the views), each row with its file's segment.
func (s *Store) filesRelation(table string, files []lakeFile) string {
	paths := []string{"'" + sqlQuote(filepath.Join(s.lakeDir, table, anchorName)) + "'"}
	var segs []string
	for _, f := range files {
		q := "'" + sqlQuote(f.path) + "'"
		paths = append(paths, q)
		segs = append(segs, "("+q+", "+strconv.FormatInt(f.segment, 10)+")")
	}
	return fmt.Sprintf("(SELECT * FROM read_parquet([%s], hive_partitioning = false, union_by_name = true, filename = true) "+
		"JOIN (VALUES %s) seg(filename, segment_id) USING (filename))", strings.Join(paths, ", "), strings.Join(segs, ", "))
}

// flowFilesView reads files as the flow_logs view reads the whole lake:
// every column, empty strings as NULL.
func (s *Store) flowFilesView(files []lakeFile) string {
	paths := []string{"'" + sqlQuote(filepath.Join(s.lakeDir, flowTable, anchorName)) + "'"}
	for _, f := range files {
		paths = append(paths, "'"+sqlQuote(f.path)+"'")
	}
	var cols []string
	for _, c := range tableColumns(flowTable) {
		if c.text {
			cols = append(cols, fmt.Sprintf("NULLIF(%s, '') AS %s", c.name, c.name))
		} else {
			cols = append(cols, c.name)
		}
	}
	return fmt.Sprintf("(SELECT %s FROM read_parquet([%s], hive_partitioning = false, union_by_name = true))",
		strings.Join(cols, ", "), strings.Join(paths, ", "))
}

// entityBranches selects an entity's rows of src with cond: for an
// instance, its rows and those of the interfaces the graph gives it (one
// scan per column joined by UNION ALL: an equality on a plain column is
// pushed into the Parquet scan, where min/max statistics and bloom filters
// skip row groups, while an OR is evaluated on every row); for an address,
// cols names the two columns it may be in.
func entityBranches(src string, side FlowSide, keyP string, ifaces []string, cols [2]string, cond string, a *sqlArgs) string {
	sel := func(where string) string { return "SELECT * FROM " + src + " WHERE " + cond + " AND " + where }
	switch side {
	case FlowInstance:
		if len(ifaces) == 0 {
			return sel("instance_id = " + keyP)
		}
		var ph []string
		for _, i := range ifaces {
			ph = append(ph, a.bind(i))
		}
		return sel("instance_id = "+keyP) + " UNION ALL " + sel("interface_id IN ("+strings.Join(ph, ", ")+") AND instance_id IS DISTINCT FROM "+keyP)
	case FlowInterface:
		return sel("interface_id = " + keyP)
	}
	q := sel(cols[0] + " = " + keyP)
	if cols[1] != "" {
		q += " UNION ALL " + sel(cols[1]+" = "+keyP+" AND "+cols[0]+" IS DISTINCT FROM "+keyP)
	}
	return q
}

// endpointsSQL orders a conversation's two endpoints, the same way for a
// record (source, destination) and for its rollup row (local, remote), so
// that the two join on equal columns. Ports are -1 when NULL.
func endpointsSQL(addrA, portA, addrB, portB string) string {
	first := fmt.Sprintf("(%[1]s < %[3]s OR (%[1]s = %[3]s AND %[2]s <= %[4]s))", addrA, portA, addrB, portB)
	return fmt.Sprintf(`CASE WHEN %[1]s THEN %[2]s ELSE %[4]s END AS e1_addr, CASE WHEN %[1]s THEN %[3]s ELSE %[5]s END AS e1_port,
		CASE WHEN %[1]s THEN %[4]s ELSE %[2]s END AS e2_addr, CASE WHEN %[1]s THEN %[5]s ELSE %[3]s END AS e2_port`,
		first, addrA, portA, addrB, portB)
}

// foreignInterfaceRows reports whether rollup files hold, in the hours
// [lo, hi), rows of an instance's interfaces without its instance ID.
func (s *Store) foreignInterfaceRows(ctx context.Context, files []lakeFile, key string, ifaces []string, lo, hi time.Time) (bool, error) {
	a := &sqlArgs{}
	keyP := a.bind(key)
	var ph []string
	for _, i := range ifaces {
		ph = append(ph, a.bind(i))
	}
	paths := []string{"'" + sqlQuote(filepath.Join(s.lakeDir, rollupTable, anchorName)) + "'"}
	for _, f := range files {
		paths = append(paths, "'"+sqlQuote(f.path)+"'")
	}
	q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM read_parquet([%s], hive_partitioning = false, union_by_name = true)
WHERE hour >= %s AND hour < %s AND interface_id IN (%s) AND coalesce(instance_id, '') <> %s)`,
		strings.Join(paths, ", "), a.bindTime(lo), a.bindTime(hi), strings.Join(ph, ", "), keyP)
	var ok bool
	if err := s.db.QueryRowContext(ctx, q, a.list...).Scan(&ok); err != nil {
		return false, fmt.Errorf("interface rows: %w", err)
	}
	return ok, nil
}

// exactFlowsSQL is exactFlows' relation: %[1]s selects the entity's
// rollup rows of every hour the range touches (read once: the whole hours
// are counted from them, and the records of the partial hours are joined
// to them), %[2]s the parts of the result (exactRollupPart,
// exactRecordsPart).
const exactFlowsSQL = `(WITH roll AS (
	SELECT *, coalesce(account_id, '') AS acct, coalesce(interface_id, '') AS iface, coalesce(instance_id, '') AS inst,
		coalesce(action, '') AS act, coalesce(protocol, -1) AS proto,
		%[3]s
	FROM (%[1]s)
)
%[2]s)`

// exactRollupPart counts the whole hours [%[1]s, %[2]s) from the rollup.
const exactRollupPart = `SELECT hour, NULLIF(account_id, '') AS account_id, NULLIF(interface_id, '') AS interface_id,
	NULLIF(instance_id, '') AS instance_id, NULLIF(local_addr, '') AS local_addr, local_port,
	NULLIF(remote_addr, '') AS remote_addr, remote_port, protocol, direction, NULLIF(action, '') AS action,
	bytes_in, bytes_out, packets_in, packets_out, flows, first_seen, last_seen
FROM roll WHERE hour >= %[1]s AND hour < %[2]s`

// exactRecordsPart counts the entity's records (%[1]s) one by one, each
// through the rollup row it was rolled up into: same segment, hour,
// context and endpoints (%[2]s orders the record's endpoints as
// exactFlowsSQL orders the row's). The row's local side says whether the
// record's bytes are in or out (%[3]s: the record was sent by it).
const exactRecordsPart = `SELECT rec.start_time AS hour, NULLIF(r.account_id, '') AS account_id, NULLIF(r.interface_id, '') AS interface_id,
	NULLIF(r.instance_id, '') AS instance_id, NULLIF(r.local_addr, '') AS local_addr, r.local_port,
	NULLIF(r.remote_addr, '') AS remote_addr, r.remote_port, r.protocol, r.direction, NULLIF(r.action, '') AS action,
	CASE WHEN %[3]s THEN 0 ELSE rec.bytes END AS bytes_in, CASE WHEN %[3]s THEN rec.bytes ELSE 0 END AS bytes_out,
	CASE WHEN %[3]s THEN 0 ELSE rec.packets END AS packets_in, CASE WHEN %[3]s THEN rec.packets ELSE 0 END AS packets_out,
	1::BIGINT AS flows, rec.start_time AS first_seen, rec.end_time AS last_seen
FROM (
	SELECT segment_id, start_time, coalesce(end_time, start_time) AS end_time,
		coalesce(bytes, 0)::BIGINT AS bytes, coalesce(packets, 0)::BIGINT AS packets,
		coalesce(account_id, '') AS acct, coalesce(interface_id, '') AS iface, coalesce(instance_id, '') AS inst,
		coalesce(action, '') AS act, coalesce(protocol, -1) AS proto, srcaddr, coalesce(srcport, -1) AS sport,
		%[2]s
	FROM (%[1]s)
) rec
JOIN roll r ON r.segment_id = rec.segment_id AND r.hour = date_trunc('hour', rec.start_time) AND r.acct = rec.acct
	AND r.iface = rec.iface AND r.inst = rec.inst AND r.act = rec.act AND r.proto = rec.proto
	AND r.e1_addr = rec.e1_addr AND r.e1_port = rec.e1_port AND r.e2_addr = rec.e2_addr AND r.e2_port = rec.e2_port`

// sentByLocal says that a record of exactRecordsPart was sent by its
// rollup row's local side.
const sentByLocal = `(rec.srcaddr = r.local_addr AND rec.sport = coalesce(r.local_port, -1))`

// rollupColumn is the rollup column that holds an address entity.
func rollupColumn(side FlowSide) [2]string {
	if side == FlowRemoteAddr {
		return [2]string{"remote_addr"}
	}
	return [2]string{"local_addr"}
}

// exactFlows returns a relation of key's flows (side) in [sp.start,
// sp.end) with the rollup's columns: rollup rows for the whole hours,
// rows of single records for the rest (see the top of this file). ""
// means the lake holds no flows then. The key is bound first.
func (s *Store) exactFlows(ctx context.Context, side FlowSide, key string, sp flowSpan, a *sqlArgs) (string, error) {
	if _, ok := rollupEntityFilter[side]; !ok {
		return "", fmt.Errorf("%w %q", ErrUnknownKind, side)
	}
	keyP := a.bind(key)
	var ifaces []string
	if side == FlowInstance {
		var err error
		if ifaces, err = s.interfacesOf(ctx, key); err != nil {
			return "", err
		}
	}
	lo, hi := sp.start.Truncate(time.Hour), sp.end.Truncate(time.Hour)
	if hi.Before(sp.end) {
		hi = hi.Add(time.Hour)
	}
	rfiles, err := s.lakeFilesOf(ctx, rollupTable, lo, hi)
	if err != nil || len(rfiles) == 0 {
		return "", err
	}
	if len(ifaces) > 0 {
		// The instance's interfaces' rows without its ID (formats without
		// instance-id) are rare: when the rollup has none in these hours,
		// neither rows nor records need the interfaces' branch (which
		// reads each interface record, measured 70 ms of CPU for 17
		// minutes of the busiest instance's records on 30 M flows).
		if ok, err := s.foreignInterfaceRows(ctx, rfiles, key, ifaces, lo, hi); err != nil {
			return "", err
		} else if !ok {
			ifaces = nil
		}
	}
	roll := entityBranches(s.filesRelation(rollupTable, rfiles), side, keyP, ifaces, rollupColumn(side),
		"hour >= "+a.bindTime(lo)+" AND hour < "+a.bindTime(hi), a)
	var parts []string
	if sp.hourStart.Before(sp.hourEnd) {
		parts = append(parts, fmt.Sprintf(exactRollupPart, a.bindTime(sp.hourStart), a.bindTime(sp.hourEnd)))
	}
	// The records of each partial range: its days' files, read with the
	// range as a condition of its own, which DuckDB checks against each
	// row group's start_time statistics (an OR of the ranges is not).
	var recs []string
	for _, rng := range sp.raw {
		files, err := s.lakeFilesOf(ctx, flowTable, rng[0], rng[1])
		if err != nil {
			return "", err
		}
		if len(files) == 0 {
			continue
		}
		// Only records the rollup counts: with both addresses and a
		// start, log status OK or absent.
		cond := "start_time >= " + a.bindTime(rng[0]) + " AND start_time < " + a.bindTime(rng[1]) +
			" AND srcaddr <> '' AND dstaddr <> '' AND coalesce(NULLIF(log_status, ''), 'OK') = 'OK'"
		recs = append(recs, entityBranches(s.filesRelation(flowTable, files), side, keyP, ifaces, [2]string{"srcaddr", "dstaddr"}, cond, a))
	}
	if len(recs) > 0 {
		parts = append(parts, fmt.Sprintf(exactRecordsPart, strings.Join(recs, " UNION ALL "),
			endpointsSQL("srcaddr", "coalesce(srcport, -1)", "dstaddr", "coalesce(dstport, -1)"), sentByLocal))
	}
	if len(parts) == 0 {
		return "", nil
	}
	return fmt.Sprintf(exactFlowsSQL, roll, strings.Join(parts, "\nUNION ALL\n"),
		endpointsSQL("local_addr", "coalesce(local_port, -1)", "remote_addr", "coalesce(remote_port, -1)")), nil
}

// flowAggregateSQL sums an entity's flows by flow-details key: %[1]s is
// the row's first key column (the remote address, or the instance: the
// rollup's, else the one the graph gives the interface, else the
// interface), %[2]s the flows (exactFlows).
const flowAggregateSQL = `SELECT %[1]s AS k, local_port, remote_port, protocol, direction,
	sum(bytes_in)::BIGINT, sum(bytes_out)::BIGINT, sum(packets_in)::BIGINT, sum(packets_out)::BIGINT, sum(flows)::BIGINT,
	coalesce(sum(flows) FILTER (WHERE action = 'ACCEPT'), 0)::BIGINT,
	coalesce(sum(flows) FILTER (WHERE action = 'REJECT'), 0)::BIGINT,
	min(first_seen), max(last_seen)
FROM %[2]s r
GROUP BY ALL`

// FlowAggregates sums side's flows for key that started in [start, end)
// (minute precision: whole hours from the rollup, the rest from the
// records), by remote address or, with byInstance, by instance; the key is
// in RemoteAddr or InstanceID. FirstSeen and LastSeen are those of the
// flows counted.
func (s *Store) FlowAggregates(ctx context.Context, side FlowSide, key string, byInstance bool, start, end time.Time) ([]FlowAggregate, error) {
	first := "remote_addr"
	if byInstance {
		first = instanceKey
	}
	a := &sqlArgs{}
	src, err := s.exactFlows(ctx, side, key, newFlowSpan(start, end, false), a)
	if err != nil || src == "" {
		if err != nil {
			err = fmt.Errorf("flow aggregates: %w", err)
		}
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(flowAggregateSQL, first, src), a.list...)
	if err != nil {
		return nil, fmt.Errorf("flow aggregates: %w", err)
	}
	defer rows.Close()
	var out []FlowAggregate
	for rows.Next() {
		var g FlowAggregate
		var k sql.NullString
		var lport, rport, proto sql.NullInt64
		if err := rows.Scan(&k, &lport, &rport, &proto, &g.Direction,
			&g.BytesIn, &g.BytesOut, &g.PacketsIn, &g.PacketsOut, &g.Flows, &g.Accepted, &g.Rejected,
			&g.FirstSeen, &g.LastSeen); err != nil {
			return nil, fmt.Errorf("flow aggregates: %w", err)
		}
		if byInstance {
			g.InstanceID = k.String
		} else {
			g.RemoteAddr = k.String
		}
		g.LocalPort, g.RemotePort, g.Protocol = nullInt(lport), nullInt(rport), nullInt(proto)
		out = append(out, g)
	}
	return out, rows.Err()
}

// bucketOrigin aligns buckets: every bucket size divides a day, so buckets
// fall on UTC clock multiples of their size (hours on the hour, days at
// midnight).
const bucketOrigin = "TIMESTAMP '2000-01-01 00:00:00'"

// flowSeriesSQL sums flows (%[1]s) by bucket, overall (row 0) and for
// each row of %[2]s (a UNION ALL of flowSeriesRowSQL): %[3]s is the bucket
// size in seconds, %[4]s the range's start, which begins the first bucket.
const flowSeriesSQL = `WITH f AS MATERIALIZED (
	SELECT greatest(time_bucket(to_seconds(%[3]s::BIGINT), hour, ` + bucketOrigin + `), %[4]s) AS b, *
	FROM %[1]s r
)
%[2]s
ORDER BY 1, 2`

// flowSeriesRowSQL sums the flows of row %[1]d (condition %[2]s) by
// bucket.
const flowSeriesRowSQL = `SELECT %[1]d, b,
	sum(bytes_in)::BIGINT, sum(bytes_out)::BIGINT, sum(packets_in)::BIGINT, sum(packets_out)::BIGINT, sum(flows)::BIGINT,
	coalesce(sum(flows) FILTER (WHERE action = 'ACCEPT'), 0)::BIGINT,
	coalesce(sum(flows) FILTER (WHERE action = 'REJECT'), 0)::BIGINT
FROM f r WHERE %[2]s GROUP BY b`

// FlowSeries sums side's flows for key that started in [start, end), by
// bucket of the given size: overall (the first series) and narrowed to
// each of rows (one series each, in order), read once. Buckets are aligned
// on UTC multiples of their size (a size dividing a day), the first
// starting at start (cut short) and the last ending at end; buckets
// shorter than an hour are read from the records alone. Buckets without
// flows are left out.
func (s *Store) FlowSeries(ctx context.Context, side FlowSide, key string, rows []*FlowRow, start, end time.Time, bucket time.Duration) ([][]FlowBucket, error) {
	if bucket <= 0 || (24*time.Hour)%bucket != 0 || bucket%time.Minute != 0 {
		return nil, fmt.Errorf("flow series: bucket %s does not divide a day in minutes", bucket)
	}
	out := make([][]FlowBucket, len(rows)+1)
	a := &sqlArgs{}
	src, err := s.exactFlows(ctx, side, key, newFlowSpan(start, end, bucket < time.Hour), a)
	if err != nil || src == "" {
		if err != nil {
			err = fmt.Errorf("flow series: %w", err)
		}
		return out, err
	}
	parts := []string{fmt.Sprintf(flowSeriesRowSQL, 0, "TRUE")}
	for i, row := range rows {
		cond, args := row.rollupFilter(len(a.list) + 1)
		a.list = append(a.list, args...)
		parts = append(parts, fmt.Sprintf(flowSeriesRowSQL, i+1, cond))
	}
	q := fmt.Sprintf(flowSeriesSQL, src, strings.Join(parts, "\nUNION ALL\n"), a.bind(int64(bucket/time.Second)), a.bindTime(start))
	res, err := s.db.QueryContext(ctx, q, a.list...)
	if err != nil {
		return nil, fmt.Errorf("flow series: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var i int
		var b FlowBucket
		if err := res.Scan(&i, &b.Start, &b.BytesIn, &b.BytesOut, &b.PacketsIn, &b.PacketsOut, &b.Flows, &b.Accepted, &b.Rejected); err != nil {
			return nil, fmt.Errorf("flow series: %w", err)
		}
		out[i] = append(out[i], b)
	}
	return out, res.Err()
}
