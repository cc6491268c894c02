package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func init() { commands = append(commands, newDetectCommand) }

func newDetectCommand(g *globalOptions) *cobra.Command {
	var (
		since  string
		lists  []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "detect [flags]",
		Short: "Find attacks in the stored logs and record them as findings",
		Long: `Run gumshoe's detectors (brute force, port scans and probes, unusual traffic,
crypto mining, DNS exfiltration, stolen instance credentials, CloudTrail
tampering, root and pentest-distribution use, anomalous API calls, threat
lists) over what was ingested since the last run, and record what they find
in the findings table as GuardDuty-shaped findings with source "gumshoe",
then tie related findings (any source) into finding groups.
Running it again with nothing new changes nothing; a finding seen again keeps
its ID and grows its count. docs/detections.md lists the detectors and their
thresholds.

--since re-evaluates every hour from the given time on (RFC 3339 or
YYYY-MM-DD), whatever earlier runs covered. --threat-list adds a plain-text
list of IP addresses, CIDR networks (IPv4 or IPv6) and domains, one a line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := detect.Config{Logger: g.logger(cmd.ErrOrStderr())}
			if since != "" {
				t, err := parseSince(since)
				if err != nil {
					return err
				}
				cfg.Since = t
			}
			for _, l := range lists {
				if err := cfg.Intel.ReadThreatList(l); err != nil {
					return err
				}
			}
			if _, err := os.Stat(g.dbPath()); err != nil {
				return fmt.Errorf("%w at %s (run gumshoe ingest first)", store.ErrNoDatabase, g.dbPath())
			}
			st, err := g.openFor(cmd.Context(), cmd.ErrOrStderr(), forAnalysis)
			if err != nil {
				return err
			}
			defer st.Close()
			sum, err := detect.Run(cmd.Context(), st, cfg)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if sum.Findings == nil {
					sum.Findings = []detect.FindingSummary{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(sum)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "evaluated %d flow, %d CloudTrail and %d DNS hours: %d new findings, %d updated; %d active finding groups (%d new, %d updated, %d made inactive)\n",
				sum.FlowHours, sum.CloudTrailHours, sum.DNSHours, sum.New, sum.Updated,
				sum.Groups.Active, sum.Groups.Created, sum.Groups.Updated, sum.Groups.Inactive)
			if len(sum.Findings) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tTYPE\tCOUNT\tSTATE\tID\tTITLE")
			for _, f := range sum.Findings {
				state := "updated"
				if f.New {
					state = "new"
				}
				fmt.Fprintf(tw, "%.1f\t%s\t%d\t%s\t%s\t%s\n", f.Severity, f.Type, f.Count, state, f.ID, oneLine(f.Title))
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "", "re-evaluate every hour from this time on (RFC 3339 or YYYY-MM-DD)")
	fl.StringArrayVar(&lists, "threat-list", nil, "a threat list file: IP addresses, CIDR networks and domains, one a line (repeatable)")
	fl.BoolVar(&asJSON, "json", false, "print the run's summary as JSON")
	return cmd
}

func parseSince(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2024-05-01T10:00:00Z) or YYYY-MM-DD", s)
}

// oneLine keeps a title from a log (attacker-controlled) on one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
