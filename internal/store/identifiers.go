package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
)

// cloudtrail_identifiers is the lookup index of CloudTrail events: one row
// per event and identifier it mentions (cloudtrail.AppendIdentifiers: the
// addresses, access keys, ARNs, accounts, resource IDs, buckets and names
// in userIdentity, requestParameters, responseElements, resources...,
// plus the values of the flattened identity columns). mentions() finds an
// event by an equality on identifier, which the row groups' bloom filters
// answer without reading them, instead of a substring search of every
// event's JSON (docs/storage.md has the numbers). It is internal to the
// store: no view reads it.
//
// Each cloudtrail_events file written since the index exists is named
// <segment>.indexed.parquet and has its identifiers in
// cloudtrail_identifiers/<same partition>/<segment>.parquet; files
// written before (and migration 5's) are searched by substring, as they
// were (see legacyCloudTrailFiles).
const (
	cloudtrailIDTable = "cloudtrail_identifiers"
	indexedSuffix     = ".indexed.parquet"
)

// cloudtrailIDRow is one row of cloudtrail_identifiers. Matched names the
// cloudtrail_events columns equal to the identifier (source_ip,
// access_key_id, user_arn, principal_id, user_name, session_issuer_arn,
// account_id, comma-separated), else the top-level member of the event
// that holds it (requestParameters, responseElements, resources...).
type cloudtrailIDRow struct {
	Identifier   string `parquet:"identifier,dict"`
	EventTime    int64  `parquet:"event_time,timestamp(microsecond:local)"`
	Matched      string `parquet:"matched,dict"`
	ObjectID     int64  `parquet:"object_id"`
	ObjectRecord int32  `parquet:"object_record"`
}

// idWriter stages the identifiers of the events a RowWriter writes.
type idWriter struct {
	w       *RowWriter[cloudtrailIDRow]
	rows    []cloudtrailIDRow
	ids     []cloudtrail.Identifier
	matched [1 << 7]string // by mask of identityColumns
}

// identityColumns returns the flattened identity columns of r, in the
// order mentions() lists them in matched.
func identityColumns(r *CloudTrailRow) [7][2]string {
	return [7][2]string{
		{"source_ip", r.SourceIP}, {"access_key_id", r.AccessKeyID}, {"user_arn", r.UserARN},
		{"principal_id", r.PrincipalID}, {"user_name", r.UserName},
		{"session_issuer_arn", r.SessionIssuerARN}, {"account_id", r.AccountID},
	}
}

func (x *idWriter) add(rows []CloudTrailRow) error {
	x.rows = x.rows[:0]
	for i := range rows {
		r := &rows[i]
		// The identifiers share r.Raw's memory, which the writer copies.
		x.ids = cloudtrail.AppendIdentifiers(x.ids[:0], r.Raw)
		cols := identityColumns(r)
		// The flattened columns may hold values the JSON does not spell
		// out (a user name taken from an ARN).
		for _, c := range cols {
			if c[1] != "" && !hasIdentifier(x.ids, c[1]) {
				x.ids = append(x.ids, cloudtrail.Identifier{Value: c[1]})
			}
		}
		for _, id := range x.ids {
			var mask uint8
			for j, c := range cols {
				if c[1] == id.Value {
					mask |= 1 << j
				}
			}
			m := cmp.Or(id.Member, "raw")
			if mask != 0 {
				m = x.columnsMatched(mask, &cols)
			}
			x.rows = append(x.rows, cloudtrailIDRow{Identifier: id.Value, EventTime: r.EventTime, Matched: m,
				ObjectID: r.ObjectID, ObjectRecord: r.ObjectRecord})
		}
	}
	return x.w.Write(x.rows)
}

// columnsMatched returns the names of the identity columns in mask,
// comma-separated, made once per writer.
func (x *idWriter) columnsMatched(mask uint8, cols *[7][2]string) string {
	if m := x.matched[mask]; m != "" {
		return m
	}
	var names []string
	for j, c := range cols {
		if mask&(1<<j) != 0 {
			names = append(names, c[0])
		}
	}
	x.matched[mask] = strings.Join(names, ",")
	return x.matched[mask]
}

func hasIdentifier(ids []cloudtrail.Identifier, v string) bool {
	for _, id := range ids {
		if id.Value == v {
			return true
		}
	}
	return false
}

func (x *idWriter) close() (StagedFile, error) { return x.w.Close() }

// dropStoredIdentifiers removes from a staged cloudtrail_identifiers file
// the rows of the events that dropStoredEvents is about to remove from
// events, the staged events file: stored is the query of the event IDs
// already in the lake.
func dropStoredIdentifiers(ctx context.Context, tx *sql.Tx, ids *StagedFile, events, stored string) error {
	src := fmt.Sprintf("read_parquet('%s', hive_partitioning = false)", sqlQuote(ids.Staged))
	kept := strings.TrimSuffix(ids.Staged, ".parquet") + ".kept"
	res, err := tx.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT i.* FROM %s i ANTI JOIN (
	SELECT object_id, object_record FROM %s WHERE event_id IN (%s)) d USING (object_id, object_record))
TO '%s' (FORMAT parquet, COMPRESSION zstd)`, src, events, stored, sqlQuote(kept)))
	if err != nil {
		return fmt.Errorf("commit: drop identifiers of stored CloudTrail events: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil {
		ids.Records = n
	}
	if err := os.Rename(kept, ids.Staged); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if st, err := os.Stat(ids.Staged); err == nil {
		ids.Bytes = st.Size()
	}
	return nil
}

// withIndexes returns files with the index file of each CloudTrail file
// after it.
func withIndexes(files []StagedFile) []StagedFile {
	n := 0
	for _, f := range files {
		if f.Index != nil {
			n++
		}
	}
	if n == 0 {
		return files
	}
	out := make([]StagedFile, 0, len(files)+n)
	for _, f := range files {
		out = append(out, f)
		if f.Index != nil {
			out = append(out, *f.Index)
		}
	}
	return out
}

// legacyCloudTrailFiles lists the cloudtrail_events files written before
// cloudtrail_identifiers existed: mentions() searches their JSON by
// substring.
func (s *Store) legacyCloudTrailFiles() ([]string, error) {
	var out []string
	root := filepath.Join(s.lakeDir, cloudtrailTable)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasSuffix(name, ".parquet") || strings.HasPrefix(name, "_") ||
			strings.HasSuffix(name, indexedSuffix) {
			return nil
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
