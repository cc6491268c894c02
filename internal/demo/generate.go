// Package demo builds a synthetic AWS organisation under attack and writes
// its logs the way AWS delivers them to S3: VPC flow logs (a 29-field v5
// custom format, and the default v2 format in one account), an
// organisation trail's CloudTrail files, Route 53 Resolver query logs and
// GuardDuty's S3 export, with a GeoIP database for its made-up internet
// and a truth.json naming every attack it staged.
//
// The organisation has three accounts (production, development, and
// security/log archive), two regions, four VPCs with public and private
// subnets, a NAT gateway, an S3 gateway endpoint and 31 instances in five
// tiers, people who sign in to the console and use the CLI from their
// offices and homes, and a deployment pipeline. Its ordinary behaviour
// fills the whole period so that baselines mean something; seven scenarios
// (six attacks and a benign change) are staged in its last days.
//
// Output depends on the Config alone: the same Config writes the same
// bytes, whatever the number of workers. Each file is generated from its
// own random stream, so files are written in parallel, with memory bounded
// by the number of workers, at any volume.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// Config describes what Generate writes. Zero values take the defaults
// given on each field.
type Config struct {
	// Days is the length of the period; default 45.
	Days int
	// End is the end of the period (exclusive, UTC); default DefaultEnd.
	// The scenarios happen in the days before it.
	End  time.Time
	Seed int64
	// Flows, CloudTrail and DNS are the numbers of ordinary flow log
	// records, CloudTrail events and resolver queries; the scenarios add
	// theirs. Defaults: DemoFlowsPerDay, DemoCloudTrailPerDay and
	// DemoDNSPerDay times Days.
	Flows, CloudTrail, DNS int64
	// Format forces every flow log to "v2" or "v5"; "" keeps each
	// account's own (development on v2, the others on v5).
	Format string
	// Workers is the number of files written at once; default one per
	// core.
	Workers int
	// NoAttacks leaves out the six attack scenarios' records and
	// GuardDuty findings, keeping the ordinary traffic and the benign
	// scenario exactly as they are with the attacks: a run of the
	// detectors over it should find nothing.
	NoAttacks bool
}

// DefaultEnd is the end of the generated period unless Config.End says
// otherwise. A fixed default keeps the output the same from day to day.
var DefaultEnd = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

// Demo volumes per day: about 2.7 million flow records, 135,000 CloudTrail
// events and 270,000 DNS queries over 45 days.
const (
	DemoFlowsPerDay      = 60_000
	DemoCloudTrailPerDay = 3_000
	DemoDNSPerDay        = 6_000
)

// Stats counts what Generate wrote.
type Stats struct {
	Files            int     `json:"files"`
	FlowRecords      int64   `json:"flow_records"`
	CloudTrailEvents int64   `json:"cloudtrail_events"`
	DNSQueries       int64   `json:"dns_queries"`
	Findings         int64   `json:"findings"`
	Bytes            int64   `json:"bytes"` // compressed, all files
	Seconds          float64 `json:"seconds"`
}

// Files written next to the logs.
const (
	TruthFile = "truth.json"
	CityDB    = "synthetic-GeoIP2-City.mmdb"
	ASNDB     = "synthetic-GeoLite2-ASN.mmdb"
)

func (c Config) withDefaults() (Config, error) {
	if c.Days == 0 {
		c.Days = 45
	}
	if c.Days < 1 || c.Days > 400 {
		return c, fmt.Errorf("days must be between 1 and 400, got %d", c.Days)
	}
	if c.End.IsZero() {
		c.End = DefaultEnd
	}
	c.End = c.End.UTC().Truncate(time.Hour)
	if c.Flows < 0 || c.CloudTrail < 0 || c.DNS < 0 {
		return c, errors.New("record counts must not be negative")
	}
	if c.Flows == 0 {
		c.Flows = int64(c.Days) * DemoFlowsPerDay
	}
	if c.CloudTrail == 0 {
		c.CloudTrail = int64(c.Days) * DemoCloudTrailPerDay
	}
	if c.DNS == 0 {
		c.DNS = int64(c.Days) * DemoDNSPerDay
	}
	switch c.Format {
	case "", "v2", "v5":
	default:
		return c, fmt.Errorf("unknown flow log format %q: want v2 or v5", c.Format)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

// gen is one generation: the environment, the time grid, the scenarios'
// records by file, and the plan of ordinary records per file.
type gen struct {
	cfg    Config
	env    *Environment
	start  int64 // Unix seconds
	end    int64
	window int64 // seconds per file
	nWin   int

	flowStreams []*VPC
	ctStreams   []ctStream

	flowCounts, ctCounts, dnsCounts []int64 // per stream*nWin + window

	// Scenario records by file key.
	sFlows map[fileKey][]flowRec
	sCT    map[fileKey][]*ctEvent
	sDNS   map[fileKey][]dnsRec
	finds  []finding

	truth *Truth
	sched schedule
}

type fileKey struct{ stream, win int }

// ctStream is one account and region of the organisation trail.
type ctStream struct {
	acct   *Account
	region string
}

// Generate writes the logs, the GeoIP databases and truth.json under dir.
func Generate(ctx context.Context, dir string, cfg Config) (*Stats, error) {
	began := time.Now()
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	g := newGen(cfg)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	jobs := g.jobs()
	var (
		mu    sync.Mutex
		stats Stats
		first error
		wg    sync.WaitGroup
	)
	next := make(chan job)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(cfg.Workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWriter(g)
			for j := range next {
				st, err := j.run(w, dir)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				stats.Files++
				stats.FlowRecords += st.FlowRecords
				stats.CloudTrailEvents += st.CloudTrailEvents
				stats.DNSQueries += st.DNSQueries
				stats.Findings += st.Findings
				stats.Bytes += st.Bytes
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := writeGeoIP(dir, cfg.End); err != nil {
		return nil, err
	}
	if err := g.truth.write(filepath.Join(dir, TruthFile)); err != nil {
		return nil, err
	}
	stats.Seconds = time.Since(began).Seconds()
	return &stats, nil
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg}
	g.end = cfg.End.Unix()
	g.start = g.end - int64(cfg.Days)*86400
	span := g.end - g.start
	g.sFlows = map[fileKey][]flowRec{}
	g.sCT = map[fileKey][]*ctEvent{}
	g.sDNS = map[fileKey][]dnsRec{}
	// Scenarios are placed first: the benign one decides when an S3
	// endpoint appears, which the environment needs.
	sc := newSchedule(g.end, span)
	g.env = newEnvironment(cfg.Seed, sc.endpoint)
	g.flowStreams = g.env.VPCs
	for _, a := range g.env.Accounts {
		for _, r := range Regions {
			g.ctStreams = append(g.ctStreams, ctStream{a, r})
		}
	}
	// Files hold an hour of logs, or less when that keeps each below
	// about 100,000 flow records.
	g.window = 3600
	for _, m := range []int64{30, 15, 10, 5} {
		if cfg.Flows/(int64(len(g.flowStreams))*(span/g.window)) <= 100_000 {
			break
		}
		g.window = m * 60
	}
	g.nWin = int(span / g.window)
	g.planCounts()
	g.stage(sc)
	return g
}

// job writes one file.
type job struct {
	kind   byte // 'f', 'c', 'd', 'g'
	stream int
	win    int
	n      int64
	g      *gen
}

func (g *gen) jobs() []job {
	var js []job
	// Interleave the kinds by window so that a cancelled or failing run
	// stops with every kind partly written, and the workers share the
	// big flow files evenly.
	for w := range g.nWin {
		for s := range g.flowStreams {
			n := g.flowCounts[s*g.nWin+w]
			if n > 0 || len(g.sFlows[fileKey{s, w}]) > 0 {
				js = append(js, job{'f', s, w, n, g})
			}
		}
		for s := range g.ctStreams {
			n := g.ctCounts[s*g.nWin+w]
			if n > 0 || len(g.sCT[fileKey{s, w}]) > 0 {
				js = append(js, job{'c', s, w, n, g})
			}
		}
		for s := range g.flowStreams {
			n := g.dnsCounts[s*g.nWin+w]
			if n > 0 || len(g.sDNS[fileKey{s, w}]) > 0 {
				js = append(js, job{'d', s, w, n, g})
			}
		}
	}
	for i := range g.gdFiles() {
		js = append(js, job{kind: 'g', stream: i, g: g})
	}
	return js
}

func (j job) run(w *writer, dir string) (Stats, error) {
	switch j.kind {
	case 'f':
		return w.flowFile(dir, j.stream, j.win, j.n)
	case 'c':
		return w.cloudTrailFile(dir, j.stream, j.win, j.n)
	case 'd':
		return w.dnsFile(dir, j.stream, j.win, j.n)
	}
	return w.guardDutyFile(dir, j.stream)
}

// winStart is the start of window w, Unix seconds.
func (g *gen) winStart(w int) int64 { return g.start + int64(w)*g.window }

// winOf is the window holding t, clamped to the period.
func (g *gen) winOf(t int64) int {
	w := int((t - g.start) / g.window)
	return max(0, min(w, g.nWin-1))
}

// planCounts spreads the ordinary records over the streams and windows by
// weight: busier streams, busier hours, quieter weekends. Cumulative
// rounding makes the totals exact.
func (g *gen) planCounts() {
	g.flowCounts = spread(g.cfg.Flows, len(g.flowStreams), g.nWin, func(s, w int) float64 {
		v := g.flowStreams[s]
		return vpcWeight[v.Name] * g.activity(w, v.Region)
	})
	g.ctCounts = spread(g.cfg.CloudTrail, len(g.ctStreams), g.nWin, func(s, w int) float64 {
		cs := g.ctStreams[s]
		return ctWeight[cs.acct.Name+"/"+cs.region] * (0.4 + g.workActivity(w))
	})
	g.dnsCounts = spread(g.cfg.DNS, len(g.flowStreams), g.nWin, func(s, w int) float64 {
		v := g.flowStreams[s]
		return float64(len(v.Instances)) * g.activity(w, v.Region)
	})
}

var vpcWeight = map[string]float64{"prod-use1": 0.55, "prod-euw1": 0.2, "dev-use1": 0.2, "sec-use1": 0.05}

var ctWeight = map[string]float64{
	"production/us-east-1": 0.45, "production/eu-west-1": 0.15,
	"development/us-east-1": 0.25, "development/eu-west-1": 0.03,
	"security/us-east-1": 0.10, "security/eu-west-1": 0.02,
}

func spread(total int64, streams, wins int, weight func(s, w int) float64) []int64 {
	ws := make([]float64, streams*wins)
	sum := 0.0
	for s := range streams {
		for w := range wins {
			v := weight(s, w)
			ws[s*wins+w] = v
			sum += v
		}
	}
	counts := make([]int64, len(ws))
	if sum == 0 {
		return counts
	}
	cum, prev := 0.0, int64(0)
	for i, v := range ws {
		cum += v
		at := int64(float64(total) * cum / sum)
		if i == len(ws)-1 {
			at = total
		}
		counts[i] = at - prev
		prev = at
	}
	return counts
}
