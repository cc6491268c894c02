// Package detect finds attacks in the stored logs and records them as
// findings in GuardDuty's finding JSON shape, source "gumshoe", in the
// findings table.
//
// Detection is incremental. A run reads the ingest segments committed since
// the previous run, works out which hours of flows, CloudTrail events and
// DNS queries they touched, and evaluates every detector over those hours
// (reading the 45 days before them where a detector compares with a
// baseline). A detector's output is a number of occurrences of a finding —
// identified by its type, its resource and its counterpart — in an hour;
// the store keeps them per finding and hour, and a finding's count is their
// sum. Evaluating an hour again therefore replaces that hour's occurrences:
// running detection twice changes nothing, and a finding seen again in new
// data keeps its ID and grows its count, updatedAt and eventLastSeen.
package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/guardduty"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Source is the findings.source value of gumshoe's own findings.
const Source = "gumshoe"

// stateName names the detection watermark in detect_state.
const stateName = "detect"

// Config configures a detection run. The zero value of a threshold means
// its default (DefaultConfig); see docs/detections.md for each.
type Config struct {
	// Since, when set, re-evaluates every hour from Since on, whatever
	// the previous runs covered.
	Since time.Time
	// Intel is the user's threat intelligence (ReadThreatList).
	Intel Intel

	// BaselineDays is how far back baselines reach (Detective's 45 days).
	BaselineDays int
	// MinBaseline is how much history a baseline needs before a detector
	// that compares with it fires.
	MinBaseline time.Duration

	// Brute force: inbound TCP connection attempts (distinct source ports)
	// from one address to one port of one interface in an hour. An
	// attempt is a connection that was rejected or exchanged at most
	// BruteForceMaxBytes in the hour: a failed sign-in is a few kilobytes,
	// while a session (even a short one) carries more, so that a busy
	// office signing in to its bastion all day is not an attack.
	BruteForceMinAttempts int
	BruteForceMaxBytes    int64
	SSHPorts, RDPPorts    []int

	// Recon:EC2/Portscan: distinct ports of one remote host the instance
	// opened connections to in an hour.
	PortscanMinPorts int
	// Impact:EC2/PortSweep: distinct remote hosts probed on one port in an
	// hour, a probe exchanging at most PortSweepMaxBytes.
	PortSweepMinTargets int
	PortSweepMaxBytes   int64
	// Recon:EC2/PortProbeUnprotectedPort: a public address that opens
	// connections to at least PortProbeMinPorts ports of an interface in an
	// hour is probing; each probed port that accepted is unprotected,
	// except PortProbeIgnorePorts (ports meant to be public).
	PortProbeMinPorts    int
	PortProbeIgnorePorts []int

	// Behavior:EC2/TrafficVolumeUnusual: bytes sent to one public address
	// in an hour at least TrafficMinBytes and more than TrafficFactor times
	// the largest hourly volume to one address in the baseline (leaving
	// out the last TrafficBaselineGap).
	TrafficMinBytes    int64
	TrafficFactor      float64
	TrafficBaselineGap time.Duration
	// Behavior:EC2/NetworkPortUnusual: a remote port the instance opened
	// no connection to in the baseline, with at least
	// UnusualPortMinPackets packets; an interface with more than
	// UnusualPortMaxPerHour new ports in an hour is scanning instead.
	UnusualPortMinPackets int64
	UnusualPortMaxPerHour int

	// CryptoCurrency: ports of mining pools, and pool domains (the
	// embedded list when nil).
	MiningPorts   []int
	MiningDomains []string

	// Trojan:EC2/DNSDataExfiltration: at least DNSExfilMinQueries
	// distinct names under one domain in an hour, each with a subdomain
	// part at least DNSExfilMinLength long and of Shannon entropy at least
	// DNSExfilMinEntropy bits per character.
	DNSExfilMinQueries int
	DNSExfilMinLength  int
	DNSExfilMinEntropy float64
	// DNSExfilIgnoreDomains are zones of cloud and CDN providers whose
	// long generated names are routine and whose name servers no attacker
	// controls (nil: the default list; empty: none).
	DNSExfilIgnoreDomains []string

	// UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B: successful
	// console sign-ins of one principal from at least ConsoleMinCountries
	// countries within ConsoleWindow, one of them a country it had not
	// signed in from in the baseline before the window.
	ConsoleMinCountries int
	ConsoleWindow       time.Duration
	// ConsoleMaxSpeedKmh: where ip_info has coordinates, two consecutive
	// sign-ins from different countries must be farther apart than this
	// speed allows (900 km/h, an airliner).
	ConsoleMaxSpeedKmh float64

	// AnomalousBehavior: APIs new for the principal, from an address new
	// for it; Discovery needs DiscoveryMinAPIs distinct new APIs in an
	// hour, Persistence PersistenceMinAPIs.
	DiscoveryMinAPIs   int
	PersistenceMinAPIs int

	// Groups configures the finding groups made after detection.
	Groups GroupConfig

	// GeoIP answers "is this address in AWS?" where ip_info does not;
	// nil uses the AWS ranges embedded in the binary.
	GeoIP *geoip.Resolver
	// Now is the clock (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{
		BaselineDays:          45,
		MinBaseline:           7 * 24 * time.Hour,
		BruteForceMinAttempts: 20,
		BruteForceMaxBytes:    20_000,
		SSHPorts:              []int{22},
		RDPPorts:              []int{3389},
		PortscanMinPorts:      25,
		PortSweepMinTargets:   25,
		PortSweepMaxBytes:     1000,
		PortProbeMinPorts:     5,
		PortProbeIgnorePorts:  []int{80, 443},
		TrafficMinBytes:       100 << 20,
		TrafficFactor:         10,
		TrafficBaselineGap:    24 * time.Hour,
		UnusualPortMinPackets: 10,
		UnusualPortMaxPerHour: 3,
		MiningPorts:           []int{3333, 3334, 3357, 5555, 7777, 8333, 14433, 14444, 45560, 45700},
		DNSExfilMinQueries:    20,
		DNSExfilMinLength:     30,
		DNSExfilMinEntropy:    3.5,
		DNSExfilIgnoreDomains: []string{"amazonaws.com", "amazonaws.com.cn", "aws.dev", "awsglobalaccelerator.com", "cloudfront.net",
			"akamaiedge.net", "akadns.net", "akamai.net", "edgekey.net", "fastly.net", "googleapis.com", "googleusercontent.com",
			"azure.com", "windows.net", "trafficmanager.net", "cloudflare.net"},
		ConsoleMinCountries: 2,
		ConsoleWindow:       24 * time.Hour,
		ConsoleMaxSpeedKmh:  900,
		DiscoveryMinAPIs:    3,
		PersistenceMinAPIs:  1,
	}
}

// withDefaults fills the zero thresholds from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.BaselineDays, d.BaselineDays)
	setInt(&c.BruteForceMinAttempts, d.BruteForceMinAttempts)
	setInt(&c.PortscanMinPorts, d.PortscanMinPorts)
	setInt(&c.PortSweepMinTargets, d.PortSweepMinTargets)
	setInt(&c.PortProbeMinPorts, d.PortProbeMinPorts)
	setInt(&c.UnusualPortMaxPerHour, d.UnusualPortMaxPerHour)
	setInt(&c.DNSExfilMinQueries, d.DNSExfilMinQueries)
	setInt(&c.DNSExfilMinLength, d.DNSExfilMinLength)
	setInt(&c.ConsoleMinCountries, d.ConsoleMinCountries)
	setInt(&c.DiscoveryMinAPIs, d.DiscoveryMinAPIs)
	setInt(&c.PersistenceMinAPIs, d.PersistenceMinAPIs)
	if c.MinBaseline == 0 {
		c.MinBaseline = d.MinBaseline
	}
	if c.BruteForceMaxBytes == 0 {
		c.BruteForceMaxBytes = d.BruteForceMaxBytes
	}
	if c.PortSweepMaxBytes == 0 {
		c.PortSweepMaxBytes = d.PortSweepMaxBytes
	}
	if c.TrafficMinBytes == 0 {
		c.TrafficMinBytes = d.TrafficMinBytes
	}
	if c.TrafficFactor == 0 {
		c.TrafficFactor = d.TrafficFactor
	}
	if c.TrafficBaselineGap == 0 {
		c.TrafficBaselineGap = d.TrafficBaselineGap
	}
	if c.UnusualPortMinPackets == 0 {
		c.UnusualPortMinPackets = d.UnusualPortMinPackets
	}
	if c.DNSExfilMinEntropy == 0 {
		c.DNSExfilMinEntropy = d.DNSExfilMinEntropy
	}
	if c.ConsoleMaxSpeedKmh == 0 {
		c.ConsoleMaxSpeedKmh = d.ConsoleMaxSpeedKmh
	}
	if c.ConsoleWindow == 0 {
		c.ConsoleWindow = d.ConsoleWindow
	}
	if c.SSHPorts == nil {
		c.SSHPorts = d.SSHPorts
	}
	if c.RDPPorts == nil {
		c.RDPPorts = d.RDPPorts
	}
	if c.PortProbeIgnorePorts == nil {
		c.PortProbeIgnorePorts = d.PortProbeIgnorePorts
	}
	if c.MiningPorts == nil {
		c.MiningPorts = d.MiningPorts
	}
	if c.DNSExfilIgnoreDomains == nil {
		c.DNSExfilIgnoreDomains = d.DNSExfilIgnoreDomains
	}
	if c.MiningDomains == nil {
		c.MiningDomains = MiningPoolDomains()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Summary reports a detection run.
type Summary struct {
	FromSegment int64 `json:"from_segment"`
	ToSegment   int64 `json:"to_segment"`
	// Hours evaluated per log family.
	FlowHours       int `json:"flow_hours"`
	CloudTrailHours int `json:"cloudtrail_hours"`
	DNSHours        int `json:"dns_hours"`
	// Findings written by this run: new ones and updated ones.
	New      int              `json:"new"`
	Updated  int              `json:"updated"`
	ByType   map[string]int   `json:"by_type"`
	Findings []FindingSummary `json:"findings"`
	Groups   GroupSummary     `json:"groups"`
	Seconds  float64          `json:"duration_seconds"`
}

// FindingSummary is one finding written by a run.
type FindingSummary struct {
	ID       string  `json:"id"`
	Type     string  `json:"type"`
	Severity float64 `json:"severity"`
	Title    string  `json:"title"`
	Count    int64   `json:"count"`
	New      bool    `json:"new"`
}

// occurrence is a detector's output: n occurrences of a finding in one
// hour. f holds the finding's details as of this hour; Run fills its count,
// times and ID.
type occurrence struct {
	f           *Finding
	resource    string // the resource's key in the finding ID
	counterpart string
	window      time.Time
	n           int64
	first, last time.Time
	// unattributed marks a flow finding on an interface that no instance
	// is known for.
	unattributed bool
}

type run struct {
	cfg Config
	st  *store.Store
	sc  *store.DetectScope
	aws *geoip.Resolver
	occ []occurrence
	// listed caches listedAddrs.
	listed *store.AddrSet
}

// runMu serialises runs: two runs at once (a serving process detecting
// after each ingest) would read the same segments and race on the
// watermark.
var runMu sync.Mutex

// Run evaluates every detector over what is new since the last run (or,
// with cfg.Since, over every hour from then on), stores the findings and
// updates the finding groups. Runs in one process are serialised.
func Run(ctx context.Context, st *store.Store, cfg Config) (Summary, error) {
	runMu.Lock()
	defer runMu.Unlock()
	start := time.Now()
	cfg = cfg.withDefaults()
	sc, err := st.DetectBegin(ctx, stateName, cfg.Since)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{FromSegment: sc.FromSegment, ToSegment: sc.ToSegment, ByType: map[string]int{},
		FlowHours: hoursIn(sc.Flows), CloudTrailHours: hoursIn(sc.CloudTrail), DNSHours: hoursIn(sc.DNS)}
	r := &run{cfg: cfg, st: st, sc: sc, aws: cfg.GeoIP}
	if r.aws == nil {
		if r.aws, err = geoip.Open(geoip.Config{}); err != nil {
			return sum, err
		}
	}
	for _, d := range []struct {
		name string
		fn   func(context.Context) error
	}{
		{"flows", r.flows},
		{"dns", r.dns},
		{"cloudtrail", r.cloudTrail},
	} {
		began := time.Now()
		if err := d.fn(ctx); err != nil {
			return sum, fmt.Errorf("detect %s: %w", d.name, err)
		}
		cfg.Logger.Debug("log family evaluated", "family", d.name, "seconds", time.Since(began).Seconds())
	}
	if err := r.store(ctx, &sum); err != nil {
		return sum, err
	}
	// A run with Since evaluated the hours from Since on, not every hour
	// of the new segments: the watermark stays, so that the next run
	// still reads what those segments hold from before Since.
	if cfg.Since.IsZero() {
		if err := st.DetectEnd(ctx, stateName, sc); err != nil {
			return sum, err
		}
	}
	gcfg := cfg.Groups
	if gcfg.Now == nil {
		gcfg.Now = cfg.Now
	}
	if sum.Groups, err = Group(ctx, st, gcfg); err != nil {
		return sum, err
	}
	sum.Seconds = time.Since(start).Seconds()
	cfg.Logger.Info("detection finished", "from_segment", sc.FromSegment, "to_segment", sc.ToSegment,
		"new", sum.New, "updated", sum.Updated, "seconds", sum.Seconds)
	return sum, nil
}

func hoursIn(rs []store.TimeRange) int {
	n := 0
	for _, r := range rs {
		n += int(r.End.Sub(r.Start) / time.Hour)
	}
	return n
}

// add records an occurrence.
func (r *run) add(o occurrence) {
	if o.n <= 0 {
		return
	}
	o.window = o.window.UTC().Truncate(time.Hour)
	if d := o.f.Resource.InstanceDetails; d != nil && d.InstanceID == "" && o.f.Service.Action.NetworkConnectionAction != nil {
		o.unattributed = true
	}
	o.f.finish(o.resource, o.counterpart)
	r.occ = append(r.occ, o)
}

const timeLayout = "2006-01-02T15:04:05.000Z"

// store merges the run's occurrences per finding and hour (summing those of
// one detector, keeping the largest where two detectors raise the same
// finding), records them, and writes the findings whose totals changed.
func (r *run) store(ctx context.Context, sum *Summary) error {
	type key struct {
		id       string
		window   time.Time
		detector string
	}
	// A NAT gateway's interface carries its instances' traffic: where
	// an instance is named for a finding's type, counterpart and hour,
	// the same finding on an interface no instance is known for is the
	// same traffic seen again, not another finding.
	attributed := map[[3]string]bool{}
	for i := range r.occ {
		if o := &r.occ[i]; !o.unattributed {
			attributed[[3]string{o.f.Type, o.counterpart, o.window.String()}] = true
		}
	}
	merged := map[key]*occurrence{}
	latest := map[string]*occurrence{}
	for i := range r.occ {
		o := &r.occ[i]
		if o.unattributed && attributed[[3]string{o.f.Type, o.counterpart, o.window.String()}] {
			continue
		}
		id := FindingID(o.f.Type, o.resource, o.counterpart)
		o.f.ID = id
		k := key{id, o.window, o.f.Gumshoe.Detector}
		if m, ok := merged[k]; ok {
			m.n += o.n
			m.first, m.last = minTime(m.first, o.first), maxTime(m.last, o.last)
		} else {
			c := *o
			merged[k] = &c
		}
		if l, ok := latest[id]; !ok || o.last.After(l.last) {
			latest[id] = o
		}
	}
	perWindow := map[[2]string]store.DetectHit{}
	for k, o := range merged {
		wk := [2]string{k.id, k.window.Format(time.RFC3339)}
		h, ok := perWindow[wk]
		if !ok || o.n > h.Occurrences {
			perWindow[wk] = store.DetectHit{FindingID: k.id, Window: k.window, Occurrences: o.n, First: o.first, Last: o.last}
		}
	}
	hits := make([]store.DetectHit, 0, len(perWindow))
	for _, h := range perWindow {
		hits = append(hits, h)
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].FindingID != hits[j].FindingID {
			return hits[i].FindingID < hits[j].FindingID
		}
		return hits[i].Window.Before(hits[j].Window)
	})
	totals, err := r.st.SaveDetectHits(ctx, hits)
	if err != nil {
		return err
	}
	now := r.cfg.Now().UTC().Truncate(time.Millisecond)
	var rows []store.FindingRow
	for _, t := range totals {
		if t.Stored && t.StoredCount == t.Count && t.StoredFirst.Equal(t.First.Truncate(time.Microsecond)) && t.StoredLast.Equal(t.Last.Truncate(time.Microsecond)) {
			continue
		}
		if t.Stored && t.StoredSource != Source {
			// An ID collision with another source's finding: never
			// overwrite what GuardDuty or Security Hub said.
			continue
		}
		o := latest[t.ID]
		if o == nil {
			continue
		}
		f := *o.f
		f.Service.Count = t.Count
		f.Service.EventFirstSeen = t.First.UTC().Format(timeLayout)
		f.Service.EventLastSeen = t.Last.UTC().Format(timeLayout)
		created, updated := now, now
		if t.Stored {
			created = t.StoredCreated
			f.Service.Archived = t.StoredArchived
			if !updated.After(t.StoredUpdated) {
				updated = t.StoredUpdated.Add(time.Millisecond)
			}
		}
		f.CreatedAt, f.UpdatedAt = created.Format(timeLayout), updated.Format(timeLayout)
		row, err := toRow(&f)
		if err != nil {
			return err
		}
		rows = append(rows, row)
		sum.ByType[f.Type]++
		sum.Findings = append(sum.Findings, FindingSummary{ID: f.ID, Type: f.Type, Severity: f.Severity, Title: f.Title, Count: t.Count, New: !t.Stored})
		if t.Stored {
			sum.Updated++
		} else {
			sum.New++
		}
	}
	sort.Slice(sum.Findings, func(i, j int) bool {
		a, b := sum.Findings[i], sum.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.ID < b.ID
	})
	return r.st.CommitDetections(ctx, rows)
}

// toRow flattens a finding through the GuardDuty decoder, so that the
// findings table's columns are filled exactly as for GuardDuty's own
// findings, then marks it as gumshoe's.
func toRow(f *Finding) (store.FindingRow, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return store.FindingRow{}, fmt.Errorf("encode finding %s: %w", f.ID, err)
	}
	dec := guardduty.NewDecoder(bytes.NewReader(b), guardduty.Options{File: "gumshoe:detect"})
	batch := &guardduty.Batch{Findings: make([]guardduty.Finding, 0, 1)}
	derr := dec.Next(batch)
	if len(batch.Errors) > 0 {
		return store.FindingRow{}, fmt.Errorf("finding %s: %w", f.ID, batch.Errors[0])
	}
	if len(batch.Findings) != 1 {
		return store.FindingRow{}, fmt.Errorf("finding %s: decoder returned %d findings (%v)", f.ID, len(batch.Findings), derr)
	}
	g := &batch.Findings[0]
	return store.FindingRow{
		ID: g.ID, Source: Source, Product: "gumshoe", Type: g.Type, Severity: g.Severity, SeverityLabel: g.SeverityLabel,
		Title: g.Title, Description: g.Description, AccountID: g.AccountID, Region: g.Region, ResourceType: g.ResourceType,
		InstanceID: g.InstanceID, AccessKeyID: g.AccessKeyID, Principal: g.Principal, RemoteIP: g.RemoteIP,
		LocalPort: g.LocalPort, RemotePort: g.RemotePort, Domain: g.Domain,
		FirstSeen: store.OptMicros(g.FirstSeen), LastSeen: store.OptMicros(g.LastSeen),
		CreatedAt: store.OptMicros(g.CreatedAt), UpdatedAt: store.OptMicros(g.UpdatedAt),
		Count: g.Count, Archived: g.Archived, Raw: string(g.Raw),
	}, nil
}

// newFinding starts a finding of type typ with its severity, tactic and
// technique, in the account and region given.
func newFinding(typ, detector, account, region string) *Finding {
	info := types[typ]
	return &Finding{
		SchemaVersion: "2.0",
		AccountID:     account,
		Region:        region,
		Partition:     "aws",
		Type:          typ,
		Severity:      info.severity,
		Arn:           "arn:aws:guardduty:" + region + ":" + account + ":detector/gumshoe/finding/",
		Service: Service{
			ServiceName: "gumshoe", DetectorID: "gumshoe",
			AdditionalInfo: AdditionalInfo{Type: "default"},
		},
		Gumshoe: Gumshoe{Detector: detector, MITRE: info.mitre},
	}
}

// finish completes a finding's ARN and additionalInfo once its ID and
// evidence are known.
func (f *Finding) finish(resource, counterpart string) {
	info := map[string]any{"mitre": f.Gumshoe.MITRE, "detector": f.Gumshoe.Detector}
	for k, v := range f.Gumshoe.Evidence {
		info[k] = v
	}
	b, _ := json.Marshal(info)
	f.Service.AdditionalInfo.Value = string(b)
	id := FindingID(f.Type, resource, counterpart)
	f.ID = id
	f.Arn += id
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// external reports whether addr is an address outside the private
// networks (RFC 1918, shared, loopback, link-local, unique local).
// Documentation ranges count as external: they are the internet of test
// data and of gumshoe's demo.
func external(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// inAWS reports whether addr is in AWS's published ranges, from ip_info
// when it says so, else from the ranges embedded in the binary.
func (r *run) inAWS(addr, ipInfoService string) bool {
	if ipInfoService != "" {
		return true
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	_, _, ok := r.aws.AWS(a)
	return ok
}
