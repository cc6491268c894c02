package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newLookupCommand(g *globalOptions) *cobra.Command {
	var (
		format string
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "lookup [flags] VALUE",
		Short: "Find every log row that mentions an IP, access key, instance, principal or domain",
		Long: `Find every row, in every log, that mentions VALUE: an IP address, an access key
ID, an instance or interface ID, a principal (ARN, principal ID or user name),
an account ID or a domain name. Prints the log, the time, the matching columns
and where the raw record is (object and line or record number).

The same search is available in SQL: SELECT * FROM mentions('198.51.100.7').`,
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
			res, err := st.Lookup(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			return writeResult(cmd, res, format, limit)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json")
	cmd.Flags().IntVar(&limit, "limit", 1000, "stop after this many rows (0: no limit)")
	return cmd
}
