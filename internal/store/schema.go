package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// flowTable is the name of the raw flow records, as a view and as the
// lake folder holding them.
const flowTable = "flow_logs"

// migrations are applied in order, each once, each in its own transaction.
// Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: ledger, lake file list, interface addresses.
	`
CREATE TABLE ingested_objects (
	object_id   BIGINT PRIMARY KEY,
	uri         VARCHAR NOT NULL,
	size        BIGINT,
	etag        VARCHAR,
	checksum    VARCHAR,
	modified    TIMESTAMP,
	log_type    VARCHAR NOT NULL,
	format      VARCHAR,
	account_id  VARCHAR,
	region      VARCHAR,
	records     BIGINT NOT NULL,
	rejected    BIGINT NOT NULL,
	first_error VARCHAR,
	ingested_at TIMESTAMP NOT NULL,
	segment_id  BIGINT NOT NULL
);
CREATE TABLE lake_files (
	path        VARCHAR PRIMARY KEY,
	staged_path VARCHAR NOT NULL,
	table_name  VARCHAR NOT NULL,
	segment_id  BIGINT NOT NULL,
	records     BIGINT NOT NULL,
	bytes       BIGINT NOT NULL,
	min_time    TIMESTAMP,
	max_time    TIMESTAMP,
	created_at  TIMESTAMP NOT NULL
);
CREATE TABLE interface_addresses (
	interface_id VARCHAR NOT NULL,
	address      VARCHAR NOT NULL,
	records      BIGINT NOT NULL,
	PRIMARY KEY (interface_id, address)
);
CREATE MACRO is_private_address(a) AS
	a LIKE '10.%' OR a LIKE '192.168.%' OR a LIKE '127.%' OR a LIKE '169.254.%'
	OR (a LIKE '172.%' AND TRY_CAST(split_part(a, '.', 2) AS INTEGER) BETWEEN 16 AND 31)
	OR (a LIKE '100.%' AND TRY_CAST(split_part(a, '.', 2) AS INTEGER) BETWEEN 64 AND 127)
	OR regexp_matches(lower(a), '^f[cd][0-9a-f]{2}:') OR regexp_matches(lower(a), '^fe[89ab][0-9a-f]:');
`,
	// 2: CloudTrail events and findings.
	`
CREATE TABLE cloudtrail_events (
	event_id             VARCHAR NOT NULL,
	event_time           TIMESTAMP NOT NULL,
	event_source         VARCHAR,
	event_name           VARCHAR,
	aws_region           VARCHAR,
	source_ip            VARCHAR,
	user_agent           VARCHAR,
	user_type            VARCHAR,
	user_arn             VARCHAR,
	principal_id         VARCHAR,
	account_id           VARCHAR,
	access_key_id        VARCHAR,
	user_name            VARCHAR,
	session_issuer_arn   VARCHAR,
	error_code           VARCHAR,
	error_message        VARCHAR,
	read_only            BOOLEAN,
	recipient_account_id VARCHAR,
	resources            JSON,
	raw                  JSON NOT NULL,
	object_id            BIGINT NOT NULL,
	object_record        INTEGER NOT NULL
);
CREATE TABLE findings (
	id             VARCHAR PRIMARY KEY,
	source         VARCHAR NOT NULL,
	product        VARCHAR,
	type           VARCHAR,
	severity       DOUBLE NOT NULL,
	severity_label VARCHAR,
	title          VARCHAR,
	description    VARCHAR,
	account_id     VARCHAR,
	region         VARCHAR,
	resource_type  VARCHAR,
	instance_id    VARCHAR,
	access_key_id  VARCHAR,
	principal      VARCHAR,
	remote_ip      VARCHAR,
	local_port     INTEGER,
	remote_port    INTEGER,
	domain         VARCHAR,
	first_seen     TIMESTAMP,
	last_seen      TIMESTAMP,
	created_at     TIMESTAMP,
	updated_at     TIMESTAMP,
	count          BIGINT NOT NULL,
	archived       BOOLEAN NOT NULL,
	raw            JSON NOT NULL,
	object_id      BIGINT NOT NULL,
	object_record  INTEGER NOT NULL
);
`,
	// 3: the behavior graph.
	graphMigration,
	// 4: what is known of public addresses.
	`
CREATE TABLE ip_info (
	ip           VARCHAR PRIMARY KEY,
	country      VARCHAR,
	country_name VARCHAR,
	city         VARCHAR,
	latitude     DOUBLE,
	longitude    DOUBLE,
	asn          BIGINT,
	as_org       VARCHAR,
	aws_service  VARCHAR,
	aws_region   VARCHAR
);
`,
	// 5: CloudTrail events move to the lake (the view of the same name
	// replaces the table). {{lake}} is the lake folder, {{db}} the
	// database's catalog: the temporary view of the same name hides the
	// table from unqualified and schema-qualified names.
	`
COPY (SELECT * REPLACE (resources::VARCHAR AS resources, raw::VARCHAR AS raw) FROM {{db}}.main.cloudtrail_events)
TO '{{lake}}/cloudtrail_events/migration-5.parquet' (FORMAT parquet, COMPRESSION zstd);
DROP TABLE {{db}}.main.cloudtrail_events;
`,
	// 6: is_private_address tests the IPv6 patterns only on addresses with
	// a colon: the same answers, and the detections test millions of rows
	// with it (the regular expressions on every IPv4 address were a
	// third of the time).
	`
CREATE OR REPLACE MACRO is_private_address(a) AS
	a LIKE '10.%' OR a LIKE '192.168.%' OR a LIKE '127.%' OR a LIKE '169.254.%'
	OR (a LIKE '172.%' AND TRY_CAST(split_part(a, '.', 2) AS INTEGER) BETWEEN 16 AND 31)
	OR (a LIKE '100.%' AND TRY_CAST(split_part(a, '.', 2) AS INTEGER) BETWEEN 64 AND 127)
	OR (contains(a, ':') AND (regexp_matches(lower(a), '^f[cd][0-9a-f]{2}:') OR regexp_matches(lower(a), '^fe[89ab][0-9a-f]:')));
`,
}

// migrate brings the schema up to date.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this gumshoe (%d): upgrade gumshoe", current, len(migrations))
	}
	var catalog string
	if err := s.db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&catalog); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for v := current + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
		q := strings.NewReplacer("{{lake}}", sqlQuote(s.lakeDir), "{{db}}", `"`+strings.ReplaceAll(catalog, `"`, `""`)+`"`).Replace(migrations[v-1])
		if _, err := tx.ExecContext(ctx, q); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, now()::TIMESTAMP)`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", v, err)
		}
	}
	return nil
}

// FlowColumns lists the flow_logs columns in contract order: every flow log
// field, then the provenance columns.
func FlowColumns() []string {
	var cols []string
	for _, f := range flowlog.Fields() {
		cols = append(cols, f.Info().Column)
	}
	return append(cols, "object_id", "object_line")
}

// lakeViewSQL defines a lake table as a temporary view over its Parquet
// files. It is temporary so that it can be made on read-only connections
// and always points at this lake's absolute path.
//
// String columns are read through NULLIF(col, ""): parquet-go v0.32 writes
// a few NULLs of optional byte-array columns as empty strings when a Write
// call straddles an internal boundary (reproduced in TestEmptyStringIsNull).
// No log value gumshoe stores is an empty string, so an empty string
// always means NULL.
func (s *Store) lakeViewSQL(table string) string {
	var cols []string
	for _, c := range tableColumns(table) {
		switch {
		case c.json:
			cols = append(cols, fmt.Sprintf("CAST(NULLIF(%s, '') AS JSON) AS %s", c.name, c.name))
		case c.text:
			cols = append(cols, fmt.Sprintf("NULLIF(%s, '') AS %s", c.name, c.name))
		default:
			cols = append(cols, c.name)
		}
	}
	glob := filepath.Join(s.lakeDir, table, "**", "*.parquet")
	// union_by_name: flow files hold only the columns of their format's
	// shape (see rowShape); the anchor file brings every column's type.
	return fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW %s AS SELECT %s FROM read_parquet('%s', hive_partitioning = false, union_by_name = true)`,
		table, strings.Join(cols, ", "), sqlQuote(glob))
}

type lakeColumn struct {
	name       string
	text, json bool
}

// rowTypes gives each table written through Parquet its Go row type.
var rowTypes = map[string]any{
	flowTable:       flowRow{},
	rollupTable:     rollupRow{},
	dnsTable:        DNSRow{},
	cloudtrailTable: CloudTrailRow{},
	findingsTable:   FindingRow{},
	ipInfoTable:     IPInfoRow{},
}

// tableColumns lists a table's columns in order, marking the strings (Go
// string or []byte fields of its row type).
func tableColumns(table string) []lakeColumn {
	t := reflect.TypeOf(rowTypes[table])
	var out []lakeColumn
	for i := 0; t != nil && i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("parquet")
		if tag == "" || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		isText := f.Type.Kind() == reflect.String || (f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Uint8)
		out = append(out, lakeColumn{name: name, text: isText,
			json: (table == dnsTable && (name == "answers" || name == "raw")) ||
				(table == cloudtrailTable && (name == "resources" || name == "raw"))})
	}
	return out
}
