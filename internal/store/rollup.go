package store

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// rollupTable is the hourly, entity-centric flow rollup.
const rollupTable = "flow_rollup_hourly"

// rollupRow is one row of flow_rollup_hourly. Strings are NULL when empty:
// flow log values are never empty strings. Ports and protocol are pointers
// so that NULL (absent from the format) differs from 0 (ICMP).
type rollupRow struct {
	Hour        int64  `parquet:"hour,timestamp(microsecond:local)"`
	AccountID   string `parquet:"account_id,optional,dict"`
	InterfaceID string `parquet:"interface_id,optional,dict"`
	InstanceID  string `parquet:"instance_id,optional,dict"`
	LocalAddr   string `parquet:"local_addr,optional,dict"`
	LocalPort   *int32 `parquet:"local_port,optional"`
	RemoteAddr  string `parquet:"remote_addr,optional,dict"`
	RemotePort  *int32 `parquet:"remote_port,optional"`
	Protocol    *int32 `parquet:"protocol,optional"`
	Direction   string `parquet:"direction,dict"`
	Action      string `parquet:"action,optional,dict"`
	BytesIn     int64  `parquet:"bytes_in"`
	BytesOut    int64  `parquet:"bytes_out"`
	PacketsIn   int64  `parquet:"packets_in"`
	PacketsOut  int64  `parquet:"packets_out"`
	Flows       int64  `parquet:"flows"`
	FirstSeen   int64  `parquet:"first_seen,timestamp(microsecond:local)"`
	LastSeen    int64  `parquet:"last_seen,timestamp(microsecond:local)"`

	ports [3]int32 `parquet:"-"`
}

// noValue marks a NULL port or protocol in a rollup key.
const noValue = -1

// flowKey is a rollup key before direction is known: the record's own
// source and destination. Direction is decided when the segment closes,
// with the evidence of the whole segment. Strings are interned IDs, so the
// key hashes as plain memory and the map holds no pointers for the garbage
// collector to scan.
type flowKey struct {
	hour                                       int64
	account, iface, instance, src, dst, action uint32
	srcPort, dstPort, proto                    int32
	flowDir                                    uint8 // 0 absent, 1 ingress, 2 egress, 3 other
}

type flowAgg struct {
	key                   flowKey
	bytes, packets, flows int64
	first, last           int64
}

// heavyHitters keeps, per interface, the addresses seen most often, with
// the Misra–Gries algorithm: any address in more than a fifth of the
// interface's address slots is kept. The interface's own address is in
// every record, half the slots, so it is always kept.
type heavyHitters struct {
	addr  [4]uint32
	count [4]int64
}

func (h *heavyHitters) add(a uint32) {
	empty := -1
	for i := range h.addr {
		if h.count[i] > 0 && h.addr[i] == a {
			h.count[i]++
			return
		}
		if h.count[i] == 0 && empty < 0 {
			empty = i
		}
	}
	if empty >= 0 {
		h.addr[empty], h.count[empty] = a, 1
		return
	}
	for i := range h.count {
		h.count[i]--
	}
}

// interned caches the last value of one field: consecutive records nearly
// always share their account, interface, instance and action.
type interned struct {
	s  string
	id uint32
}

// rollupBuilder aggregates one segment's records by hour and flow key.
type rollupBuilder struct {
	flows   map[flowKey]int32 // index into aggs
	aggs    []flowAgg         // in order of first appearance, which follows time
	ip4     map[uint32]uint32 // interned IPv4 addresses, by value
	ids     map[string]uint32 // interned strings; ID 0 is NULL
	strs    []string
	last    [4]interned
	hitters map[uint32]*heavyHitters
	lastH   *heavyHitters
	lastHID uint32
}

func newRollupBuilder() *rollupBuilder {
	return &rollupBuilder{
		flows:   make(map[flowKey]int32, 1<<14),
		ip4:     make(map[uint32]uint32, 1<<12),
		ids:     make(map[string]uint32, 1<<12),
		strs:    []string{""},
		hitters: make(map[uint32]*heavyHitters, 1<<8),
	}
}

// reset empties the builder for another segment, keeping its memory.
func (rb *rollupBuilder) reset() {
	clear(rb.flows)
	rb.aggs = rb.aggs[:0]
	clear(rb.ip4)
	clear(rb.ids)
	clear(rb.strs)
	rb.strs = rb.strs[:1]
	rb.last = [4]interned{}
	clear(rb.hitters)
	rb.lastH, rb.lastHID = nil, 0
}

// intern returns the ID of b, adding it when new.
func (rb *rollupBuilder) intern(b []byte) uint32 {
	if id, ok := rb.ids[string(b)]; ok {
		return id
	}
	s := string(b)
	id := uint32(len(rb.strs))
	rb.strs = append(rb.strs, s)
	rb.ids[s] = id
	return id
}

// internAddr interns an address. IPv4 addresses, nearly all of them, are
// looked up by their 32-bit value, which hashes and compares faster than
// their text.
func (rb *rollupBuilder) internAddr(b []byte) uint32 {
	v, ok := ipv4Value(b)
	if !ok {
		return rb.intern(b)
	}
	if id, ok := rb.ip4[v]; ok {
		return id
	}
	id := rb.intern(b)
	rb.ip4[v] = id
	return id
}

// ipv4Value parses a dotted quad the decoder has already validated.
func ipv4Value(b []byte) (uint32, bool) {
	var v, part uint32
	dots := 0
	for _, c := range b {
		switch {
		case c == '.':
			v = v<<8 | part
			part = 0
			dots++
		case c >= '0' && c <= '9':
			part = part*10 + uint32(c-'0')
		default:
			return 0, false
		}
	}
	if dots != 3 || part > 255 {
		return 0, false
	}
	return v<<8 | part, true
}

// internField interns field f of r through the one-value cache slot c.
func (rb *rollupBuilder) internField(r *flowlog.Record, f flowlog.Field, c int) uint32 {
	if !r.Has(f) {
		return 0
	}
	b := r.Str[f]
	if l := &rb.last[c]; l.id != 0 && string(b) == l.s {
		return l.id
	}
	id := rb.intern(b)
	rb.last[c] = interned{s: rb.strs[id], id: id}
	return id
}

func int32Of(r *flowlog.Record, f flowlog.Field) int32 {
	if !r.Has(f) {
		return noValue
	}
	return int32(r.Int[f])
}

// add counts one record. Only records that describe traffic (addresses,
// a start time, log status OK or absent) are rolled up.
func (rb *rollupBuilder) add(r *flowlog.Record) {
	if !r.Has(flowlog.SrcAddr) || !r.Has(flowlog.DstAddr) || !r.Has(flowlog.Start) {
		return
	}
	if r.Has(flowlog.LogStatus) && string(r.Str[flowlog.LogStatus]) != "OK" {
		return
	}
	start := r.Int[flowlog.Start]
	hour := start - start%3600
	if start < 0 && start%3600 != 0 {
		hour -= 3600
	}
	k := flowKey{
		hour:     hour,
		account:  rb.internField(r, flowlog.AccountID, 0),
		iface:    rb.internField(r, flowlog.InterfaceID, 1),
		instance: rb.internField(r, flowlog.InstanceID, 2),
		action:   rb.internField(r, flowlog.Action, 3),
		src:      rb.internAddr(r.Str[flowlog.SrcAddr]),
		dst:      rb.internAddr(r.Str[flowlog.DstAddr]),
		srcPort:  int32Of(r, flowlog.SrcPort),
		dstPort:  int32Of(r, flowlog.DstPort),
		proto:    int32Of(r, flowlog.Protocol),
	}
	if r.Has(flowlog.FlowDirection) {
		switch string(r.Str[flowlog.FlowDirection]) {
		case "ingress":
			k.flowDir = 1
		case "egress":
			k.flowDir = 2
		default:
			k.flowDir = 3
		}
	}
	end := start
	if r.Has(flowlog.End) {
		end = r.Int[flowlog.End]
	}
	i, ok := rb.flows[k]
	if !ok {
		i = int32(len(rb.aggs))
		rb.aggs = append(rb.aggs, flowAgg{key: k, first: start, last: end})
		rb.flows[k] = i
	}
	a := &rb.aggs[i]
	a.flows++
	if r.Has(flowlog.Bytes) {
		a.bytes += r.Int[flowlog.Bytes]
	}
	if r.Has(flowlog.Packets) {
		a.packets += r.Int[flowlog.Packets]
	}
	a.first = min(a.first, start)
	a.last = max(a.last, end)
	if k.iface != 0 && k.flowDir == 0 {
		h := rb.lastH
		if h == nil || rb.lastHID != k.iface {
			h = rb.hitters[k.iface]
			if h == nil {
				h = &heavyHitters{}
				rb.hitters[k.iface] = h
			}
			rb.lastH, rb.lastHID = h, k.iface
		}
		h.add(k.src)
		h.add(k.dst)
	}
}

// size returns the number of distinct keys, which bounds the builder's
// memory (about 100 bytes a key).
func (rb *rollupBuilder) size() int { return len(rb.flows) }

// AddressCounts is the direction rule's memory: per interface, records
// seen per address.
type AddressCounts map[string]map[string]int64

// evidence returns the segment's address counts per interface.
func (rb *rollupBuilder) evidence() AddressCounts {
	ev := make(AddressCounts, len(rb.hitters))
	for iface, h := range rb.hitters {
		m := make(map[string]int64, 4)
		for i, a := range h.addr {
			if h.count[i] > 0 {
				m[rb.strs[a]] = h.count[i]
			}
		}
		ev[rb.strs[iface]] = m
	}
	return ev
}

// addrCount is one address's weight as an interface's own.
type addrCount struct {
	addr uint32
	n    int64
}

// directions decides rollup directions with the rule documented in
// docs/schema.md, from what earlier segments taught (known) and this
// segment's own evidence.
type directions struct {
	rb        *rollupBuilder
	known     AddressCounts
	cache     map[uint32][]addrCount
	lastIface uint32
	last      []addrCount
}

func (d *directions) counts(iface uint32) []addrCount {
	if iface == d.lastIface && d.last != nil {
		return d.last
	}
	if c, ok := d.cache[iface]; ok {
		d.lastIface, d.last = iface, c
		return c
	}
	var c []addrCount
	add := func(addr string, n int64) {
		id, ok := d.rb.ids[addr]
		if !ok {
			return // not in this segment: no row refers to it
		}
		for i := range c {
			if c[i].addr == id {
				c[i].n += n
				return
			}
		}
		c = append(c, addrCount{id, n})
	}
	for addr, n := range d.known[d.rb.strs[iface]] {
		add(addr, n)
	}
	if h := d.rb.hitters[iface]; h != nil {
		for i, a := range h.addr {
			if h.count[i] > 0 {
				add(d.rb.strs[a], h.count[i])
			}
		}
	}
	if c == nil {
		c = []addrCount{}
	}
	d.cache[iface] = c
	d.lastIface, d.last = iface, c
	return c
}

func (d *directions) of(k *flowKey) string {
	switch k.flowDir {
	case 1:
		return "inbound"
	case 2:
		return "outbound"
	}
	if k.iface != 0 {
		var src, dst int64
		for _, c := range d.counts(k.iface) {
			switch c.addr {
			case k.src:
				src = c.n
			case k.dst:
				dst = c.n
			}
		}
		switch {
		case src > dst:
			return "outbound"
		case dst > src:
			return "inbound"
		}
	}
	sp, dp := isPrivate(d.rb.strs[k.src]), isPrivate(d.rb.strs[k.dst])
	switch {
	case sp && !dp:
		return "outbound"
	case dp && !sp:
		return "inbound"
	}
	return "unknown"
}

// setPointers points the row's nullable integer fields at its own ports
// array, once the row is at its final place in the slice.
func (row *rollupRow) setPointers() {
	ptr := func(i int) *int32 {
		if row.ports[i] == noValue {
			return nil
		}
		return &row.ports[i]
	}
	row.LocalPort, row.RemotePort, row.Protocol = ptr(0), ptr(1), ptr(2)
}

// write turns the segment's aggregates into rollup rows, deciding each
// one's direction, and writes them to staged Parquet files, one per day.
func (rb *rollupBuilder) write(dir, token string, known AddressCounts) ([]StagedFile, error) {
	if len(rb.flows) == 0 {
		return nil, nil
	}
	dirs := &directions{rb: rb, known: known, cache: map[uint32][]addrCount{}}
	// Rows go out in the order their keys first appeared, which follows
	// the records' time: row groups stay narrow in time without a sort,
	// which measured as costly as writing the rows.
	type dayFile struct {
		f    *rollupFile
		rows []rollupRow
	}
	days := map[int64]*dayFile{}
	var order []int64
	for i := range rb.aggs {
		a := &rb.aggs[i]
		k := &a.key
		day := floorDiv(k.hour, 86400)
		df := days[day]
		if df == nil {
			f, err := newRollupFile(dir, token, day)
			if err != nil {
				return nil, err
			}
			df = &dayFile{f: f, rows: make([]rollupRow, 0, 1<<14)}
			days[day] = df
			order = append(order, day)
		}
		row := rollupRow{
			Hour: k.hour * 1e6, AccountID: rb.strs[k.account], InterfaceID: rb.strs[k.iface],
			InstanceID: rb.strs[k.instance], Action: rb.strs[k.action],
			Flows: a.flows, FirstSeen: a.first * 1e6, LastSeen: a.last * 1e6,
			Direction: dirs.of(k),
		}
		if row.Direction == "inbound" {
			row.LocalAddr, row.RemoteAddr = rb.strs[k.dst], rb.strs[k.src]
			row.ports = [3]int32{k.dstPort, k.srcPort, k.proto}
			row.BytesIn, row.PacketsIn = a.bytes, a.packets
		} else {
			row.LocalAddr, row.RemoteAddr = rb.strs[k.src], rb.strs[k.dst]
			row.ports = [3]int32{k.srcPort, k.dstPort, k.proto}
			row.BytesOut, row.PacketsOut = a.bytes, a.packets
		}
		df.rows = append(df.rows, row)
		df.rows[len(df.rows)-1].setPointers()
		if len(df.rows) == cap(df.rows) {
			if err := df.f.add(df.rows); err != nil {
				return nil, err
			}
			df.rows = df.rows[:0]
		}
	}
	var files []StagedFile
	for _, day := range order {
		df := days[day]
		if err := df.f.add(df.rows); err != nil {
			return nil, err
		}
		sf, err := df.f.close()
		if err != nil {
			return nil, err
		}
		files = append(files, sf)
	}
	return files, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// rollupFile is one staged rollup file being written.
type rollupFile struct {
	day int64
	f   *os.File
	w   *parquet.GenericWriter[rollupRow]
	sf  StagedFile
}

func newRollupFile(dir, token string, day int64) (*rollupFile, error) {
	rel := filepath.Join(rollupTable, "date="+dayName(day), token+".parquet")
	staged := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(staged), err)
	}
	f, err := os.Create(staged)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", staged, err)
	}
	return &rollupFile{day: day, f: f, w: parquet.NewGenericWriter[rollupRow](f, writerOptions()...),
		sf: StagedFile{Table: rollupTable, Staged: staged, Final: rel}}, nil
}

func (rf *rollupFile) add(rows []rollupRow) error {
	if rf == nil || len(rows) == 0 {
		return nil
	}
	if _, err := rf.w.Write(rows); err != nil {
		rf.f.Close()
		return fmt.Errorf("write %s: %w", rf.sf.Staged, err)
	}
	rf.sf.Records += int64(len(rows))
	return nil
}

func (rf *rollupFile) close() (StagedFile, error) {
	if err := rf.w.Close(); err != nil {
		rf.f.Close()
		return rf.sf, fmt.Errorf("write %s: %w", rf.sf.Staged, err)
	}
	if err := rf.f.Sync(); err != nil {
		rf.f.Close()
		return rf.sf, fmt.Errorf("sync %s: %w", rf.sf.Staged, err)
	}
	if st, err := rf.f.Stat(); err == nil {
		rf.sf.Bytes = st.Size()
	}
	return rf.sf, rf.f.Close()
}

// isPrivate reports whether an address is private, shared, loopback or
// link-local (the rule's third step). Addresses were validated on ingest.
func isPrivate(a string) bool {
	addr, err := netip.ParseAddr(a)
	if err != nil {
		return false
	}
	return addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() ||
		(addr.Is4() && addr.As4()[0] == 100 && addr.As4()[1]&0xc0 == 64)
}
