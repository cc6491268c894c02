// Command ingestbench measures how fast gumshoe makes VPC flow logs and
// CloudTrail logs durable and queryable, against what an analyst does by
// hand: one DuckDB read_csv (flow logs) or read_json (CloudTrail) over the
// same gzip files. It is the program behind `make bench`, and the numbers
// it prints are the ones quoted in the README.
//
// Both sides run as child processes so that each one's wall clock and peak
// RSS are its own, not the harness's:
//
//	go build -o bin/gumshoe ./cmd/gumshoe
//	go run ./tools/ingestbench -gumshoe bin/gumshoe -out docs/bench.md
//
// Input is generated once into -cache and reused: the demo organisation's
// logs written by the generator behind gumshoe generate (internal/demo) for
// v2, v5 and CloudTrail, and internal/flowgen's unpaired records for the
// rollup's worst case.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/gumshoe-dev/gumshoe/internal/demo"
	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
)

// seed fixes the generated input; changing it regenerates the cache.
const seed = 1

// cloudTrail is the -formats value for CloudTrail log files; the others
// are flow log formats.
const cloudTrail = "cloudtrail"

// unpairedV2 is the -formats value for default-format flow logs whose
// every record is a conversation of its own, with no reply and no later
// window: the worst case for the rollup, which then holds a row per record.
const unpairedV2 = "v2-unpaired"

// unit names what a format's input is made of: flow log records or
// CloudTrail events.
func unit(format string) string {
	if format == cloudTrail {
		return "events"
	}
	return "records"
}

type options struct {
	records      int // flow log records per format
	ctEvents     int // CloudTrail events
	formats      []string
	cache        string
	gumshoe      string
	runs         int
	out          string
	baselineOnly bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == baselineChildFlag {
		// Hidden mode: the baseline, run by the harness in a child process.
		if err := baselineChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "ingestbench baseline:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	var formats string
	flag.IntVar(&o.records, "records", 3_000_000, "flow log `records` per format")
	flag.IntVar(&o.ctEvents, "ct-events", 500_000, "CloudTrail `events`")
	flag.StringVar(&formats, "formats", "v2,v5,"+unpairedV2+",cloudtrail", "comma-separated formats to measure: flow logs v2, v5, v2-unpaired (every record its own conversation: the rollup's worst case); cloudtrail")
	flag.StringVar(&o.cache, "cache", filepath.Join(".bench", "data"), "`dir`ectory for generated input and scratch databases")
	flag.StringVar(&o.gumshoe, "gumshoe", "", "`path` to the gumshoe binary (required unless -baseline-only)")
	flag.IntVar(&o.runs, "runs", 3, "runs of each side; the fastest counts")
	flag.StringVar(&o.out, "out", "", "also write the markdown report to `file`")
	flag.BoolVar(&o.baselineOnly, "baseline-only", false, "measure only the DuckDB baseline")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "ingestbench: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	o.formats = strings.Split(formats, ",")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// run measures every format and prints the report. It returns false when a
// measurement failed or a count did not match, after reporting it.
func run(ctx context.Context, o options) (bool, error) {
	if err := o.validate(); err != nil {
		return false, err
	}
	if err := os.MkdirAll(o.cache, 0o755); err != nil {
		return false, fmt.Errorf("create cache: %w", err)
	}
	// Scratch directories left by an interrupted run hold whole databases.
	for _, pattern := range []string{"baseline-*", "gumshoe-*"} {
		stale, _ := filepath.Glob(filepath.Join(o.cache, pattern))
		for _, d := range stale {
			if err := os.RemoveAll(d); err != nil {
				return false, fmt.Errorf("remove stale scratch directory: %w", err)
			}
		}
	}
	self, err := os.Executable()
	if err != nil {
		return false, fmt.Errorf("find own binary for the baseline child: %w", err)
	}

	var rows []row
	allOK := true
	facts := machineFacts()
	for _, format := range o.formats {
		dir, in, err := ensureData(o.cache, format, o.size(format))
		if err != nil {
			return false, err
		}
		r := row{format: format, in: in}
		for i := 1; i <= o.runs; i++ {
			m := runBaseline(ctx, self, o.cache, format, dir, in)
			logRun(format, "baseline", i, o.runs, in, m)
			r.baseline.add(m)
			if m.version != "" {
				facts.duckdb = m.version
			}
			if !o.baselineOnly {
				m := runGumshoe(ctx, o.gumshoe, o.cache, format, dir, in)
				logRun(format, "gumshoe", i, o.runs, in, m)
				r.gumshoe.add(m)
			}
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
		}
		allOK = allOK && r.baseline.ok() && (o.baselineOnly || r.gumshoe.ok())
		rows = append(rows, r)
	}

	report := renderReport(facts, o, rows)
	fmt.Print(report)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return false, fmt.Errorf("write report: %w", err)
		}
	}
	return allOK, nil
}

func (o *options) validate() error {
	if o.records <= 0 {
		return fmt.Errorf("-records must be positive, got %d", o.records)
	}
	if o.runs <= 0 {
		return fmt.Errorf("-runs must be positive, got %d", o.runs)
	}
	for i, f := range o.formats {
		f = strings.TrimSpace(f)
		switch f {
		case "v2", "v5", unpairedV2:
		case cloudTrail:
			if o.ctEvents <= 0 {
				return fmt.Errorf("-ct-events must be positive, got %d", o.ctEvents)
			}
		default:
			return fmt.Errorf("-formats: unknown format %q (want v2, v5, %s, cloudtrail)", f, unpairedV2)
		}
		o.formats[i] = f
	}
	if o.baselineOnly {
		return nil
	}
	if o.gumshoe == "" {
		return errors.New("-gumshoe PATH is required (or pass -baseline-only)")
	}
	// Absolute, so that the path still works from the child's directory and
	// does not depend on $PATH.
	p, err := filepath.Abs(o.gumshoe)
	if err != nil {
		return fmt.Errorf("-gumshoe: %w", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("-gumshoe: %w", err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("-gumshoe: %s is not an executable file", p)
	}
	o.gumshoe = p
	return nil
}

// size is how many records or events of format to generate.
func (o *options) size(format string) int {
	if format == cloudTrail {
		return o.ctEvents
	}
	return o.records
}

// input describes the generated data of one format.
type input struct {
	files     int
	records   int   // flow log records or CloudTrail events
	bytes     int64 // compressed size
	jsonBytes int64 // CloudTrail only: the JSON before compression
}

// marker is written next to a generated data directory once generation has
// finished, so that an interrupted generation is detected and redone.
// Records is the number asked for; the generators' scenarios may add some.
type marker struct {
	Format  string          `json:"format"`
	Records int             `json:"records"` // records or events asked for
	Seed    int64           `json:"seed"`
	Version int             `json:"generator_version"` // see generatorVersion
	Stats   json.RawMessage `json:"stats"`             // flowgen.Stats or generated
}

// input decodes the generator's statistics recorded in the marker.
func (m *marker) input() (input, error) {
	if m.Format == unpairedV2 {
		var st flowgen.Stats
		err := json.Unmarshal(m.Stats, &st)
		return input{files: st.Files, records: st.Records, bytes: st.Bytes}, err
	}
	var g generated
	err := json.Unmarshal(m.Stats, &g)
	return g.input(), err
}

// generatorVersion is the version of the generator behind format: flowgen
// for the unpaired worst case, gumshoe generate (the demo organisation,
// counted from 100 so as not to meet flowgen's numbers) for the others.
func generatorVersion(format string) int {
	if format == unpairedV2 {
		return flowgen.Version
	}
	return 101
}

// ensureData returns the directory holding the input for format, generating
// it unless a complete earlier generation is there.
func ensureData(cache, format string, n int) (string, input, error) {
	name := fmt.Sprintf("%s-%d", format, n)
	dir := filepath.Join(cache, name)
	// The marker lives outside dir so that neither side sees it as input.
	markerPath := filepath.Join(cache, name+".json")
	if b, err := os.ReadFile(markerPath); err == nil {
		var m marker
		if json.Unmarshal(b, &m) == nil && m.Format == format && m.Records == n && m.Seed == seed && m.Version == generatorVersion(format) {
			if in, err := m.input(); err == nil && in.records >= n {
				if _, err := os.Stat(dir); err == nil {
					return dir, in, nil
				}
			}
		}
	}
	if err := os.Remove(markerPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", input{}, fmt.Errorf("remove stale marker: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", input{}, fmt.Errorf("remove incomplete data: %w", err)
	}
	fmt.Fprintf(os.Stderr, "generating %d %s %s into %s\n", n, format, unit(format), dir)
	t0 := time.Now()
	var (
		stats any
		in    input
		err   error
	)
	if format == unpairedV2 {
		var st flowgen.Stats
		st, err = flowgen.Generate(dir, flowgen.Config{Records: n, Format: "v2", Unpaired: true, Seed: seed})
		stats, in = st, input{files: st.Files, records: st.Records, bytes: st.Bytes}
	} else {
		var st generated
		st, err = gumshoeGenerate(dir, format, n)
		stats, in = st, st.input()
	}
	if err != nil {
		return "", input{}, fmt.Errorf("generate %s data: %w", format, err)
	}
	fmt.Fprintf(os.Stderr, "generated %d files, %.1f MB gzip in %.1fs\n", in.files, float64(in.bytes)/1e6, time.Since(t0).Seconds())
	raw, err := json.Marshal(stats)
	if err != nil {
		return "", input{}, fmt.Errorf("encode marker: %w", err)
	}
	b, err := json.MarshalIndent(marker{Format: format, Records: n, Seed: seed, Version: generatorVersion(format), Stats: raw}, "", "  ")
	if err != nil {
		return "", input{}, fmt.Errorf("encode marker: %w", err)
	}
	tmp := markerPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return "", input{}, fmt.Errorf("write marker: %w", err)
	}
	if err := os.Rename(tmp, markerPath); err != nil {
		return "", input{}, fmt.Errorf("write marker: %w", err)
	}
	return dir, in, nil
}

// generated describes the input gumshoe generate wrote for one format:
// the files of that log kind only.
type generated struct {
	Files     int   `json:"files"`
	Records   int   `json:"records"` // flow records or CloudTrail events, scenarios included
	Bytes     int64 `json:"bytes"`
	JSONBytes int64 `json:"json_bytes,omitempty"`
}

func (g generated) input() input {
	return input{files: g.Files, records: g.Records, bytes: g.Bytes, jsonBytes: g.JSONBytes}
}

// generateDays is the time the benchmark inputs span: a week of the demo
// organisation's logs, in files of an hour or less as AWS delivers them.
const generateDays = 7

// gumshoeGenerate writes, with the generator behind gumshoe generate (the
// demo organisation), n records of format (v2 or v5 flow logs, or
// CloudTrail events) and keeps, under dir, only the files of that log kind:
// the vpcflowlogs folders of every account, or the organisation trail's
// CloudTrail folders.
func gumshoeGenerate(dir, format string, n int) (generated, error) {
	tmp := dir + ".generating"
	if err := os.RemoveAll(tmp); err != nil {
		return generated{}, err
	}
	defer os.RemoveAll(tmp)
	// The other kinds get one ordinary record (0 means the demo's volume).
	cfg := demo.Config{Days: generateDays, Seed: seed, Flows: 1, CloudTrail: 1, DNS: 1}
	if format == cloudTrail {
		cfg.CloudTrail = int64(n)
	} else {
		cfg.Flows, cfg.Format = int64(n), format
	}
	st, err := demo.Generate(context.Background(), tmp, cfg)
	if err != nil {
		return generated{}, err
	}
	counts := struct{ Flows, CloudTrail int }{int(st.FlowRecords), int(st.CloudTrailEvents)}
	g := generated{Records: counts.Flows}
	pattern := filepath.Join(tmp, "AWSLogs", "*", "vpcflowlogs")
	if format == cloudTrail {
		g.Records = counts.CloudTrail
		pattern = filepath.Join(tmp, "AWSLogs", "o-*", "*", "CloudTrail")
	}
	kept, err := filepath.Glob(pattern)
	if err != nil || len(kept) == 0 {
		return generated{}, fmt.Errorf("gumshoe generate wrote nothing matching %s", pattern)
	}
	for _, src := range kept {
		rel, err := filepath.Rel(tmp, src)
		if err != nil {
			return generated{}, err
		}
		dst := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return generated{}, err
		}
		if err := os.Rename(src, dst); err != nil {
			return generated{}, err
		}
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		g.Files++
		g.Bytes += fi.Size()
		if format == cloudTrail {
			n, err := gunzippedSize(path)
			if err != nil {
				return err
			}
			g.JSONBytes += n
		}
		return nil
	})
	return g, err
}

// gunzippedSize returns the size of a gzip file's content.
func gunzippedSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// measurement is one run of one side.
type measurement struct {
	seconds  float64
	cpu      float64 // seconds
	rssKiB   int64
	dbBytes  int64
	rows     int64
	rejected int64
	version  string // DuckDB version, from the baseline
	err      error
}

// side aggregates the runs of one side: the fastest time, the highest peak
// RSS (the memory a user must have for every run to succeed) and the last
// on-disk size.
type side struct {
	runs    int
	seconds float64
	cpu     float64 // the least CPU time of a run, steadier than wall time on a shared machine
	rssKiB  int64
	dbBytes int64
	errs    []error
}

func (s *side) add(m measurement) {
	if m.err != nil {
		s.errs = append(s.errs, m.err)
		return
	}
	if s.runs == 0 || m.seconds < s.seconds {
		s.seconds = m.seconds
	}
	if s.runs == 0 || m.cpu < s.cpu {
		s.cpu = m.cpu
	}
	s.rssKiB = max(s.rssKiB, m.rssKiB)
	s.dbBytes = m.dbBytes
	s.runs++
}

func (s *side) ok() bool { return len(s.errs) == 0 && s.runs > 0 }

func logRun(format, name string, i, n int, in input, m measurement) {
	if m.err != nil {
		fmt.Fprintf(os.Stderr, "%s %-8s run %d/%d: FAILED: %v\n", format, name, i, n, m.err)
		return
	}
	u := unit(format)
	fmt.Fprintf(os.Stderr, "%s %-8s run %d/%d: %6.2fs (%6.2fs CPU)  %s %s/s  peak RSS %s MiB  %s B/%s\n",
		format, name, i, n, m.seconds, m.cpu, thousands(float64(in.records)/m.seconds), u,
		thousands(float64(m.rssKiB)/1024), strconv.FormatFloat(float64(m.dbBytes)/float64(in.records), 'f', 1, 64), strings.TrimSuffix(u, "s"))
}

// usage is what a finished child cost.
type usage struct {
	wall   time.Duration
	cpu    time.Duration // user + system: less sensitive than wall time to a busy machine
	rssKiB int64
}

// child runs a command and returns its stdout and usage. Its stderr is kept
// for error messages only, so that progress output does not garble the
// harness's.
func child(ctx context.Context, name string, args ...string) ([]byte, usage, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	t0 := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(t0)}
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = ps.UserTime() + ps.SystemTime()
		u.rssKiB = maxRSSKiB(ps)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = "(no output on stderr)"
		}
		return stdout.Bytes(), u, fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), u, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if len(t.b) > t.max {
		return "…" + string(t.b[len(t.b)-t.max:])
	}
	return string(t.b)
}

// diskBytes returns the total size of the regular files at paths, walking
// directories; missing paths count as zero.
func diskBytes(paths ...string) (int64, error) {
	var n int64
	for _, p := range paths {
		err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("measure %s: %w", p, err)
		}
	}
	return n, nil
}

// scratch makes a fresh directory for one run's database, on the same disk
// as the input rather than in a /tmp that may be memory-backed.
func scratch(cache, prefix string) (string, func(), error) {
	dir, err := os.MkdirTemp(cache, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("create scratch directory: %w", err)
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
