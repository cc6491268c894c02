package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
)

func init() { commands = append(commands, newDemoCommand) }

// defaultDemoDB is the demo's database unless --db names another: the demo
// never writes into $GUMSHOE_DB or ./gumshoe.duckdb, which may hold real
// logs.
const defaultDemoDB = "gumshoe-demo.duckdb"

func newDemoCommand(g *globalOptions) *cobra.Command {
	var (
		listen  string
		days    int
		seed    int64
		end     string
		noServe bool
		out     string
		quiet   bool
	)
	cmd := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Generate a synthetic AWS organisation under attack, ingest it and serve the console",
		Long: `Generate the logs of a synthetic AWS organisation (three accounts, two regions,
31 instances, people and a deployment pipeline) with 45 days of ordinary
behaviour and seven staged scenarios in its last days (SSH brute force,
crypto mining, port scans, instance credential exfiltration, a leaked access
key, a root sign-in without MFA, and a benign change that should raise
nothing), in the real AWS S3 layouts and formats. Then ingest them exactly as
real logs are ingested, print what each table holds, and serve the console.

The logs, truth.json (each scenario's window, entities and the finding types
a good detector raises) and the synthetic GeoIP databases go to --out. The
output depends only on --seed, --days and --end. All addresses outside AWS
are from documentation and benchmarking ranges; their places and networks
are made up and labelled synthetic.

--no-attacks leaves the six attacks out (the ordinary traffic and the benign
change stay as they are): a baseline on which the detections should find
nothing.

The database is --db, else ` + defaultDemoDB + ` (never $GUMSHOE_DB). Running
the demo again with the same flags reuses what is there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := demo.Config{Days: days, Seed: seed, NoAttacks: quiet}
			if end != "" {
				t, err := time.Parse("2006-01-02", end)
				if err != nil {
					return fmt.Errorf("--end: want YYYY-MM-DD: %w", err)
				}
				cfg.End = t
			}
			dbPath := g.db
			if dbPath == "" {
				dbPath = defaultDemoDB
			}
			if out == "" {
				out = strings.TrimSuffix(dbPath, filepath.Ext(dbPath)) + "-logs"
			}
			return runDemo(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr(), demoOptions{
				cfg: cfg, dbPath: dbPath, out: out, listen: listen, serve: !noServe,
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "", "address to serve the console on (default: gumshoe serve's, on loopback)")
	cmd.Flags().IntVar(&days, "days", 45, "days of logs to generate")
	cmd.Flags().Int64Var(&seed, "seed", 1, "random seed: the same seed writes the same logs")
	cmd.Flags().StringVar(&end, "end", "", "last day of the period is the day before this date, YYYY-MM-DD (default "+demo.DefaultEnd.Format("2006-01-02")+")")
	cmd.Flags().BoolVar(&noServe, "no-serve", false, "stop after ingesting, without serving the console")
	cmd.Flags().StringVar(&out, "out", "", "folder for the generated logs (default: next to the database, <db>-logs)")
	cmd.Flags().BoolVar(&quiet, "no-attacks", false, "leave the six attacks out: ordinary traffic and the benign change only")
	return cmd
}

type demoOptions struct {
	cfg    demo.Config
	dbPath string
	out    string
	listen string
	serve  bool
}

func runDemo(ctx context.Context, g *globalOptions, stdout, stderr io.Writer, o demoOptions) error {
	began := time.Now()
	if err := prepareDemo(stdout, o); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(o.out, demo.TruthFile)); err != nil {
		attacks := ""
		if o.cfg.NoAttacks {
			attacks = ", without the attacks"
		}
		fmt.Fprintf(stdout, "generating %d days of logs (seed %d%s) into %s\n", daysOf(o.cfg), o.cfg.Seed, attacks, o.out)
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.out, demoMarker), []byte("gumshoe demo output\n"), 0o644); err != nil {
			return err
		}
		st, err := demo.Generate(ctx, o.out, o.cfg)
		if err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Fprintf(stdout, "  %d files, %.1f MB: %d flow records, %d CloudTrail events, %d DNS queries, %d GuardDuty findings (%.1fs)\n",
			st.Files, float64(st.Bytes)/1e6, st.FlowRecords, st.CloudTrailEvents, st.DNSQueries, st.Findings, st.Seconds)
	} else {
		fmt.Fprintf(stdout, "reusing the logs in %s\n", o.out)
	}

	// The demo's outside world lives in documentation ranges, which its
	// synthetic databases place and real ones never hold.
	geo, err := geoip.Open(geoip.Config{CityDB: filepath.Join(o.out, demo.CityDB), ASNDB: filepath.Join(o.out, demo.ASNDB), Examples: true})
	if err != nil {
		return err
	}
	defer geo.Close()
	g.db = o.dbPath
	cfg := ingest.Config{Sources: []string{filepath.Join(o.out, "AWSLogs")}, GeoIP: geo, Logger: g.logger(stderr)}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cfg.Progress = progressPrinter(stderr)
	}
	fmt.Fprintf(stdout, "ingesting into %s\n", o.dbPath)
	st, err := g.open(ctx, stderr, false)
	if err != nil {
		return err
	}
	sum, runErr := ingest.Run(ctx, st, cfg)
	if cerr := st.Close(); cerr != nil && runErr == nil {
		runErr = cerr
	}
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if runErr != nil {
		return fmt.Errorf("ingest: %w", runErr)
	}
	fmt.Fprintf(stdout, "  %d objects read, %d already there, %d records in %.1fs, %d lines rejected\n",
		sum.ObjectsRead, sum.ObjectsSkipped, sum.RecordsIngested, sum.Seconds, sum.LinesRejected)
	// The generator's logs should all be read: say so loudly when not.
	for _, e := range sum.ObjectErrors {
		fmt.Fprintf(stderr, "gumshoe demo: %s\n", e.Error)
	}
	for _, r := range sum.RejectedLines {
		fmt.Fprintf(stderr, "gumshoe demo: rejected %s:%d: %s\n", r.File, r.Line, r.Error)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(stderr, "gumshoe demo: warning: %s\n", strings.TrimSpace(w))
	}
	if err := printDemoCounts(ctx, g, stdout, stderr); err != nil {
		return err
	}
	if err := detectDemo(ctx, g, stdout, stderr); err != nil {
		return fmt.Errorf("detections: %w", err)
	}
	if err := printScenarios(stdout, filepath.Join(o.out, demo.TruthFile)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ready in %.1fs\n", time.Since(began).Seconds())
	if !o.serve {
		return nil
	}
	return serveConsoleImpl(ctx, g, o.dbPath, o.listen)
}

// detectDemo runs gumshoe's detections over the demo's database, as ingest
// does after committing, and says what they found.
func detectDemo(ctx context.Context, g *globalOptions, w, stderr io.Writer) error {
	st, err := g.openFor(ctx, stderr, forAnalysis)
	if err != nil {
		return err
	}
	sum, err := detect.Run(ctx, st, detect.Config{})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	printDetections(w, &sum)
	return nil
}

func daysOf(c demo.Config) int {
	if c.Days == 0 {
		return 45
	}
	return c.Days
}

// prepareDemo makes sure the output folder and the database belong to
// the same demo: logs written with other flags are replaced, and a
// database that already holds something else is refused rather than
// mixed with the demo.
func prepareDemo(stdout io.Writer, o demoOptions) error {
	truthPath := filepath.Join(o.out, demo.TruthFile)
	want, err := demoTruthKey(o.cfg)
	if err != nil {
		return err
	}
	have := ""
	if t, err := demo.ReadTruth(truthPath); err == nil {
		have = fmt.Sprintf("seed=%d days=%d end=%s", t.Seed, t.Days, t.End.Format(time.RFC3339))
		if t.NoAttacks {
			have += " no-attacks"
		}
	}
	_, dbErr := os.Stat(o.dbPath)
	dbExists := dbErr == nil
	switch {
	case have == want:
		return nil
	case dbExists:
		if have == "" {
			return fmt.Errorf("%s exists but %s holds no demo logs: the demo does not add to a database it did not make; remove it or give another --db", o.dbPath, o.out)
		}
		return fmt.Errorf("%s holds the demo with %s, not %s: remove it (and %s) or give another --db", o.dbPath, have, want, o.out)
	case have == "":
		if _, err := os.Stat(filepath.Join(o.out, "AWSLogs")); err != nil {
			break
		}
		// Logs without truth.json: an interrupted demo's (it leaves its
		// marker), which are replaced, or someone else's, which are not.
		if _, err := os.Stat(filepath.Join(o.out, demoMarker)); err != nil {
			return fmt.Errorf("%s holds logs the demo did not write: remove them or give another --out", o.out)
		}
		fmt.Fprintf(stdout, "replacing the interrupted demo's logs in %s\n", o.out)
		return removeDemoLogs(o.out)
	default:
		fmt.Fprintf(stdout, "replacing the demo logs in %s (%s)\n", o.out, have)
		return removeDemoLogs(o.out)
	}
	return nil
}

// demoMarker marks a folder the demo writes into, from before the first
// log until truth.json, so that an interrupted generation is recognised.
const demoMarker = ".gumshoe-demo"

// removeDemoLogs removes only what the generator writes.
func removeDemoLogs(out string) error {
	for _, name := range []string{"AWSLogs", demo.TruthFile, demo.CityDB, demo.ASNDB, demoMarker} {
		if err := os.RemoveAll(filepath.Join(out, name)); err != nil {
			return err
		}
	}
	return nil
}

// demoTruthKey describes a configuration the way prepareDemo compares it
// with a truth.json.
func demoTruthKey(c demo.Config) (string, error) {
	end := c.End
	if end.IsZero() {
		end = demo.DefaultEnd
	}
	days := daysOf(c)
	if days < 1 {
		return "", errors.New("--days must be at least 1")
	}
	key := fmt.Sprintf("seed=%d days=%d end=%s", c.Seed, days, end.UTC().Truncate(time.Hour).Format(time.RFC3339))
	if c.NoAttacks {
		key += " no-attacks"
	}
	return key, nil
}

// demoTables are the tables whose row counts the demo prints.
var demoTables = []string{"flow_logs", "flow_rollup_hourly", "cloudtrail_events", "dns_queries", "findings", "ip_info", "entities", "relationships", "ingested_objects"}

func printDemoCounts(ctx context.Context, g *globalOptions, stdout, stderr io.Writer) error {
	st, err := g.open(ctx, stderr, true)
	if err != nil {
		return err
	}
	defer st.Close()
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(stdout, "tables:")
	for _, t := range demoTables {
		res, err := st.Query(ctx, "SELECT count(*) FROM "+t, 1)
		if err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		fmt.Fprintf(tw, "  %s\t%v\t\n", t, res.Rows[0][0])
	}
	return tw.Flush()
}

func printScenarios(w io.Writer, truthPath string) error {
	t, err := demo.ReadTruth(truthPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "scenarios (ground truth in %s):\n", truthPath)
	for _, s := range t.Scenarios {
		expect := strings.Join(s.ExpectedFindings, ", ")
		if s.Benign {
			expect = "none expected (benign)"
		}
		fmt.Fprintf(w, "  %-34s %s .. %s  %s\n", s.ID, s.Start.Format("2006-01-02 15:04"), s.End.Format("2006-01-02 15:04"), expect)
	}
	return nil
}
