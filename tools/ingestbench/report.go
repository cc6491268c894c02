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
	in       input
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
	// Flow logs and CloudTrail get a table each: their units differ.
	var flows, trails []row
	for _, r := range rows {
		if r.format == cloudTrail {
			trails = append(trails, r)
		} else {
			flows = append(flows, r)
		}
	}

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
	if len(flows) > 0 {
		for _, r := range flows {
			if r.format == unpairedV2 {
				fmt.Fprintf(&b, "- %s input: internal/flowgen (seed %d), default format, %d files of up to %d records, every record a conversation of its own (no reply, no later window): the worst case for the rollup, which then holds a row per record\n",
					r.format, seed, r.in.files, flowgen.DefaultRecordsPerFile)
				continue
			}
			fmt.Fprintf(&b, "- %s input: the demo organisation's VPC flow logs from the generator behind `gumshoe generate` (seed %d, %d days, every account on %s), gzip, S3 layout, %d files of %s records on average (an hour or less of one flow log each)\n",
				r.format, seed, generateDays, r.format, r.in.files, thousands(float64(r.in.records)/float64(max(r.in.files, 1))))
		}
		fmt.Fprintf(&b, "- baseline: `%s`, `CHECKPOINT`, `SELECT count(*)`, in a fresh database\n", baselineStatement("v2", "<dir>"))
	}
	fmt.Fprintf(&b, "- gumshoe: `gumshoe ingest --no-detect --db <fresh> --json <dir>` until the process exits (the detections that follow an ingest by default are measured on their own)\n")
	fmt.Fprintf(&b, "- best of %d runs; peak RSS is the highest of the runs; B/record is the on-disk database (and lake) size\n", o.runs)

	if len(flows) > 0 {
		b.WriteString("\n")
		writeTable(&b, "records", flows)
	}
	if len(trails) > 0 {
		b.WriteString("\n")
		writeTable(&b, "events", trails)
		in := trails[0].in
		b.WriteString("\n")
		fmt.Fprintf(&b, "- cloudtrail input: the demo organisation's trail from the generator behind `gumshoe generate` (seed %d, %d days), `{\"Records\":[…]}` gzip, organization-trail S3 layout, %d files of %s events and %s bytes of JSON per event on average\n",
			seed, generateDays, in.files, thousands(float64(in.records)/float64(max(in.files, 1))), thousands(float64(in.jsonBytes)/float64(max(in.records, 1))))
		fmt.Fprintf(&b, "- cloudtrail baseline: `%s`, `CHECKPOINT`, `SELECT count(*)`, in a fresh database: a row per event, its one column a STRUCT of every member found in the files (without `union_by_name`, which DuckDB's error message suggests, the type comes from the first files only and the load fails on the first member missing from them)\n",
			baselineStatement(cloudTrail, "<dir>"))
		fmt.Fprintf(&b, "- cloudtrail gumshoe: every event counted in `kinds.cloudtrail.records` and in `SELECT count(*) FROM cloudtrail_events` (eventIDs are unique: nothing is deduplicated)\n")
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

// writeTable writes the results of rows whose input is made of units
// ("records", "events").
func writeTable(b *strings.Builder, units string, rows []row) {
	one := strings.TrimSuffix(units, "s")
	fmt.Fprintf(b, "| format | %[1]s | baseline %[1]s/s | gumshoe %[1]s/s | gumshoe/baseline | baseline B/%[2]s | gumshoe B/%[2]s | baseline peak RSS MiB | gumshoe peak RSS MiB | input gz MB |\n", units, one)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		n := float64(r.in.records)
		ratio := "—"
		if r.baseline.ok() && r.gumshoe.ok() {
			ratio = fmt.Sprintf("%.2f×", r.baseline.seconds/r.gumshoe.seconds)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n",
			r.format, thousands(n),
			rate(r.baseline, n), rate(r.gumshoe, n), ratio,
			perRecord(r.baseline, n), perRecord(r.gumshoe, n),
			mib(r.baseline), mib(r.gumshoe),
			float64(r.in.bytes)/1e6)
	}
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
