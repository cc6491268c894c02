package api

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// SQL limits: rows returned and run time, by default and at most.
const (
	DefaultSQLRows    = 1000
	MaxSQLRows        = 100_000
	DefaultSQLTimeout = 30 * time.Second
	MaxSQLTimeout     = 120 * time.Second
	maxSQLBody        = 1 << 20
)

var sqlRequestSchema = map[string]any{
	"type":     "object",
	"required": []string{"query"},
	"properties": map[string]any{
		"query":           map[string]any{"type": "string", "description": "one SELECT or EXPLAIN statement"},
		"limit":           map[string]any{"type": "integer", "description": fmt.Sprintf("rows returned (default %d, at most %d)", DefaultSQLRows, MaxSQLRows)},
		"timeout_seconds": map[string]any{"type": "number", "description": fmt.Sprintf("time limit (default %.0f, at most %.0f)", DefaultSQLTimeout.Seconds(), MaxSQLTimeout.Seconds())},
	},
}

type sqlRequest struct {
	Query          string  `json:"query"`
	Limit          int     `json:"limit"`
	TimeoutSeconds float64 `json:"timeout_seconds"`
}

// queryError is an error in the user's own SQL: its message is theirs to
// see.
type queryError struct{ err error }

func (e *queryError) Error() string { return e.err.Error() }
func (e *queryError) Unwrap() error { return e.err }

type sqlColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type sqlResult struct {
	Columns   []sqlColumn `json:"columns"`
	Rows      [][]any     `json:"rows"`
	RowCount  int         `json:"row_count"`
	Limit     int         `json:"limit"`
	Truncated bool        `json:"truncated"`
}

func (s *Server) sql(w http.ResponseWriter, r *http.Request) error {
	var req sqlRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxSQLBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return badRequest("body must be JSON {\"query\": \"SELECT ...\", \"limit\": N, \"timeout_seconds\": S}: %v", err)
	}
	if strings.TrimSpace(req.Query) == "" {
		return badRequest("query is empty")
	}
	limit := req.Limit
	switch {
	case limit == 0:
		limit = DefaultSQLRows
	case limit < 0 || limit > MaxSQLRows:
		return badRequest("limit must be 1 to %d", MaxSQLRows)
	}
	timeout := DefaultSQLTimeout
	if req.TimeoutSeconds != 0 {
		if req.TimeoutSeconds < 0 || req.TimeoutSeconds > MaxSQLTimeout.Seconds() || math.IsNaN(req.TimeoutSeconds) {
			return badRequest("timeout_seconds must be above 0 and at most %.0f", MaxSQLTimeout.Seconds())
		}
		timeout = time.Duration(req.TimeoutSeconds * float64(time.Second))
	}
	format := r.URL.Query().Get("format")
	if format == "" && strings.Contains(r.Header.Get("Accept"), "text/csv") {
		format = "csv"
	}
	if format != "" && format != "json" && format != "csv" {
		return badRequest("format must be json or csv")
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	res, err := s.cfg.Store.Query(ctx, req.Query, limit)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, store.ErrNotReadOnly):
			return err
		}
		return &queryError{err: err}
	}
	if format == "csv" {
		return writeCSV(w, res)
	}
	out := toSQLResult(res, limit)
	if res.Truncated {
		w.Header().Set("X-Gumshoe-Truncated", "true")
	}
	return writeJSON(w, http.StatusOK, out)
}

// jsonCell turns a DuckDB value into one encoding/json can write.
func jsonCell(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case float32:
		return jsonCell(float64(x))
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonCell(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonCell(e)
		}
		return out
	}
	if _, err := json.Marshal(v); err == nil {
		return v
	}
	return fmt.Sprint(v)
}

// csvCell renders a value for CSV. Strings that a spreadsheet would run as
// a formula get a leading quote: log values are attacker-controlled.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if x != "" && strings.ContainsRune("=+-@\t\r", rune(x[0])) {
			return "'" + x
		}
		return x
	}
	c := jsonCell(v)
	switch x := c.(type) {
	case string:
		return x
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(c)
}

func writeCSV(w http.ResponseWriter, res *store.Result) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if res.Truncated {
		w.Header().Set("X-Gumshoe-Truncated", "true")
	}
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	cw.Write(res.Columns)
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			rec[i] = csvCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeFlowsCSV writes a page of flow details as CSV.
func writeFlowsCSV(w http.ResponseWriter, d *engine.FlowDetails) error {
	res := &store.Result{Columns: []string{"id", "remote_ip", "instance", "local_port", "remote_port", "protocol", "direction",
		"bytes_in", "bytes_out", "packets_in", "packets_out", "flows", "accepted_flows", "rejected_flows", "action",
		"first_seen", "last_seen", "finding"}}
	ptr := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, r := range d.Rows {
		res.Rows = append(res.Rows, []any{r.ID, r.RemoteIP, r.Instance, ptr(r.LocalPort), ptr(r.RemotePort), ptr(r.Protocol), r.Direction,
			r.BytesIn, r.BytesOut, r.PacketsIn, r.PacketsOut, r.Flows, r.AcceptedFlows, r.RejectedFlows, r.Action,
			r.FirstSeen, r.LastSeen, r.Finding})
	}
	return writeCSV(w, res)
}
