// Package flowgen writes synthetic VPC flow logs laid out the way AWS
// delivers them to S3, so that benchmarks and tests can exercise the whole
// ingest path (key layout, gzip, header lines, both formats) on millions of
// records without shipping real logs, which are large and hold customers'
// addresses.
//
// The output is deterministic for a seed: the same Config always yields the
// same bytes, whatever the number of goroutines, so that benchmark inputs
// can be regenerated instead of stored and test failures can be reproduced.
package flowgen

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// The header lines AWS writes at the top of each S3 object, one per format.
// They are exported so that tests elsewhere can build inputs and formats
// that match what Generate writes.
const (
	// FormatV2Header is the default format: every version 2 field.
	FormatV2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	// FormatV5Header is a custom format with every field up to version 5,
	// the richest format commonly found in Athena-era setups.
	FormatV5Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)

// Config describes the logs to generate. Zero values take the defaults
// given on each field.
type Config struct {
	Records int    // total records to write
	Format  string // "v2" (default format, 14 fields) or "v5" (FormatV5Header, 29 fields); default "v2"
	// Accounts are 12-digit AWS account IDs; default 111111111111 and
	// 222222222222.
	Accounts []string
	// Regions default to us-east-1 and eu-west-1.
	Regions []string
	// Start is the time of the first records; default 2026-01-05T00:00:00Z.
	Start time.Time
	// RecordsPerFile bounds each object; default 50,000. AWS writes an
	// object per group of ENIs every five minutes, so real objects hold
	// thousands to tens of thousands of records, not millions.
	RecordsPerFile int
	Seed           int64
	// Unpaired makes every record a conversation of its own, with no reply
	// and no later window: not what real flow logs look like, but the worst
	// case for a rollup keyed by conversation, which then holds one row per
	// record.
	Unpaired bool
}

// Version numbers the generator's output: it changes whenever the same
// Config would write different records, so that cached inputs are
// regenerated.
const Version = 2

// Stats describes what Generate wrote.
type Stats struct {
	Files   int
	Records int
	Bytes   int64 // compressed size of all files
}

// Defaults applied by Generate.
var (
	DefaultAccounts = []string{"111111111111", "222222222222"}
	DefaultRegions  = []string{"us-east-1", "eu-west-1"}
	DefaultStart    = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
)

// DefaultRecordsPerFile is the object size used when Config.RecordsPerFile
// is zero.
const DefaultRecordsPerFile = 50_000

// recordsPerMinute is how many records each account and region logs per
// minute of simulated time: at this rate 3 M records over two accounts and
// two regions span about three and a half days, enough for hourly rollups
// and day boundaries to matter.
const recordsPerMinute = 150

// Generate writes gzip files under dir in the plain S3 layout:
//
//	dir/AWSLogs/<acct>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/<acct>_vpcflowlogs_<region>_fl-<8hex>_<YYYYMMDDTHHmmZ>_<8hex>.log.gz
//
// each starting with the header line of field names. Existing files with
// the same names are overwritten; other files under dir are left alone.
// Files are written in parallel, but their contents depend only on cfg.
func Generate(dir string, cfg Config) (Stats, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return Stats{}, err
	}
	if cfg.Records == 0 {
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
				n, err := w.writeFile(dir, &plans[i])
				mu.Lock()
				if err != nil && first == nil {
					first = err
					close(stop)
				}
				stats.Files++
				stats.Records += plans[i].records
				stats.Bytes += n
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
	if cfg.Records < 0 {
		return cfg, fmt.Errorf("records must not be negative, got %d", cfg.Records)
	}
	switch cfg.Format {
	case "":
		cfg.Format = "v2"
	case "v2", "v5":
	default:
		return cfg, fmt.Errorf("unknown format %q: want v2 or v5", cfg.Format)
	}
	if len(cfg.Accounts) == 0 {
		cfg.Accounts = DefaultAccounts
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = DefaultRegions
	}
	// Both become path elements, so they are checked strictly.
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
	if cfg.RecordsPerFile < 0 {
		return cfg, fmt.Errorf("records per file must not be negative, got %d", cfg.RecordsPerFile)
	}
	if cfg.RecordsPerFile == 0 {
		cfg.RecordsPerFile = DefaultRecordsPerFile
	}
	return cfg, nil
}

// filePlan is everything needed to write one file independently of the
// others, which is what makes parallel output deterministic.
type filePlan struct {
	index   int // global file number, seeds the file's generator
	stream  int // index into generator.streams
	offset  int // records the stream wrote before this file
	records int
}

// stream is one account in one region: one flow log, one series of files.
type stream struct {
	account string
	region  string
	flowLog string // fl-<8hex>
	enis    []eni
}

// eni is a network interface with everything a record says about it,
// formatted once.
type eni struct {
	id, addr, instance, vpc, subnet, az []byte
	peerOf                              int // index of a favourite private peer in the same stream
}

type generator struct {
	cfg       Config
	v5        bool
	streams   []stream
	publicIPs [][]byte // a pool of recurring internet peers
}

const (
	enisPerAccount = 300
	publicPool     = 2000
	// Arbitrary constants that keep the random streams of the different
	// parts of the generator apart for the same seed.
	streamSalt = 0x9e3779b97f4a7c15
	fileSalt   = 0xd1b54a32d192ed03
	poolSalt   = 0x8cb92ba72f3d8dd7
)

func newGenerator(cfg Config) *generator {
	g := &generator{cfg: cfg, v5: cfg.Format == "v5"}
	seed := uint64(cfg.Seed)
	for ai, acct := range cfg.Accounts {
		r := rand.New(rand.NewPCG(seed, streamSalt+uint64(ai)))
		// A few hundred ENIs per account, spread over its regions.
		perRegion := max(enisPerAccount/len(cfg.Regions), 8)
		for ri, region := range cfg.Regions {
			s := stream{account: acct, region: region, flowLog: "fl-" + hex(r, 8)}
			nVPC := 2 + r.IntN(2)
			type subnet struct {
				vpc, id, az []byte
				a, b        int
			}
			var subnets []subnet
			for v := range nVPC {
				vpc := []byte("vpc-" + hex(r, 17))
				// 10.<a>.0.0/16 per VPC, distinct across accounts and regions.
				a := (ai*len(cfg.Regions)*4 + ri*4 + v) % 256
				for sn := range 3 {
					b := sn*16 + r.IntN(16)
					subnets = append(subnets, subnet{
						vpc: vpc, id: []byte("subnet-" + hex(r, 17)),
						az: []byte(fmt.Sprintf("%s-az%d", azPrefix(region), sn+1)),
						a:  a, b: b,
					})
				}
			}
			used := map[[3]int]bool{}
			for range perRegion {
				sn := subnets[r.IntN(len(subnets))]
				host := [3]int{sn.a, sn.b, 4 + r.IntN(250)}
				for used[host] {
					host[2] = 4 + r.IntN(250)
					host[1] = sn.b + r.IntN(2) // spill into the next /24 when full
				}
				used[host] = true
				s.enis = append(s.enis, eni{
					id:       []byte("eni-" + hex(r, 17)),
					addr:     []byte(fmt.Sprintf("10.%d.%d.%d", host[0], host[1], host[2])),
					instance: []byte("i-" + hex(r, 17)),
					vpc:      sn.vpc,
					subnet:   sn.id,
					az:       sn.az,
				})
			}
			for i := range s.enis {
				s.enis[i].peerOf = r.IntN(len(s.enis))
			}
			g.streams = append(g.streams, s)
		}
	}
	r := rand.New(rand.NewPCG(seed, poolSalt))
	g.publicIPs = make([][]byte, publicPool)
	for i := range g.publicIPs {
		g.publicIPs[i] = appendPublicIP(nil, r)
	}
	return g
}

// plan cuts the records into files, dealing them out to the streams in
// turn so that every account and region advances through time together.
func (g *generator) plan() []filePlan {
	n := (g.cfg.Records + g.cfg.RecordsPerFile - 1) / g.cfg.RecordsPerFile
	plans := make([]filePlan, n)
	offsets := make([]int, len(g.streams))
	left := g.cfg.Records
	for i := range plans {
		s := i % len(g.streams)
		k := min(left, g.cfg.RecordsPerFile)
		plans[i] = filePlan{index: i, stream: s, offset: offsets[s], records: k}
		offsets[s] += k
		left -= k
	}
	return plans
}

// writer holds one goroutine's buffers.
type writer struct {
	g    *generator
	line []byte
	bw   *bufio.Writer
	zw   *gzip.Writer
}

func (g *generator) newWriter() *writer {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid
	return &writer{g: g, line: make([]byte, 0, 96<<10), bw: bufio.NewWriterSize(nil, 256<<10), zw: zw}
}

// writeFile writes one file and returns its size.
func (w *writer) writeFile(dir string, p *filePlan) (n int64, err error) {
	g := w.g
	s := &g.streams[p.stream]
	r := rand.New(rand.NewPCG(uint64(g.cfg.Seed), fileSalt+uint64(p.index)))

	// AWS names an object after the five-minute window it was delivered
	// in, after the last records it holds.
	lastMinute := (p.offset + p.records - 1) / recordsPerMinute
	stamp := g.cfg.Start.Add(time.Duration(lastMinute+1) * time.Minute).Truncate(5 * time.Minute).Add(5 * time.Minute)
	sub := filepath.Join(dir, "AWSLogs", s.account, "vpcflowlogs", s.region, stamp.Format("2006"), stamp.Format("01"), stamp.Format("02"))
	name := fmt.Sprintf("%s_vpcflowlogs_%s_%s_%s_%08x.log.gz", s.account, s.region, s.flowLog, stamp.Format("20060102T1504Z"), mix32(uint64(g.cfg.Seed), uint64(p.index)))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return 0, fmt.Errorf("create %s: %w", sub, err)
	}
	path := filepath.Join(sub, name)
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", path, cerr)
		}
	}()
	w.bw.Reset(f)
	w.zw.Reset(w.bw)

	line := w.line[:0]
	if g.v5 {
		line = append(line, FormatV5Header...)
	} else {
		line = append(line, FormatV2Header...)
	}
	line = append(line, '\n')
	start := g.cfg.Start.Unix()
	var cs connState
	for i := range p.records {
		minute := int64((p.offset + i) / recordsPerMinute)
		line = g.appendRecord(line, r, s, &cs, start+minute*60)
		if len(line) >= 64<<10 {
			if _, err := w.zw.Write(line); err != nil {
				return 0, fmt.Errorf("write %s: %w", path, err)
			}
			line = line[:0]
		}
	}
	if _, err := w.zw.Write(line); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	w.line = line[:0]
	if err := w.zw.Close(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.bw.Flush(); err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return fi.Size(), nil
}

var (
	servicePorts = []int64{443, 443, 443, 443, 80, 80, 22, 3306, 5432, 53, 53, 123}
	tcpFlags     = []int64{2, 3, 18, 19}
	docNets      = []string{"198.51.100.", "203.0.113.", "192.0.2."}
)

// conn is one conversation seen on one interface. Flow logs write a record
// per direction of a connection per aggregation window, so a connection
// yields its request record, then its reply, and a long-lived one does so
// again in later windows.
type conn struct {
	e                *eni
	peer             []byte
	private          bool
	ingress          bool // the request travels towards the interface
	reject           bool
	reqPort, svcPort int64 // the requester's (ephemeral) and the service's port
	proto            int64
	service          string // the peer's AWS service, or "-"
	path             int64  // traffic path of egress records
	peerBuf          [16]byte
}

// connState is one file's conversations in progress.
type connState struct {
	reply *conn   // the connection whose reply comes next, if any
	live  []*conn // long-lived connections that recur in later windows
	pool  []*conn // spare conns, reused to keep generation allocation-free
}

// Shares of the generated traffic, in percent.
const (
	rejectShare = 22 // new conversations that are rejected: mostly the internet knocking, unanswered
	recurShare  = 20 // records that continue a long-lived connection
	longShare   = 25 // new accepted connections that stay open
	maxLive     = 64
)

// appendRecord appends one record whose 60-second window starts at window
// (Unix seconds): the reply of the last request, a new window of a
// long-lived connection, or the request of a new connection.
func (g *generator) appendRecord(b []byte, r *rand.Rand, s *stream, cs *connState, window int64) []byte {
	if g.cfg.Unpaired {
		e := &s.enis[skewed(r, len(s.enis))]
		if r.IntN(200) == 0 {
			return g.appendNoData(b, r, s, e, window)
		}
		var c conn
		g.newConn(&c, r, s, e)
		if c.reject {
			return g.appendConn(b, r, s, &c, window, false)
		}
		// Either direction of a conversation nobody else in the data has.
		return g.appendConn(b, r, s, &c, window, r.IntN(2) == 0)
	}
	if c := cs.reply; c != nil {
		cs.reply = nil
		return g.appendConn(b, r, s, c, window, true)
	}
	if len(cs.live) > 0 && r.IntN(100) < recurShare {
		i := r.IntN(len(cs.live))
		c := cs.live[i]
		if r.IntN(8) == 0 { // the connection closes after this window
			cs.live[i] = cs.live[len(cs.live)-1]
			cs.live = cs.live[:len(cs.live)-1]
			defer func() { cs.pool = append(cs.pool, c) }()
		}
		cs.reply = c
		return g.appendConn(b, r, s, c, window, false)
	}
	// A few busy interfaces carry most traffic, as in real VPCs.
	e := &s.enis[skewed(r, len(s.enis))]
	if r.IntN(200) == 0 {
		return g.appendNoData(b, r, s, e, window)
	}
	var c *conn
	if n := len(cs.pool); n > 0 {
		c, cs.pool = cs.pool[n-1], cs.pool[:n-1]
	} else {
		c = new(conn)
	}
	g.newConn(c, r, s, e)
	switch {
	case c.reject:
		cs.pool = append(cs.pool, c) // nobody answers
	case r.IntN(100) < longShare && len(cs.live) < maxLive:
		cs.live = append(cs.live, c)
		cs.reply = c
	default:
		cs.reply = c
		defer func() { cs.pool = append(cs.pool, c) }()
	}
	return g.appendConn(b, r, s, c, window, false)
}

// newConn makes a new conversation on interface e.
func (g *generator) newConn(c *conn, r *rand.Rand, s *stream, e *eni) {
	*c = conn{e: e, service: "-"}
	// The peer: another interface, a documentation-range address standing
	// for a known bad actor, a recurring internet host or any internet host.
	switch k := r.IntN(100); {
	case k < 30:
		j := e.peerOf
		if r.IntN(3) == 0 {
			j = r.IntN(len(s.enis))
		}
		if &s.enis[j] == e {
			j = (j + 1) % len(s.enis)
		}
		c.peer = s.enis[j].addr
		c.private = true
	case k < 40:
		p := append(c.peerBuf[:0], docNets[r.IntN(len(docNets))]...)
		c.peer = appendInt(p, int64(1+r.IntN(254)))
	case k < 85:
		c.peer = g.publicIPs[skewed(r, len(g.publicIPs))]
	default:
		c.peer = appendPublicIP(c.peerBuf[:0], r)
	}
	c.ingress = r.IntN(2) == 0
	c.svcPort = servicePorts[r.IntN(len(servicePorts))]
	c.reqPort = int64(32768 + r.IntN(60999-32768+1))
	c.proto = 6
	switch {
	case r.IntN(100) < 3:
		c.proto = 1
	case c.svcPort == 53 && r.IntN(10) > 0, c.svcPort == 123:
		c.proto = 17
	}
	share := rejectShare
	if g.cfg.Unpaired {
		share = 10 // of records, as every record is a conversation
	}
	if r.IntN(100) < share {
		// Rejections are mostly the internet knocking.
		c.reject, c.ingress = true, true
	}
	if !c.private {
		switch k := r.IntN(100); {
		case k < 6:
			c.service = "S3"
		case k < 9:
			c.service = "EC2"
		}
	}
	switch {
	case c.private:
		c.path = 1
	case c.service == "S3" && r.IntN(2) == 0:
		c.path = 7
	case r.IntN(2) == 0:
		c.path = 2
	default:
		c.path = 8
	}
}

// appendNoData appends a record of an interval with no traffic.
func (g *generator) appendNoData(b []byte, r *rand.Rand, s *stream, e *eni, window int64) []byte {
	b = g.appendHead(b, s, e)
	b = append(b, " - - - - - - - "...)
	b = appendInt(b, window+int64(r.IntN(5)))
	b = append(b, ' ')
	b = appendInt(b, window+55+int64(r.IntN(10)))
	b = append(b, " - NODATA"...)
	if g.v5 {
		b = append(b, ' ')
		b = append(b, e.vpc...)
		b = append(b, ' ')
		b = append(b, e.subnet...)
		b = append(b, ' ')
		b = append(b, e.instance...)
		b = append(b, " - - - - "...)
		b = append(b, s.region...)
		b = append(b, ' ')
		b = append(b, e.az...)
		b = append(b, " - - - - - -"...)
	}
	return append(b, '\n')
}

func (g *generator) appendHead(b []byte, s *stream, e *eni) []byte {
	version := int64(2)
	if g.v5 {
		version = 5
	}
	b = appendInt(b, version)
	b = append(b, ' ')
	b = append(b, s.account...)
	b = append(b, ' ')
	return append(b, e.id...)
}

// appendConn appends one record of c: its request direction, or its reply.
func (g *generator) appendConn(b []byte, r *rand.Rand, s *stream, c *conn, window int64, reply bool) []byte {
	e := c.e
	b = g.appendHead(b, s, e)
	start := window + int64(r.IntN(5))
	end := window + 55 + int64(r.IntN(10))

	// The request goes from the requester's port to the service's; the
	// reply comes back.
	ingress := c.ingress != reply
	var srcPort, dstPort int64
	if c.proto != 1 {
		srcPort, dstPort = c.reqPort, c.svcPort
		if reply {
			srcPort, dstPort = dstPort, srcPort
		}
	}
	src, dst := e.addr, c.peer
	if ingress {
		src, dst = c.peer, e.addr
	}

	var packets, bytes int64
	switch {
	case c.reject:
		packets = 1 + int64(r.IntN(3))
		bytes = packets * (40 + int64(r.IntN(21)))
	case c.proto == 1:
		packets = 1 + int64(r.IntN(10))
		bytes = packets * 84
	default:
		// Heavy-tailed sizes with bytes per packet between an ACK and an MTU.
		packets = 1 + int64(r.ExpFloat64()*20)
		if r.IntN(50) == 0 {
			packets *= 100
		}
		bytes = packets * (52 + int64(r.IntN(1449)))
	}

	b = append(b, ' ')
	b = append(b, src...)
	b = append(b, ' ')
	b = append(b, dst...)
	b = append(b, ' ')
	b = appendInt(b, srcPort)
	b = append(b, ' ')
	b = appendInt(b, dstPort)
	b = append(b, ' ')
	b = appendInt(b, c.proto)
	b = append(b, ' ')
	b = appendInt(b, packets)
	b = append(b, ' ')
	b = appendInt(b, bytes)
	b = append(b, ' ')
	b = appendInt(b, start)
	b = append(b, ' ')
	b = appendInt(b, end)
	if c.reject {
		b = append(b, " REJECT OK"...)
	} else {
		b = append(b, " ACCEPT OK"...)
	}
	if !g.v5 {
		return append(b, '\n')
	}

	b = append(b, ' ')
	b = append(b, e.vpc...)
	b = append(b, ' ')
	b = append(b, e.subnet...)
	b = append(b, ' ')
	b = append(b, e.instance...)
	b = append(b, ' ')
	var flags int64
	if c.proto == 6 {
		switch {
		case c.reject:
			flags = 2
		case r.IntN(4) > 0:
			flags = tcpFlags[r.IntN(len(tcpFlags))]
			if reply {
				flags |= 16 // the answer to a SYN is a SYN-ACK
			} else {
				flags &^= 16
			}
		}
	}
	b = appendInt(b, flags)
	b = append(b, " IPv4 "...)
	b = append(b, src...)
	b = append(b, ' ')
	b = append(b, dst...)
	b = append(b, ' ')
	b = append(b, s.region...)
	b = append(b, ' ')
	b = append(b, e.az...)
	b = append(b, " - -"...)
	if ingress {
		b = append(b, ' ')
		b = append(b, c.service...)
		b = append(b, " - ingress -\n"...)
		return b
	}
	b = append(b, " - "...)
	b = append(b, c.service...)
	b = append(b, " egress "...)
	b = appendInt(b, c.path)
	return append(b, '\n')
}

// skewed returns an index in [0, n) favouring small indexes, so that a few
// interfaces and peers dominate as they do in real traffic.
func skewed(r *rand.Rand, n int) int {
	f := r.Float64()
	return int(f * f * f * float64(n))
}

// appendPublicIP appends a random address outside the private, shared,
// loopback, link-local, documentation and multicast ranges.
func appendPublicIP(b []byte, r *rand.Rand) []byte {
	var a int
	for {
		a = 1 + r.IntN(223)
		switch a {
		case 10, 100, 127, 169, 172, 192, 198, 203:
			continue
		}
		break
	}
	b = appendInt(b, int64(a))
	for range 3 {
		b = append(b, '.')
		b = appendInt(b, int64(r.IntN(256)))
	}
	return b
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

const hexDigits = "0123456789abcdef"

func hex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexDigits[r.IntN(16)]
	}
	return string(b)
}

// mix32 derives a file name's random-looking suffix from the seed and the
// file number (splitmix64's finaliser).
func mix32(seed, i uint64) uint32 {
	z := seed + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return uint32(z ^ (z >> 31))
}

// azPrefix turns a region name into the prefix of its AZ IDs, as AWS
// abbreviates them: us-east-1 → use1, ap-southeast-2 → apse2.
func azPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	short := map[string]string{
		"east": "e", "west": "w", "north": "n", "south": "s", "central": "c",
		"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1 : len(parts)-1] {
		if s, ok := short[p]; ok {
			b.WriteString(s)
		} else if p != "" {
			b.WriteByte(p[0])
		}
	}
	b.WriteString(parts[len(parts)-1])
	return b.String()
}
