package ocsf

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// flowAttr is an OCSF attribute a flow record is made from.
type flowAttr uint8

const (
	faNone flowAttr = iota
	faSrcIP
	faDstIP
	faSrcIntermediate
	faDstIntermediate
	faSrcPort
	faDstPort
	faSrcSvc
	faDstSvc
	faSrcInterface
	faSrcVPC
	faSrcSubnet
	faSrcInstance
	faDstInterface
	faDstVPC
	faDstSubnet
	faDstInstance
	faProtocol
	faTCPFlags
	faProtocolVer
	faProtocolVerID
	faBoundaryID
	faDirection
	faDirectionID
	faPackets
	faBytes
	faTime
	faStartTime
	faEndTime
	faStatusCode
	faDisposition
	faDispositionID
	faAction
	faActionID
	faProductVersion
	faAccount
	faAccountRC2
	faRegion
	faZone
	faUnmappedKey
	faUnmappedValue
	numFlowAttrs
)

// flowPaths names the attribute each flowAttr reads, as a dotted path with
// list and map wrappers left out.
var flowPaths = map[string]flowAttr{
	"src_endpoint.ip":                 faSrcIP,
	"dst_endpoint.ip":                 faDstIP,
	"src_endpoint.intermediate_ips":   faSrcIntermediate,
	"dst_endpoint.intermediate_ips":   faDstIntermediate,
	"src_endpoint.port":               faSrcPort,
	"dst_endpoint.port":               faDstPort,
	"src_endpoint.svc_name":           faSrcSvc,
	"dst_endpoint.svc_name":           faDstSvc,
	"src_endpoint.interface_uid":      faSrcInterface,
	"src_endpoint.vpc_uid":            faSrcVPC,
	"src_endpoint.subnet_uid":         faSrcSubnet,
	"src_endpoint.instance_uid":       faSrcInstance,
	"dst_endpoint.interface_uid":      faDstInterface,
	"dst_endpoint.vpc_uid":            faDstVPC,
	"dst_endpoint.subnet_uid":         faDstSubnet,
	"dst_endpoint.instance_uid":       faDstInstance,
	"connection_info.protocol_num":    faProtocol,
	"connection_info.tcp_flags":       faTCPFlags,
	"connection_info.protocol_ver":    faProtocolVer,
	"connection_info.protocol_ver_id": faProtocolVerID,
	"connection_info.boundary_id":     faBoundaryID,
	"connection_info.direction":       faDirection,
	"connection_info.direction_id":    faDirectionID,
	"traffic.packets":                 faPackets,
	"traffic.bytes":                   faBytes,
	"time":                            faTime,
	"start_time":                      faStartTime,
	"end_time":                        faEndTime,
	"status_code":                     faStatusCode,
	"disposition":                     faDisposition,
	"disposition_id":                  faDispositionID,
	"action":                          faAction,
	"action_id":                       faActionID,
	"metadata.product.version":        faProductVersion,
	"cloud.account.uid":               faAccount,
	"cloud.account_uid":               faAccountRC2,
	"cloud.region":                    faRegion,
	"cloud.zone":                      faZone,
	"unmapped.key":                    faUnmappedKey,
	"unmapped.value":                  faUnmappedValue,
}

// flowColumns maps the leaves of a file to the attributes flows are made
// from, so that Network Activity rows become flows straight from their
// values, without assembling the record.
type flowColumns struct {
	attr []flowAttr // by leaf index
}

func planFlow(s *schema) flowColumns {
	fc := flowColumns{attr: make([]flowAttr, len(s.leaves))}
	for i, l := range s.leaves {
		a, ok := flowPaths[l.path]
		if !ok {
			continue
		}
		switch a {
		case faSrcIntermediate, faDstIntermediate, faUnmappedKey, faUnmappedValue:
			// Lists: the first element, or every pair.
			if l.repLevel == 0 {
				continue
			}
		default:
			if l.repLevel != 0 {
				continue
			}
		}
		fc.attr[i] = a
	}
	return fc
}

// flowRow holds the values of one row that flows are made from.
type flowRow struct {
	val     [numFlowAttrs]parquet.Value
	node    [numFlowAttrs]*node
	has     [numFlowAttrs]bool
	keys    []parquet.Value
	vals    []parquet.Value
	keyNode *node
	valNode *node
}

// decodeFlow makes a flow record from a Network Activity row.
func (d *Decoder) decodeFlow(row parquet.Row, rec *flowlog.Record) *ParseError {
	fr := &d.flowRow
	fr.has = [numFlowAttrs]bool{}
	fr.keys, fr.vals = fr.keys[:0], fr.vals[:0]
	for c, a := range d.flow.attr {
		if a == faNone {
			continue
		}
		leaf := d.schema.leaves[c]
		for _, v := range d.values(row, c) {
			if v.IsNull() {
				if a == faUnmappedValue {
					fr.vals = append(fr.vals, v)
				}
				continue
			}
			if v.Kind() != leaf.kind {
				return d.recordError(leaf.path, fmt.Errorf("%w: value of kind %v in a %v column", ErrCorrupt, v.Kind(), leaf.kind))
			}
			switch a {
			case faUnmappedKey:
				fr.keys = append(fr.keys, v)
				fr.keyNode = leaf
				continue
			case faUnmappedValue:
				fr.vals = append(fr.vals, v)
				fr.valNode = leaf
				continue
			}
			if !fr.has[a] {
				fr.val[a], fr.node[a], fr.has[a] = v, leaf, true
			}
		}
	}
	f := flowFiller{d: d, fr: fr, rec: rec}
	return f.fill()
}

// flowFiller sets the fields of one flow record.
type flowFiller struct {
	d   *Decoder
	fr  *flowRow
	rec *flowlog.Record
	err *ParseError
}

func (f *flowFiller) fail(a flowAttr, err error) {
	if f.err == nil {
		f.err = f.d.recordError(f.fr.node[a].path, err)
	}
}

// text returns attribute a as text copied into the decoder's arena; ok is
// false when it is absent, empty or "-" (which Security Lake writes for a
// flow log's "-"). Integers are written in decimal.
func (f *flowFiller) text(a flowAttr) ([]byte, bool) {
	if !f.fr.has[a] {
		return nil, false
	}
	v, n := f.fr.val[a], f.fr.node[a]
	start := len(f.d.arena)
	switch n.kind {
	case parquet.ByteArray:
		t := v.ByteArray()
		if len(t) == 0 || (len(t) == 1 && t[0] == '-') {
			return nil, false
		}
		if !utf8.Valid(t) {
			f.fail(a, fmt.Errorf("%w: \"%s\"", ErrEncoding, printable(string(t))))
			return nil, false
		}
		f.d.arena = append(f.d.arena, t...)
	case parquet.Int32, parquet.Int64:
		x, ok := intValue(n, v)
		if !ok {
			f.d.arena = strconv.AppendUint(f.d.arena, v.Uint64(), 10)
		} else {
			f.d.arena = strconv.AppendInt(f.d.arena, x, 10)
		}
	default:
		f.fail(a, fmt.Errorf("%w: column is %s; want a STRING", ErrType, n.describe()))
		return nil, false
	}
	end := len(f.d.arena)
	return f.d.arena[start:end:end], true
}

// word returns text attribute a for comparisons, nil when absent; it
// aliases the row's memory and must not be kept.
func (f *flowFiller) word(a flowAttr) []byte {
	if !f.fr.has[a] || f.fr.node[a].kind != parquet.ByteArray {
		return nil
	}
	return f.fr.val[a].ByteArray()
}

// integer returns attribute a as an integer within 0..limit; text made of
// digits is accepted, "" and "-" are absent.
func (f *flowFiller) integer(a flowAttr, limit int64) (int64, bool) {
	if !f.fr.has[a] {
		return 0, false
	}
	v, n := f.fr.val[a], f.fr.node[a]
	var x int64
	switch n.kind {
	case parquet.Int32, parquet.Int64:
		var ok bool
		if x, ok = intValue(n, v); !ok {
			f.fail(a, fmt.Errorf("%w: %d > %d", ErrRange, v.Uint64(), limit))
			return 0, false
		}
	case parquet.ByteArray:
		t := v.ByteArray()
		if len(t) == 0 || string(t) == "-" {
			return 0, false
		}
		var err error
		if x, err = strconv.ParseInt(string(t), 10, 64); err != nil {
			f.fail(a, fmt.Errorf("%w: \"%s\"", ErrNumber, printable(string(t))))
			return 0, false
		}
	default:
		f.fail(a, fmt.Errorf("%w: column is %s; want an integer", ErrType, n.describe()))
		return 0, false
	}
	if x < 0 || x > limit {
		f.fail(a, fmt.Errorf("%w: %d not in 0..%d", ErrRange, x, limit))
		return 0, false
	}
	return x, true
}

// seconds returns a time attribute in Unix seconds (OCSF times are
// milliseconds; TIMESTAMP columns say their unit; text is RFC 3339).
func (f *flowFiller) seconds(a flowAttr) (int64, bool) {
	if !f.fr.has[a] {
		return 0, false
	}
	v, n := f.fr.val[a], f.fr.node[a]
	var ms int64
	switch n.kind {
	case parquet.Int32, parquet.Int64:
		x, ok := intValue(n, v)
		if !ok {
			f.fail(a, fmt.Errorf("%w: %d", ErrTime, v.Uint64()))
			return 0, false
		}
		ms = toMillis(x, n.unit)
	case parquet.Int96:
		ms = int96Millis(v)
	case parquet.ByteArray:
		t, err := parseTime(string(v.ByteArray()))
		if err != nil {
			f.fail(a, err)
			return 0, false
		}
		ms = t.UnixMilli()
	default:
		f.fail(a, fmt.Errorf("%w: column is %s; want a time", ErrType, n.describe()))
		return 0, false
	}
	s := ms / 1000
	if ms%1000 < 0 {
		s--
	}
	if s < 0 {
		f.fail(a, fmt.Errorf("%w: %d ms is before 1970", ErrTime, ms))
		return 0, false
	}
	return s, true
}

func (f *flowFiller) setText(field flowlog.Field, a flowAttr) bool {
	if t, ok := f.text(a); ok {
		f.rec.SetStr(field, t)
		return true
	}
	return false
}

func (f *flowFiller) setInt(field flowlog.Field, a flowAttr, limit int64) {
	if x, ok := f.integer(a, limit); ok {
		f.rec.SetInt(field, x)
	}
}

// setAddr sets an address field from attribute a, checking that it is an
// IP address.
func (f *flowFiller) setAddr(field flowlog.Field, a flowAttr) bool {
	t, ok := f.text(a)
	if !ok {
		return false
	}
	if addr, err := netip.ParseAddr(string(t)); err != nil || addr.Zone() != "" {
		f.fail(a, fmt.Errorf("%w: \"%s\"", ErrAddress, printable(string(t))))
		return false
	}
	f.rec.SetStr(field, t)
	return true
}

// fill sets the record's fields; see the package documentation for the
// mapping.
func (f *flowFiller) fill() *ParseError {
	r := f.rec
	// metadata.product.version is the flow log version only when it is a
	// number; another product's version string is not an error.
	if t, ok := f.text(faProductVersion); ok {
		if v, err := strconv.ParseInt(string(t), 10, 32); err == nil && v >= 0 {
			r.SetInt(flowlog.Version, v)
		}
	}
	if !f.setText(flowlog.AccountID, faAccount) {
		f.setText(flowlog.AccountID, faAccountRC2)
	}
	f.setText(flowlog.Region, faRegion)
	f.setText(flowlog.AZID, faZone)

	// The endpoint IPs are the packet's addresses (pkt-srcaddr,
	// pkt-dstaddr); when the interface's address differs (NAT, a
	// load balancer), Security Lake lists it in intermediate_ips.
	if f.setAddr(flowlog.PktSrcAddr, faSrcIP) {
		r.SetStr(flowlog.SrcAddr, r.Str[flowlog.PktSrcAddr])
	}
	if f.setAddr(flowlog.PktDstAddr, faDstIP) {
		r.SetStr(flowlog.DstAddr, r.Str[flowlog.PktDstAddr])
	}
	f.setAddr(flowlog.SrcAddr, faSrcIntermediate)
	f.setAddr(flowlog.DstAddr, faDstIntermediate)
	f.setInt(flowlog.SrcPort, faSrcPort, 65535)
	f.setInt(flowlog.DstPort, faDstPort, 65535)
	f.setText(flowlog.PktSrcAWSService, faSrcSvc)
	f.setText(flowlog.PktDstAWSService, faDstSvc)
	f.setInt(flowlog.Protocol, faProtocol, 255)
	f.setInt(flowlog.TCPFlags, faTCPFlags, math.MaxInt32)
	f.setInt(flowlog.Packets, faPackets, math.MaxInt64)
	f.setInt(flowlog.Bytes, faBytes, math.MaxInt64)

	if s, ok := f.seconds(faStartTime); ok {
		r.SetInt(flowlog.Start, s)
	} else if s, ok := f.seconds(faTime); ok && !f.fr.has[faStartTime] {
		r.SetInt(flowlog.Start, s)
	}
	if s, ok := f.seconds(faEndTime); ok {
		r.SetInt(flowlog.End, s)
	}

	direction := ""
	switch d := f.word(faDirection); {
	case equalFold(d, "inbound", "ingress"):
		direction = "ingress"
	case equalFold(d, "outbound", "egress"):
		direction = "egress"
	default:
		switch id, _ := f.integer(faDirectionID, math.MaxInt32); {
		case !f.fr.has[faDirectionID]:
		case id == 1:
			direction = "ingress"
		case id == 2:
			direction = "egress"
		}
	}
	switch direction {
	case "ingress":
		r.SetStr(flowlog.FlowDirection, textIngress)
	case "egress":
		r.SetStr(flowlog.FlowDirection, textEgress)
	}

	// Security Lake puts the interface's IDs on the endpoint that is the
	// interface: the destination of inbound traffic, else the source.
	local := [4]flowAttr{faSrcInterface, faSrcVPC, faSrcSubnet, faSrcInstance}
	remote := [4]flowAttr{faDstInterface, faDstVPC, faDstSubnet, faDstInstance}
	if direction == "ingress" {
		local, remote = remote, local
	}
	for i, field := range [4]flowlog.Field{flowlog.InterfaceID, flowlog.VPCID, flowlog.SubnetID, flowlog.InstanceID} {
		if !f.setText(field, local[i]) {
			f.setText(field, remote[i])
		}
	}

	if a := actionOf(f.word(faAction)); a != nil {
		r.SetStr(flowlog.Action, a)
	} else if a := actionOf(f.word(faDisposition)); a != nil {
		r.SetStr(flowlog.Action, a)
	} else if id, ok := f.integer(faActionID, math.MaxInt32); ok && (id == 1 || id == 2) {
		r.SetStr(flowlog.Action, actionByID[id])
	} else if id, ok := f.integer(faDispositionID, math.MaxInt32); ok && (id == 1 || id == 2) {
		r.SetStr(flowlog.Action, actionByID[id])
	}

	switch string(f.word(faStatusCode)) {
	case "OK":
		r.SetStr(flowlog.LogStatus, textOK)
	case "NODATA":
		r.SetStr(flowlog.LogStatus, textNoData)
	case "SKIPDATA":
		r.SetStr(flowlog.LogStatus, textSkipData)
	}

	if t, ok := f.text(faProtocolVer); ok {
		r.SetStr(flowlog.Type, t)
	} else if id, ok := f.integer(faProtocolVerID, math.MaxInt32); ok && id == 4 {
		r.SetStr(flowlog.Type, textIPv4)
	} else if ok && id == 6 {
		r.SetStr(flowlog.Type, textIPv6)
	}
	// OCSF's boundary_id 4–11 are VPC Flow Logs' traffic-path 1–8, in
	// the same order.
	if id, ok := f.integer(faBoundaryID, math.MaxInt32); ok && id >= 4 && id <= 11 {
		r.SetInt(flowlog.TrafficPath, id-3)
	}
	f.unmapped()
	return f.err
}

// The values the decoder writes itself, shared by every record; records
// never write into their strings.
var (
	textAccept   = []byte("ACCEPT")
	textReject   = []byte("REJECT")
	textIngress  = []byte("ingress")
	textEgress   = []byte("egress")
	textOK       = []byte("OK")
	textNoData   = []byte("NODATA")
	textSkipData = []byte("SKIPDATA")
	textIPv4     = []byte("IPv4")
	textIPv6     = []byte("IPv6")
)

var actionByID = [3][]byte{1: textAccept, 2: textReject}

// actionOf maps a disposition or action caption to a flow log action.
func actionOf(s []byte) []byte {
	switch {
	case equalFold(s, "allowed", "accept", "accepted", "allow"):
		return textAccept
	case equalFold(s, "blocked", "denied", "reject", "rejected", "deny", "block"):
		return textReject
	}
	return nil
}

// equalFold reports whether b equals one of words, ignoring case.
func equalFold(b []byte, words ...string) bool {
	for _, w := range words {
		if len(b) == len(w) && bytes.EqualFold(b, []byte(w)) {
			return true
		}
	}
	return false
}

// unmapped reads the flow log fields Security Lake keeps in unmapped, by
// their flow log names (sublocation_id, sublocation_type, ...), for fields
// not set from an OCSF attribute.
func (f *flowFiller) unmapped() {
	fr := f.fr
	if len(fr.keys) == 0 || len(fr.keys) != len(fr.vals) || fr.keyNode.kind != parquet.ByteArray {
		return
	}
	for i, k := range fr.keys {
		field, ok := flowlog.Lookup(string(k.ByteArray()))
		if !ok || f.rec.Has(field) || field.Info().Kind != flowlog.String || field.IsAddress() {
			continue
		}
		v := fr.vals[i]
		if v.IsNull() || fr.valNode == nil || fr.valNode.kind != parquet.ByteArray {
			continue
		}
		t := v.ByteArray()
		if len(t) == 0 || string(t) == "-" || !utf8.Valid(t) {
			continue
		}
		start := len(f.d.arena)
		f.d.arena = append(f.d.arena, t...)
		end := len(f.d.arena)
		f.rec.SetStr(field, f.d.arena[start:end:end])
	}
}
