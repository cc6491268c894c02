package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gumshoe-dev/gumshoe/internal/athena"
	"github.com/gumshoe-dev/gumshoe/internal/filterpattern"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// patternResult is the answer to a filter pattern query.
type patternResult struct {
	Pattern   string `json:"pattern"`
	SQL       string `json:"sql"`
	AthenaSQL string `json:"athena_sql"`
	sqlResult
}

// patternError is a pattern that does not compile, with the column of
// the problem.
type patternError struct {
	Code  string `json:"code"`
	Msg   string `json:"message"`
	Col   int    `json:"column"`
	ReqID string `json:"request_id"`
}

func (s *Server) pattern(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pattern := q.Get("pattern")
	if len(pattern) > 64<<10 {
		return badRequest("pattern longer than 64 KiB")
	}
	var ff flowlog.Format
	if v := q.Get("flow_format"); v != "" {
		var err error
		if ff, err = flowlog.ParseFormat(v); err != nil {
			return badRequest("flow_format: %v", err)
		}
	}
	limit, err := intParam(r, "limit", DefaultSQLRows, MaxSQLRows)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = DefaultSQLRows
	}
	f, err := filterpattern.Compile(pattern, ff)
	if err != nil {
		var pe *filterpattern.Error
		if errors.As(err, &pe) {
			// The error envelope, plus the column to point at.
			return writeJSON(w, http.StatusBadRequest, map[string]patternError{"error": {
				Code: "invalid_pattern", Msg: pe.Error(), Col: pe.Column, ReqID: requestID(r)}})
		}
		return badRequest("%v", err)
	}
	ath, err := athena.Translate("SELECT * FROM flow_logs WHERE "+f.Where+"\nORDER BY start_time NULLS LAST", q.Get("athena_table"))
	if err != nil {
		return badRequest("athena: %v", err)
	}
	ctx, cancel := context.WithTimeout(r.Context(), DefaultSQLTimeout)
	defer cancel()
	res, err := s.cfg.Store.Query(ctx, f.Select(), limit)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return writeJSON(w, http.StatusOK, patternResult{Pattern: pattern, SQL: f.Select(), AthenaSQL: ath, sqlResult: toSQLResult(res, limit)})
}

// toSQLResult turns a store result into the JSON shape of /sql.
func toSQLResult(res *store.Result, limit int) sqlResult {
	out := sqlResult{Columns: []sqlColumn{}, Rows: [][]any{}, RowCount: len(res.Rows), Limit: limit, Truncated: res.Truncated}
	for i, c := range res.Columns {
		typ := ""
		if i < len(res.Types) {
			typ = res.Types[i]
		}
		out.Columns = append(out.Columns, sqlColumn{Name: c, Type: typ})
	}
	for _, row := range res.Rows {
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = jsonCell(v)
		}
		out.Rows = append(out.Rows, cells)
	}
	return out
}
