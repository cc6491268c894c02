package store

// Entities, findings, search and ingest status for the investigation
// engine and the API. As in engine_queries.go, user values are always
// bound parameters.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned when an entity or finding does not exist.
var ErrNotFound = errors.New("not found")

// Entity is one row of the entities view.
type Entity struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	NaturalKey  string         `json:"natural_key"`
	DisplayName string         `json:"display_name"`
	AccountID   string         `json:"account_id,omitempty"`
	FirstSeen   *time.Time     `json:"first_seen,omitempty"`
	LastSeen    *time.Time     `json:"last_seen,omitempty"`
	Attributes  map[string]any `json:"attributes,omitempty"`
	// Exact is set by search for a whole-value match.
	Exact bool `json:"exact,omitempty"`
}

const entityColumns = `entity_id, type, natural_key, coalesce(display_name, natural_key), coalesce(account_id, ''), first_seen, last_seen, attributes::VARCHAR`

func scanEntity(sc interface{ Scan(...any) error }, extra ...any) (Entity, error) {
	var e Entity
	var first, last sql.NullTime
	var attrs sql.NullString
	dest := append([]any{&e.ID, &e.Type, &e.NaturalKey, &e.DisplayName, &e.AccountID, &first, &last, &attrs}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return e, err
	}
	if first.Valid {
		t := first.Time.UTC()
		e.FirstSeen = &t
	}
	if last.Valid {
		t := last.Time.UTC()
		e.LastSeen = &t
	}
	e.Attributes = jsonObject(attrs.String)
	return e, nil
}

func jsonObject(s string) map[string]any {
	if s == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	for k, v := range m {
		if v == nil {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// entityFlowPart is the part of the entities view (graphViewsSQL) that the
// flow rollup gives one entity, written so that the rollup is filtered on
// its own columns (which Parquet statistics and dictionaries prune) rather
// than on the view's computed entity IDs; $1 is the entity ID, $2 its key.
var entityFlowPart = map[string]string{
	"instance": `SELECT $1, 'instance', $2, NULL, any_value(account_id), min(first_seen), max(last_seen)
		FROM flow_rollup_hourly WHERE instance_id = $2 HAVING count(*) > 0`,
	"interface": `SELECT $1, 'interface', $2, NULL, any_value(account_id), min(first_seen), max(last_seen)
		FROM flow_rollup_hourly WHERE interface_id = $2 HAVING count(*) > 0`,
	"ip": `SELECT $1, 'ip', $2, NULL, NULL, min(first_seen), max(last_seen)
		FROM flow_rollup_hourly WHERE local_addr = $2 OR remote_addr = $2 HAVING count(*) > 0`,
}

const entityByIDSQL = `SELECT e.entity_id, e.type, e.natural_key, coalesce(e.display_name, e.natural_key), coalesce(e.account_id, ''),
	e.first_seen, e.last_seen,
	(CASE WHEN e.type = 'ip' THEN json_object(
		'private', is_private_address(e.natural_key),
		'country', i.country, 'city', i.city, 'latitude', i.latitude, 'longitude', i.longitude,
		'asn', i.asn, 'as_org', i.as_org, 'aws_service', i.aws_service, 'aws_region', i.aws_region)
	END)::VARCHAR
FROM (
	SELECT entity_id, any_value(type) AS type, any_value(natural_key) AS natural_key,
		coalesce(any_value(display_name) FILTER (WHERE display_name IS NOT NULL), any_value(natural_key)) AS display_name,
		any_value(account_id) FILTER (WHERE account_id IS NOT NULL) AS account_id,
		min(first_seen) AS first_seen, max(last_seen) AS last_seen
	FROM (
		SELECT entity_id, type, natural_key, display_name, account_id, first_seen, last_seen FROM graph_entities WHERE entity_id = $1
		UNION ALL %s
	)
	GROUP BY entity_id
) e
LEFT JOIN ip_info i ON e.type = 'ip' AND i.ip = e.natural_key`

// EntityByID returns the entity with the given ID ("<type>:<key>"), as
// the entities view has it.
func (s *Store) EntityByID(ctx context.Context, id string) (*Entity, error) {
	typ, key, _ := strings.Cut(id, ":")
	part, ok := entityFlowPart[typ]
	if !ok {
		part = `SELECT NULL, NULL, NULL, NULL, NULL, NULL::TIMESTAMP, NULL::TIMESTAMP WHERE FALSE AND $2 IS NULL`
	}
	row := s.db.QueryRowContext(ctx, fmt.Sprintf(entityByIDSQL, part), id, key)
	e, err := scanEntity(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("entity %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("entity: %w", err)
	}
	return &e, nil
}

// entityTypes maps the prefix of an entity ID to its type, where they
// differ.
var entityTypes = map[string]string{"bucket": "s3_bucket"}

// entityExists tells, per flow entity type, whether the rollup has the key
// ($1): EXISTS stops at the first row, where a full entity row would read
// every one.
var entityExists = map[string]string{
	"instance":  `SELECT EXISTS (SELECT 1 FROM flow_rollup_hourly WHERE instance_id = $1)`,
	"interface": `SELECT EXISTS (SELECT 1 FROM flow_rollup_hourly WHERE interface_id = $1)`,
	"ip": `SELECT EXISTS (SELECT 1 FROM flow_rollup_hourly WHERE remote_addr = $1)
		OR EXISTS (SELECT 1 FROM flow_rollup_hourly WHERE local_addr = $1)`,
}

// EntityRef returns an entity's ID, type and key (and display name and
// account when the graph tables have them), checking that it exists,
// without its first and last seen, which take a scan of its rows to sum:
// enough for the panels, which read the entity's rows themselves.
func (s *Store) EntityRef(ctx context.Context, id string) (*Entity, error) {
	e := &Entity{ID: id}
	var name, account sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT type, natural_key, any_value(display_name), any_value(account_id) FILTER (WHERE account_id IS NOT NULL)
FROM graph_entities WHERE entity_id = $1 GROUP BY type, natural_key LIMIT 1`, id).Scan(&e.Type, &e.NaturalKey, &name, &account)
	switch {
	case err == nil:
		e.DisplayName, e.AccountID = cmpOr(name.String, e.NaturalKey), account.String
		return e, s.addressAttributes(ctx, e)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("entity: %w", err)
	}
	prefix, key, _ := strings.Cut(id, ":")
	q, ok := entityExists[prefix]
	if !ok || key == "" {
		return nil, fmt.Errorf("entity %q: %w", id, ErrNotFound)
	}
	var found bool
	if err := s.db.QueryRowContext(ctx, q, key).Scan(&found); err != nil {
		return nil, fmt.Errorf("entity: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("entity %q: %w", id, ErrNotFound)
	}
	e.Type, e.NaturalKey, e.DisplayName = prefix, key, key
	if t, ok := entityTypes[prefix]; ok {
		e.Type = t
	}
	return e, s.addressAttributes(ctx, e)
}

// rollupKeyColumns are the rollup columns that hold each flow entity's
// key, as the entities view reads them.
var rollupKeyColumns = map[string][]string{
	"instance":  {"instance_id"},
	"interface": {"interface_id"},
	"ip":        {"local_addr", "remote_addr"},
}

// LastSeen returns when an entity was last seen, as the entities view
// has it (nil when never), without reading all its rows: the graph
// table's rows of it and, for a flow entity, the rollup files newest
// first (by the latest start time of their segment's flow records of
// that day, lake_files max_time), one file and then twice as many at each
// step, until no file left can hold a later time. A record counts by its
// start time there, so one that started before the entity's last seen
// in a file passed over and ended after it is missed: by at most a
// record's length, minutes.
func (s *Store) LastSeen(ctx context.Context, id string) (*time.Time, error) {
	var graph sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT max(last_seen) FROM graph_entities WHERE entity_id = $1`, id).Scan(&graph); err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	best := nullTime(graph)
	prefix, key, _ := strings.Cut(id, ":")
	cols, ok := rollupKeyColumns[prefix]
	if !ok || key == "" {
		return best, nil
	}
	rows, err := s.db.QueryContext(ctx, `WITH f AS (
	SELECT path, segment_id, table_name, max_time,
		regexp_extract(path, '/date=([0-9]{4}-[0-9]{2}-[0-9]{2})/', 1) AS day
	FROM lake_files WHERE table_name IN ($1, $2)
), times AS (
	SELECT segment_id, day, max(max_time) AS latest FROM f WHERE table_name = $1 GROUP BY ALL
)
SELECT f.path, coalesce(t.latest, TRY_CAST(f.day AS DATE) + INTERVAL 1 DAY, TIMESTAMP '9999-12-31') AS latest
FROM f LEFT JOIN times t USING (segment_id, day)
WHERE f.table_name = $2
ORDER BY latest DESC, f.path`, flowTable, rollupTable)
	if err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	type rollupFile struct {
		path   string
		latest time.Time
	}
	var files []rollupFile
	for rows.Next() {
		var f rollupFile
		if err := rows.Scan(&f.path, &f.latest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("last seen: %w", err)
		}
		files = append(files, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("last seen: %w", err)
	}
	for i, n := 0, 1; i < len(files); i, n = i+n, n*2 {
		if best != nil && !files[i].latest.After(*best) {
			break // no record left started after what is known
		}
		var paths []string
		for _, f := range files[i:min(i+n, len(files))] {
			paths = append(paths, "'"+sqlQuote(filepath.Join(s.lakeDir, f.path))+"'")
		}
		src := "read_parquet([" + strings.Join(paths, ", ") + "], hive_partitioning = false)"
		// One scan per column (an equality on a plain column is pushed
		// into the Parquet scan; an OR is evaluated on every row).
		var parts []string
		for _, c := range cols {
			parts = append(parts, "SELECT max(last_seen) AS l FROM "+src+" WHERE "+c+" = $1")
		}
		var last sql.NullTime
		if err := s.db.QueryRowContext(ctx, "SELECT max(l) FROM ("+strings.Join(parts, " UNION ALL ")+")", key).Scan(&last); err != nil {
			return nil, fmt.Errorf("last seen: %w", err)
		}
		if t := nullTime(last); t != nil && (best == nil || t.After(*best)) {
			best = t
		}
	}
	return best, nil
}

// addressAttributes gives an address entity the attributes the entities
// view gives it.
func (s *Store) addressAttributes(ctx context.Context, e *Entity) error {
	if e.Type != "ip" {
		return nil
	}
	var attrs sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT json_object('private', is_private_address(a.k),
		'country', i.country, 'city', i.city, 'latitude', i.latitude, 'longitude', i.longitude,
		'asn', i.asn, 'as_org', i.as_org, 'aws_service', i.aws_service, 'aws_region', i.aws_region)::VARCHAR
FROM (SELECT $1::VARCHAR AS k) a LEFT JOIN ip_info i ON i.ip = a.k`, e.NaturalKey).Scan(&attrs)
	if err != nil {
		return fmt.Errorf("entity: %w", err)
	}
	e.Attributes = jsonObject(attrs.String)
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Neighbour is an entity related to another in a time range.
type Neighbour struct {
	Relationship string `json:"relationship"`
	Direction    string `json:"direction"` // "out" (entity → other) or "in"
	ID           string `json:"id"`
	Count        int64  `json:"count"`
	Failures     int64  `json:"failures"`
}

// neighbourFlowPart is the part of the relationships view (graphViewsSQL)
// that the flow rollup gives one entity, filtered on the rollup's own
// columns; $1 is the entity ID, $5 its key, $2 and $3 the time range.
var neighbourFlowPart = map[string]string{
	"instance": `SELECT 'has_interface', 'out', 'interface:' || interface_id, sum(flows)::BIGINT, 0
		FROM flow_rollup_hourly WHERE instance_id = $5 AND interface_id IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY interface_id`,
	"interface": `SELECT 'connected', 'out', 'ip:' || remote_addr, sum(flows)::BIGINT, coalesce(sum(flows) FILTER (WHERE action = 'REJECT'), 0)::BIGINT
		FROM flow_rollup_hourly WHERE interface_id = $5 AND remote_addr IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY remote_addr
		UNION ALL SELECT 'assigned_address', 'out', 'ip:' || local_addr, sum(flows)::BIGINT, 0
		FROM flow_rollup_hourly WHERE interface_id = $5 AND local_addr IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY local_addr
		UNION ALL SELECT 'has_interface', 'in', 'instance:' || instance_id, sum(flows)::BIGINT, 0
		FROM flow_rollup_hourly WHERE interface_id = $5 AND instance_id IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY instance_id`,
	"ip": `SELECT 'connected', 'in', 'interface:' || interface_id, sum(flows)::BIGINT, coalesce(sum(flows) FILTER (WHERE action = 'REJECT'), 0)::BIGINT
		FROM flow_rollup_hourly WHERE remote_addr = $5 AND interface_id IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY interface_id
		UNION ALL SELECT 'assigned_address', 'in', 'interface:' || interface_id, sum(flows)::BIGINT, 0
		FROM flow_rollup_hourly WHERE local_addr = $5 AND interface_id IS NOT NULL AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
		GROUP BY interface_id`,
}

const neighboursSQL = `SELECT type, dir, other, sum(n)::BIGINT AS n, coalesce(sum(failures), 0)::BIGINT
FROM (
	SELECT type, 'out' AS dir, to_id AS other, count AS n, failures FROM graph_edges
	WHERE from_id = $1 AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
	UNION ALL
	SELECT type, 'in', from_id, count, failures FROM graph_edges
	WHERE to_id = $1 AND hour >= date_trunc('hour', $2::TIMESTAMP) AND hour < $3::TIMESTAMP
	UNION ALL %s
)
GROUP BY ALL ORDER BY n DESC, type, other LIMIT $4`

// Neighbours lists the entities related to id by relationships in the
// hours overlapping [start, end), most frequent first, at most limit: what
// the relationships view holds for it, read without scanning the view.
func (s *Store) Neighbours(ctx context.Context, id string, start, end time.Time, limit int) ([]Neighbour, error) {
	typ, key, _ := strings.Cut(id, ":")
	part, ok := neighbourFlowPart[typ]
	if !ok {
		part = `SELECT NULL, NULL, NULL, NULL, NULL WHERE FALSE AND $5 IS NULL`
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(neighboursSQL, part), id, ts(start), ts(end), limit, key)
	if err != nil {
		return nil, fmt.Errorf("neighbours: %w", err)
	}
	defer rows.Close()
	out := []Neighbour{}
	for rows.Next() {
		var n Neighbour
		if err := rows.Scan(&n.Relationship, &n.Direction, &n.ID, &n.Count, &n.Failures); err != nil {
			return nil, fmt.Errorf("neighbours: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Finding is a stored finding, with the network direction of its action
// read from the raw document.
type Finding struct {
	ID            string          `json:"id"`
	Source        string          `json:"source"`
	Product       string          `json:"product,omitempty"`
	Type          string          `json:"type"`
	Severity      float64         `json:"severity"`
	SeverityLabel string          `json:"severity_label,omitempty"`
	Title         string          `json:"title,omitempty"`
	Description   string          `json:"description,omitempty"`
	AccountID     string          `json:"account_id,omitempty"`
	Region        string          `json:"region,omitempty"`
	ResourceType  string          `json:"resource_type,omitempty"`
	InstanceID    string          `json:"instance_id,omitempty"`
	AccessKeyID   string          `json:"access_key_id,omitempty"`
	Principal     string          `json:"principal,omitempty"`
	RemoteIP      string          `json:"remote_ip,omitempty"`
	LocalPort     *int64          `json:"local_port,omitempty"`
	RemotePort    *int64          `json:"remote_port,omitempty"`
	Domain        string          `json:"domain,omitempty"`
	Direction     string          `json:"direction,omitempty"` // inbound, outbound or empty
	Protocol      string          `json:"protocol,omitempty"`
	FirstSeen     *time.Time      `json:"first_seen"`
	LastSeen      *time.Time      `json:"last_seen"`
	CreatedAt     *time.Time      `json:"created_at,omitempty"`
	UpdatedAt     *time.Time      `json:"updated_at,omitempty"`
	Count         int64           `json:"count"`
	Archived      bool            `json:"archived"`
	Raw           json.RawMessage `json:"raw,omitempty"`
}

const findingColumns = `id, source, coalesce(product, ''), coalesce(type, ''), severity, coalesce(severity_label, ''),
	coalesce(title, ''), coalesce(description, ''), coalesce(account_id, ''), coalesce(region, ''),
	coalesce(resource_type, ''), coalesce(instance_id, ''), coalesce(access_key_id, ''), coalesce(principal, ''),
	coalesce(remote_ip, ''), local_port, remote_port, coalesce(domain, ''),
	lower(coalesce(
		json_extract_string(raw, '$.service.action.networkConnectionAction.connectionDirection'),
		json_extract_string(raw, '$.Service.Action.NetworkConnectionAction.ConnectionDirection'),
		json_extract_string(raw, '$.detail.service.action.networkConnectionAction.connectionDirection'), '')),
	lower(coalesce(
		json_extract_string(raw, '$.service.action.networkConnectionAction.protocol'),
		json_extract_string(raw, '$.Service.Action.NetworkConnectionAction.Protocol'),
		json_extract_string(raw, '$.detail.service.action.networkConnectionAction.protocol'), '')),
	first_seen, last_seen, created_at, updated_at, count, archived`

func scanFinding(sc interface{ Scan(...any) error }, raw bool) (Finding, error) {
	var f Finding
	var lport, rport sql.NullInt64
	var first, last, created, updated sql.NullTime
	var rawText sql.NullString
	dest := []any{&f.ID, &f.Source, &f.Product, &f.Type, &f.Severity, &f.SeverityLabel, &f.Title, &f.Description,
		&f.AccountID, &f.Region, &f.ResourceType, &f.InstanceID, &f.AccessKeyID, &f.Principal,
		&f.RemoteIP, &lport, &rport, &f.Domain, &f.Direction, &f.Protocol, &first, &last, &created, &updated, &f.Count, &f.Archived}
	if raw {
		dest = append(dest, &rawText)
	}
	if err := sc.Scan(dest...); err != nil {
		return f, err
	}
	f.LocalPort, f.RemotePort = nullInt(lport), nullInt(rport)
	if f.Direction != "inbound" && f.Direction != "outbound" {
		f.Direction = ""
	}
	f.FirstSeen, f.LastSeen, f.CreatedAt, f.UpdatedAt = nullTime(first), nullTime(last), nullTime(created), nullTime(updated)
	if rawText.Valid {
		f.Raw = json.RawMessage(rawText.String)
	}
	return f, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}

// FindingByID returns one finding with its raw document.
func (s *Store) FindingByID(ctx context.Context, id string) (*Finding, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+findingColumns+`, raw::VARCHAR FROM findings WHERE id = $1`, id)
	f, err := scanFinding(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("finding %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("finding: %w", err)
	}
	return &f, nil
}

// FindingFilter narrows a findings list. Zero values leave a field open.
type FindingFilter struct {
	MinSeverity float64
	Type        string // substring, case-insensitive
	AccountID   string
	Archived    *bool
	Since       time.Time // last seen at or after
	Limit       int
	Offset      int
}

// Findings lists findings, most severe and most recent first, and the
// number that match the filter in all.
func (s *Store) Findings(ctx context.Context, f FindingFilter) ([]Finding, int64, error) {
	where := `severity >= $1 AND ($2 = '' OR contains(lower(type), lower($2))) AND ($3 = '' OR account_id = $3)
	AND ($4::BOOLEAN IS NULL OR archived = $4::BOOLEAN) AND coalesce(last_seen, updated_at, created_at) >= $5::TIMESTAMP`
	var archived any
	if f.Archived != nil {
		archived = *f.Archived
	}
	since := f.Since
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	args := []any{f.MinSeverity, f.Type, f.AccountID, archived, ts(since)}
	var total int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM findings WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("findings: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+findingColumns+` FROM findings WHERE `+where+`
ORDER BY severity DESC, coalesce(last_seen, updated_at, created_at) DESC, id LIMIT $6 OFFSET $7`,
		append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("findings: %w", err)
	}
	defer rows.Close()
	out := []Finding{}
	for rows.Next() {
		fd, err := scanFinding(rows, false)
		if err != nil {
			return nil, 0, fmt.Errorf("findings: %w", err)
		}
		out = append(out, fd)
	}
	return out, total, rows.Err()
}

// EntityFindings lists the findings that involve an entity: directly, or
// through its access keys (for principals) or its instance (for
// interfaces).
func (s *Store) EntityFindings(ctx context.Context, id string) ([]Finding, error) {
	rows, err := s.db.QueryContext(ctx, `WITH targets AS (
	SELECT $1 AS t
	UNION SELECT from_id FROM graph_edges WHERE to_id = $1 AND type IN ('key_of', 'has_interface')
)
SELECT `+findingColumns+` FROM findings
WHERE 'finding:' || id = $1
	OR 'finding:' || id IN (SELECT from_id FROM graph_edges WHERE type = 'involves' AND to_id IN (SELECT t FROM targets))
ORDER BY severity DESC, coalesce(last_seen, updated_at, created_at) DESC, id`, id)
	if err != nil {
		return nil, fmt.Errorf("entity findings: %w", err)
	}
	defer rows.Close()
	out := []Finding{}
	for rows.Next() {
		fd, err := scanFinding(rows, false)
		if err != nil {
			return nil, fmt.Errorf("entity findings: %w", err)
		}
		out = append(out, fd)
	}
	return out, rows.Err()
}

// SearchEntities finds entities whose ID, key or display name is q
// (exact, case-insensitive) or contains it, exact matches first, at most
// limit. kinds, when not empty, keeps only those entity types.
func (s *Store) SearchEntities(ctx context.Context, q string, kinds []string, limit int) ([]Entity, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+entityColumns+`,
	(entity_id = $1 OR lower(natural_key) = lower($1) OR lower(display_name) = lower($1)) AS exact
FROM entities
WHERE (len($3::VARCHAR[]) = 0 OR list_contains($3::VARCHAR[], type))
	AND (contains(lower(natural_key), lower($1)) OR contains(lower(coalesce(display_name, '')), lower($1)) OR entity_id = $1)
ORDER BY exact DESC, type, natural_key
LIMIT $2`, q, limit, kinds)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	out := []Entity{}
	for rows.Next() {
		var exact bool
		e, err := scanEntity(rows, &exact)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		e.Exact = exact
		out = append(out, e)
	}
	return out, rows.Err()
}

// ipv4Number turns a dotted IPv4 address column into a number.
const ipv4Number = `(split_part(addr, '.', 1)::BIGINT * 16777216 + split_part(addr, '.', 2)::BIGINT * 65536
	+ split_part(addr, '.', 3)::BIGINT * 256 + split_part(addr, '.', 4)::BIGINT)`

// addressesSQL finds address entities from the tables that make them (the
// graph table and both sides of the rollup), not the entities view, whose
// every row would be computed first. $3 is a text prefix every match has.
const addressesSQL = `WITH a AS (
	SELECT natural_key AS addr, first_seen AS f, last_seen AS l FROM graph_entities WHERE type = 'ip' AND starts_with(natural_key, $3)
	UNION ALL SELECT local_addr, first_seen, last_seen FROM flow_rollup_hourly WHERE starts_with(local_addr, $3)
	UNION ALL SELECT remote_addr, first_seen, last_seen FROM flow_rollup_hourly WHERE starts_with(remote_addr, $3)
), m AS (
	SELECT addr, min(f) AS f, max(l) AS l FROM a WHERE %s GROUP BY addr ORDER BY %s LIMIT $4
)
SELECT 'ip:' || m.addr, 'ip', m.addr, m.addr, '', m.f, m.l,
	json_object('private', is_private_address(m.addr),
		'country', i.country, 'city', i.city, 'latitude', i.latitude, 'longitude', i.longitude,
		'asn', i.asn, 'as_org', i.as_org, 'aws_service', i.aws_service, 'aws_region', i.aws_region)::VARCHAR
FROM m LEFT JOIN ip_info i ON i.ip = m.addr
ORDER BY %s`

func (s *Store) addresses(ctx context.Context, q string, args ...any) ([]Entity, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("search addresses: %w", err)
	}
	defer rows.Close()
	out := []Entity{}
	for rows.Next() {
		e, err := scanEntity(rows)
		if err != nil {
			return nil, fmt.Errorf("search addresses: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// SearchIPv4Range finds the IPv4 address entities from lo to hi (as
// numbers), all of which start with prefix (their common leading
// octets, "203.0.113." for a /24), at most limit, in address order.
func (s *Store) SearchIPv4Range(ctx context.Context, prefix string, lo, hi int64, limit int) ([]Entity, error) {
	where := `regexp_full_match(addr, '[0-9]{1,3}(\.[0-9]{1,3}){3}') AND ` + ipv4Number + ` BETWEEN $1 AND $2`
	order := ipv4Number
	return s.addresses(ctx, fmt.Sprintf(addressesSQL, where, order, strings.ReplaceAll(order, "addr", "m.addr")), lo, hi, prefix, limit)
}

// IPv6Entities lists IPv6 address entities, at most limit (the caller
// tests prefixes: DuckDB without extensions has no address type).
func (s *Store) IPv6Entities(ctx context.Context, limit int) ([]Entity, error) {
	where := `contains(addr, ':') AND $1 IS NULL AND $2 IS NULL`
	return s.addresses(ctx, fmt.Sprintf(addressesSQL, where, "addr", "m.addr"), nil, nil, "", limit)
}

// SessionsOfARN returns the principal IDs CloudTrail gives an assumed-role
// session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), which key
// role_session entities.
func (s *Store) SessionsOfARN(ctx context.Context, arn string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT principal_id FROM cloudtrail_events
WHERE user_arn = $1 AND principal_id IS NOT NULL ORDER BY principal_id LIMIT 20`, arn)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// IngestKind sums the ledger for one log type.
type IngestKind struct {
	LogType        string     `json:"log_type"`
	Objects        int64      `json:"objects"`
	Records        int64      `json:"records"`
	Rejected       int64      `json:"rejected"`
	LastIngestedAt *time.Time `json:"last_ingested_at"`
	LastObject     string     `json:"last_object"`
}

// IngestObject is one ledger row.
type IngestObject struct {
	URI        string    `json:"uri"`
	LogType    string    `json:"log_type"`
	Records    int64     `json:"records"`
	Rejected   int64     `json:"rejected"`
	FirstError string    `json:"first_error,omitempty"`
	IngestedAt time.Time `json:"ingested_at"`
}

// IngestStatus sums the ledger by log type, and lists the most recent
// objects with rejected lines (at most limit).
func (s *Store) IngestStatus(ctx context.Context, limit int) ([]IngestKind, []IngestObject, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT log_type, count(*), sum(records)::BIGINT, sum(rejected)::BIGINT, max(ingested_at),
	arg_max(uri, (ingested_at, object_id))
FROM ingested_objects GROUP BY log_type ORDER BY log_type`)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest status: %w", err)
	}
	defer rows.Close()
	kinds := []IngestKind{}
	for rows.Next() {
		var k IngestKind
		var last sql.NullTime
		if err := rows.Scan(&k.LogType, &k.Objects, &k.Records, &k.Rejected, &last, &k.LastObject); err != nil {
			return nil, nil, fmt.Errorf("ingest status: %w", err)
		}
		k.LastIngestedAt = nullTime(last)
		kinds = append(kinds, k)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	rows2, err := s.db.QueryContext(ctx, `SELECT uri, log_type, records, rejected, coalesce(first_error, ''), ingested_at
FROM ingested_objects WHERE rejected > 0 OR first_error IS NOT NULL
ORDER BY ingested_at DESC, object_id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("ingest status: %w", err)
	}
	defer rows2.Close()
	objs := []IngestObject{}
	for rows2.Next() {
		var o IngestObject
		if err := rows2.Scan(&o.URI, &o.LogType, &o.Records, &o.Rejected, &o.FirstError, &o.IngestedAt); err != nil {
			return nil, nil, fmt.Errorf("ingest status: %w", err)
		}
		o.IngestedAt = o.IngestedAt.UTC()
		objs = append(objs, o)
	}
	return kinds, objs, rows2.Err()
}

// IngestUnder sums the ledger for the objects whose URI is uri or starts
// with prefix.
func (s *Store) IngestUnder(ctx context.Context, uri, prefix string) (IngestKind, error) {
	var k IngestKind
	var last sql.NullTime
	var lastURI sql.NullString
	err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(records), 0)::BIGINT, coalesce(sum(rejected), 0)::BIGINT, max(ingested_at),
	arg_max(uri, (ingested_at, object_id))
FROM ingested_objects WHERE uri = $1 OR starts_with(uri, $2)`, uri, prefix).Scan(&k.Objects, &k.Records, &k.Rejected, &last, &lastURI)
	if err != nil {
		return k, fmt.Errorf("ingest status: %w", err)
	}
	k.LastIngestedAt, k.LastObject = nullTime(last), lastURI.String
	return k, nil
}
