package store

// The investigation engine's queries (internal/engine). Every statement
// here is a constant, or is assembled only from constants chosen by a
// closed set of names (entity kinds, dimensions); everything that comes
// from a user or a log (addresses, ARNs, user agents, times) is bound as a
// parameter. Times are bound as 'YYYY-MM-DD HH:MM:SS' strings and cast to
// TIMESTAMP, so that no session time zone can shift them.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownKind is returned for an entity kind or dimension that a query
// does not know.
var ErrUnknownKind = errors.New("unknown kind")

const tsLayout = "2006-01-02 15:04:05"

func ts(t time.Time) string { return t.UTC().Format(tsLayout) }

// FlowSide says which rollup rows belong to an entity's flows.
type FlowSide string

// The flow sides: an instance (by instance ID, or by the interfaces the
// graph gives it), an interface, an address as an interface's own address,
// an address as the peer of interfaces.
const (
	FlowInstance   FlowSide = "instance"
	FlowInterface  FlowSide = "interface"
	FlowLocalAddr  FlowSide = "local_addr"
	FlowRemoteAddr FlowSide = "remote_addr"
)

// rollupEntityFilter selects an entity's rollup rows; $1 is the key.
var rollupEntityFilter = map[FlowSide]string{
	FlowInstance: `(instance_id = $1 OR interface_id IN (SELECT substr(to_id, 11) FROM graph_edges
		WHERE from_id = 'instance:' || $1 AND type = 'has_interface'))`,
	FlowInterface:  `interface_id = $1`,
	FlowLocalAddr:  `local_addr = $1`,
	FlowRemoteAddr: `remote_addr = $1`,
}

// rawEntityFilter selects an entity's raw flow records; $1 is the key.
var rawEntityFilter = map[FlowSide]string{
	FlowInstance: `(instance_id = $1 OR interface_id IN (SELECT substr(to_id, 11) FROM graph_edges
		WHERE from_id = 'instance:' || $1 AND type = 'has_interface'))`,
	FlowInterface:  `interface_id = $1`,
	FlowLocalAddr:  `(srcaddr = $1 OR dstaddr = $1)`,
	FlowRemoteAddr: `(srcaddr = $1 OR dstaddr = $1)`,
}

// AddressIsLocal reports whether addr is the own address of some interface
// in the rollup hours [start, end) (then its flows are read from that
// interface's side). Bounding the hours lets the store skip the row groups
// outside them.
func (s *Store) AddressIsLocal(ctx context.Context, addr string, start, end time.Time) (bool, error) {
	src, err := s.rollupSource(ctx, start, end)
	if err != nil || src == "" {
		return false, err
	}
	var ok bool
	err = s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+src+`
	WHERE hour >= $2::TIMESTAMP AND hour < $3::TIMESTAMP AND local_addr = $1)`, addr, ts(start), ts(end)).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("address side: %w", err)
	}
	return ok, nil
}

// rollupSource returns what to read the rollup hours [start, end) from: the
// rollup's files of the UTC days those hours fall in (the lake keeps one
// folder per day, and lists its files in lake_files), with the columns
// the flow_rollup_hourly view gives them. Reading those files alone rather
// than the view, whose glob spans every day, halves a day's flow details
// on 45 days of data (binding the view lists and checks every file). ""
// means there are no such files.
func (s *Store) rollupSource(ctx context.Context, start, end time.Time) (string, error) {
	first := start.UTC().Format("2006-01-02")
	last := end.UTC().Add(-time.Microsecond).Format("2006-01-02")
	rows, err := s.db.QueryContext(ctx, `SELECT path FROM lake_files
WHERE table_name = $1 AND regexp_extract(path, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) BETWEEN $2 AND $3
ORDER BY path`, rollupTable, first, last)
	if err != nil {
		return "", fmt.Errorf("rollup files: %w", err)
	}
	defer rows.Close()
	// The anchor file (no rows, every column) fixes the column types, as
	// in the view.
	files := []string{"'" + sqlQuote(filepath.Join(s.lakeDir, rollupTable, "_schema.parquet")) + "'"}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return "", fmt.Errorf("rollup files: %w", err)
		}
		files = append(files, "'"+sqlQuote(filepath.Join(s.lakeDir, p))+"'")
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("rollup files: %w", err)
	}
	if len(files) == 1 {
		return "", nil
	}
	var cols []string
	for _, c := range tableColumns(rollupTable) {
		if c.text {
			cols = append(cols, fmt.Sprintf("NULLIF(%s, '') AS %s", c.name, c.name))
		} else {
			cols = append(cols, c.name)
		}
	}
	return fmt.Sprintf("(SELECT %s FROM read_parquet([%s], hive_partitioning = false, union_by_name = true))",
		strings.Join(cols, ", "), strings.Join(files, ", ")), nil
}

// FlowAggregate is the sum of an entity's rollup rows over a time range,
// by the flow key of Detective's flow details.
type FlowAggregate struct {
	InstanceID, RemoteAddr string
	LocalPort, RemotePort  *int64
	Protocol               *int64
	Direction              string
	BytesIn, BytesOut      int64
	PacketsIn, PacketsOut  int64
	Flows                  int64
	Accepted, Rejected     int64 // flows
	FirstSeen, LastSeen    time.Time
}

const instanceKey = `coalesce(instance_id, (SELECT min(substr(from_id, 10)) FROM graph_edges g
		WHERE g.to_id = 'interface:' || r.interface_id AND g.type = 'has_interface'), interface_id)`

func nullInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

// FlowRow narrows flows to one flow-details row. Empty strings and nil
// pointers leave a part of the key open; NullPort set for a port means the
// port must be NULL (protocols without ports).
type FlowRow struct {
	Instance   string // instance (or interface) ID, for rows keyed by instance
	RemoteAddr string
	LocalPort  *int64
	RemotePort *int64
	Protocol   *int64
	Direction  string
	// NullLocalPort, NullRemotePort, NullProtocol ask for NULL values.
	NullLocalPort, NullRemotePort, NullProtocol bool
}

// rowFilter returns the rollup conditions for row, binding values from
// argument number next on.
func (r *FlowRow) rollupFilter(next int) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(next)))
		args = append(args, v)
		next++
	}
	if r == nil {
		return "TRUE", nil
	}
	if r.Instance != "" {
		add(`coalesce(instance_id, (SELECT min(substr(from_id, 10)) FROM graph_edges g
		WHERE g.to_id = 'interface:' || r.interface_id AND g.type = 'has_interface'), interface_id) = $?`, r.Instance)
	}
	if r.RemoteAddr != "" {
		add(`remote_addr = $?`, r.RemoteAddr)
	}
	intCond := func(col string, v *int64, null bool) {
		switch {
		case null:
			conds = append(conds, col+" IS NULL")
		case v != nil:
			add(col+" = $?", *v)
		}
	}
	intCond("local_port", r.LocalPort, r.NullLocalPort)
	intCond("remote_port", r.RemotePort, r.NullRemotePort)
	intCond("protocol", r.Protocol, r.NullProtocol)
	if r.Direction != "" {
		add(`direction = $?`, r.Direction)
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}

// FlowBucket is the traffic of one time bucket.
type FlowBucket struct {
	Start             time.Time
	BytesIn, BytesOut int64
	PacketsIn         int64
	PacketsOut        int64
	Flows             int64
	Accepted          int64
	Rejected          int64
}

// RecordsQuery selects raw flow records: an entity's, in [Start, End),
// narrowed to a flow-details row when Row is set, a page at a time.
type RecordsQuery struct {
	Side       FlowSide
	Key        string
	Row        *FlowRow
	Start, End time.Time
	Limit      int
	Offset     int
}

// Records is a page of raw records and the SQL that selects them all.
type Records struct {
	*Result
	// SQL selects every record of the query (without the page bounds),
	// with its values written in, ready for gumshoe query.
	SQL string
	// Portable selects the same records from flow_logs alone, in SQL
	// that DuckDB and Athena share (interfaces resolved, times as
	// TIMESTAMP literals), for athena.Translate.
	Portable string
	More     bool // a further page exists
}

// interfacesOf lists the interfaces the graph gives an instance.
func (s *Store) interfacesOf(ctx context.Context, instance string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT substr(to_id, 11) FROM graph_edges
WHERE from_id = 'instance:' || $1 AND type = 'has_interface' ORDER BY 1`, instance)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// portableInstance is the condition that a record is instance's, with its
// interfaces written in as literals. It names interface_id only, when it
// can: every flow log format has that column, not every one instance_id.
func (s *Store) portableInstance(ctx context.Context, instance string) (string, error) {
	if strings.HasPrefix(instance, "eni-") {
		// Rows of an interface without a known instance.
		return "interface_id = '" + sqlQuote(instance) + "'", nil
	}
	ifaces, err := s.interfacesOf(ctx, instance)
	if err != nil {
		return "", err
	}
	if len(ifaces) == 0 {
		return "instance_id = '" + sqlQuote(instance) + "'", nil
	}
	var quoted []string
	for _, i := range ifaces {
		quoted = append(quoted, "'"+sqlQuote(i)+"'")
	}
	return "interface_id IN (" + strings.Join(quoted, ", ") + ")", nil
}

// portableRecordsSQL writes the records query of q without gumshoe's own
// tables, casts or provenance columns.
func (s *Store) portableRecordsSQL(ctx context.Context, q RecordsQuery) (string, error) {
	var key any = q.Key
	entity := "(srcaddr = $1 OR dstaddr = $1)"
	switch q.Side {
	case FlowInstance:
		c, err := s.portableInstance(ctx, q.Key)
		if err != nil {
			return "", err
		}
		entity, key = "$1", rawSQL(c)
	case FlowInterface:
		entity = "interface_id = $1"
	}
	rowCond, rowArgs := q.Row.rawFilter(2, func(p string) string { return p })
	if q.Row != nil && q.Row.Instance != "" {
		// The instance is the row filter's first value: write its
		// condition, interfaces resolved, in its place.
		c, err := s.portableInstance(ctx, q.Row.Instance)
		if err != nil {
			return "", err
		}
		rowArgs[0] = rawSQL(c)
	}
	q1 := `SELECT * FROM flow_logs
WHERE start_time >= TIMESTAMP '` + ts(q.Start) + `' AND start_time < TIMESTAMP '` + ts(q.End) + `'
	AND srcaddr IS NOT NULL AND coalesce(log_status, 'OK') = 'OK'
	AND ` + entity + ` AND ` + rowCond + `
ORDER BY start_time`
	return inlineParams(q1, append([]any{key}, rowArgs...)), nil
}

// rawFilter returns the flow_logs conditions for a row. A rollup row is a
// conversation: the records the remote side sent (remote address and port
// as source) and those the local side sent (as destination), whoever
// opened it; its direction (who opened it) is not a property of single
// records, so the records of both directions of the row's conversation
// are selected.
//
// instance writes the condition that a record is an instance's, given the
// placeholder of the instance ID.
func (r *FlowRow) rawFilter(next int, instance func(p string) string) (string, []any) {
	var conds []string
	var args []any
	bind := func(v any) string {
		args = append(args, v)
		p := "$" + strconv.Itoa(next)
		next++
		return p
	}
	if r == nil {
		return "TRUE", nil
	}
	if r.Instance != "" {
		conds = append(conds, instance(bind(r.Instance)))
	}
	intCond := func(col string, v *int64, null bool) string {
		switch {
		case null:
			return col + " IS NULL"
		case v != nil:
			return col + " = " + bind(*v)
		}
		return ""
	}
	side := func(remoteAddr, remotePort, localPort string) string {
		var c []string
		if r.RemoteAddr != "" {
			c = append(c, remoteAddr+" = "+bind(r.RemoteAddr))
		}
		if s := intCond(remotePort, r.RemotePort, r.NullRemotePort); s != "" {
			c = append(c, s)
		}
		if s := intCond(localPort, r.LocalPort, r.NullLocalPort); s != "" {
			c = append(c, s)
		}
		if len(c) == 0 {
			return "TRUE"
		}
		return strings.Join(c, " AND ")
	}
	if s := intCond("protocol", r.Protocol, r.NullProtocol); s != "" {
		conds = append(conds, s)
	}
	in := side("srcaddr", "srcport", "dstport")
	out := side("dstaddr", "dstport", "srcport")
	conds = append(conds, "(("+in+") OR ("+out+"))")
	return strings.Join(conds, " AND "), args
}

const flowRecordsSQL = `SELECT f.*, o.uri AS object_uri
FROM flow_logs f LEFT JOIN ingested_objects o USING (object_id)
WHERE f.start_time >= $2::TIMESTAMP AND f.start_time < $3::TIMESTAMP
	AND f.srcaddr IS NOT NULL AND coalesce(f.log_status, 'OK') = 'OK'
	AND %s AND %s
ORDER BY f.start_time, f.object_id, f.object_line`

// FlowRecords returns a page of the raw records behind an entity's flows.
func (s *Store) FlowRecords(ctx context.Context, q RecordsQuery) (*Records, error) {
	filter, ok := rawEntityFilter[q.Side]
	if !ok {
		return nil, fmt.Errorf("flow records: %w %q", ErrUnknownKind, q.Side)
	}
	rowCond, rowArgs := q.Row.rawFilter(4, func(p string) string {
		return `(instance_id = ` + p + ` OR interface_id = ` + p + ` OR interface_id IN (SELECT substr(to_id, 11) FROM graph_edges
		WHERE from_id = 'instance:' || ` + p + ` AND type = 'has_interface'))`
	})
	args := append([]any{q.Key, ts(q.Start), ts(q.End)}, rowArgs...)
	// The filter names columns without the alias; flow_logs is the only
	// table with them in the WHERE clause but for object_id, which the
	// filters never name.
	base := fmt.Sprintf(flowRecordsSQL, filter, rowCond)
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	// The statement shown reads the flow_logs view; the one run reads the
	// same columns from the files that can hold records of [Start, End)
	// alone (the view's glob opens every file of the lake).
	files, err := s.lakeFilesOf(ctx, flowTable, q.Start, q.End)
	if err != nil {
		return nil, fmt.Errorf("flow records: %w", err)
	}
	run := strings.Replace(base, "FROM flow_logs f", "FROM "+s.flowFilesView(files)+" f", 1)
	paged := run + fmt.Sprintf(" LIMIT %d OFFSET %d", limit+1, max(q.Offset, 0))
	res, err := s.scanResult(ctx, paged, args...)
	if err != nil {
		return nil, fmt.Errorf("flow records: %w", err)
	}
	recs := &Records{Result: res, SQL: inlineParams(base, args)}
	if recs.Portable, err = s.portableRecordsSQL(ctx, q); err != nil {
		return nil, fmt.Errorf("flow records: %w", err)
	}
	if len(res.Rows) > limit {
		res.Rows = res.Rows[:limit]
		recs.More = true
	}
	return recs, nil
}

// scanResult runs one of the engine's statements into a Result.
func (s *Store) scanResult(ctx context.Context, q string, args ...any) (*Result, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: cols, Rows: [][]any{}}
	if types, err := rows.ColumnTypes(); err == nil {
		for _, t := range types {
			res.Types = append(res.Types, t.DatabaseTypeName())
		}
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// rawSQL is a parameter value that inlineParams writes as it is: a
// condition the store built from quoted literals.
type rawSQL string

// inlineParams writes bound values into a statement for display: strings
// as quoted literals, numbers as numbers. One pass over the statement, so
// that a value holding "$2" is never taken for a placeholder.
func inlineParams(q string, args []any) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(q[i+1 : j])
		if err != nil || n < 1 || n > len(args) {
			b.WriteByte(q[i])
			continue
		}
		switch v := args[n-1].(type) {
		case rawSQL:
			b.WriteString(string(v))
		case string:
			b.WriteString("'" + sqlQuote(v) + "'")
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case int:
			b.WriteString(strconv.Itoa(v))
		default:
			b.WriteString("'" + sqlQuote(fmt.Sprint(v)) + "'")
		}
		i = j - 1
	}
	return b.String()
}

// Principal filters: the CloudTrail events of an entity; $1 is the key.
var eventEntityFilter = map[string]string{
	"iam_user":       `user_type = 'IAMUser' AND coalesce(user_arn, principal_id) = $1`,
	"role_session":   `user_type = 'AssumedRole' AND principal_id = $1`,
	"iam_role":       `user_type = 'AssumedRole' AND session_issuer_arn = $1`,
	"root":           `user_type = 'Root' AND coalesce(account_id, recipient_account_id) = $1`,
	"federated_user": `user_type IN ('FederatedUser', 'SAMLUser', 'WebIdentityUser') AND (user_arn = $1 OR principal_id = $1)`,
	"account":        `coalesce(recipient_account_id, account_id) = $1`,
	"access_key":     `access_key_id = $1`,
	"ip":             `source_ip = $1`,
	"user_agent":     `user_agent = $1`,
	"s3_bucket":      `event_source = 's3.amazonaws.com' AND json_extract_string(raw, '$.requestParameters.bucketName') = $1`,
	"instance":       `user_type = 'AssumedRole' AND split_part(principal_id, ':', 2) = $1`,
}

// HasEvents reports whether an entity kind has CloudTrail events.
func HasEvents(kind string) bool { _, ok := eventEntityFilter[kind]; return ok }

// APIBucket counts an entity's API calls in one time bucket.
type APIBucket struct {
	Start            time.Time
	Success, Failure int64
}

const apiVolumeSQL = `SELECT time_bucket(to_seconds($4::BIGINT), event_time, $2::TIMESTAMP) AS b,
	count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL)
FROM cloudtrail_events
WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND %s
GROUP BY b ORDER BY b`

const apiTotalsSQL = `SELECT count(*) FILTER (WHERE error_code IS NULL), count(*) FILTER (WHERE error_code IS NOT NULL)
FROM cloudtrail_events
WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND %s`

// APICallVolume counts kind/key's API calls in buckets over [start, end),
// and its successful and failed calls over the baseline [baseStart, start).
func (s *Store) APICallVolume(ctx context.Context, kind, key string, baseStart, start, end time.Time, bucket time.Duration) ([]APIBucket, int64, int64, error) {
	filter, ok := eventEntityFilter[kind]
	if !ok {
		return nil, 0, 0, fmt.Errorf("api call volume: %w %q", ErrUnknownKind, kind)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(apiVolumeSQL, filter), key, ts(start), ts(end), int64(bucket/time.Second))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("api call volume: %w", err)
	}
	defer rows.Close()
	var out []APIBucket
	for rows.Next() {
		var b APIBucket
		if err := rows.Scan(&b.Start, &b.Success, &b.Failure); err != nil {
			return nil, 0, 0, fmt.Errorf("api call volume: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	var okN, failN int64
	if err := s.db.QueryRowContext(ctx, fmt.Sprintf(apiTotalsSQL, filter), key, ts(baseStart), ts(start)).Scan(&okN, &failN); err != nil {
		return nil, 0, 0, fmt.Errorf("api call baseline: %w", err)
	}
	return out, okN, failN, nil
}

// Observed is one value seen in an entity's events (an address, a
// location, an AS organisation, a user agent, an API call) with its calls
// in scope and whether the baseline had it.
type Observed struct {
	Value               string
	Detail              map[string]any
	Success, Failure    int64
	FirstSeen, LastSeen time.Time
	InBaseline          bool
}

// observedDims are the dimensions of Observed: the value and its details.
var observedDims = map[string]struct{ value, detail, where string }{
	"ips": {`source_ip`, `json_object('country', any_value(i.country), 'city', any_value(i.city), 'asn', any_value(i.asn), 'as_org', any_value(i.as_org), 'aws_service', any_value(i.aws_service))`,
		`is_ip_address(source_ip)`},
	"geolocations": {`concat_ws(', ', nullif(i.city, ''), coalesce(i.country_name, i.country))`,
		`json_object('country', any_value(i.country), 'city', any_value(i.city), 'latitude', any_value(i.latitude), 'longitude', any_value(i.longitude), 'ips', count(DISTINCT source_ip))`,
		`i.country IS NOT NULL`},
	"asos": {`coalesce(i.as_org, 'AS' || i.asn)`, `json_object('asn', any_value(i.asn), 'ips', count(DISTINCT source_ip))`,
		`(i.asn IS NOT NULL OR i.as_org IS NOT NULL)`},
	"user-agents": {`user_agent`, `json_object('ips', count(DISTINCT source_ip))`, `user_agent IS NOT NULL`},
	"api-calls":   {`event_source || ':' || event_name`, `json_object('ips', count(DISTINCT source_ip))`, `event_name IS NOT NULL`},
}

const observedSQL = `WITH ev AS (
	SELECT e.*, i.country, i.country_name, i.city, i.latitude, i.longitude, i.asn, i.as_org, i.aws_service
	FROM cloudtrail_events e LEFT JOIN ip_info i ON i.ip = e.source_ip
	WHERE e.event_time >= $2::TIMESTAMP AND e.event_time < $4::TIMESTAMP AND %[1]s
), scope AS (
	SELECT %[2]s AS v, %[3]s::VARCHAR AS detail,
		count(*) FILTER (WHERE error_code IS NULL) AS ok, count(*) FILTER (WHERE error_code IS NOT NULL) AS failed,
		min(event_time) AS first_seen, max(event_time) AS last_seen
	FROM ev i WHERE event_time >= $3::TIMESTAMP AND %[4]s
	GROUP BY v
), base AS (
	SELECT DISTINCT %[2]s AS v FROM ev i WHERE event_time < $3::TIMESTAMP AND %[4]s
)
SELECT scope.v, scope.detail, scope.ok, scope.failed, scope.first_seen, scope.last_seen, base.v IS NOT NULL
FROM scope LEFT JOIN base ON base.v = scope.v
WHERE scope.v IS NOT NULL
ORDER BY base.v IS NOT NULL, scope.ok + scope.failed DESC, scope.v`

// ObservedValues lists the values of dim ("ips", "geolocations", "asos",
// "user-agents", "api-calls") in kind/key's events in [start, end), each
// marked with whether the baseline [baseStart, start) had it; the newly
// observed come first.
func (s *Store) ObservedValues(ctx context.Context, kind, key, dim string, baseStart, start, end time.Time) ([]Observed, error) {
	filter, ok := eventEntityFilter[kind]
	if !ok {
		return nil, fmt.Errorf("observed: %w %q", ErrUnknownKind, kind)
	}
	d, ok := observedDims[dim]
	if !ok {
		return nil, fmt.Errorf("observed: %w %q", ErrUnknownKind, dim)
	}
	// In the ev CTE the event columns are unqualified (ip_info shares
	// none of the names the filters use); i names the joined ip_info
	// columns there and the CTE's rows afterwards.
	q := fmt.Sprintf(observedSQL, filter, d.value, d.detail, d.where)
	rows, err := s.db.QueryContext(ctx, q, key, ts(baseStart), ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("observed: %w", err)
	}
	defer rows.Close()
	var out []Observed
	for rows.Next() {
		var o Observed
		var detail sql.NullString
		if err := rows.Scan(&o.Value, &detail, &o.Success, &o.Failure, &o.FirstSeen, &o.LastSeen, &o.InBaseline); err != nil {
			return nil, fmt.Errorf("observed: %w", err)
		}
		o.Detail = jsonObject(detail.String)
		out = append(out, o)
	}
	return out, rows.Err()
}

// Touched is a role assumed, a session started or a bucket accessed.
type Touched struct {
	Target              string // role ARN or bucket name
	Session             string // assumed role ID of a session started
	Operation           string
	By                  string // caller (principal ARN or ID), for roles assumed by others
	Success, Failure    int64
	FirstSeen, LastSeen time.Time
	InBaseline          bool
}

const rolesSQL = `WITH ev AS (
	SELECT event_time, event_name, error_code,
		json_extract_string(raw, '$.requestParameters.roleArn') AS target,
		json_extract_string(raw, '$.responseElements.assumedRoleUser.assumedRoleId') AS session,
		coalesce(user_arn, principal_id) AS caller
	FROM cloudtrail_events
	WHERE event_name LIKE 'AssumeRole%%' AND event_time >= $2::TIMESTAMP AND event_time < $4::TIMESTAMP AND %s
), scope AS (
	SELECT target, session, event_name, caller, count(*) FILTER (WHERE error_code IS NULL) AS ok,
		count(*) FILTER (WHERE error_code IS NOT NULL) AS failed, min(event_time) AS f, max(event_time) AS l
	FROM ev WHERE event_time >= $3::TIMESTAMP GROUP BY ALL
), base AS (SELECT DISTINCT target, caller FROM ev WHERE event_time < $3::TIMESTAMP)
SELECT coalesce(scope.target, ''), coalesce(session, ''), event_name, coalesce(scope.caller, ''), ok, failed, f, l, base.target IS NOT NULL
FROM scope LEFT JOIN base ON base.target IS NOT DISTINCT FROM scope.target AND base.caller IS NOT DISTINCT FROM scope.caller
ORDER BY f, scope.target, session`

// roleTargetFilter selects the AssumeRole calls made on a role (by anyone).
const roleTargetFilter = `json_extract_string(raw, '$.requestParameters.roleArn') = $1`

// RolesAssumed lists the AssumeRole calls of kind/key in [start, end): the
// roles it assumed and the sessions it started, or, for a role, who
// assumed it.
func (s *Store) RolesAssumed(ctx context.Context, kind, key string, baseStart, start, end time.Time) ([]Touched, error) {
	filter, ok := eventEntityFilter[kind]
	if kind == "iam_role" {
		filter, ok = roleTargetFilter, true
	}
	if !ok {
		return nil, fmt.Errorf("roles: %w %q", ErrUnknownKind, kind)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(rolesSQL, filter), key, ts(baseStart), ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("roles: %w", err)
	}
	defer rows.Close()
	var out []Touched
	for rows.Next() {
		var t Touched
		if err := rows.Scan(&t.Target, &t.Session, &t.Operation, &t.By, &t.Success, &t.Failure, &t.FirstSeen, &t.LastSeen, &t.InBaseline); err != nil {
			return nil, fmt.Errorf("roles: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const bucketsSQL = `WITH ev AS (
	SELECT event_time, event_name, error_code, json_extract_string(raw, '$.requestParameters.bucketName') AS target
	FROM cloudtrail_events
	WHERE event_source = 's3.amazonaws.com' AND event_time >= $2::TIMESTAMP AND event_time < $4::TIMESTAMP AND %s
), scope AS (
	SELECT target, event_name, count(*) FILTER (WHERE error_code IS NULL) AS ok,
		count(*) FILTER (WHERE error_code IS NOT NULL) AS failed, min(event_time) AS f, max(event_time) AS l
	FROM ev WHERE event_time >= $3::TIMESTAMP AND target IS NOT NULL GROUP BY ALL
), base AS (SELECT DISTINCT target FROM ev WHERE event_time < $3::TIMESTAMP)
SELECT scope.target, event_name, ok, failed, f, l, base.target IS NOT NULL
FROM scope LEFT JOIN base USING (target)
ORDER BY scope.target, event_name`

// BucketsTouched lists the S3 buckets kind/key called in [start, end), by
// bucket and operation.
func (s *Store) BucketsTouched(ctx context.Context, kind, key string, baseStart, start, end time.Time) ([]Touched, error) {
	filter, ok := eventEntityFilter[kind]
	if !ok {
		return nil, fmt.Errorf("buckets: %w %q", ErrUnknownKind, kind)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(bucketsSQL, filter), key, ts(baseStart), ts(start), ts(end))
	if err != nil {
		return nil, fmt.Errorf("buckets: %w", err)
	}
	defer rows.Close()
	var out []Touched
	for rows.Next() {
		var t Touched
		if err := rows.Scan(&t.Target, &t.Operation, &t.Success, &t.Failure, &t.FirstSeen, &t.LastSeen, &t.InBaseline); err != nil {
			return nil, fmt.Errorf("buckets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// EventsQuery selects an entity's CloudTrail events in [Start, End), a
// page at a time, optionally narrowed to one source address, user agent
// or operation ("service:EventName") — the rows of the observed panels.
type EventsQuery struct {
	Kind, Key  string
	Start, End time.Time
	SourceIP   string
	UserAgent  string
	Operation  string
	Limit      int
	Offset     int
}

const eventRecordsSQL = `SELECT e.*, o.uri AS object_uri
FROM (
	SELECT event_time, event_source, event_name, aws_region, source_ip, user_agent, user_type, user_arn, principal_id,
		access_key_id, error_code, error_message, event_id, object_id, object_record, raw::VARCHAR AS raw
	FROM cloudtrail_events
	WHERE event_time >= $2::TIMESTAMP AND event_time < $3::TIMESTAMP AND %s
		AND ($4 = '' OR source_ip = $4) AND ($5 = '' OR user_agent = $5)
		AND ($6 = '' OR event_source || ':' || event_name = $6)
) e LEFT JOIN ingested_objects o USING (object_id)
ORDER BY e.event_time, e.object_id, e.object_record`

// EventRecords returns a page of the CloudTrail events behind an entity's
// API call panels, with their provenance and the SQL that selects them.
func (s *Store) EventRecords(ctx context.Context, q EventsQuery) (*Records, error) {
	filter, ok := eventEntityFilter[q.Kind]
	if !ok {
		return nil, fmt.Errorf("events: %w %q", ErrUnknownKind, q.Kind)
	}
	base := fmt.Sprintf(eventRecordsSQL, filter)
	args := []any{q.Key, ts(q.Start), ts(q.End), q.SourceIP, q.UserAgent, q.Operation}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	res, err := s.scanResult(ctx, base+fmt.Sprintf(" LIMIT %d OFFSET %d", limit+1, max(q.Offset, 0)), args...)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	recs := &Records{Result: res, SQL: inlineParams(base, args)}
	if len(res.Rows) > limit {
		res.Rows = res.Rows[:limit]
		recs.More = true
	}
	return recs, nil
}
