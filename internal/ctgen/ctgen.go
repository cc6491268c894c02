// Package ctgen writes synthetic CloudTrail log files laid out the way a
// trail delivers them to S3, so that benchmarks and tests can exercise the
// whole CloudTrail ingest path (key layout, gzip, the {"Records":[...]}
// envelope, heterogeneous events) on millions of events without shipping
// real trails, which are large and full of customers' identities.
//
// The events imitate what a small organisation's trail holds: role
// sessions of EC2 instances, Lambda functions and ECS tasks reading S3
// objects, KMS keys and SSM parameters; AWS services assuming roles and
// checking buckets; people on the CLI, the console and IAM Identity
// Center; a CI pipeline; the odd root sign-in; about 3% of calls failing,
// most of them denied.
// Field order, identity shapes, credentials rotating with their sessions
// and sizes follow real CloudTrail records.
//
// The output is deterministic for a seed: the same Config always yields
// the same bytes, whatever the number of goroutines.
package ctgen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Config describes the logs to generate. Zero values take the defaults
// given on each field.
type Config struct {
	Events int // total events to write
	// Accounts are 12-digit AWS account IDs; default 111111111111 and
	// 222222222222.
	Accounts []string
	// Regions default to us-east-1 and eu-west-1. Events of global
	// services (IAM, console sign-in) appear only in us-east-1 files, as
	// in a real multi-region trail.
	Regions []string
	// Start is the time of the first events; default 2026-01-05T00:00:00Z.
	Start time.Time
	// EventsPerFile bounds each file; default 2,000. CloudTrail delivers
	// a file per account and region about every five minutes, and each
	// file here covers five minutes of its account and region.
	EventsPerFile int
	Seed          int64
}

// Stats describes what Generate wrote.
type Stats struct {
	Files     int
	Events    int
	Bytes     int64 // compressed size of all files
	JSONBytes int64 // size of the JSON before compression
}

// Defaults applied by Generate.
var (
	DefaultAccounts = []string{"111111111111", "222222222222"}
	DefaultRegions  = []string{"us-east-1", "eu-west-1"}
	DefaultStart    = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
)

// DefaultEventsPerFile is the file size used when Config.EventsPerFile is
// zero.
const DefaultEventsPerFile = 2000

// window is the stretch of time each file covers.
const window = 5 * 60

// Generate writes gzip files under dir in the S3 layout of a trail:
//
//	dir/AWSLogs/<acct>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
//
// each holding {"Records":[...]}, compact, as CloudTrail writes it. The
// name's time is the end of the five minutes the file covers. Existing
// files with the same names are overwritten; other files under dir are
// left alone. Files are written in parallel, but their contents depend
// only on cfg.
func Generate(dir string, cfg Config) (Stats, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return Stats{}, err
	}
	if cfg.Events == 0 {
		return Stats{}, nil
	}
	g := newGenerator(cfg)
	plans := g.plan()

	workers := min(runtime.GOMAXPROCS(0), len(plans))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		stats Stats
		first error
	)
	next := make(chan int)
	stop := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := g.newWriter()
			for i := range next {
				n, raw, err := w.writeFile(dir, &plans[i])
				mu.Lock()
				if err != nil && first == nil {
					first = err
					close(stop)
				}
				stats.Files++
				stats.Events += plans[i].events
				stats.Bytes += n
				stats.JSONBytes += raw
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range plans {
		select {
		case next <- i:
		case <-stop:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return Stats{}, first
	}
	return stats, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.Events < 0 {
		return cfg, fmt.Errorf("events must not be negative, got %d", cfg.Events)
	}
	if len(cfg.Accounts) == 0 {
		cfg.Accounts = DefaultAccounts
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = DefaultRegions
	}
	// Both become path elements and JSON strings, so they are checked
	// strictly.
	for _, a := range cfg.Accounts {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return cfg, fmt.Errorf("account %q: want 12 digits", a)
		}
	}
	for _, r := range cfg.Regions {
		if r == "" || strings.Trim(r, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return cfg, fmt.Errorf("region %q: want lowercase letters, digits and dashes", r)
		}
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	cfg.Start = cfg.Start.UTC().Truncate(time.Minute)
	if cfg.EventsPerFile < 0 {
		return cfg, fmt.Errorf("events per file must not be negative, got %d", cfg.EventsPerFile)
	}
	if cfg.EventsPerFile == 0 {
		cfg.EventsPerFile = DefaultEventsPerFile
	}
	return cfg, nil
}

// filePlan is everything needed to write one file independently of the
// others, which is what makes parallel output deterministic.
type filePlan struct {
	index  int // global file number, seeds the file's generator
	stream int // index into generator.streams
	seq    int // the stream's file number: which five minutes it covers
	first  int // global number of its first event, which makes eventIDs unique
	events int
}

// stream is one account in one region: one series of files.
type stream struct {
	acct   *account
	region int // index into Config.Regions
}

type generator struct {
	cfg      Config
	accounts []*account
	streams  []stream
	tables   []table // per region: the APIs that can appear there
	ci       []string
	tokens   string // base64 text that session tokens and S3 host IDs are cut from
}

// Arbitrary constants that keep the random streams of the different parts
// of the generator apart for the same seed.
const (
	accountSalt = 0x9e3779b97f4a7c15
	fileSalt    = 0xd1b54a32d192ed03
	poolSalt    = 0x8cb92ba72f3d8dd7
	idSalt      = 0xa0761d6478bd642f
)

func newGenerator(cfg Config) *generator {
	g := &generator{cfg: cfg}
	seed := uint64(cfg.Seed)
	r := rand.New(rand.NewPCG(seed, poolSalt))
	// GitHub-hosted runners come from a broad pool of cloud addresses.
	for range 40 {
		g.ci = append(g.ci, string(appendPublicIP(nil, r)))
	}
	tok := make([]byte, 8<<10)
	for i := range tok {
		tok[i] = base64Chars[r.IntN(64)]
	}
	g.tokens = string(tok)
	for ai, id := range cfg.Accounts {
		ar := rand.New(rand.NewPCG(seed, accountSalt+uint64(ai)))
		g.accounts = append(g.accounts, newAccount(ar, id, cfg.Regions))
	}
	for _, a := range g.accounts {
		for ri := range cfg.Regions {
			g.streams = append(g.streams, stream{acct: a, region: ri})
		}
	}
	for _, region := range cfg.Regions {
		g.tables = append(g.tables, newTable(region == globalRegion))
	}
	return g
}

// plan cuts the events into files, dealing them out to the streams in turn
// so that every account and region advances through time together.
func (g *generator) plan() []filePlan {
	n := (g.cfg.Events + g.cfg.EventsPerFile - 1) / g.cfg.EventsPerFile
	plans := make([]filePlan, n)
	left, first := g.cfg.Events, 0
	for i := range plans {
		k := min(left, g.cfg.EventsPerFile)
		plans[i] = filePlan{index: i, stream: i % len(g.streams), seq: i / len(g.streams), first: first, events: k}
		left -= k
		first += k
	}
	return plans
}

// writer holds one goroutine's buffers.
type writer struct {
	g   *generator
	buf []byte
	bw  *bufio.Writer
	zw  *gzip.Writer
	ev  event

	// The last eventTime formatted, since many events share a second.
	sec     int64
	secText []byte
}

func (g *generator) newWriter() *writer {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid
	w := &writer{g: g, buf: make([]byte, 0, 96<<10), bw: bufio.NewWriterSize(nil, 256<<10), zw: zw, sec: -1}
	w.ev.g = g
	return w
}

// writeFile writes one file and returns its compressed and JSON sizes.
func (w *writer) writeFile(dir string, p *filePlan) (n, raw int64, err error) {
	g := w.g
	s := &g.streams[p.stream]
	region := g.cfg.Regions[s.region]
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), fileSalt+uint64(p.index)))

	start := g.cfg.Start.Unix() + int64(p.seq)*window
	stamp := time.Unix(start+window, 0).UTC()
	sub := filepath.Join(dir, "AWSLogs", s.acct.id, "CloudTrail", region, stamp.Format("2006"), stamp.Format("01"), stamp.Format("02"))
	var unique [16]byte
	for i := range unique {
		unique[i] = alnum[r.IntN(len(alnum))]
	}
	name := s.acct.id + "_CloudTrail_" + region + "_" + stamp.Format("20060102T1504Z") + "_" + string(unique[:]) + ".json.gz"
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", sub, err)
	}
	path := filepath.Join(sub, name)
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	w.bw.Reset(f)
	w.zw.Reset(w.bw)

	e := &w.ev
	e.r, e.a, e.ri, e.region = r, s.acct, s.region, region
	b := append(w.buf[:0], `{"Records":[`...)
	for i := range p.events {
		if i > 0 {
			b = append(b, ',')
		}
		// Spread evenly over the five minutes, in order.
		t := start + int64(i)*window/int64(p.events)
		b = w.appendEvent(b, t, uint64(p.first+i))
		if len(b) >= 64<<10 {
			raw += int64(len(b))
			if _, err := w.zw.Write(b); err != nil {
				return 0, 0, fmt.Errorf("write %s: %w", path, err)
			}
			b = b[:0]
		}
	}
	b = append(b, "]}"...)
	raw += int64(len(b))
	if _, err := w.zw.Write(b); err != nil {
		return 0, 0, fmt.Errorf("write %s: %w", path, err)
	}
	w.buf = b[:0]
	if err := w.zw.Close(); err != nil {
		return 0, 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.bw.Flush(); err != nil {
		return 0, 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return fi.Size(), raw, nil
}

// appendEventTime appends t (Unix seconds) in CloudTrail's form,
// 2026-01-05T00:00:01Z.
func (w *writer) appendEventTime(b []byte, t int64) []byte {
	if t != w.sec {
		w.sec = t
		w.secText = time.Unix(t, 0).UTC().AppendFormat(w.secText[:0], time.RFC3339)
	}
	return append(b, w.secText...)
}
