package engine

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/athena"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Row keys of flow details: an instance's (or interface's, or an
// interface address's) rows are keyed by the remote address, an outside
// address's by the instance it talked to.
const (
	KeyRemoteIP = "remote_ip"
	KeyInstance = "instance"
)

// flowView is how an entity's flows are read.
type flowView struct {
	side store.FlowSide
	key  string
	// rowKey is KeyRemoteIP or KeyInstance.
	rowKey string
}

// flowView says how an entity's flows in window w are read: an address
// that is an interface's own in the hours of w is read from that
// interface's side.
func (e *Engine) flowView(ctx context.Context, ent *store.Entity, w Window) (flowView, error) {
	switch ent.Type {
	case "instance":
		return flowView{store.FlowInstance, ent.NaturalKey, KeyRemoteIP}, nil
	case "interface":
		return flowView{store.FlowInterface, ent.NaturalKey, KeyRemoteIP}, nil
	case "ip":
		start, end := hourWindow(w.Start, w.End)
		local, err := e.st.AddressIsLocal(ctx, ent.NaturalKey, start, end)
		if err != nil {
			return flowView{}, err
		}
		if local {
			return flowView{store.FlowLocalAddr, ent.NaturalKey, KeyRemoteIP}, nil
		}
		return flowView{store.FlowRemoteAddr, ent.NaturalKey, KeyInstance}, nil
	}
	return flowView{}, fmt.Errorf("%w: %s has no flows", ErrNotApplicable, ent.Type)
}

// Window is the time flow panels cover: the scope itself, to the minute,
// with its bucket. (It was the scope widened to whole hours when flow
// panels read the hourly rollup alone; it stays for the responses' shape.)
//
// A flow record is counted at its start time: it is in the window when
// Start <= start_time < End, and in the bucket its start time falls in.
// Buckets fall on UTC multiples of their size (every size divides a day:
// 15-minute buckets start at :00, :15, :30 and :45, hours on the hour,
// days at midnight), cut to the window: the first starts at Start, the
// last ends at End.
type Window struct {
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	BucketSeconds int64     `json:"bucket_seconds"`
}

func flowWindow(sc Scope) Window {
	return Window{Start: sc.Start, End: sc.End, BucketSeconds: sc.BucketSeconds}
}

// buckets lists the window's bucket starts.
func (w Window) buckets() []time.Time { return alignedBuckets(w.Start, w.End, w.bucket()) }

// bucketOf returns the bucket of the window that t names, cut to the
// window: t is a bucket's start, its start on the UTC grid (before the
// window's start, for the first bucket), or any time within it.
func (w Window) bucketOf(t time.Time) (time.Time, time.Time, bool) {
	t = t.UTC()
	if !t.Before(w.End) || !t.Truncate(w.bucket()).Add(w.bucket()).After(w.Start) {
		return time.Time{}, time.Time{}, false
	}
	start := t.Truncate(w.bucket())
	end := start.Add(w.bucket())
	return maxTime(start, w.Start), minTime(end, w.End), true
}

func (w Window) bucket() time.Duration { return time.Duration(w.BucketSeconds) * time.Second }

// VolumeBucket is one bucket of a flow volume timeline. In and out are
// seen from the capturing interface.
type VolumeBucket struct {
	Start      time.Time `json:"start"`
	BytesIn    int64     `json:"bytes_in"`
	BytesOut   int64     `json:"bytes_out"`
	PacketsIn  int64     `json:"packets_in"`
	PacketsOut int64     `json:"packets_out"`
	Flows      int64     `json:"flows"`
	Rejected   int64     `json:"rejected_flows"`
}

// FlowVolume is the overall VPC flow volume panel.
type FlowVolume struct {
	Scope   Scope          `json:"scope"`
	Window  Window         `json:"window"`
	Buckets []VolumeBucket `json:"buckets"`
}

func volume(got []store.FlowBucket, w Window) []VolumeBucket {
	by := map[time.Time]store.FlowBucket{}
	for _, b := range got {
		by[b.Start.UTC()] = b
	}
	out := []VolumeBucket{}
	for _, t := range w.buckets() {
		b := by[t]
		out = append(out, VolumeBucket{Start: t, BytesIn: b.BytesIn, BytesOut: b.BytesOut, PacketsIn: b.PacketsIn,
			PacketsOut: b.PacketsOut, Flows: b.Flows, Rejected: b.Rejected})
	}
	return out
}

// FlowVolume returns inbound and outbound traffic per bucket.
func (e *Engine) FlowVolume(ctx context.Context, ent *store.Entity, sc Scope) (*FlowVolume, error) {
	if err := need(ent, PanelFlowVolume); err != nil {
		return nil, err
	}
	w := flowWindow(sc)
	v, err := e.flowView(ctx, ent, w)
	if err != nil {
		return nil, err
	}
	got, err := e.st.FlowSeries(ctx, v.side, v.key, nil, w.Start, w.End, w.bucket())
	if err != nil {
		return nil, err
	}
	return &FlowVolume{Scope: sc, Window: w, Buckets: volume(got[0], w)}, nil
}

// FlowRow is one row of flow details.
type FlowRow struct {
	// ID names the row in series and records requests.
	ID            string    `json:"id"`
	RemoteIP      string    `json:"remote_ip,omitempty"`
	Instance      string    `json:"instance,omitempty"`
	LocalPort     *int64    `json:"local_port"`
	RemotePort    *int64    `json:"remote_port"`
	Protocol      *int64    `json:"protocol"`
	ProtocolName  string    `json:"protocol_name,omitempty"`
	Direction     string    `json:"direction"`
	BytesIn       int64     `json:"bytes_in"`
	BytesOut      int64     `json:"bytes_out"`
	PacketsIn     int64     `json:"packets_in"`
	PacketsOut    int64     `json:"packets_out"`
	Flows         int64     `json:"flows"`
	AcceptedFlows int64     `json:"accepted_flows"`
	RejectedFlows int64     `json:"rejected_flows"`
	Action        string    `json:"action"` // ACCEPT, REJECT or MIXED
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
	// Finding is "match" when the row is the finding's flow (its remote
	// address or instance, and every port and the direction it gives),
	// "related" when only the address or instance matches.
	Finding string `json:"finding,omitempty"`
}

// FlowQuery asks for flow details.
type FlowQuery struct {
	Scope   Scope
	Finding string // finding ID whose flows are annotated
	Filters []Filter
	// Any joins the filters with OR (default AND).
	Any    bool
	Sort   string // a FlowRow JSON column; empty: finding rows first, then bytes in
	Desc   bool
	Limit  int
	Offset int
}

// FlowTotals sums the rows that pass the filters.
type FlowTotals struct {
	Rows     int   `json:"rows"`
	BytesIn  int64 `json:"bytes_in"`
	BytesOut int64 `json:"bytes_out"`
	Packets  int64 `json:"packets"`
	Flows    int64 `json:"flows"`
	Accepted int64 `json:"accepted_flows"`
	Rejected int64 `json:"rejected_flows"`
}

// FlowDetails is Detective's "View flow details" with exact counts.
type FlowDetails struct {
	Scope   Scope          `json:"scope"`
	Window  Window         `json:"window"`
	RowKey  string         `json:"row_key"`
	Finding *store.Finding `json:"finding,omitempty"`
	Sort    string         `json:"sort"`
	Order   string         `json:"order"`
	Totals  FlowTotals     `json:"totals"`
	Offset  int            `json:"offset"`
	Rows    []FlowRow      `json:"rows"`
}

// maxFlowRows bounds a page of flow details.
const maxFlowRows = 1000

// FlowDetails returns an entity's flow details.
func (e *Engine) FlowDetails(ctx context.Context, ent *store.Entity, q FlowQuery) (*FlowDetails, error) {
	if err := need(ent, PanelFlows); err != nil {
		return nil, err
	}
	w := flowWindow(q.Scope)
	v, err := e.flowView(ctx, ent, w)
	if err != nil {
		return nil, err
	}
	if q.Sort != "" && !slices.Contains(SortColumns, q.Sort) {
		return nil, invalid("sort column %q (want one of %s)", q.Sort, strings.Join(SortColumns, ", "))
	}
	var finding *store.Finding
	if q.Finding != "" {
		if finding, err = e.st.FindingByID(ctx, q.Finding); err != nil {
			return nil, err
		}
		finding.Raw = nil
	}
	aggs, err := e.st.FlowAggregates(ctx, v.side, v.key, v.rowKey == KeyInstance, w.Start, w.End)
	if err != nil {
		return nil, err
	}
	rows := foldRows(aggs, v.rowKey)
	out := &FlowDetails{Scope: q.Scope, Window: w, RowKey: v.rowKey, Finding: finding, Rows: []FlowRow{}, Offset: q.Offset}
	// Filter in place: rows are large, and there can be many.
	kept := rows[:0]
	for i := range rows {
		r := &rows[i]
		if finding != nil {
			r.Finding = annotate(r, finding, v.rowKey)
		}
		if !matchAll(q.Filters, q.Any, r) {
			continue
		}
		kept = append(kept, *r)
		out.Totals.Rows++
		out.Totals.BytesIn += r.BytesIn
		out.Totals.BytesOut += r.BytesOut
		out.Totals.Packets += r.PacketsIn + r.PacketsOut
		out.Totals.Flows += r.Flows
		out.Totals.Accepted += r.AcceptedFlows
		out.Totals.Rejected += r.RejectedFlows
	}
	sortRows(kept, q.Sort, q.Desc)
	out.Sort, out.Order = q.Sort, "desc"
	if q.Sort == "" {
		out.Sort = "finding,bytes_in"
	} else if !q.Desc {
		out.Order = "asc"
	}
	limit := q.Limit
	if limit <= 0 || limit > maxFlowRows {
		limit = maxFlowRows
	}
	if q.Offset < len(kept) {
		end := min(len(kept), q.Offset+limit)
		out.Rows = kept[max(q.Offset, 0):end]
	}
	return out, nil
}

// FindingFlows is Detective's "VPC flow volume to and from the finding's IP
// address": the flow details of the finding's instance narrowed to its
// remote address, the finding's own rows annotated and first. A finding
// without both an instance and a remote address has no such panel.
func (e *Engine) FindingFlows(ctx context.Context, findingID string, q FlowQuery) (*FlowDetails, error) {
	f, err := e.st.FindingByID(ctx, findingID)
	if err != nil {
		return nil, err
	}
	addr, perr := netip.ParseAddr(f.RemoteIP)
	if f.InstanceID == "" || perr != nil {
		return nil, fmt.Errorf("%w: finding %s names no instance and remote address", ErrNotApplicable, findingID)
	}
	ent, err := e.st.EntityRef(ctx, "instance:"+f.InstanceID)
	if err != nil {
		return nil, err
	}
	ipf, err := ParseFilter("remote_ip=" + addr.String())
	if err != nil {
		return nil, err
	}
	// The address filter holds whatever the others say.
	if q.Any && len(q.Filters) > 0 {
		return nil, invalid("match=any does not apply here: every row is the finding's address")
	}
	q.Filters = append(q.Filters, ipf)
	q.Finding = findingID
	return e.FlowDetails(ctx, ent, q)
}

// foldRows turns rollup aggregates into flow-details rows. The store
// groups by the row key, so each aggregate is one row.
func foldRows(aggs []store.FlowAggregate, rowKey string) []FlowRow {
	out := make([]FlowRow, len(aggs))
	for i, a := range aggs {
		r := &out[i]
		*r = FlowRow{LocalPort: a.LocalPort, RemotePort: a.RemotePort, Protocol: a.Protocol, Direction: a.Direction,
			BytesIn: a.BytesIn, BytesOut: a.BytesOut, PacketsIn: a.PacketsIn, PacketsOut: a.PacketsOut, Flows: a.Flows,
			AcceptedFlows: a.Accepted, RejectedFlows: a.Rejected, FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC(),
			ProtocolName: protocolName(a.Protocol)}
		if rowKey == KeyInstance {
			r.Instance = a.InstanceID
		} else {
			r.RemoteIP = a.RemoteAddr
		}
		r.ID = rowID(r)
		switch {
		case r.AcceptedFlows > 0 && r.RejectedFlows > 0:
			r.Action = "MIXED"
		case r.RejectedFlows > 0:
			r.Action = "REJECT"
		case r.AcceptedFlows > 0:
			r.Action = "ACCEPT"
		}
	}
	return out
}

// annotate says how a row belongs to a finding.
func annotate(r *FlowRow, f *store.Finding, rowKey string) string {
	var related bool
	if rowKey == KeyInstance {
		related = f.InstanceID != "" && r.Instance == f.InstanceID
	} else {
		related = f.RemoteIP != "" && sameIP(r.RemoteIP, f.RemoteIP)
	}
	if !related {
		return ""
	}
	// GuardDuty writes port 0 when it has no port (port probes, some
	// brute-force findings): that constrains nothing.
	portOK := func(row, want *int64) bool { return want == nil || *want == 0 || (row != nil && *row == *want) }
	if portOK(r.LocalPort, f.LocalPort) && portOK(r.RemotePort, f.RemotePort) && (f.Direction == "" || r.Direction == f.Direction) {
		return "match"
	}
	return "related"
}

func sameIP(a, b string) bool {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return x.Unmap() == y.Unmap()
}

func findingRank(s string) int {
	switch s {
	case "match":
		return 2
	case "related":
		return 1
	}
	return 0
}

// SortColumns are the columns flow details sort by.
var SortColumns = []string{"remote_ip", "instance", "local_port", "remote_port", "protocol", "direction", "bytes_in", "bytes_out",
	"packets_in", "packets_out", "flows", "accepted_flows", "rejected_flows", "action", "first_seen", "last_seen", "finding"}

func cmpPtr(a, b *int64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

func cmpIP(a, b string) int {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil {
		return strings.Compare(a, b)
	}
	return x.Compare(y)
}

func compareBy(col string, a, b *FlowRow) int {
	switch col {
	case "remote_ip":
		return cmpIP(a.RemoteIP, b.RemoteIP)
	case "instance":
		return strings.Compare(a.Instance, b.Instance)
	case "local_port":
		return cmpPtr(a.LocalPort, b.LocalPort)
	case "remote_port":
		return cmpPtr(a.RemotePort, b.RemotePort)
	case "protocol":
		return cmpPtr(a.Protocol, b.Protocol)
	case "direction":
		return strings.Compare(a.Direction, b.Direction)
	case "bytes_in":
		return cmp.Compare(a.BytesIn, b.BytesIn)
	case "bytes_out":
		return cmp.Compare(a.BytesOut, b.BytesOut)
	case "packets_in":
		return cmp.Compare(a.PacketsIn, b.PacketsIn)
	case "packets_out":
		return cmp.Compare(a.PacketsOut, b.PacketsOut)
	case "flows":
		return cmp.Compare(a.Flows, b.Flows)
	case "accepted_flows":
		return cmp.Compare(a.AcceptedFlows, b.AcceptedFlows)
	case "rejected_flows":
		return cmp.Compare(a.RejectedFlows, b.RejectedFlows)
	case "action":
		return strings.Compare(a.Action, b.Action)
	case "first_seen":
		return a.FirstSeen.Compare(b.FirstSeen)
	case "last_seen":
		return a.LastSeen.Compare(b.LastSeen)
	case "finding":
		return cmp.Compare(findingRank(a.Finding), findingRank(b.Finding))
	}
	return 0
}

// sortRows orders rows by col (ties by row ID, so that pages are stable);
// with no column, finding rows first, then by bytes in, descending.
func sortRows(rows []FlowRow, col string, desc bool) {
	// Ties end on the row ID, unique: no need for a stable sort.
	slices.SortFunc(rows, func(a, b FlowRow) int {
		var c int
		if col == "" {
			c = -cmp.Or(compareBy("finding", &a, &b), compareBy("bytes_in", &a, &b))
		} else {
			c = compareBy(col, &a, &b)
			if desc {
				c = -c
			}
		}
		return cmp.Or(c, strings.Compare(a.ID, b.ID))
	})
}

var protocolNames = map[int64]string{1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP", 51: "AH", 58: "ICMPv6", 132: "SCTP"}

func protocolName(p *int64) string {
	if p == nil {
		return ""
	}
	return protocolNames[*p]
}

func protocolNumber(s string) (int64, bool) {
	for n, name := range protocolNames {
		if strings.EqualFold(name, s) {
			return n, true
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0 && n <= 255
}

// Row IDs: "<remote address or instance>|<local port>|<remote port>|
// <protocol>|<direction>", with "-" for a NULL value. A row keyed by
// instance starts with "instance=".

func intText(p *int64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatInt(*p, 10)
}

func rowID(r *FlowRow) string {
	head := r.RemoteIP
	if r.Instance != "" {
		head = "instance=" + r.Instance
	}
	return strings.Join([]string{head, intText(r.LocalPort), intText(r.RemotePort), intText(r.Protocol), r.Direction}, "|")
}

// ParseRowID reads a row ID back into a store row filter. Every part is
// checked, as it comes from a request.
func ParseRowID(id string) (*store.FlowRow, error) {
	parts := strings.Split(id, "|")
	if len(parts) != 5 {
		return nil, invalid("row %q: want address-or-instance|local port|remote port|protocol|direction", id)
	}
	row := &store.FlowRow{}
	if inst, ok := strings.CutPrefix(parts[0], "instance="); ok {
		if !validResourceID(inst) {
			return nil, invalid("row %q: bad instance %q", id, inst)
		}
		row.Instance = inst
	} else {
		a, err := netip.ParseAddr(parts[0])
		if err != nil {
			return nil, invalid("row %q: bad address %q", id, parts[0])
		}
		row.RemoteAddr = a.String()
	}
	num := func(s string, limit int64, v **int64, null *bool) error {
		if s == "-" {
			*null = true
			return nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > limit {
			return invalid("row %q: bad number %q", id, s)
		}
		*v = &n
		return nil
	}
	if err := num(parts[1], 65535, &row.LocalPort, &row.NullLocalPort); err != nil {
		return nil, err
	}
	if err := num(parts[2], 65535, &row.RemotePort, &row.NullRemotePort); err != nil {
		return nil, err
	}
	if err := num(parts[3], 255, &row.Protocol, &row.NullProtocol); err != nil {
		return nil, err
	}
	switch parts[4] {
	case "inbound", "outbound", "unknown":
		row.Direction = parts[4]
	default:
		return nil, invalid("row %q: bad direction %q", id, parts[4])
	}
	return row, nil
}

// validResourceID accepts AWS resource IDs (i-…, eni-…).
func validResourceID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Series is overall traffic and the traffic of selected rows, per bucket,
// for plotting selected flows against the whole.
type Series struct {
	Scope   Scope          `json:"scope"`
	Window  Window         `json:"window"`
	Overall []VolumeBucket `json:"overall"`
	Rows    []RowSeries    `json:"rows"`
}

// RowSeries is the timeline of one flow-details row.
type RowSeries struct {
	ID      string         `json:"id"`
	Buckets []VolumeBucket `json:"buckets"`
}

// MaxSeriesRows bounds the rows of one series request.
const MaxSeriesRows = 50

// Series returns the overall in/out series and one per row ID.
func (e *Engine) Series(ctx context.Context, ent *store.Entity, sc Scope, rowIDs []string) (*Series, error) {
	if err := need(ent, PanelFlows); err != nil {
		return nil, err
	}
	if len(rowIDs) > MaxSeriesRows {
		return nil, invalid("at most %d rows per series request", MaxSeriesRows)
	}
	w := flowWindow(sc)
	v, err := e.flowView(ctx, ent, w)
	if err != nil {
		return nil, err
	}
	rows := make([]*store.FlowRow, len(rowIDs))
	for i, id := range rowIDs {
		if rows[i], err = ParseRowID(id); err != nil {
			return nil, err
		}
	}
	// The overall series and the rows' in one reading of the flows.
	got, err := e.st.FlowSeries(ctx, v.side, v.key, rows, w.Start, w.End, w.bucket())
	if err != nil {
		return nil, err
	}
	out := &Series{Scope: sc, Window: w, Overall: volume(got[0], w), Rows: []RowSeries{}}
	for i := range rows {
		out.Rows = append(out.Rows, RowSeries{ID: rowIDs[i], Buckets: volume(got[i+1], w)})
	}
	return out, nil
}

// RecordsQuery asks for the raw records behind an entity's flows: all in
// the flow window, or one row's, or one bucket's (Bucket set: its start,
// or its start on the UTC grid of bucket sizes; see Window).
type RecordsQuery struct {
	Scope  Scope
	Row    string
	Bucket *time.Time
	Limit  int
	Offset int
	// AthenaTable names the Athena table of AthenaSQL (default
	// vpc_flow_logs; see gumshoe ddl athena).
	AthenaTable string
}

// RawRecords is a page of raw flow log records with their provenance.
type RawRecords struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Row    string    `json:"row,omitempty"`
	Offset int       `json:"offset"`
	Limit  int       `json:"limit"`
	More   bool      `json:"more"`
	SQL    string    `json:"sql"`
	// AthenaSQL selects the same records from the AWS flow log table in
	// Athena ("see results in Athena").
	AthenaSQL string           `json:"athena_sql,omitempty"`
	Records   []map[string]any `json:"records"`
}

// MaxRecords bounds a page of raw records.
const MaxRecords = 1000

// Records returns raw records. Flows are counted at the minute a record
// started in (see Window), so the records behind a row or a bucket are
// those that started in the window or the bucket.
func (e *Engine) Records(ctx context.Context, ent *store.Entity, q RecordsQuery) (*RawRecords, error) {
	if err := need(ent, PanelFlows); err != nil {
		return nil, err
	}
	w := flowWindow(q.Scope)
	v, err := e.flowView(ctx, ent, w)
	if err != nil {
		return nil, err
	}
	start, end := w.Start, w.End
	if q.Bucket != nil {
		b := q.Bucket.UTC()
		bs, be, ok := w.bucketOf(b)
		if !ok || (!b.Equal(bs) && !b.Equal(b.Truncate(w.bucket()))) {
			return nil, invalid("bucket %s is not a bucket start of the window %s–%s (%ds buckets)",
				b.Format(time.RFC3339), w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), w.BucketSeconds)
		}
		start, end = bs, be
	}
	var row *store.FlowRow
	if q.Row != "" {
		if row, err = ParseRowID(q.Row); err != nil {
			return nil, err
		}
		if v.side == store.FlowRemoteAddr {
			// Rows keyed by instance: the entity is the remote side.
			row.RemoteAddr = v.key
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxRecords {
		limit = 100
	}
	recs, err := e.st.FlowRecords(ctx, store.RecordsQuery{Side: v.side, Key: v.key, Row: row, Start: start, End: end, Limit: limit, Offset: max(q.Offset, 0)})
	if err != nil {
		return nil, err
	}
	ath, err := athena.Translate(recs.Portable, q.AthenaTable)
	if err != nil {
		return nil, invalid("athena: %v", err)
	}
	out := &RawRecords{Start: start, End: end, Row: q.Row, Offset: max(q.Offset, 0), Limit: limit, More: recs.More,
		SQL: recs.SQL, AthenaSQL: ath, Records: recordMaps(recs.Result)}
	return out, nil
}

// recordMaps turns records into objects, leaving out NULL columns.
func recordMaps(res *store.Result) []map[string]any {
	out := []map[string]any{}
	for _, r := range res.Rows {
		m := map[string]any{}
		for i, val := range r {
			if val == nil {
				continue
			}
			if t, ok := val.(time.Time); ok {
				val = t.UTC()
			}
			m[res.Columns[i]] = val
		}
		out = append(out, m)
	}
	return out
}
