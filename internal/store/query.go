package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// ErrNotReadOnly is returned for SQL that is not a single read-only query.
var ErrNotReadOnly = errors.New("only a single SELECT (or EXPLAIN) statement is allowed")

var explainPrefix = regexp.MustCompile(`(?i)^\s*EXPLAIN(\s+ANALYZE)?\s+`)

// Result is the outcome of a read-only query.
type Result struct {
	Columns   []string
	Types     []string // DuckDB type names
	Rows      [][]any
	Truncated bool // more rows existed than the limit allowed
}

// Query runs one user-supplied statement, which must be a SELECT or
// EXPLAIN: the statement is prepared first and its type checked, so that
// writes, ATTACH, COPY, INSTALL, SET and multi-statement strings are refused
// before anything runs. File and network access beyond the lake is already
// off for the whole database (see initConn). limit bounds the rows returned
// (0: no bound).
func (s *Store) Query(ctx context.Context, query string, limit int) (*Result, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer conn.Close()
	// duckdb-go runs every statement but the last of a multi-statement
	// string while preparing it, so the statement count must be known
	// before anything is prepared. DuckDB's own parser tells, through
	// json_serialize_sql, which serializes SELECT statements only.
	body := explainPrefix.ReplaceAllString(query, "")
	var parsed string
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, body).Scan(&parsed); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	var ast struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(parsed), &ast); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if ast.Error {
		if strings.Contains(ast.Message, "Only SELECT") {
			return nil, ErrNotReadOnly
		}
		return nil, errors.New(ast.Message)
	}
	if len(ast.Statements) != 1 {
		return nil, ErrNotReadOnly
	}
	var res *Result
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("query: unexpected driver connection %T", dc)
		}
		st, err := c.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		stmt, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("query: unexpected statement %T", st)
		}
		typ, err := stmt.StatementType()
		if err != nil {
			return err
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT && typ != duckdb.STATEMENT_TYPE_EXPLAIN {
			return ErrNotReadOnly
		}
		rows, err := stmt.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		res = &Result{Columns: rows.Columns()}
		if tn, ok := rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
			for i := range res.Columns {
				res.Types = append(res.Types, tn.ColumnTypeDatabaseTypeName(i))
			}
		}
		for {
			dest := make([]driver.Value, len(res.Columns))
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if limit > 0 && len(res.Rows) == limit {
				res.Truncated = true
				return nil
			}
			row := make([]any, len(dest))
			for i, v := range dest {
				row[i] = v
			}
			res.Rows = append(res.Rows, row)
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
