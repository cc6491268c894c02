package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ObjectRecord is the ledger entry of one ingested object.
type ObjectRecord struct {
	ID         int64
	URI        string
	Size       int64
	ETag       string // S3 objects
	Checksum   string // local files: SHA-256 of the bytes as stored
	Modified   time.Time
	LogType    string // "vpcflow"
	Format     string
	AccountID  string // from the object's key, when its layout says
	Region     string
	Records    int64
	Rejected   int64
	FirstError string
}

// Ledger answers "was this object ingested already?" from memory, so that
// re-running an ingest over millions of objects costs no query per object.
type Ledger struct {
	mu         sync.Mutex
	byVersion  map[string]bool // uri + size + etag or mtime
	byChecksum map[string]bool
	nextID     atomic.Int64
}

func versionKey(uri string, size int64, etag string, modified time.Time) string {
	if etag != "" {
		return uri + "\x00" + etag
	}
	return fmt.Sprintf("%s\x00%d\x00%d", uri, size, modified.UnixNano())
}

// Seen reports whether this version of the object (same URI and ETag, or
// for local files same path, size and modification time) is in the ledger.
func (l *Ledger) Seen(uri string, size int64, etag string, modified time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byVersion[versionKey(uri, size, etag, modified)]
}

// SeenChecksum reports whether an object with these exact bytes was
// ingested, under any name.
func (l *Ledger) SeenChecksum(sum string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sum != "" && l.byChecksum[sum]
}

// Claim records the object as taken by the running ingest and reports
// whether it was free; it stops two copies of one file in a single run from
// both being ingested.
func (l *Ledger) Claim(uri string, size int64, etag string, modified time.Time, sum string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := versionKey(uri, size, etag, modified)
	if l.byVersion[k] || (sum != "" && l.byChecksum[sum]) {
		return false
	}
	l.byVersion[k] = true
	if sum != "" {
		l.byChecksum[sum] = true
	}
	return true
}

// NextObjectID allocates an object ID. IDs of objects that never commit are
// simply not used.
func (l *Ledger) NextObjectID() int64 { return l.nextID.Add(1) }

// Ledger loads the ingested-objects ledger.
func (s *Store) Ledger(ctx context.Context) (*Ledger, error) {
	l := &Ledger{byVersion: map[string]bool{}, byChecksum: map[string]bool{}}
	rows, err := s.db.QueryContext(ctx, `SELECT object_id, uri, size, coalesce(etag, ''), coalesce(checksum, ''), modified FROM ingested_objects`)
	if err != nil {
		return nil, fmt.Errorf("load ledger: %w", err)
	}
	defer rows.Close()
	var maxID int64
	for rows.Next() {
		var (
			id             int64
			uri, etag, sum string
			size           sql.NullInt64
			mod            sql.NullTime
		)
		if err := rows.Scan(&id, &uri, &size, &etag, &sum, &mod); err != nil {
			return nil, fmt.Errorf("load ledger: %w", err)
		}
		l.byVersion[versionKey(uri, size.Int64, etag, mod.Time)] = true
		if sum != "" {
			l.byChecksum[sum] = true
		}
		maxID = max(maxID, id)
	}
	l.nextID.Store(maxID)
	return l, rows.Err()
}

// Segment is a unit of commit: the objects ingested by one worker since its
// last commit and the files holding their records. Either all of it becomes
// visible or none of it does.
type Segment struct {
	Objects  []ObjectRecord
	Files    []StagedFile
	Evidence AddressCounts // from FlowWriter.Close
}

var segmentMu sync.Mutex

// Commit makes a segment durable and visible: ledger entries, lake file
// list and rollups in one transaction, then the files moved into the lake.
// A crash between the two steps is finished by the next Open.
func (s *Store) Commit(ctx context.Context, seg Segment) error {
	segmentMu.Lock()
	defer segmentMu.Unlock()
	if len(seg.Objects) == 0 && len(seg.Files) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	defer tx.Rollback()
	var segID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(segment_id), 0) + 1 FROM ingested_objects`).Scan(&segID); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	now := time.Now().UTC()
	if err := insertObjects(ctx, tx, segID, now, seg.Objects); err != nil {
		return err
	}
	for i := range seg.Files {
		if f := &seg.Files[i]; f.Table == cloudtrailTable && f.Records > 0 {
			if err := dropStoredEvents(ctx, tx, f); err != nil {
				return err
			}
		}
	}
	seg.Files = withIndexes(seg.Files)
	for _, f := range seg.Files {
		if f.Records == 0 {
			continue
		}
		if !isLakeTable(f.Table) {
			if _, err := loadIntoTable(ctx, tx, f); err != nil {
				return err
			}
			continue
		}
		rel, err := filepath.Rel(s.lakeDir, f.Staged)
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		var minT, maxT any
		if !f.MinTime.IsZero() {
			minT, maxT = f.MinTime, f.MaxTime
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lake_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.Final, rel, f.Table, segID, f.Records, f.Bytes, minT, maxT, now); err != nil {
			return fmt.Errorf("commit: record lake file: %w", err)
		}
	}
	if err := saveAddresses(ctx, tx, seg.Evidence); err != nil {
		return err
	}
	if len(seg.Objects) > 0 {
		minID, maxID := seg.Objects[0].ID, seg.Objects[0].ID
		for _, o := range seg.Objects {
			minID, maxID = min(minID, o.ID), max(maxID, o.ID)
		}
		var dnsFiles, ctFiles []string
		graphWanted := false
		for _, f := range seg.Files {
			switch {
			case f.Records == 0:
			case f.Table == dnsTable:
				dnsFiles = append(dnsFiles, f.Staged)
				graphWanted = true
			case f.Table == cloudtrailTable:
				ctFiles = append(ctFiles, f.Staged)
				graphWanted = true
			case f.Table == findingsTable:
				graphWanted = true
			}
		}
		if graphWanted {
			if err := graphFromSegment(ctx, tx, minID, maxID, ctFiles, dnsFiles); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.addrMu.Lock()
	if s.addrs == nil {
		s.addrs = AddressCounts{}
	}
	for iface, m := range seg.Evidence {
		if s.addrs[iface] == nil {
			s.addrs[iface] = map[string]int64{}
		}
		for addr, n := range m {
			s.addrs[iface][addr] += n
		}
	}
	s.addrMu.Unlock()
	for _, f := range seg.Files {
		if f.Records == 0 || !isLakeTable(f.Table) {
			os.Remove(f.Staged)
			continue
		}
		final := filepath.Join(s.lakeDir, f.Final)
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		if err := os.Rename(f.Staged, final); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE lake_files SET staged_path = '' WHERE segment_id = ?`, segID); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func insertObjects(ctx context.Context, tx *sql.Tx, segID int64, now time.Time, objs []ObjectRecord) error {
	const cols = 15
	for len(objs) > 0 {
		n := min(len(objs), 500)
		var b strings.Builder
		b.WriteString("INSERT INTO ingested_objects VALUES ")
		args := make([]any, 0, n*cols)
		for i, o := range objs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			var mod any
			if !o.Modified.IsZero() {
				mod = o.Modified.UTC()
			}
			args = append(args, o.ID, o.URI, o.Size, nullString(o.ETag), nullString(o.Checksum), mod,
				o.LogType, nullString(o.Format), nullString(o.AccountID), nullString(o.Region),
				o.Records, o.Rejected, nullString(o.FirstError), now, segID)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("commit: record objects: %w", err)
		}
		objs = objs[n:]
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func isLakeTable(t string) bool {
	if t == cloudtrailIDTable {
		return true
	}
	for _, l := range lakeTables {
		if l == t {
			return true
		}
	}
	return false
}

// loadAddresses reads the direction rule's memory.
func (s *Store) loadAddresses(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT interface_id, address, records FROM interface_addresses`)
	if err != nil {
		return fmt.Errorf("load interface addresses: %w", err)
	}
	defer rows.Close()
	addrs := AddressCounts{}
	for rows.Next() {
		var iface, addr string
		var n int64
		if err := rows.Scan(&iface, &addr, &n); err != nil {
			return fmt.Errorf("load interface addresses: %w", err)
		}
		if addrs[iface] == nil {
			addrs[iface] = map[string]int64{}
		}
		addrs[iface][addr] = n
	}
	s.addrMu.Lock()
	s.addrs = addrs
	s.addrMu.Unlock()
	return rows.Err()
}

// saveAddresses adds a segment's direction evidence to interface_addresses.
func saveAddresses(ctx context.Context, tx *sql.Tx, ev AddressCounts) error {
	var (
		b    strings.Builder
		args []any
	)
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := "INSERT INTO interface_addresses VALUES " + b.String() +
			" ON CONFLICT (interface_id, address) DO UPDATE SET records = records + excluded.records"
		_, err := tx.ExecContext(ctx, q, args...)
		b.Reset()
		args = args[:0]
		return err
	}
	for iface, m := range ev {
		for addr, n := range m {
			if len(args) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?)")
			args = append(args, iface, addr, n)
			if len(args) >= 3*500 {
				if err := flush(); err != nil {
					return fmt.Errorf("commit: record interface addresses: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("commit: record interface addresses: %w", err)
	}
	return nil
}
