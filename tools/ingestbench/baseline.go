package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	// The baseline is DuckDB itself, used the way an analyst would use it;
	// this tool is the one place outside the store that imports the driver.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
)

// baselineChildFlag selects the hidden child mode; it is not a flag.FlagSet
// flag so that it stays out of -help.
const baselineChildFlag = "-baseline-child"

// childStart is when the process began, as near as Go lets us see it: the
// baseline's time runs from here, so that it pays for starting DuckDB just
// as gumshoe does.
var childStart = time.Now()

// baselineResult is what the child reports on stdout.
type baselineResult struct {
	Rows    int64   `json:"rows"`
	Seconds float64 `json:"seconds"`
	DuckDB  string  `json:"duckdb_version"`
}

// baselineChild loads every flow log under dataDir into a new DuckDB
// database at dbPath with one read_csv, the way an analyst does it by hand,
// and prints a baselineResult.
func baselineChild(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: ingestbench %s DATA_DIR DB_PATH", baselineChildFlag)
	}
	dataDir, dbPath := args[0], args[1]
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer db.Close()
	ctx := context.Background()

	glob := filepath.ToSlash(filepath.Join(dataDir, "**", "*.log.gz"))
	stmt := "CREATE TABLE t AS SELECT * FROM read_csv(" + sqlString(glob) + ", delim=' ', header=true)"
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	var res baselineResult
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&res.Rows); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	res.Seconds = time.Since(childStart).Seconds()
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&res.DuckDB); err != nil {
		return fmt.Errorf("duckdb version: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dbPath, err)
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// runBaseline runs the baseline child on dataDir with a fresh database.
func runBaseline(ctx context.Context, self, cache, dataDir string, st flowgen.Stats) measurement {
	dir, cleanup, err := scratch(cache, "baseline-")
	if err != nil {
		return measurement{err: err}
	}
	defer cleanup()
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return measurement{err: fmt.Errorf("baseline: %w", err)}
	}
	db := filepath.Join(dir, "b.duckdb")
	out, u, err := child(ctx, self, baselineChildFlag, absData, db)
	if err != nil {
		return measurement{err: fmt.Errorf("baseline: %w", err)}
	}
	var res baselineResult
	if err := json.Unmarshal(out, &res); err != nil {
		return measurement{err: fmt.Errorf("baseline: decode child output %q: %w", out, err)}
	}
	m := measurement{seconds: res.Seconds, cpu: u.cpu.Seconds(), rssKiB: u.rssKiB, rows: res.Rows, version: res.DuckDB}
	if res.Rows != int64(st.Records) {
		m.err = fmt.Errorf("baseline: MISMATCH: DuckDB loaded %d rows, generated %d records", res.Rows, st.Records)
		return m
	}
	if m.dbBytes, err = diskBytes(db, db+".wal"); err != nil {
		m.err = fmt.Errorf("baseline: %w", err)
	}
	if m.seconds <= 0 {
		m.err = errors.New("baseline: child reported no time")
	}
	return m
}
