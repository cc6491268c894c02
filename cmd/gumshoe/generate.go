package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
)

func init() { commands = append(commands, newGenerateCommand) }

func newGenerateCommand(*globalOptions) *cobra.Command {
	var (
		out               string
		flows, trail, dns int64
		format, end       string
		days, workers     int
		seed              int64
		asJSON, quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "generate --out DIR [flags]",
		Short: "Write the demo organisation's logs at any volume, for benchmarks and detection tests",
		Long: `Write the logs of the demo's synthetic organisation (see gumshoe demo) at the
volume asked for: VPC flow logs, CloudTrail (organisation trail), Route 53
resolver query logs and GuardDuty findings, in the AWS S3 layouts, with the
same seven scenarios staged in the last days and their ground truth in
DIR/truth.json. Ordinary records are spread over the days with daily and
weekly rhythms; the counts given are exact, and the scenarios add theirs.

Files are written in parallel, each from its own random stream, so memory
stays bounded at any volume and the same flags always write the same bytes.
--no-attacks leaves the six attacks out (ordinary traffic and the benign
change only), for measuring false positives.
Ingest the result with: gumshoe ingest DIR/AWSLogs --geoip-city
DIR/` + demo.CityDB + ` --geoip-asn DIR/` + demo.ASNDB,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out is required")
			}
			cfg := demo.Config{Days: days, Seed: seed, Flows: flows, CloudTrail: trail, DNS: dns, Format: format, Workers: workers, NoAttacks: quiet}
			if end != "" {
				t, err := time.Parse("2006-01-02", end)
				if err != nil {
					return fmt.Errorf("--end: want YYYY-MM-DD: %w", err)
				}
				cfg.End = t
			}
			st, err := demo.Generate(cmd.Context(), out, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := cmd.OutOrStdout()
			records := st.FlowRecords + st.CloudTrailEvents + st.DNSQueries + st.Findings
			fmt.Fprintf(w, "wrote %d files (%.1f MB) under %s in %.1fs\n", st.Files, float64(st.Bytes)/1e6, out, st.Seconds)
			fmt.Fprintf(w, "  flow records:      %d (%s/s)\n", st.FlowRecords, humanCount(float64(st.FlowRecords)/st.Seconds))
			fmt.Fprintf(w, "  CloudTrail events: %d\n", st.CloudTrailEvents)
			fmt.Fprintf(w, "  DNS queries:       %d\n", st.DNSQueries)
			fmt.Fprintf(w, "  GuardDuty findings: %d\n", st.Findings)
			fmt.Fprintf(w, "  all records: %s/s\n", humanCount(float64(records)/st.Seconds))
			fmt.Fprintf(w, "ground truth: %s\n", filepath.Join(out, demo.TruthFile))
			fmt.Fprintf(w, "ingest with: gumshoe ingest %s --geoip-city %s --geoip-asn %s\n",
				filepath.Join(out, "AWSLogs"), filepath.Join(out, demo.CityDB), filepath.Join(out, demo.ASNDB))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder to write into (required)")
	cmd.Flags().Int64Var(&flows, "flows", 10_000_000, "ordinary VPC flow log records")
	cmd.Flags().Int64Var(&trail, "cloudtrail", 1_000_000, "ordinary CloudTrail events")
	cmd.Flags().Int64Var(&dns, "dns", 1_000_000, "ordinary Route 53 resolver queries")
	cmd.Flags().StringVar(&format, "format", "", "flow log format of every account, v2 or v5 (default: development on v2, the others on v5)")
	cmd.Flags().IntVar(&days, "days", 45, "days the logs span")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed: the same flags write the same bytes")
	cmd.Flags().StringVar(&end, "end", "", "the period ends at the start of this day, YYYY-MM-DD (default "+demo.DefaultEnd.Format("2006-01-02")+")")
	cmd.Flags().IntVar(&workers, "workers", 0, "files written at once (default: one per core)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the counts as JSON")
	cmd.Flags().BoolVar(&quiet, "no-attacks", false, "leave the six attacks out: ordinary traffic and the benign change only")
	return cmd
}
