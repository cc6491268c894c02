package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
)

func newIngestCommand(g *globalOptions) *cobra.Command {
	var (
		geoCity  string
		geoASN   string
		accounts []string
		regions  []string
		format   string
		kind     string
		strict   bool
		asJSON   bool
		workers  int
		noDetect bool
		lists    []string
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] SOURCE...",
		Short: "Ingest AWS logs from files, folders or S3",
		Long: `Ingest AWS logs into the database: VPC Flow Logs, CloudTrail, GuardDuty and
Security Hub findings, and Route 53 resolver query logs.

SOURCE is a file, a folder (read recursively) or s3://bucket[/prefix]. The kind
of each object is detected from its S3 key layout and its first bytes; --kind
forces it. Files may be gzipped. Flow logs may be text (with the header line
AWS writes to S3, or headerless, as in CloudWatch Logs) or Parquet. S3 access
uses your standard AWS configuration (profiles, environment keys, region,
AWS_ENDPOINT_URL).

Objects already ingested are skipped. Bad lines are counted, reported and
skipped; the good lines are kept. The exit status is non-zero only with
--strict (then nothing of an object with a bad line is kept) or when nothing
could be read at all.

Once the records are committed, gumshoe's detections run over what is new
(as gumshoe detect does; --no-detect skips them).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := ingest.Config{Sources: args, Strict: strict, Workers: workers, Accounts: accounts, Regions: regions}
			if kind != "" {
				k, err := ingest.ParseKind(kind)
				if err != nil {
					return fmt.Errorf("--kind: %w", err)
				}
				cfg.Kind = k
			}
			if format != "" {
				f, err := flowlog.ParseFormat(format)
				if err != nil {
					return fmt.Errorf("--format: %w", err)
				}
				cfg.Format = &f
			}
			stderr := cmd.ErrOrStderr()
			cfg.Logger = g.logger(stderr)
			res, err := geoip.Open(geoip.Config{CityDB: geoCity, ASNDB: geoASN})
			if err != nil {
				return err
			}
			defer res.Close()
			cfg.GeoIP = res
			if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				cfg.Progress = progressPrinter(stderr)
			}
			dcfg := detect.Config{Logger: cfg.Logger, GeoIP: res}
			for _, l := range lists {
				if err := dcfg.Intel.ReadThreatList(l); err != nil {
					return err
				}
			}
			st, err := g.open(cmd.Context(), stderr, false)
			if err != nil {
				return err
			}
			sum, runErr := ingest.Run(cmd.Context(), st, cfg)
			var found *detect.Summary
			if !noDetect && sum != nil && sum.RecordsIngested > 0 && (runErr == nil || errors.Is(runErr, ingest.ErrStrict)) {
				if cfg.Progress != nil {
					fmt.Fprint(stderr, "\r\033[Kdetecting...")
				}
				// The ingest left DuckDB one thread and little memory
				// (forIngest); detections aggregate in DuckDB and want
				// every core. Its settings are locked once set, so
				// reopen.
				d, err := detect.Summary{}, st.Close()
				st = nil
				if err == nil {
					st, err = g.openFor(cmd.Context(), stderr, forAnalysis)
				}
				if err == nil {
					d, err = detect.Run(cmd.Context(), st, dcfg)
				}
				if err != nil {
					// The records are committed; say so rather than lose
					// the summary.
					fmt.Fprintln(stderr, "gumshoe ingest: detections failed (the records are stored; run gumshoe detect):", err)
				} else {
					found = &d
				}
			}
			if st != nil {
				if cerr := st.Close(); cerr != nil && runErr == nil {
					runErr = cerr
				}
			}
			if cfg.Progress != nil {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if sum == nil {
				return runErr
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(ingestOutput{sum, found}); err != nil {
					return err
				}
			} else {
				printSummary(cmd.OutOrStdout(), sum)
				if found != nil {
					printDetections(cmd.OutOrStdout(), found)
				}
			}
			switch {
			case runErr == nil:
				return nil
			case errors.Is(runErr, ingest.ErrStrict), errors.Is(runErr, ingest.ErrNothingRead):
				fmt.Fprintln(stderr, "gumshoe ingest:", runErr)
				return exitError{code: 2}
			default:
				return runErr
			}
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "flow log format of headerless input, e.g. '${version} ${account-id} ...' (default: the AWS default format)")
	cmd.Flags().StringVar(&geoCity, "geoip-city", "", "MaxMind GeoLite2/GeoIP2 City or Country .mmdb file, to place public addresses (table ip_info)")
	cmd.Flags().StringVar(&geoASN, "geoip-asn", "", "MaxMind GeoLite2-ASN .mmdb file, to name the networks (ASN and organisation) of public addresses")
	cmd.Flags().StringSliceVar(&accounts, "account", nil, "ingest only objects of these accounts (by S3 key; repeatable or comma-separated)")
	cmd.Flags().StringSliceVar(&regions, "region", nil, "ingest only objects of these regions (by S3 key)")
	cmd.Flags().StringVar(&kind, "kind", "", "log kind of every object: vpcflow, cloudtrail, findings or dns (default: detect)")
	cmd.Flags().BoolVar(&strict, "strict", false, "reject a whole object when any of its lines is bad, and exit non-zero")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	cmd.Flags().IntVar(&workers, "workers", 0, "objects decoded at once (default: one per core)")
	cmd.Flags().BoolVar(&noDetect, "no-detect", false, "do not run the detections after the ingest")
	cmd.Flags().StringSliceVar(&lists, "threat-list", nil, "threat intelligence for the detections: a file of IPs, CIDRs and domains, one a line (repeatable)")
	return cmd
}

// ingestOutput is what ingest --json prints: the ingest summary and, when
// the detections ran, theirs.
type ingestOutput struct {
	*ingest.Summary
	Detections *detect.Summary `json:"detections,omitempty"`
}

// printDetections prints one line about a detection run, and one per
// finding it raised or updated.
func printDetections(w io.Writer, d *detect.Summary) {
	fmt.Fprintf(w, "detections: %d new findings, %d updated (%.1fs)\n", d.New, d.Updated, d.Seconds)
	for _, f := range d.Findings {
		state := "updated"
		if f.New {
			state = "new"
		}
		fmt.Fprintf(w, "  %-7s %4.1f %s: %s\n", state, f.Severity, safeCell(f.Type), safeCell(f.Title))
	}
}

func progressPrinter(w io.Writer) func(ingest.Progress) {
	return func(p ingest.Progress) {
		rate := 0.0
		if s := p.Elapsed.Seconds(); s > 0 {
			rate = float64(p.RecordsIngested) / s
		}
		total := "?"
		if p.ListingDone {
			total = fmt.Sprint(p.ObjectsListed)
		}
		fmt.Fprintf(w, "\r\033[Kingest: %d/%s objects (%d skipped), %s records committed, %s records/s",
			p.ObjectsDone, total, p.ObjectsSkipped, humanCount(float64(p.RecordsIngested)), humanCount(rate))
	}
}

func humanCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func printSummary(w io.Writer, s *ingest.Summary) {
	fmt.Fprintf(w, "objects read: %d, skipped (already ingested): %d, failed: %d\n", s.ObjectsRead, s.ObjectsSkipped, s.ObjectsFailed)
	if s.ObjectsFiltered > 0 {
		fmt.Fprintf(w, "objects left out by --account/--region: %d\n", s.ObjectsFiltered)
	}
	fmt.Fprintf(w, "records ingested: %d in %.2fs (%s records/s), lines rejected: %d\n",
		s.RecordsIngested, s.Seconds, humanCount(s.RecordsPerSec), s.LinesRejected)
	for _, k := range ingest.Kinds {
		if ks := s.Kinds[k]; ks != nil {
			fmt.Fprintf(w, "  %-10s %d objects, %d records, %d rejected\n", k+":", ks.Objects, ks.Records, ks.Rejected)
		}
	}
	if s.DigestsSkipped > 0 {
		fmt.Fprintf(w, "CloudTrail digest files skipped: %d\n", s.DigestsSkipped)
	}
	for _, e := range s.ObjectErrors {
		fmt.Fprintf(w, "error: %s\n", e.Error)
	}
	for _, r := range s.RejectedLines {
		loc := fmt.Sprintf("%s:%d", r.File, r.Line)
		if r.Field != "" {
			loc += ": field " + r.Field
		}
		fmt.Fprintf(w, "rejected: %s: %s: %q\n", loc, r.Error, r.Text)
	}
	if n := s.LinesRejected - int64(len(s.RejectedLines)); n > 0 {
		fmt.Fprintf(w, "rejected: ... and %d more lines\n", n)
	}
	for _, wn := range s.Warnings {
		fmt.Fprintf(w, "warning: %s\n", strings.TrimSpace(wn))
	}
}
