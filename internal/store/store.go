// Package store keeps gumshoe's data: an embedded DuckDB database for
// ledgers, rollups and the graph, and a Parquet lake of raw records that the
// store owns and exposes to SQL as views. It is the only package that speaks
// SQL or imports the DuckDB driver.
//
// Layout on disk, for a database at PATH (default ./gumshoe.duckdb):
//
//	PATH                       DuckDB database: ledger, rollups, lake file list
//	<PATH without .duckdb>.lake/
//	  flow_logs/_schema.parquet        zero rows, every column: fixes the view's types
//	  flow_logs/date=YYYY-MM-DD/*.parquet  raw flow records, one folder per UTC day
//	  flow_rollup_hourly/...           the hourly rollup, laid out the same way
//	  staging/<segment>/...            files written but not yet committed
//
// Raw records go to Parquet rather than DuckDB tables because parallel
// Parquet writes from Go measure several times faster than any DuckDB write
// path (see docs/storage.md), and the same files can be read as-is by Athena,
// Trino or Spark.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Options configures Open.
type Options struct {
	// ReadOnly opens the database without write access; several read-only
	// processes may share a database, but not with a writer.
	ReadOnly bool
	// MemoryLimit bounds DuckDB's memory, e.g. "1GB"; empty means DuckDB's
	// default (80% of RAM).
	MemoryLimit string
	// Threads bounds DuckDB's worker threads; 0 means one per core.
	Threads int
	Logger  *slog.Logger
}

// Store is an open gumshoe database.
type Store struct {
	db       *sql.DB
	path     string
	lakeDir  string
	readOnly bool
	log      *slog.Logger

	configOnce sync.Once
	configErr  error

	// addrs is the direction rule's memory (interface_addresses), loaded
	// at open and kept current by Commit.
	addrMu sync.RWMutex
	addrs  AddressCounts

	// migrated is set once the schema is current.
	migrated atomic.Bool

	// rollups recycles rollup builders between segments: their tables keep
	// their size, so a new segment does not grow them from scratch. Not a
	// sync.Pool, which the garbage collector empties: under the soft
	// memory limit it runs often enough that builders were rebuilt for
	// nearly every segment.
	rollupMu sync.Mutex
	rollups  []*rollupBuilder
}

// maxIdleRollups bounds the builders kept between segments (one per ingest
// worker is the common case).
const maxIdleRollups = 4

func (s *Store) getRollup() *rollupBuilder {
	s.rollupMu.Lock()
	defer s.rollupMu.Unlock()
	if n := len(s.rollups); n > 0 {
		rb := s.rollups[n-1]
		s.rollups = s.rollups[:n-1]
		return rb
	}
	return newRollupBuilder()
}

func (s *Store) putRollup(rb *rollupBuilder) {
	rb.reset()
	s.rollupMu.Lock()
	defer s.rollupMu.Unlock()
	if len(s.rollups) < maxIdleRollups {
		s.rollups = append(s.rollups, rb)
	}
}

// lakeTables are the tables kept as Parquet in the lake.
var lakeTables = []string{flowTable, rollupTable, dnsTable, cloudtrailTable}

// ErrLocked is returned when another process holds the database.
var ErrLocked = errors.New("database is in use by another process")

// ErrNoDatabase is returned when a read-only open finds no database.
var ErrNoDatabase = errors.New("no database")

// LakeDir returns the lake folder that goes with a database path.
func LakeDir(path string) string {
	return strings.TrimSuffix(path, ".duckdb") + ".lake"
}

// Open opens (and when writable, creates and migrates) the database at path.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{path: abs, lakeDir: LakeDir(abs), readOnly: opts.ReadOnly, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.ReadOnly {
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%w at %s (run gumshoe ingest first)", ErrNoDatabase, path)
		}
	} else {
		if err := s.ensureAnchors(); err != nil {
			return nil, err
		}
	}
	dsn := abs
	if opts.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	connector, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		return s.initConn(execer, opts)
	})
	if err != nil {
		return nil, openError(path, err)
	}
	s.db = sql.OpenDB(connector)
	// A new connection defines the lake views over every Parquet file
	// (0.5 s on a quiet machine with months of data), so keep the
	// connections a burst of API requests opened instead of the pool's
	// default of two.
	s.db.SetMaxIdleConns(16)
	// A read-only database is as current as it will get: every connection,
	// the first included, makes the graph views itself.
	s.migrated.Store(opts.ReadOnly)
	// The first connection applies the instance-wide settings; make it now
	// so that a lock conflict is reported here, not at the first query.
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, openError(path, err)
	}
	if !opts.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
		s.migrated.Store(true)
		if err := s.createGraphViews(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
		if err := s.recoverLake(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
		if err := s.loadAddresses(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
	}
	return s, nil
}

var lockPID = regexp.MustCompile(`PID (\d+)`)

// openError turns DuckDB's lock conflict into a message naming the file and
// the process holding it, so that a second command never hangs or guesses.
func openError(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock") {
		holder := "another process"
		if m := lockPID.FindStringSubmatch(msg); m != nil {
			holder = "process " + m[1]
		}
		return fmt.Errorf("%w: %s is held by %s (a running gumshoe serve or ingest?); stop it or use its API", ErrLocked, path, holder)
	}
	return fmt.Errorf("open database %s: %w", path, err)
}

// initConn runs on every new DuckDB connection. The sandbox settings are
// instance-wide and locked after the first connection sets them: DuckDB may
// then read files only inside the lake, and reach no network, whatever SQL
// a user sends.
func (s *Store) initConn(execer driver.ExecerContext, opts Options) error {
	ctx := context.Background()
	s.configOnce.Do(func() {
		stmts := []string{
			"SET preserve_insertion_order = false",
			"SET parquet_metadata_cache = true",
			"SET autoinstall_known_extensions = false",
			"SET autoload_known_extensions = false",
		}
		if opts.MemoryLimit != "" {
			stmts = append(stmts, fmt.Sprintf("SET memory_limit = '%s'", sqlQuote(opts.MemoryLimit)))
		}
		if opts.Threads > 0 {
			stmts = append(stmts, fmt.Sprintf("SET threads = %d", opts.Threads))
		}
		// DuckDB spills to <db>.tmp, outside the lake; keep it inside so
		// that the allowed-directories rule does not block spilling.
		stmts = append(stmts,
			fmt.Sprintf("SET temp_directory = '%s'", sqlQuote(filepath.Join(s.lakeDir, "tmp"))),
			fmt.Sprintf("SET allowed_directories = ['%s/']", sqlQuote(s.lakeDir)),
			"SET enable_external_access = false",
			"SET lock_configuration = true",
		)
		for _, q := range stmts {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				s.configErr = fmt.Errorf("configure database (%s): %w", q, err)
				return
			}
		}
	})
	if s.configErr != nil {
		return s.configErr
	}
	for _, table := range lakeTables {
		if _, err := execer.ExecContext(ctx, s.lakeViewSQL(table), nil); err != nil {
			return fmt.Errorf("create %s view: %w", table, err)
		}
	}
	// The graph views read tables that migrations create: on a database
	// being created they are made after migrating (see Open).
	if !s.migrated.Load() {
		return nil
	}
	for _, q := range append(graphViewsSQL, s.mentionsSQL()) {
		if _, err := execer.ExecContext(ctx, q, nil); err != nil {
			return fmt.Errorf("create graph views: %w", err)
		}
	}
	return nil
}

// createGraphViews makes the graph views on the connections opened before
// the schema was current (new connections make them in initConn).
func (s *Store) createGraphViews(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range append(graphViewsSQL, s.mentionsSQL()) {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create graph views: %w", err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's absolute path.
func (s *Store) Path() string { return s.path }

// Lake returns the lake folder's absolute path.
func (s *Store) Lake() string { return s.lakeDir }

// sqlQuote escapes a string for a single-quoted SQL literal.
func sqlQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }
