package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/athena"
	"github.com/gumshoe-dev/gumshoe/internal/filterpattern"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

func init() { commands = append(commands, newFlowsCommand) }

func newFlowsCommand(g *globalOptions) *cobra.Command {
	var (
		pattern     string
		format      string
		flowFormat  string
		limit       int
		showSQL     bool
		athenaTable string
	)
	cmd := &cobra.Command{
		Use:   "flows --pattern PATTERN [flags]",
		Short: "Find flow log records with a CloudWatch Logs filter pattern",
		Long: `Find the stored flow log records that a CloudWatch Logs filter pattern matches,
so that metric-filter and "filter log events" patterns work unchanged here:

  gumshoe flows --pattern '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]'
  gumshoe flows --pattern '[..., dstport = 80 || dstport = 443, protocol, packets, bytes >= 400, start, end, action, status]'
  gumshoe flows --pattern '?NODATA ?SKIPDATA'

Positions follow AWS's default flow log format unless --flow-format gives the
format the pattern was written for; the pattern applies to every stored
record, whatever its own format. Prints the format's columns, then the object
and line each record came from. See docs/queries.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "csv" && format != "json" {
				return fmt.Errorf("--format must be table, csv or json, not %q", format)
			}
			var ff flowlog.Format
			if flowFormat != "" {
				var err error
				if ff, err = flowlog.ParseFormat(flowFormat); err != nil {
					return fmt.Errorf("--flow-format: %w", err)
				}
			}
			f, err := filterpattern.Compile(pattern, ff)
			if err != nil {
				return pointAt(err, pattern)
			}
			if athenaTable != "" {
				q, err := athena.Translate("SELECT * FROM flow_logs WHERE "+f.Where+"\nORDER BY start_time NULLS LAST", athenaTable)
				if err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), q)
				return nil
			}
			if showSQL {
				fmt.Fprintln(cmd.OutOrStdout(), f.Select())
				return nil
			}
			st, err := g.open(cmd.Context(), cmd.ErrOrStderr(), true)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Query(cmd.Context(), f.Select(), limit)
			if err != nil {
				return err
			}
			return writeResult(cmd, res, format, limit)
		},
	}
	cmd.Flags().StringVar(&pattern, "pattern", "", "CloudWatch Logs filter pattern (bracket or term syntax; '' matches every record)")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	cmd.Flags().StringVar(&flowFormat, "flow-format", "", "flow log format the pattern's positions follow, as ${field} ... (default: AWS's default format)")
	cmd.Flags().IntVar(&limit, "limit", 1000, "stop after this many rows (0: no limit)")
	cmd.Flags().BoolVar(&showSQL, "sql", false, "print the SQL instead of running it")
	cmd.Flags().StringVar(&athenaTable, "athena", "", "print the equivalent Athena query over this table (see gumshoe ddl athena) instead of running it")
	cmd.MarkFlagRequired("pattern")
	return cmd
}

// pointAt adds the pattern and a caret under the column of a pattern error,
// when the pattern prints as it is (one line, nothing escaped).
func pointAt(err error, pattern string) error {
	var pe *filterpattern.Error
	if !errors.As(err, &pe) || safeCell(pattern) != pattern || strings.ContainsAny(pattern, "\n\r\t") {
		return err
	}
	return fmt.Errorf("%w\n  %s\n  %s^", err, pattern, strings.Repeat(" ", pe.Column-1))
}
