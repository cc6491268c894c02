package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func init() { commands = append(commands, newFindingsCommand) }

func newFindingsCommand(g *globalOptions) *cobra.Command {
	var (
		f      store.FindingFilter
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "findings [flags]",
		Short: "List findings (GuardDuty's and gumshoe's), most severe first; findings groups lists finding groups",
		Long: `List the stored findings, GuardDuty's and those gumshoe's detectors raised,
most severe and most recent first (as GET /api/v1/findings): severity, type,
count, source, last seen, ID and title. --type keeps the types that contain
the string (case-insensitive), --min-severity those at least that severe
(GuardDuty's scale: 1–3.9 low, 4–6.9 medium, 7–8.9 high, 9–10 critical).
With --json, the page as the API returns it: {"total", "offset", "findings"}.

"gumshoe findings groups" lists the finding groups that tie related findings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.Limit < 1 {
				return fmt.Errorf("--limit %d: want at least 1", f.Limit)
			}
			st, err := openExisting(cmd, g)
			if err != nil {
				return err
			}
			defer st.Close()
			list, total, err := st.Findings(cmd.Context(), f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if list == nil {
					list = []store.Finding{}
				}
				return writeIndented(out, map[string]any{"total": total, "offset": 0, "findings": list})
			}
			if len(list) < int(total) {
				fmt.Fprintf(cmd.ErrOrStderr(), "showing %d of %d findings (--limit)\n", len(list), total)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no findings")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tTYPE\tCOUNT\tSOURCE\tLAST SEEN\tID\tTITLE")
			for _, x := range list {
				fmt.Fprintf(tw, "%.1f\t%s\t%d\t%s\t%s\t%s\t%s\n", x.Severity, safeCell(x.Type), x.Count, safeCell(x.Source),
					timeCell(x.LastSeen), safeCell(x.ID), safeCell(x.Title))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Type, "type", "", "only types containing this (case-insensitive), e.g. Recon: or SSHBruteForce")
	fl.Float64Var(&f.MinSeverity, "min-severity", 0, "only findings at least this severe (0–10)")
	fl.StringVar(&f.AccountID, "account", "", "only this account's findings")
	fl.IntVar(&f.Limit, "limit", 100, "at most this many findings")
	fl.BoolVar(&asJSON, "json", false, "print the findings as JSON")
	cmd.AddCommand(newFindingGroupsCommand(g))
	return cmd
}

func newFindingGroupsCommand(g *globalOptions) *cobra.Command {
	var active, asJSON bool
	cmd := &cobra.Command{
		Use:   "groups [flags]",
		Short: "List finding groups, active first, then by severity",
		Long: `List the finding groups gumshoe detect keeps (Detective's finding groups:
findings tied by the entities they share), active first, then by severity and
last update: status, severity, finding count, first and last seen, ID and
title. --active leaves out the inactive ones (parents merged into a newer
group). --json prints them as GET /api/v1/finding-groups does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openExisting(cmd, g)
			if err != nil {
				return err
			}
			defer st.Close()
			gs, err := detect.Groups(cmd.Context(), st, active)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeIndented(out, map[string]any{"groups": gs})
			}
			if len(gs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "no finding groups (gumshoe detect makes them)")
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STATUS\tSEVERITY\tFINDINGS\tFIRST SEEN\tLAST SEEN\tID\tTITLE")
			for _, x := range gs {
				fmt.Fprintf(tw, "%s\t%.1f %s\t%d\t%s\t%s\t%s\t%s\n", x.Status, x.Severity, x.SeverityLabel, len(x.Findings),
					timeCell(&x.FirstSeen), timeCell(&x.LastSeen), safeCell(x.ID), safeCell(x.Title))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&active, "active", false, "only the active groups")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the groups as JSON")
	return cmd
}

// openExisting opens the database read-only, or says to ingest first.
func openExisting(cmd *cobra.Command, g *globalOptions) (*store.Store, error) {
	if _, err := os.Stat(g.dbPath()); err != nil {
		return nil, fmt.Errorf("%w at %s (run gumshoe ingest first)", store.ErrNoDatabase, g.dbPath())
	}
	return g.openFor(cmd.Context(), cmd.ErrOrStderr(), forReading)
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func timeCell(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
