package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func newLookupCommand(g *globalOptions) *cobra.Command {
	var (
		format          string
		limit           int
		since, from, to string
	)
	cmd := &cobra.Command{
		Use:   "lookup [flags] VALUE",
		Short: "Find every log row that mentions an IP, access key, instance, principal or domain",
		Long: `Find every row, in every log, that mentions VALUE: an IP address, an access key
ID, an instance, interface, volume or other resource ID, an ARN, a principal
(principal ID or user name), an account ID, a bucket or a domain name. Prints
the log, the time, where the value was found (the matching columns; for
CloudTrail events named only in their JSON, the member: requestParameters,
responseElements, resources...) and where the raw record is (object and line
or record number).

By default the whole store is searched. --since 30d (or 12h, 90m) searches the
last 30 days before now; --from and --to (RFC 3339 or YYYY-MM-DD[THH:MM], UTC)
bound the search to [--from, --to). Rows are matched on their own time: a
flow's start, an event's time, a finding's first and last sighting.

The same search is available in SQL: SELECT * FROM mentions('198.51.100.7'),
or mentions('198.51.100.7', from_time := TIMESTAMP '2026-11-01').`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format must be table, csv or json, not %q", format)
			}
			w, err := lookupWindow(since, from, to, time.Now())
			if err != nil {
				return err
			}
			st, err := g.open(cmd.Context(), cmd.ErrOrStderr(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Lookup(cmd.Context(), args[0], w, limit)
			if err != nil {
				return err
			}
			return writeResult(cmd, res, format, limit)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "table", "output format: table, csv or json")
	fl.IntVar(&limit, "limit", 1000, "stop after this many rows (0: no limit)")
	fl.StringVar(&since, "since", "", "search the last DURATION before now: 30d, 12h, 90m (default: all)")
	fl.StringVar(&from, "from", "", "search rows at or after this time (RFC 3339 or YYYY-MM-DD[THH:MM], UTC)")
	fl.StringVar(&to, "to", "", "search rows before this time")
	cmd.MarkFlagsMutuallyExclusive("since", "from")
	return cmd
}

// lookupWindow turns lookup's time flags into a window.
func lookupWindow(since, from, to string, now time.Time) (store.Window, error) {
	var w store.Window
	if since != "" {
		d, err := parseAge(since)
		if err != nil {
			return w, fmt.Errorf("--since: %w", err)
		}
		w.From = now.Add(-d).UTC()
	}
	if from != "" {
		t, err := engine.ParseTime(from)
		if err != nil {
			return w, fmt.Errorf("--from: %w", err)
		}
		w.From = t
	}
	if to != "" {
		t, err := engine.ParseTime(to)
		if err != nil {
			return w, fmt.Errorf("--to: %w", err)
		}
		w.To = t
	}
	if !w.From.IsZero() && !w.To.IsZero() && !w.From.Before(w.To) {
		return w, fmt.Errorf("the window [%s, %s) is empty", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	}
	return w, nil
}

// parseAge reads a positive duration: Go's syntax (12h, 90m) or a number
// of days (30d).
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		days, err = strconv.Atoi(n)
		d = time.Duration(days) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration such as 30d, 12h or 90m", s)
	}
	return d, nil
}
