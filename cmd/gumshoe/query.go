package main

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func newQueryCommand(g *globalOptions) *cobra.Command {
	var (
		format string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "query [flags] SQL",
		Short: "Run a read-only SQL query",
		Long: `Run one read-only SQL statement (SELECT or EXPLAIN) against the database.

Tables: flow_logs (one row per flow log record), flow_rollup_hourly,
ingested_objects; see docs/schema.md. Statements that write, attach, copy,
install, or change settings are refused, and SQL cannot read files outside the
database's own lake or reach the network.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format must be table, csv or json, not %q", format)
			}
			st, err := g.open(cmd.Context(), cmd.ErrOrStderr(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Query(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			return writeResult(cmd, res, format, limit)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	cmd.Flags().IntVar(&limit, "limit", 0, "stop after this many rows (0: no limit)")
	return cmd
}

// writeResult prints a result in the chosen format.
func writeResult(cmd *cobra.Command, res *store.Result, format string, limit int) error {
	out := cmd.OutOrStdout()
	var err error
	switch format {
	case "csv":
		err = writeCSV(out, res)
	case "json":
		err = writeJSON(out, res)
	default:
		err = writeTable(out, res)
	}
	if err != nil {
		return err
	}
	if res.Truncated {
		fmt.Fprintf(cmd.ErrOrStderr(), "gumshoe %s: output stopped at %d rows (--limit)\n", cmd.Name(), limit)
	}
	return nil
}

// text renders a value for table and CSV output.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.UTC().Format("2006-01-02 15:04:05")
		}
		return x.UTC().Format("2006-01-02 15:04:05.999999")
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case map[string]any, []any:
		// JSON and nested values: print them as JSON, not Go syntax.
		if b, err := json.Marshal(x); err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

func writeCSV(w io.Writer, res *store.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(res.Columns); err != nil {
		return err
	}
	rec := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			rec[i] = text(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeJSON(w io.Writer, res *store.Result) error {
	rows := make([]map[string]any, 0, len(res.Rows))
	for _, row := range res.Rows {
		m := make(map[string]any, len(row))
		for i, v := range row {
			switch x := v.(type) {
			case time.Time:
				v = x.UTC().Format(time.RFC3339Nano)
			case []byte:
				v = text(x)
			}
			m[res.Columns[i]] = v
		}
		rows = append(rows, m)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// writeTable aligns columns for a terminal. Log contents are untrusted, so
// control characters (terminal escape sequences among them) are escaped.
func writeTable(w io.Writer, res *store.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(safeCells(res.Columns), "\t"))
	cells := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, v := range row {
			if v == nil {
				cells[i] = "NULL"
			} else {
				cells[i] = safeCell(text(v))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%d rows)\n", len(res.Rows))
	return err
}

func safeCells(s []string) []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = safeCell(c)
	}
	return out
}

func safeCell(s string) string {
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}
