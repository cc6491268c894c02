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

// baselineChild runs loadBaseline on its arguments and prints the
// baselineResult.
func baselineChild(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: ingestbench %s FORMAT DATA_DIR DB_PATH", baselineChildFlag)
	}
	res, err := loadBaseline(context.Background(), args[0], args[1], args[2])
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// loadBaseline loads every log file of a format under dataDir into a new
// DuckDB database at dbPath with one statement, the way an analyst does it
// by hand, and counts the rows. The time runs from childStart until the
// count is known.
func loadBaseline(ctx context.Context, format, dataDir, dbPath string) (baselineResult, error) {
	var res baselineResult
	db, err := sql.Open("duckdb", dbPath)
	if err != nil {
		return res, fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer db.Close()

	stmt := baselineStatement(format, dataDir)
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return res, fmt.Errorf("%s: %w", stmt, err)
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return res, fmt.Errorf("checkpoint: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&res.Rows); err != nil {
		return res, fmt.Errorf("count rows: %w", err)
	}
	res.Seconds = time.Since(childStart).Seconds()
	if err := db.QueryRowContext(ctx, "SELECT version()").Scan(&res.DuckDB); err != nil {
		return res, fmt.Errorf("duckdb version: %w", err)
	}
	if err := db.Close(); err != nil {
		return res, fmt.Errorf("close %s: %w", dbPath, err)
	}
	return res, nil
}

// baselineStatement is what an analyst writes to load the files of format
// under dataDir into a table t.
//
// For CloudTrail that is read_json over the files, each one object whose
// Records member DuckDB infers as a list of structs, and unnest to make a
// row of each event. Without union_by_name DuckDB infers that type from
// the first files only and fails on the first member it did not see there
// (with 500,000 generated events: additionalEventData.LoginTo of a console
// sign-in); union_by_name, which its error message suggests, infers the
// type of each file and unites them. maximum_object_size lifts DuckDB's
// default limit of 16 MB on a JSON value, which here is a whole file.
func baselineStatement(format, dataDir string) string {
	if format == cloudTrail {
		glob := filepath.ToSlash(filepath.Join(dataDir, "**", "*.json.gz"))
		return "CREATE TABLE t AS SELECT unnest(Records, recursive := false) AS e FROM read_json(" + sqlString(glob) +
			", format = 'auto', union_by_name = true, maximum_object_size = 1073741824)"
	}
	glob := filepath.ToSlash(filepath.Join(dataDir, "**", "*.log.gz"))
	return "CREATE TABLE t AS SELECT * FROM read_csv(" + sqlString(glob) + ", delim=' ', header=true)"
}

// sqlString quotes s as a SQL string literal.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// runBaseline runs the baseline child on dataDir with a fresh database.
func runBaseline(ctx context.Context, self, cache, format, dataDir string, in input) measurement {
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
	out, u, err := child(ctx, self, baselineChildFlag, format, absData, db)
	if err != nil {
		return measurement{err: fmt.Errorf("baseline: %w", err)}
	}
	var res baselineResult
	if err := json.Unmarshal(out, &res); err != nil {
		return measurement{err: fmt.Errorf("baseline: decode child output %q: %w", out, err)}
	}
	m := measurement{seconds: res.Seconds, cpu: u.cpu.Seconds(), rssKiB: u.rssKiB, rows: res.Rows, version: res.DuckDB}
	if res.Rows != int64(in.records) {
		m.err = fmt.Errorf("baseline: MISMATCH: DuckDB loaded %d rows, generated %d %s", res.Rows, in.records, unit(format))
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
