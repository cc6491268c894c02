package store

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

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

var rollupSchema = parquet.SchemaOf(rollupRow{})

// RollupColumns lists the flow_rollup_hourly columns.
func RollupColumns() []string {
	var cols []string
	for _, f := range rollupSchema.Fields() {
		cols = append(cols, f.Name())
	}
	return cols
}

// noValue marks a NULL port or protocol in a rollup key.
const noValue = -1

// flowKey is a rollup key before direction is known: the record's own
// source and destination. Direction is decided when the segment closes,
// with the evidence of the whole segment.
type flowKey struct {
	hour                     int64
	account, iface, instance string
	src, dst                 string
	srcPort, dstPort, proto  int32
	action                   string
	flowDir                  uint8 // 0 absent, 1 ingress, 2 egress, 3 other
}

type flowAgg struct {
	bytes, packets, flows int64
	first, last           int64
}

// heavyHitters keeps, per interface, the addresses seen most often, with
// the Misra–Gries algorithm: any address in more than a fifth of the
// interface's address slots is kept. The interface's own address is in
// every record, half the slots, so it is always kept.
type heavyHitters struct {
	addr  [4]string
	count [4]int64
}

func (h *heavyHitters) add(a string) {
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

// rollupBuilder aggregates one segment's records by hour and flow key.
type rollupBuilder struct {
	flows   map[flowKey]*flowAgg
	aggs    []flowAgg // allocated in chunks
	strings map[string]string
	hitters map[string]*heavyHitters
}

func newRollupBuilder() *rollupBuilder {
	return &rollupBuilder{
		flows:   make(map[flowKey]*flowAgg, 1<<14),
		strings: make(map[string]string, 1<<12),
		hitters: make(map[string]*heavyHitters, 1<<8),
	}
}

// intern returns b as a string shared with earlier equal values, so that
// the many records of one interface or peer share one allocation.
func (rb *rollupBuilder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := rb.strings[string(b)]; ok {
		return s
	}
	s := string(b)
	rb.strings[s] = s
	return s
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
	k := flowKey{
		hour:     start - start%3600,
		account:  rb.intern(r.Str[flowlog.AccountID]),
		iface:    rb.intern(r.Str[flowlog.InterfaceID]),
		instance: rb.intern(r.Str[flowlog.InstanceID]),
		src:      rb.intern(r.Str[flowlog.SrcAddr]),
		dst:      rb.intern(r.Str[flowlog.DstAddr]),
		srcPort:  int32Of(r, flowlog.SrcPort),
		dstPort:  int32Of(r, flowlog.DstPort),
		proto:    int32Of(r, flowlog.Protocol),
		action:   rb.intern(r.Str[flowlog.Action]),
	}
	if start < 0 && start%3600 != 0 {
		k.hour -= 3600
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
	if !r.Has(flowlog.AccountID) {
		k.account = ""
	}
	if !r.Has(flowlog.InterfaceID) {
		k.iface = ""
	}
	if !r.Has(flowlog.InstanceID) {
		k.instance = ""
	}
	if !r.Has(flowlog.Action) {
		k.action = ""
	}
	a := rb.flows[k]
	if a == nil {
		if len(rb.aggs) == cap(rb.aggs) {
			rb.aggs = make([]flowAgg, 0, 4096)
		}
		rb.aggs = append(rb.aggs, flowAgg{first: start, last: start})
		a = &rb.aggs[len(rb.aggs)-1]
		rb.flows[k] = a
	}
	a.flows++
	if r.Has(flowlog.Bytes) {
		a.bytes += r.Int[flowlog.Bytes]
	}
	if r.Has(flowlog.Packets) {
		a.packets += r.Int[flowlog.Packets]
	}
	a.first = min(a.first, start)
	end := start
	if r.Has(flowlog.End) {
		end = r.Int[flowlog.End]
	}
	a.last = max(a.last, end)
	if k.iface != "" && k.flowDir == 0 {
		h := rb.hitters[k.iface]
		if h == nil {
			h = &heavyHitters{}
			rb.hitters[k.iface] = h
		}
		h.add(k.src)
		h.add(k.dst)
	}
}

// size returns the number of distinct keys, which bounds the builder's
// memory.
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
				m[a] = h.count[i]
			}
		}
		ev[iface] = m
	}
	return ev
}

// direction applies the rule documented in docs/schema.md.
func direction(k *flowKey, known AddressCounts, segment AddressCounts) string {
	switch k.flowDir {
	case 1:
		return "inbound"
	case 2:
		return "outbound"
	}
	if k.iface != "" {
		src := known[k.iface][k.src] + segment[k.iface][k.src]
		dst := known[k.iface][k.dst] + segment[k.iface][k.dst]
		switch {
		case src > dst:
			return "outbound"
		case dst > src:
			return "inbound"
		}
	}
	sp, dp := isPrivate(k.src), isPrivate(k.dst)
	switch {
	case sp && !dp:
		return "outbound"
	case dp && !sp:
		return "inbound"
	}
	return "unknown"
}

// setPointers points the row's nullable integer fields at its own ports
// array. It runs after sorting: the pointers must refer to the row's final
// place in the slice.
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
	seg := rb.evidence()
	rows := make([]rollupRow, 0, len(rb.flows))
	for k, a := range rb.flows {
		row := rollupRow{
			Hour: k.hour * 1e6, AccountID: k.account, InterfaceID: k.iface, InstanceID: k.instance,
			Action: k.action, Flows: a.flows, FirstSeen: a.first * 1e6, LastSeen: a.last * 1e6,
		}
		row.Direction = direction(&k, known, seg)
		if row.Direction == "inbound" {
			row.LocalAddr, row.RemoteAddr = k.dst, k.src
			row.ports = [3]int32{k.dstPort, k.srcPort, k.proto}
			row.BytesIn, row.PacketsIn = a.bytes, a.packets
		} else {
			row.LocalAddr, row.RemoteAddr = k.src, k.dst
			row.ports = [3]int32{k.srcPort, k.dstPort, k.proto}
			row.BytesOut, row.PacketsOut = a.bytes, a.packets
		}
		rows = append(rows, row)
	}
	// Sorted by hour and interface, so that row group statistics let
	// DuckDB skip what an entity's query does not need.
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Hour != rows[j].Hour {
			return rows[i].Hour < rows[j].Hour
		}
		return rows[i].InterfaceID < rows[j].InterfaceID
	})
	for i := range rows {
		rows[i].setPointers()
	}
	var files []StagedFile
	for len(rows) > 0 {
		day := rows[0].Hour / 1e6 / 86400
		if rows[0].Hour < 0 {
			day = (rows[0].Hour/1e6 - 86399) / 86400
		}
		n := 1
		for n < len(rows) && rows[n].Hour < (day+1)*86400*1e6 {
			n++
		}
		sf, err := writeRollupFile(dir, token, day, rows[:n])
		if err != nil {
			return nil, err
		}
		files = append(files, sf)
		rows = rows[n:]
	}
	return files, nil
}

func writeRollupFile(dir, token string, day int64, rows []rollupRow) (StagedFile, error) {
	rel := filepath.Join(rollupTable, "date="+dayName(day), token+".parquet")
	staged := filepath.Join(dir, rel)
	sf := StagedFile{Table: rollupTable, Staged: staged, Final: rel, Records: int64(len(rows))}
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		return sf, fmt.Errorf("create %s: %w", filepath.Dir(staged), err)
	}
	f, err := os.Create(staged)
	if err != nil {
		return sf, fmt.Errorf("create %s: %w", staged, err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[rollupRow](f, writerOptions()...)
	if _, err := w.Write(rows); err != nil {
		return sf, fmt.Errorf("write %s: %w", staged, err)
	}
	if err := w.Close(); err != nil {
		return sf, fmt.Errorf("write %s: %w", staged, err)
	}
	if err := f.Sync(); err != nil {
		return sf, fmt.Errorf("sync %s: %w", staged, err)
	}
	if st, err := f.Stat(); err == nil {
		sf.Bytes = st.Size()
	}
	return sf, f.Close()
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
