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

// flowKey is a rollup key before the local side is known: a conversation
// between two endpoints, in a canonical order (endpoint a sorts first), so
// that the records of both directions of a connection — flow logs write one
// record per direction — land on the same key. Which endpoint is the
// interface's own is decided when the segment closes, with the evidence of
// the whole segment.
//
// The key is packed into three words so that it hashes and compares in a
// few instructions: this table sees every record, and its lookups were the
// largest single cost of an ingest. IPv4 addresses, nearly all of them, are
// kept as their 32-bit value rather than interned.
//
//	k[0] = hour (hours since the epoch, int32) << 32 | context ID (account, interface, instance, action)
//	k[1] = address a << 32 | address b
//	k[2] = port a << 48 | port b << 32 | protocol << 24 | key flags << 16
type flowKey [3]uint64

// Key flags mark NULL ports and protocol, and addresses that are interned
// strings (IPv6) rather than IPv4 values.
const (
	flagNoPortA uint64 = 1 << iota
	flagNoPortB
	flagNoProto
	flagInternedA
	flagInternedB
)

func (k *flowKey) hour() int64     { return int64(int32(k[0]>>32)) * 3600 }
func (k *flowKey) context() uint32 { return uint32(k[0]) }
func (k *flowKey) flags() uint64   { return k[2] >> 16 & 0xff }

func (k *flowKey) addrs() (a, b addr) {
	f := k.flags()
	return addr{uint32(k[1] >> 32), f&flagInternedA != 0}, addr{uint32(k[1]), f&flagInternedB != 0}
}

// ports returns the ports and protocol, noValue when NULL.
func (k *flowKey) ports() (a, b, proto int32) {
	f := k.flags()
	a, b, proto = int32(k[2]>>48), int32(k[2]>>32&0xffff), int32(k[2]>>24&0xff)
	if f&flagNoPortA != 0 {
		a = noValue
	}
	if f&flagNoPortB != 0 {
		b = noValue
	}
	if f&flagNoProto != 0 {
		proto = noValue
	}
	return a, b, proto
}

// addr is an address in a key: an IPv4 value, or the ID of an interned
// string.
type addr struct {
	v        uint32
	interned bool
}

// word returns the address as one comparable value.
func (a addr) word() uint64 {
	if a.interned {
		return 1<<32 | uint64(a.v)
	}
	return uint64(a.v)
}

// flowAgg sums one key's records by the direction they were sent in.
type flowAgg struct {
	key                  flowKey
	bytesAB, bytesBA     int64 // sent by a to b, by b to a
	packetsAB, packetsBA int64
	flows                int64
	first, last          int64
	// Votes from the records themselves: flow-direction says which side is
	// the interface's (local), TCP flags which side opened the connection.
	aLocal, bLocal int32
	aOpen, bOpen   int32
	firstFromA     bool // the earliest record was sent by a
}

// convTable is an open-addressing hash table from keys to aggregates, with
// linear probing. Each slot holds its whole key, so that a lookup touches
// one cache line.
type convTable struct {
	slots []convSlot
	mask  uint64
	n     int
}

type convSlot struct {
	key flowKey
	idx int32 // index+1 into the aggregates; 0 is an empty slot
}

func (t *convTable) hash(k *flowKey) uint64 {
	h := k[0]*0x9e3779b97f4a7c15 ^ k[1]*0xc2b2ae3d27d4eb4f ^ k[2]*0x165667b19e3779f9
	return h ^ h>>29
}

// find returns the slot of k: the one holding it, or the empty one where it
// belongs.
func (t *convTable) find(k *flowKey) *convSlot {
	for i := t.hash(k) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.idx == 0 || s.key == *k {
			return s
		}
	}
}

// added notes a key stored in an empty slot, and doubles the table when it
// is half full.
func (t *convTable) added() {
	t.n++
	if 2*t.n > len(t.slots) {
		t.grow()
	}
}

func (t *convTable) grow() {
	old := t.slots
	n := max(2*len(old), 1<<12)
	t.slots, t.mask = make([]convSlot, n), uint64(n-1)
	for i := range old {
		if old[i].idx != 0 {
			*t.find(&old[i].key) = old[i]
		}
	}
}

func (t *convTable) reset() {
	clear(t.slots)
	t.n = 0
}

// heavyHitters keeps, per interface, the addresses seen most often, with
// the Misra–Gries algorithm: any address in more than a fifth of the
// interface's address slots is kept. The interface's own address is in
// every record, half the slots, so it is always kept.
type heavyHitters struct {
	addr  [4]uint64 // addr.word()
	count [4]int64
}

func (h *heavyHitters) add(a uint64) {
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
	flows    convTable
	aggs     []flowAgg         // in order of first appearance, which follows time
	ids      map[string]uint32 // interned strings; ID 0 is NULL
	strs     []string
	last     [4]interned
	ctxIDs   map[[4]uint32]uint32 // (account, interface, instance, action) → context ID
	ctxs     [][4]uint32
	lastCtx  [4]uint32
	lastCID  uint32
	hitters  map[uint32]*heavyHitters // by interface ID
	lastH    *heavyHitters
	lastHID  uint32
	addrText map[uint32]string // IPv4 addresses formatted while writing
}

func newRollupBuilder() *rollupBuilder {
	rb := &rollupBuilder{
		ids:      make(map[string]uint32, 1<<12),
		strs:     []string{""},
		ctxIDs:   make(map[[4]uint32]uint32, 1<<10),
		hitters:  make(map[uint32]*heavyHitters, 1<<8),
		addrText: make(map[uint32]string, 1<<12),
	}
	rb.flows.grow()
	rb.reset()
	return rb
}

// reset empties the builder for another segment, keeping its memory.
func (rb *rollupBuilder) reset() {
	rb.flows.reset()
	rb.aggs = rb.aggs[:0]
	clear(rb.ids)
	clear(rb.strs)
	rb.strs = rb.strs[:1]
	rb.last = [4]interned{}
	clear(rb.ctxIDs)
	rb.ctxs = append(rb.ctxs[:0], [4]uint32{}) // context 0 is never handed out: lastCID 0 means none
	rb.lastCtx, rb.lastCID = [4]uint32{}, 0
	clear(rb.hitters)
	rb.lastH, rb.lastHID = nil, 0
	clear(rb.addrText)
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

// address returns b as a key address: its IPv4 value, or else its
// interned ID.
func (rb *rollupBuilder) address(b []byte) addr {
	if v, ok := ipv4Value(b); ok {
		return addr{v: v}
	}
	return addr{v: rb.intern(b), interned: true}
}

// context returns the ID of a record's (account, interface, instance,
// action).
func (rb *rollupBuilder) context(c [4]uint32) uint32 {
	if c == rb.lastCtx && rb.lastCID != 0 {
		return rb.lastCID
	}
	id, ok := rb.ctxIDs[c]
	if !ok {
		id = uint32(len(rb.ctxs))
		rb.ctxs = append(rb.ctxs, c)
		rb.ctxIDs[c] = id
	}
	rb.lastCtx, rb.lastCID = c, id
	return id
}

// text returns an address's text.
func (rb *rollupBuilder) text(a addr) string {
	if a.interned {
		return rb.strs[a.v]
	}
	if s, ok := rb.addrText[a.v]; ok {
		return s
	}
	s := ipv4Text(a.v)
	rb.addrText[a.v] = s
	return s
}

func ipv4Text(v uint32) string {
	return ipv4Addr(v).String()
}

// ipv4Addr is the address of an IPv4 value.
func ipv4Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// eachAddress calls fn with every address of the segment's conversations,
// some more than once.
func (rb *rollupBuilder) eachAddress(fn func(netip.Addr)) {
	var last uint64 = 1 << 63
	for i := range rb.aggs {
		a, b := rb.aggs[i].key.addrs()
		for _, x := range [2]addr{a, b} {
			if w := x.word(); w != last {
				last = w
				if x.interned {
					if ip, err := netip.ParseAddr(rb.strs[x.v]); err == nil {
						fn(ip)
					}
					continue
				}
				fn(ipv4Addr(x.v))
			}
		}
	}
}

// addressOf returns the key address of an address's text, if the segment
// has seen it.
func (rb *rollupBuilder) addressOf(s string) (uint64, bool) {
	if v, ok := ipv4Value([]byte(s)); ok {
		return uint64(v), true
	}
	id, ok := rb.ids[s]
	return addr{v: id, interned: true}.word(), ok
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

// TCP flags as flow logs report them: the OR of the flags seen in the
// window, with SYN-ACK standing for itself.
const (
	tcpSYN    = 2
	tcpSYNACK = 18
)

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
	iface := rb.internField(r, flowlog.InterfaceID, 1)
	ctx := rb.context([4]uint32{
		rb.internField(r, flowlog.AccountID, 0), iface,
		rb.internField(r, flowlog.InstanceID, 2), rb.internField(r, flowlog.Action, 3),
	})
	src, dst := rb.address(r.Str[flowlog.SrcAddr]), rb.address(r.Str[flowlog.DstAddr])
	srcPort, dstPort := int32Of(r, flowlog.SrcPort), int32Of(r, flowlog.DstPort)
	proto := int32Of(r, flowlog.Protocol)
	// Endpoint a is the one whose (address, port) sorts first.
	fromA := true
	if sw, dw := src.word(), dst.word(); dw < sw || (dw == sw && dstPort < srcPort) {
		src, dst, srcPort, dstPort = dst, src, dstPort, srcPort
		fromA = false
	}
	var flags uint64
	if srcPort == noValue {
		flags |= flagNoPortA
	}
	if dstPort == noValue {
		flags |= flagNoPortB
	}
	if proto == noValue {
		flags |= flagNoProto
	}
	if src.interned {
		flags |= flagInternedA
	}
	if dst.interned {
		flags |= flagInternedB
	}
	k := flowKey{
		uint64(uint32(int32(floorDiv(start, 3600))))<<32 | uint64(ctx),
		uint64(src.v)<<32 | uint64(dst.v),
		uint64(uint16(srcPort))<<48 | uint64(uint16(dstPort))<<32 | uint64(uint8(proto))<<24 | flags<<16,
	}
	end := start
	if r.Has(flowlog.End) {
		end = r.Int[flowlog.End]
	}
	slot := rb.flows.find(&k)
	idx := slot.idx
	if idx == 0 {
		rb.aggs = append(rb.aggs, flowAgg{key: k, first: start, last: end, firstFromA: fromA})
		idx = int32(len(rb.aggs))
		slot.key, slot.idx = k, idx
		rb.flows.added() // may move the slots
	}
	a := &rb.aggs[idx-1]
	a.flows++
	var bytes, packets int64
	if r.Has(flowlog.Bytes) {
		bytes = r.Int[flowlog.Bytes]
	}
	if r.Has(flowlog.Packets) {
		packets = r.Int[flowlog.Packets]
	}
	if fromA {
		a.bytesAB += bytes
		a.packetsAB += packets
	} else {
		a.bytesBA += bytes
		a.packetsBA += packets
	}
	if start < a.first {
		a.first, a.firstFromA = start, fromA
	}
	a.last = max(a.last, end)
	// The sender opened the connection if it sent a SYN without a SYN-ACK;
	// it answered if it sent a SYN-ACK.
	if r.Has(flowlog.TCPFlags) && proto == 6 {
		switch f := r.Int[flowlog.TCPFlags]; {
		case f&tcpSYNACK == tcpSYNACK:
			a.vote(&a.bOpen, &a.aOpen, fromA)
		case f&tcpSYN != 0:
			a.vote(&a.aOpen, &a.bOpen, fromA)
		}
	}
	if r.Has(flowlog.FlowDirection) {
		switch string(r.Str[flowlog.FlowDirection]) {
		case "ingress": // the destination is the interface's
			a.vote(&a.bLocal, &a.aLocal, fromA)
		case "egress":
			a.vote(&a.aLocal, &a.bLocal, fromA)
		}
		return
	}
	if iface != 0 {
		h := rb.lastH
		if h == nil || rb.lastHID != iface {
			h = rb.hitters[iface]
			if h == nil {
				h = &heavyHitters{}
				rb.hitters[iface] = h
			}
			rb.lastH, rb.lastHID = h, iface
		}
		h.add(src.word())
		h.add(dst.word())
	}
}

// vote adds one to whenFromA if the record was sent by endpoint a, else
// to whenFromB.
func (a *flowAgg) vote(whenFromA, whenFromB *int32, fromA bool) {
	if fromA {
		*whenFromA++
	} else {
		*whenFromB++
	}
}

// size returns the number of distinct keys, which bounds the builder's
// memory (about 100 bytes a key).
func (rb *rollupBuilder) size() int { return len(rb.aggs) }

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
				m[rb.text(addrOfWord(a))] = h.count[i]
			}
		}
		ev[rb.strs[iface]] = m
	}
	return ev
}

// addrOfWord is the inverse of addr.word.
func addrOfWord(w uint64) addr { return addr{v: uint32(w), interned: w>>32 != 0} }

// addrCount is one address's weight as an interface's own.
type addrCount struct {
	addr uint64 // addr.word()
	n    int64
}

// directions decides rollup directions with the rule documented in
// docs/schema.md, from what earlier segments taught (known) and this
// segment's own evidence.
type directions struct {
	rb        *rollupBuilder
	known     AddressCounts
	cache     map[uint32][]addrCount
	priv      map[uint32]bool
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
	add := func(text string, n int64) {
		id, ok := d.rb.addressOf(text)
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
				add(d.rb.text(addrOfWord(a)), h.count[i])
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

// localIsA decides which endpoint of a conversation is the interface's
// own, with the rule documented in docs/schema.md.
func (d *directions) localIsA(a *flowAgg) bool {
	switch {
	case a.aLocal > a.bLocal:
		return true
	case a.bLocal > a.aLocal:
		return false
	}
	ka, kb := a.key.addrs()
	if iface := d.rb.ctxs[a.key.context()][1]; iface != 0 {
		var na, nb int64
		wa, wb := ka.word(), kb.word()
		for _, c := range d.counts(iface) {
			switch c.addr {
			case wa:
				na = c.n
			case wb:
				nb = c.n
			}
		}
		switch {
		case na > nb:
			return true
		case nb > na:
			return false
		}
	}
	pa, pb := d.private(ka), d.private(kb)
	switch {
	case pa && !pb:
		return true
	case pb && !pa:
		return false
	}
	// Nothing tells: the sender of the earliest record is taken as local.
	return a.firstFromA
}

// private reports whether a key address is private (rule 1.3).
func (d *directions) private(a addr) bool {
	if !a.interned {
		return isPrivate4(a.v)
	}
	p, ok := d.priv[a.v]
	if !ok {
		p = isPrivate(d.rb.strs[a.v])
		d.priv[a.v] = p
	}
	return p
}

// isPrivate4 is isPrivate for an IPv4 value.
func isPrivate4(v uint32) bool {
	switch {
	case v>>24 == 10, v>>24 == 127, v>>20 == 172<<4|1, v>>16 == 192<<8|168, // RFC 1918, loopback
		v>>16 == 169<<8|254, // link-local
		v>>22 == 100<<2|1:   // 100.64/10, shared address space
		return true
	}
	return false
}

// connectionDirection says who opened a conversation, seen from the local
// side: inbound (the remote side did), outbound (the local side did) or
// unknown, with the rule documented in docs/schema.md.
func connectionDirection(localOpened, remoteOpened int32, localPort, remotePort, proto int32, bytesIn, bytesOut int64, localSentFirst bool) string {
	switch {
	case localOpened > remoteOpened:
		return "outbound"
	case remoteOpened > localOpened:
		return "inbound"
	}
	// Traffic one way only — a probe nobody answered, a rejected packet, a
	// datagram stream — was started by its sender.
	switch {
	case bytesOut == 0 && bytesIn > 0:
		return "inbound"
	case bytesIn == 0 && bytesOut > 0:
		return "outbound"
	}
	if localPort != noValue && remotePort != noValue && (localPort != 0 || remotePort != 0) {
		switch lr, rr := portRank(localPort), portRank(remotePort); {
		case lr < rr: // the local port is the service's
			return "inbound"
		case rr < lr:
			return "outbound"
		case localPort < remotePort:
			return "inbound"
		case remotePort < localPort:
			return "outbound"
		}
		return "unknown"
	}
	// No ports (ICMP and the like): the side that sent first.
	if localSentFirst {
		return "outbound"
	}
	return "inbound"
}

// portRank orders ports by how likely they are a service's rather than a
// client's: well-known ports first, then registered ports below the
// ephemeral ranges (Linux 32768–60999, Windows and IANA 49152–65535),
// then ephemeral ports.
func portRank(p int32) int {
	switch {
	case p < 1024:
		return 0
	case p < 32768:
		return 1
	}
	return 2
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
	if len(rb.aggs) == 0 {
		return nil, nil
	}
	dirs := &directions{rb: rb, known: known, cache: map[uint32][]addrCount{}, priv: map[uint32]bool{}}
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
		hour := k.hour()
		day := floorDiv(hour, 86400)
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
		c := &rb.ctxs[k.context()]
		row := rollupRow{
			Hour: hour * 1e6, AccountID: rb.strs[c[0]], InterfaceID: rb.strs[c[1]],
			InstanceID: rb.strs[c[2]], Action: rb.strs[c[3]],
			Flows: a.flows, FirstSeen: a.first * 1e6, LastSeen: a.last * 1e6,
		}
		ka, kb := k.addrs()
		pa, pb, proto := k.ports()
		localOpened, remoteOpened := a.aOpen, a.bOpen
		localFirst := a.firstFromA
		if dirs.localIsA(a) {
			row.LocalAddr, row.RemoteAddr = rb.text(ka), rb.text(kb)
			row.ports = [3]int32{pa, pb, proto}
			row.BytesOut, row.PacketsOut, row.BytesIn, row.PacketsIn = a.bytesAB, a.packetsAB, a.bytesBA, a.packetsBA
		} else {
			row.LocalAddr, row.RemoteAddr = rb.text(kb), rb.text(ka)
			row.ports = [3]int32{pb, pa, proto}
			row.BytesOut, row.PacketsOut, row.BytesIn, row.PacketsIn = a.bytesBA, a.packetsBA, a.bytesAB, a.packetsAB
			localOpened, remoteOpened = remoteOpened, localOpened
			localFirst = !localFirst
		}
		row.Direction = connectionDirection(localOpened, remoteOpened, row.ports[0], row.ports[1], proto,
			row.BytesIn, row.BytesOut, localFirst)
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
	return &rollupFile{day: day, f: f, w: parquet.NewGenericWriter[rollupRow](f, writerOptions(rollupTable)...),
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
