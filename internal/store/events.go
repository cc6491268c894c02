package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// The tables of the JSON log families. Findings live in a DuckDB table,
// because a finding updated later replaces its older version; CloudTrail
// events and DNS queries are append-only and numerous, so they live in the
// lake like flows (CloudTrail events are deduplicated by eventID when their
// segment commits). Loading CloudTrail events into a DuckDB table measured
// as half the CPU time of a CloudTrail ingest.
const (
	cloudtrailTable = "cloudtrail_events"
	findingsTable   = "findings"
	dnsTable        = "dns_queries"
	ipInfoTable     = "ip_info"
)

// IPInfoRow is one row of ip_info: what gumshoe knows about a public
// address seen in the logs (GeoIP, ASN, AWS ranges).
type IPInfoRow struct {
	IP          string  `parquet:"ip"`
	Country     string  `parquet:"country,optional"`
	CountryName string  `parquet:"country_name,optional"`
	City        string  `parquet:"city,optional"`
	Latitude    float64 `parquet:"latitude"`
	Longitude   float64 `parquet:"longitude"`
	ASN         int64   `parquet:"asn"`
	ASOrg       string  `parquet:"as_org,optional"`
	AWSService  string  `parquet:"aws_service,optional"`
	AWSRegion   string  `parquet:"aws_region,optional"`
	HasGeo      bool    `parquet:"has_geo"`
}

// NewIPInfoWriter stages ip_info rows.
func (s *Store) NewIPInfoWriter() (*RowWriter[IPInfoRow], error) {
	return newRowWriter[IPInfoRow](s, ipInfoTable, newToken())
}

// JSON columns are written as plain strings: parquet-go's json tag on an
// optional string panics when writing (v0.32), and would re-parse every
// document. The tables and views give them the JSON type.

// CloudTrailRow is one row of cloudtrail_events. Empty strings are NULL.
type CloudTrailRow struct {
	EventID            string `parquet:"event_id"`
	EventTime          int64  `parquet:"event_time,timestamp(microsecond:local)"`
	EventSource        string `parquet:"event_source,optional,dict"`
	EventName          string `parquet:"event_name,optional,dict"`
	AWSRegion          string `parquet:"aws_region,optional,dict"`
	SourceIP           string `parquet:"source_ip,optional,dict"`
	UserAgent          string `parquet:"user_agent,optional,dict"`
	UserType           string `parquet:"user_type,optional,dict"`
	UserARN            string `parquet:"user_arn,optional,dict"`
	PrincipalID        string `parquet:"principal_id,optional,dict"`
	AccountID          string `parquet:"account_id,optional,dict"`
	AccessKeyID        string `parquet:"access_key_id,optional,dict"`
	UserName           string `parquet:"user_name,optional,dict"`
	SessionIssuerARN   string `parquet:"session_issuer_arn,optional,dict"`
	ErrorCode          string `parquet:"error_code,optional,dict"`
	ErrorMessage       string `parquet:"error_message,optional"`
	ReadOnly           *bool  `parquet:"read_only,optional"`
	RecipientAccountID string `parquet:"recipient_account_id,optional,dict"`
	Resources          string `parquet:"resources,optional"`
	Raw                string `parquet:"raw"`
	ObjectID           int64  `parquet:"object_id"`
	ObjectRecord       int32  `parquet:"object_record"`
}

// FindingRow is one row of findings. Empty strings are NULL.
type FindingRow struct {
	ID            string  `parquet:"id"`
	Source        string  `parquet:"source,dict"`
	Product       string  `parquet:"product,optional,dict"`
	Type          string  `parquet:"type,optional,dict"`
	Severity      float64 `parquet:"severity"`
	SeverityLabel string  `parquet:"severity_label,optional,dict"`
	Title         string  `parquet:"title,optional"`
	Description   string  `parquet:"description,optional"`
	AccountID     string  `parquet:"account_id,optional,dict"`
	Region        string  `parquet:"region,optional,dict"`
	ResourceType  string  `parquet:"resource_type,optional,dict"`
	InstanceID    string  `parquet:"instance_id,optional"`
	AccessKeyID   string  `parquet:"access_key_id,optional"`
	Principal     string  `parquet:"principal,optional"`
	RemoteIP      string  `parquet:"remote_ip,optional"`
	LocalPort     *int32  `parquet:"local_port,optional"`
	RemotePort    *int32  `parquet:"remote_port,optional"`
	Domain        string  `parquet:"domain,optional"`
	FirstSeen     *int64  `parquet:"first_seen,optional,timestamp(microsecond:local)"`
	LastSeen      *int64  `parquet:"last_seen,optional,timestamp(microsecond:local)"`
	CreatedAt     *int64  `parquet:"created_at,optional,timestamp(microsecond:local)"`
	UpdatedAt     *int64  `parquet:"updated_at,optional,timestamp(microsecond:local)"`
	Count         int64   `parquet:"count"`
	Archived      bool    `parquet:"archived"`
	Raw           string  `parquet:"raw"`
	ObjectID      int64   `parquet:"object_id"`
	ObjectRecord  int32   `parquet:"object_record"`
}

// DNSRow is one row of dns_queries. Empty strings are NULL.
type DNSRow struct {
	QueryTime            int64  `parquet:"query_time,timestamp(microsecond:local)"`
	QueryName            string `parquet:"query_name,dict"`
	QueryType            string `parquet:"query_type,optional,dict"`
	QueryClass           string `parquet:"query_class,optional,dict"`
	RCode                string `parquet:"rcode,optional,dict"`
	Answers              string `parquet:"answers,optional"`
	SrcAddr              string `parquet:"srcaddr,optional,dict"`
	SrcPort              *int32 `parquet:"srcport,optional"`
	Transport            string `parquet:"transport,optional,dict"`
	InstanceID           string `parquet:"instance_id,optional,dict"`
	ResolverEndpoint     string `parquet:"resolver_endpoint,optional,dict"`
	VPCID                string `parquet:"vpc_id,optional,dict"`
	FirewallAction       string `parquet:"firewall_action,optional,dict"`
	FirewallRuleGroupID  string `parquet:"firewall_rule_group_id,optional,dict"`
	FirewallDomainListID string `parquet:"firewall_domain_list_id,optional,dict"`
	AccountID            string `parquet:"account_id,optional,dict"`
	Region               string `parquet:"region,optional,dict"`
	Version              string `parquet:"version,optional,dict"`
	Raw                  string `parquet:"raw"`
	ObjectID             int64  `parquet:"object_id"`
	ObjectRecord         int32  `parquet:"object_record"`
}

// Micros converts a time to the microseconds the rows hold; the zero time
// is NULL where a column is nullable.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// OptMicros is Micros for nullable columns.
func OptMicros(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.UnixMicro()
	return &v
}

func columnsOf(v any) []string {
	var cols []string
	for _, f := range parquet.SchemaOf(v).Fields() {
		cols = append(cols, f.Name())
	}
	return cols
}

// RowWriter stages rows of one table in a Parquet file until the segment
// commits.
type RowWriter[T any] struct {
	table string
	f     *os.File
	w     *parquet.GenericWriter[T]
	sf    StagedFile
	done  bool
	// ids, for CloudTrail events, stages their identifiers (see
	// cloudtrailIDRow); it commits with the events.
	ids *idWriter
}

func newRowWriter[T any](s *Store, table, token string) (*RowWriter[T], error) {
	return newRowWriterNamed[T](s, table, token, token+".parquet")
}

func newRowWriterNamed[T any](s *Store, table, token, name string) (*RowWriter[T], error) {
	if s.readOnly {
		return nil, errors.New("database is open read-only")
	}
	// Partitioned by the day of ingest: one segment's rows span any days.
	rel := filepath.Join(table, "ingested="+time.Now().UTC().Format(time.DateOnly), name)
	staged := filepath.Join(s.lakeDir, stagingDir, token, rel)
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(staged), err)
	}
	f, err := os.Create(staged)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", staged, err)
	}
	// Small row groups: CloudTrail and finding rows carry kilobytes of
	// JSON each, and a writer buffers a whole row group in memory.
	// Identifier rows are small.
	opts := writerOptions(table)
	if table != cloudtrailIDTable {
		opts = append(opts, parquet.MaxRowsPerRowGroup(16384))
	}
	return &RowWriter[T]{table: table, f: f, w: parquet.NewGenericWriter[T](f, opts...),
		sf: StagedFile{Table: table, Staged: staged, Final: rel}}, nil
}

// NewCloudTrailWriter stages cloudtrail_events rows. The rows of one writer
// must have distinct event IDs (ingest drops repeats within a segment);
// Commit drops those already stored.
// Beside the events, it stages their identifiers in cloudtrail_identifiers
// (see cloudtrailIDRow), committed with them.
func (s *Store) NewCloudTrailWriter() (*RowWriter[CloudTrailRow], error) {
	token := newToken()
	w, err := newRowWriterNamed[CloudTrailRow](s, cloudtrailTable, token, token+indexedSuffix)
	if err != nil {
		return nil, err
	}
	ids, err := newRowWriter[cloudtrailIDRow](s, cloudtrailIDTable, token)
	if err != nil {
		w.Abort()
		return nil, err
	}
	w.ids = &idWriter{w: ids}
	return w, nil
}

// NewFindingWriter stages findings rows.
func (s *Store) NewFindingWriter() (*RowWriter[FindingRow], error) {
	return newRowWriter[FindingRow](s, findingsTable, newToken())
}

// NewDNSWriter stages dns_queries rows.
func (s *Store) NewDNSWriter() (*RowWriter[DNSRow], error) {
	return newRowWriter[DNSRow](s, dnsTable, newToken())
}

// Write appends rows.
func (w *RowWriter[T]) Write(rows []T) error {
	if _, err := w.w.Write(rows); err != nil {
		return fmt.Errorf("write %s: %w", w.sf.Staged, err)
	}
	w.sf.Records += int64(len(rows))
	if ct, ok := any(rows).([]CloudTrailRow); ok {
		for i := range ct {
			t := ct[i].EventTime
			if w.sf.MinTime.IsZero() || t < w.sf.MinTime.UnixMicro() {
				w.sf.MinTime = time.UnixMicro(t).UTC()
			}
			if w.sf.MaxTime.IsZero() || t > w.sf.MaxTime.UnixMicro() {
				w.sf.MaxTime = time.UnixMicro(t).UTC()
			}
		}
		if w.ids != nil {
			return w.ids.add(ct)
		}
	}
	return nil
}

// Records returns the rows written so far.
func (w *RowWriter[T]) Records() int64 { return w.sf.Records }

// Close finishes the file, ready to commit.
func (w *RowWriter[T]) Close() (StagedFile, error) {
	if w.done {
		return w.sf, nil
	}
	w.done = true
	if err := w.w.Close(); err != nil {
		w.f.Close()
		return w.sf, fmt.Errorf("write %s: %w", w.sf.Staged, err)
	}
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		return w.sf, fmt.Errorf("sync %s: %w", w.sf.Staged, err)
	}
	if st, err := w.f.Stat(); err == nil {
		w.sf.Bytes = st.Size()
	}
	if err := w.f.Close(); err != nil {
		return w.sf, err
	}
	if w.ids != nil {
		ids, err := w.ids.close()
		if err != nil {
			return w.sf, err
		}
		ids.MinTime, ids.MaxTime = w.sf.MinTime, w.sf.MaxTime
		w.sf.Index = &ids
	}
	return w.sf, nil
}

// Abort discards the file.
func (w *RowWriter[T]) Abort() {
	if !w.done {
		w.done = true
		w.f.Close()
	}
	os.Remove(w.sf.Staged)
	if w.ids != nil {
		w.ids.w.Abort()
	}
}

// stagedSource reads staged files of a table as SQL, strings read through
// NULLIF like the lake views (see lakeViewSQL).
func stagedSource(table string, files ...string) string {
	var cols []string
	for _, c := range tableColumns(table) {
		if c.text {
			cols = append(cols, fmt.Sprintf("NULLIF(%s, '') AS %s", quoteIdent(c.name), quoteIdent(c.name)))
		} else {
			cols = append(cols, quoteIdent(c.name))
		}
	}
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + sqlQuote(f) + "'"
	}
	return fmt.Sprintf("(SELECT %s FROM read_parquet([%s], hive_partitioning = false))", strings.Join(cols, ", "), strings.Join(quoted, ", "))
}

// dropStoredEvents removes from a staged CloudTrail file the events whose
// eventID the lake already holds (ingest has dropped repeats within the
// segment). Duplicates of an event share its time, so only the staged time
// range of the lake is searched. The file is rewritten only when it holds
// duplicates, which is rare: the same object under two names, or an
// organization trail and an account trail delivering the same events.
func dropStoredEvents(ctx context.Context, tx *sql.Tx, f *StagedFile) error {
	src := fmt.Sprintf("read_parquet('%s', hive_partitioning = false)", sqlQuote(f.Staged))
	stored := fmt.Sprintf(`SELECT event_id FROM cloudtrail_events
	WHERE event_time BETWEEN (SELECT min(event_time) FROM %[1]s) AND (SELECT max(event_time) FROM %[1]s)`, src)
	var dups int64
	if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE event_id IN (%s)`, src, stored)).Scan(&dups); err != nil {
		return fmt.Errorf("commit: find stored CloudTrail events: %w", err)
	}
	if dups == 0 {
		return nil
	}
	if f.Index != nil {
		if err := dropStoredIdentifiers(ctx, tx, f.Index, src, stored); err != nil {
			return err
		}
	}
	kept := strings.TrimSuffix(f.Staged, ".parquet") + ".kept"
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * FROM %s WHERE event_id NOT IN (%s))
TO '%s' (FORMAT parquet, COMPRESSION zstd)`, src, stored, sqlQuote(kept))); err != nil {
		return fmt.Errorf("commit: drop stored CloudTrail events: %w", err)
	}
	if err := os.Rename(kept, f.Staged); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	f.Records -= dups
	if st, err := os.Stat(f.Staged); err == nil {
		f.Bytes = st.Size()
	}
	return nil
}

// loadIntoTable moves a staged file's rows into a DuckDB table within the
// commit's transaction: findings replace older versions of themselves. It
// returns the rows added or changed.
func loadIntoTable(ctx context.Context, tx *sql.Tx, f StagedFile) (int64, error) {
	src := stagedSource(f.Table, f.Staged)
	var q string
	switch f.Table {
	case findingsTable:
		q = fmt.Sprintf(`INSERT INTO findings BY NAME
SELECT * FROM %[1]s QUALIFY row_number() OVER (PARTITION BY id ORDER BY count DESC, updated_at DESC NULLS LAST, object_record DESC) = 1
ON CONFLICT (id) DO UPDATE SET %[2]s
WHERE excluded.count > findings.count
	OR (excluded.count = findings.count AND coalesce(excluded.updated_at, TIMESTAMP '1970-01-01') > coalesce(findings.updated_at, TIMESTAMP '1970-01-01'))`,
			src, updateAll(columnsOf(FindingRow{}), "id"))
	case ipInfoTable:
		q = fmt.Sprintf(`INSERT INTO ip_info BY NAME
SELECT ip, country, country_name, city, CASE WHEN has_geo THEN latitude END AS latitude,
	CASE WHEN has_geo THEN longitude END AS longitude, nullif(asn, 0) AS asn, as_org, aws_service, aws_region
FROM %[1]s QUALIFY row_number() OVER (PARTITION BY ip) = 1
ON CONFLICT (ip) DO UPDATE SET country = excluded.country, country_name = excluded.country_name, city = excluded.city,
	latitude = excluded.latitude, longitude = excluded.longitude, asn = excluded.asn, as_org = excluded.as_org,
	aws_service = excluded.aws_service, aws_region = excluded.aws_region`, src)
	default:
		return 0, fmt.Errorf("no table loader for %s", f.Table)
	}
	res, err := tx.ExecContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("commit: load %s: %w", f.Table, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func updateAll(cols []string, key string) string {
	var out string
	for _, c := range cols {
		if c == key {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += fmt.Sprintf("%s = excluded.%s", quoteIdent(c), quoteIdent(c))
	}
	return out
}

func quoteIdent(s string) string { return `"` + s + `"` }
