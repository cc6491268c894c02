package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
)

// row is one format's results.
type row struct {
	format   string
	stats    flowgen.Stats
	baseline side
	gumshoe  side
}

// facts describe the machine, since the numbers mean little without it.
type facts struct {
	cpus   int
	cpu    string
	memory string
	load   string
	duckdb string
}

func machineFacts() facts {
	f := facts{cpus: runtime.NumCPU()}
	// Best effort: Linux only, and the report is still useful without them.
	if file, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				f.cpu = strings.TrimSpace(v)
				break
			}
		}
		file.Close()
	}
	if file, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				if err == nil {
					f.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
				break
			}
		}
		file.Close()
	}
	// Others' work on a shared machine skews wall times; say so.
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if fs := strings.Fields(string(b)); len(fs) >= 3 {
			f.load = strings.Join(fs[:3], " ")
		}
	}
	return f
}

func renderReport(f facts, o options, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Ingest benchmark (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "- machine: %d CPUs", f.cpus)
	if f.cpu != "" {
		fmt.Fprintf(&b, " (%s)", f.cpu)
	}
	if f.memory != "" {
		fmt.Fprintf(&b, ", %s RAM", f.memory)
	}
	fmt.Fprintf(&b, ", %s/%s, %s", runtime.GOOS, runtime.GOARCH, runtime.Version())
	if f.load != "" {
		fmt.Fprintf(&b, ", load average %s at start", f.load)
	}
	b.WriteString("\n")
	if f.duckdb != "" {
		fmt.Fprintf(&b, "- DuckDB %s (baseline, via duckdb-go)\n", f.duckdb)
	}
	fmt.Fprintf(&b, "- input: synthetic VPC flow logs from internal/flowgen (seed %d), gzip, S3 layout, %d records per file\n", seed, flowgen.DefaultRecordsPerFile)
	fmt.Fprintf(&b, "- baseline: `CREATE TABLE t AS SELECT * FROM read_csv('<dir>/**/*.log.gz', delim=' ', header=true)`, `CHECKPOINT`, `SELECT count(*)`, in a fresh database\n")
	fmt.Fprintf(&b, "- gumshoe: `gumshoe ingest --db <fresh> --json <dir>` until the process exits\n")
	fmt.Fprintf(&b, "- best of %d runs; peak RSS is the highest of the runs; B/record is the on-disk database (and lake) size\n\n", o.runs)

	b.WriteString("| format | records | baseline records/s | gumshoe records/s | gumshoe/baseline | baseline B/record | gumshoe B/record | baseline peak RSS MiB | gumshoe peak RSS MiB | input gz MB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		n := float64(r.stats.Records)
		ratio := "—"
		if r.baseline.ok() && r.gumshoe.ok() {
			ratio = fmt.Sprintf("%.2f×", r.baseline.seconds/r.gumshoe.seconds)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n",
			r.format, thousands(n),
			rate(r.baseline, n), rate(r.gumshoe, n), ratio,
			perRecord(r.baseline, n), perRecord(r.gumshoe, n),
			mib(r.baseline), mib(r.gumshoe),
			float64(r.stats.Bytes)/1e6)
	}
	var notes []string
	for _, r := range rows {
		if r.baseline.ok() || r.gumshoe.ok() {
			notes = append(notes, fmt.Sprintf("- %s CPU time (user+sys, least of the runs): baseline %s, gumshoe %s",
				r.format, cpuSeconds(r.baseline), cpuSeconds(r.gumshoe)))
		}
	}
	for _, r := range rows {
		for _, s := range []struct {
			name string
			side side
		}{{"baseline", r.baseline}, {"gumshoe", r.gumshoe}} {
			for _, err := range s.side.errs {
				notes = append(notes, fmt.Sprintf("- **%s %s failed**: %s", r.format, s.name, strings.ReplaceAll(err.Error(), "\n", " ")))
			}
		}
	}
	if o.baselineOnly {
		notes = append(notes, "- gumshoe not measured (-baseline-only)")
	}
	if len(notes) > 0 {
		b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
	}
	return b.String()
}

func rate(s side, n float64) string {
	if !s.ok() {
		return "—"
	}
	return thousands(n / s.seconds)
}

func perRecord(s side, n float64) string {
	if !s.ok() {
		return "—"
	}
	return strconv.FormatFloat(float64(s.dbBytes)/n, 'f', 1, 64)
}

func cpuSeconds(s side) string {
	if !s.ok() {
		return "—"
	}
	return strconv.FormatFloat(s.cpu, 'f', 1, 64) + " s"
}

func mib(s side) string {
	if !s.ok() || s.rssKiB == 0 {
		return "—"
	}
	return thousands(float64(s.rssKiB) / 1024)
}

// thousands formats v rounded to an integer with comma separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
