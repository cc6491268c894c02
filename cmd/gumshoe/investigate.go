package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func init() { commands = append(commands, newInvestigateCommand) }

func newInvestigateCommand(g *globalOptions) *cobra.Command {
	var (
		from, to string
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "investigate ENTITY [flags]",
		Short: "Investigate an IAM user, role, session, access key, address or instance over a scope",
		Long: `Investigate an entity as Amazon Detective's investigations do: compare its
activity in the scope with the 45 days before and report indicators of
compromise (TTPs observed, impossible travel, flagged addresses, new
geolocations, AS organisations and user agents, related findings and finding
groups), a severity and a status. The report is stored (the console and
GET /api/v1/investigations list it) and printed: as text, or with --json
exactly as GET /api/v1/investigations/{id}/report returns it.

ENTITY is a graph entity ID, TYPE:KEY, for example
  iam_user:arn:aws:iam::111122223333:user/alice
  iam_role:arn:aws:iam::111122223333:role/deploy
  access_key:AKIAIOSFODNN7EXAMPLE
  ip:198.51.100.7
  instance:i-0123456789abcdef0
(gumshoe lookup finds them). The scope is [--from, --to): RFC 3339 or
YYYY-MM-DD[THH:MM], UTC; --to defaults to now, --from to 24 hours before --to.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			end := time.Now().UTC().Truncate(time.Minute)
			if to != "" {
				t, err := engine.ParseTime(to)
				if err != nil {
					return fmt.Errorf("--to: %w", err)
				}
				end = t
			}
			start := end.Add(-24 * time.Hour)
			if from != "" {
				t, err := engine.ParseTime(from)
				if err != nil {
					return fmt.Errorf("--from: %w", err)
				}
				start = t
			}
			if _, err := os.Stat(g.dbPath()); err != nil {
				return fmt.Errorf("%w at %s (run gumshoe ingest first)", store.ErrNoDatabase, g.dbPath())
			}
			st, err := g.openFor(cmd.Context(), cmd.ErrOrStderr(), forAnalysis)
			if err != nil {
				return err
			}
			defer st.Close()
			inv, err := detect.Investigate(cmd.Context(), st, args[0], start, end, detect.InvestigateConfig{})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(inv)
			}
			return printInvestigation(out, inv)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "scope start (default: 24 hours before --to)")
	fl.StringVar(&to, "to", "", "scope end, exclusive (default: now)")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// printInvestigation writes the report as text: a header, then the
// indicators by type in Detective's order. Indicator values come from
// logs, so every one is escaped (safeCell).
func printInvestigation(w io.Writer, inv *detect.Investigation) error {
	fmt.Fprintf(w, "investigation %s\n", inv.InvestigationID)
	fmt.Fprintf(w, "entity    %s (%s)\n", safeCell(inv.Entity), inv.EntityType)
	fmt.Fprintf(w, "scope     %s to %s\n", inv.ScopeStartTime.Format(time.RFC3339), inv.ScopeEndTime.Format(time.RFC3339))
	fmt.Fprintf(w, "status    %s\n", inv.Status)
	fmt.Fprintf(w, "severity  %s\n", inv.Severity)
	fmt.Fprintf(w, "state     %s\n", inv.State)
	byType := map[string][]detect.Indicator{}
	for _, in := range inv.Indicators {
		byType[in.IndicatorType] = append(byType[in.IndicatorType], in)
	}
	types := append([]string{}, detect.IndicatorTypes...)
	for t := range byType {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	fmt.Fprintf(w, "indicators %d\n", len(inv.Indicators))
	for _, t := range types {
		list := byType[t]
		if len(list) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)\n", t, len(list))
		for _, in := range list {
			line, err := detailLine(in.IndicatorDetail)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	for i, n := range inv.Notes {
		if i == 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "note: %s\n", safeCell(n))
	}
	return nil
}

// detailLine renders an indicator's detail as Key=value pairs in key order.
func detailLine(detail any) (string, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return safeCell(string(b)), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := m[k]
		s, ok := v.(string)
		if !ok {
			vb, _ := json.Marshal(v)
			s = string(vb)
		}
		// Quoted (Go syntax, control characters escaped) when a space,
		// a quote or a control character would blur where it ends.
		if s == "" || strings.ContainsAny(s, " \"\\") || safeCell(s) != s {
			s = strconv.Quote(s)
		}
		parts = append(parts, k+"="+s)
	}
	return strings.Join(parts, " "), nil
}
