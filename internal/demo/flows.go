package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The header lines of the two flow log formats the organisation uses.
const (
	FormatV2Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
	FormatV5Header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)

// flowRec is one flow log record, captured on an instance's interface or
// on a NAT gateway's.
type flowRec struct {
	in             *Instance // nil for the NAT gateway's interface
	nat            *NAT
	src, dst       uint32
	sport, dport   int32
	proto          int32
	packets, bytes int64
	start, end     int64
	flags          int32
	pktSrc, pktDst uint32 // 0: as src, dst
	egress         bool
	path           int32 // traffic-path of egress records; 0 for none
	reject, nodata bool
}

func (w *writer) flowFormat(v *VPC) string {
	if w.g.cfg.Format != "" {
		return w.g.cfg.Format
	}
	return v.Account.FlowFormat
}

// flowFile writes the flow log object of VPC s for window win: n ordinary
// records, then the scenarios' records of that window.
func (w *writer) flowFile(dir string, s, win int, n int64) (Stats, error) {
	g := w.g
	v := g.flowStreams[s]
	format := w.flowFormat(v)
	ws := g.winStart(win)
	stamp := stampOf(ws)
	acct := v.Account.ID
	rel := fmt.Sprintf("AWSLogs/%s/vpcflowlogs/%s/%s/%s_vpcflowlogs_%s_%s_%s_%08x.log.gz",
		acct, v.Region, datePath(stamp), acct, v.Region, v.FlowLogID, stamp.Format("20060102T1504Z"),
		uint32(mix64(uint64(g.cfg.Seed)^saltFlow, uint64(s)<<32|uint64(win))))
	if err := w.create(dir, rel); err != nil {
		return Stats{}, err
	}
	v5 := format == "v5"
	if v5 {
		w.buf = append(w.buf, FormatV5Header...)
	} else {
		w.buf = append(w.buf, FormatV2Header...)
	}
	w.buf = append(w.buf, '\n')
	r := g.fileRand(saltFlow, s, win)
	fg := flowGen{g: g, v: v, r: r, ws: ws, we: ws + g.window}
	var written int64
	for written < n {
		w.flows = fg.next(w.flows[:0])
		for i := range w.flows {
			if written == n {
				break
			}
			w.buf = appendFlow(w.buf, &w.flows[i], v, v5)
			written++
		}
		if err := w.spill(); err != nil {
			return Stats{}, err
		}
	}
	sc := g.sFlows[fileKey{s, win}]
	for i := range sc {
		w.buf = appendFlow(w.buf, &sc[i], v, v5)
		if err := w.spill(); err != nil {
			return Stats{}, err
		}
	}
	size, err := w.finish()
	return Stats{FlowRecords: written + int64(len(sc)), Bytes: size}, err
}

// appendFlow appends one record in the v2 or v5 format.
func appendFlow(b []byte, f *flowRec, v *VPC, v5 bool) []byte {
	if v5 {
		b = append(b, "5 "...)
	} else {
		b = append(b, "2 "...)
	}
	b = append(b, v.Account.ID...)
	b = append(b, ' ')
	eni, subnet, inst, az := "", "", "-", ""
	if f.in != nil {
		eni, subnet, inst, az = f.in.ENI, f.in.Subnet.ID, f.in.ID, f.in.Subnet.AZID
	} else {
		eni, subnet, az = f.nat.ENI, f.nat.Subnet.ID, f.nat.Subnet.AZID
	}
	b = append(b, eni...)
	if f.nodata {
		b = append(b, " - - - - - - - "...)
		b = strconv.AppendInt(b, f.start, 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, f.end, 10)
		b = append(b, " - NODATA"...)
		if v5 {
			b = append(b, ' ')
			b = append(b, v.ID...)
			b = append(b, ' ')
			b = append(b, subnet...)
			b = append(b, ' ')
			b = append(b, inst...)
			b = append(b, " - - - - "...)
			b = append(b, v.Region...)
			b = append(b, ' ')
			b = append(b, az...)
			b = append(b, " - - - - - -"...)
		}
		return append(b, '\n')
	}
	b = append(b, ' ')
	b = appendIP(b, f.src)
	b = append(b, ' ')
	b = appendIP(b, f.dst)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(f.sport), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(f.dport), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(f.proto), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.packets, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.bytes, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.start, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.end, 10)
	if f.reject {
		b = append(b, " REJECT OK"...)
	} else {
		b = append(b, " ACCEPT OK"...)
	}
	if !v5 {
		return append(b, '\n')
	}
	b = append(b, ' ')
	b = append(b, v.ID...)
	b = append(b, ' ')
	b = append(b, subnet...)
	b = append(b, ' ')
	b = append(b, inst...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(f.flags), 10)
	b = append(b, " IPv4 "...)
	ps, pd := f.src, f.dst
	if f.pktSrc != 0 {
		ps = f.pktSrc
	}
	if f.pktDst != 0 {
		pd = f.pktDst
	}
	b = appendIP(b, ps)
	b = append(b, ' ')
	b = appendIP(b, pd)
	b = append(b, ' ')
	b = append(b, v.Region...)
	b = append(b, ' ')
	b = append(b, az...)
	b = append(b, " - - "...)
	b = appendDash(b, awsService(ps))
	b = append(b, ' ')
	b = appendDash(b, awsService(pd))
	if f.egress {
		b = append(b, " egress "...)
		if f.path == 0 {
			b = append(b, '-')
		} else {
			b = strconv.AppendInt(b, int64(f.path), 10)
		}
	} else {
		b = append(b, " ingress -"...)
	}
	return append(b, '\n')
}

func appendDash(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return append(b, s...)
}

// flowGen makes a VPC's ordinary traffic, a connection at a time.
type flowGen struct {
	g      *gen
	v      *VPC
	r      *rand.Rand
	ws, we int64
	tiers  map[string][]*Instance
	all    []*Instance
	public []*Instance
}

// Kinds of ordinary traffic.
const (
	kWeb = iota
	kAWSAPI
	kS3
	kScanNoise
	kPartner
	kSSH
	kPackages
	kReplication
	kNoData
	kKinds
)

func (fg *flowGen) init() {
	fg.tiers = map[string][]*Instance{}
	for _, in := range fg.v.Instances {
		fg.tiers[in.Tier] = append(fg.tiers[in.Tier], in)
		fg.all = append(fg.all, in)
		if in.PublicIP != 0 {
			fg.public = append(fg.public, in)
		}
	}
}

// weights of the kinds of traffic at time t.
func (fg *flowGen) weights(t int64) [kKinds]float64 {
	h, _ := hourOf(t)
	var wt [kKinds]float64
	if len(fg.tiers["web"]) > 0 {
		wt[kWeb] = 40 * diurnal(h, peakHour(fg.v.Region))
	}
	wt[kAWSAPI] = 12
	wt[kS3] = 8
	if len(fg.public) > 0 {
		wt[kScanNoise] = 6
	}
	wt[kPartner] = 4
	if len(fg.tiers["bastion"]) > 0 {
		wt[kSSH] = 6 * (working(t, 1) + working(t, -5))
	}
	if int(h) == 3 {
		wt[kPackages] = 40
	}
	if len(fg.tiers["db"]) > 1 {
		wt[kReplication] = 3
	}
	wt[kNoData] = 0.3
	return wt
}

func ephemeral(r *rand.Rand) int32 { return int32(32768 + r.IntN(28232)) }

// next appends the records of one ordinary connection.
func (fg *flowGen) next(out []flowRec) []flowRec {
	if fg.all == nil {
		fg.init()
	}
	r := fg.r
	start := fg.ws + int64(r.IntN(int(fg.we-fg.ws-60)+1))
	end := start + 1 + int64(r.IntN(59))
	wt := fg.weights(start)
	sum := 0.0
	for _, x := range wt {
		sum += x
	}
	x := r.Float64() * sum
	k := 0
	for k = 0; k < kKinds-1; k++ {
		if x < wt[k] {
			break
		}
		x -= wt[k]
	}
	pick := func(l []*Instance) *Instance { return l[r.IntN(len(l))] }
	switch k {
	case kWeb:
		web := pick(fg.tiers["web"])
		c := client(r)
		port := int32(443)
		if r.IntN(20) == 0 {
			port = 80
		}
		reqP := 4 + int64(r.IntN(20))
		respP := reqP + int64(r.ExpFloat64()*30)
		out = tcpPair(out, web, c, ephemeral(r), port, reqP, reqP*(60+int64(r.IntN(500))), respP, respP*(200+int64(r.IntN(1250))), start, end, false, 8)
		if apps := fg.tiers["app"]; len(apps) > 0 && r.IntN(2) == 0 {
			app := pick(apps)
			out = internalPair(out, web, app, 8080, 6+int64(r.IntN(10)), 3000+int64(r.IntN(40000)), start, end, r)
			if dbs := fg.tiers["db"]; len(dbs) > 0 && r.IntN(2) == 0 {
				port := int32(5432)
				if fg.v.Account.ID == DevAccount {
					port = 3306
				}
				out = internalPair(out, app, dbs[0], port, 4+int64(r.IntN(12)), 500+int64(r.IntN(60000)), start, end, r)
			}
		}
	case kAWSAPI:
		in := pick(fg.all)
		out = fg.internet(out, in, apiAddr(fg.v.Region, r), 443, 10+int64(r.IntN(20)), 8000+int64(r.IntN(20000)), start, end)
	case kS3:
		in := pick(fg.all)
		out = fg.s3(out, in, 20+int64(r.IntN(200)), start, end)
	case kScanNoise:
		in := pick(fg.public)
		ports := [...]int32{22, 23, 445, 3389, 8080, 5900, 25, 1433, 3306, 8443}
		out = append(out, flowRec{in: in, src: scanner(r), dst: in.PrivateIP, sport: ephemeral(r), dport: ports[r.IntN(len(ports))],
			proto: 6, packets: 1, bytes: 40 + int64(r.IntN(20)), start: start, end: end, flags: 2, reject: true})
	case kPartner:
		in := pick(fg.all)
		partner := addrPartners | uint32(r.IntN(64))
		out = fg.internet(out, in, partner, 443, 8+int64(r.IntN(40)), 4000+int64(r.IntN(200000)), start, end)
	case kSSH:
		b := pick(fg.tiers["bastion"])
		engineers := fg.g.env.Users
		u := engineers[r.IntN(len(engineers)-2)]
		src := u.Office
		if r.IntN(4) == 0 {
			src = u.Home
		}
		// An interactive session, minute by minute.
		sport := ephemeral(r)
		mins := 1 + r.IntN(15)
		for m := range mins {
			s := start + int64(m)*60
			if s+60 > fg.we {
				break
			}
			p := 10 + int64(r.IntN(80))
			out = tcpPair(out, b, src, sport, 22, p, p*(60+int64(r.IntN(40))), p, p*(80+int64(r.IntN(300))), s, s+59, m > 0, 8)
		}
		apps, dbs := fg.tiers["app"], fg.tiers["db"]
		if n := len(apps) + len(dbs); n > 0 && r.IntN(2) == 0 {
			i := r.IntN(n)
			var to *Instance
			if i < len(apps) {
				to = apps[i]
			} else {
				to = dbs[i-len(apps)]
			}
			out = internalPair(out, b, to, 22, 20+int64(r.IntN(200)), 4000+int64(r.IntN(90000)), start, end, r)
		}
	case kPackages:
		in := pick(fg.all)
		out = fg.s3(out, in, 800+int64(r.IntN(30000)), start, end)
	case kReplication:
		dbs := fg.tiers["db"]
		out = internalPair(out, dbs[0], dbs[1], 5432, 200+int64(r.IntN(2000)), 200_000+int64(r.IntN(2_000_000)), start, end, r)
	default:
		in := pick(fg.all)
		out = append(out, flowRec{in: in, start: start, end: end, nodata: true})
	}
	return out
}

// tcpPair appends both records of a connection between instance in and
// remote peer, seen on the instance's interface: inbound to the
// instance's port when the peer is the client (inbound true), else
// outbound from it. path is the egress record's traffic path.
func tcpPair(out []flowRec, in *Instance, peer uint32, peerPort, port int32, inP, inB, outP, outB, start, end int64, cont bool, path int32) []flowRec {
	inFlags, outFlags := int32(3), int32(19)
	if cont {
		inFlags, outFlags = 0, 0
	}
	return append(out,
		flowRec{in: in, src: peer, dst: in.PrivateIP, sport: peerPort, dport: port, proto: 6, packets: inP, bytes: inB, start: start, end: end, flags: inFlags},
		flowRec{in: in, src: in.PrivateIP, dst: peer, sport: port, dport: peerPort, proto: 6, packets: outP, bytes: outB, start: start, end: end, flags: outFlags, egress: true, path: path})
}

// outbound appends both records of a connection the instance opens to a
// remote host, seen on its interface.
func outbound(out []flowRec, in *Instance, dst uint32, port int32, p, reqB, respB, start, end int64, path int32, r *rand.Rand) []flowRec {
	sport := ephemeral(r)
	return append(out,
		flowRec{in: in, src: in.PrivateIP, dst: dst, sport: sport, dport: port, proto: 6, packets: p, bytes: reqB, start: start, end: end, flags: 3, egress: true, path: path},
		flowRec{in: in, src: dst, dst: in.PrivateIP, sport: port, dport: sport, proto: 6, packets: p + p/2, bytes: respB, start: start, end: end, flags: 19})
}

// internalPair appends the four records of a connection between two
// instances of a VPC: each interface sees both directions.
func internalPair(out []flowRec, from, to *Instance, port int32, p, respB, start, end int64, r *rand.Rand) []flowRec {
	sport := ephemeral(r)
	reqB := p * (60 + int64(r.IntN(400)))
	rp := p + int64(r.IntN(int(p)+1))
	a, b := from.PrivateIP, to.PrivateIP
	return append(out,
		flowRec{in: from, src: a, dst: b, sport: sport, dport: port, proto: 6, packets: p, bytes: reqB, start: start, end: end, flags: 3, egress: true, path: 1},
		flowRec{in: from, src: b, dst: a, sport: port, dport: sport, proto: 6, packets: rp, bytes: respB, start: start, end: end, flags: 19},
		flowRec{in: to, src: a, dst: b, sport: sport, dport: port, proto: 6, packets: p, bytes: reqB, start: start, end: end, flags: 3},
		flowRec{in: to, src: b, dst: a, sport: port, dport: sport, proto: 6, packets: rp, bytes: respB, start: start, end: end, flags: 19, egress: true, path: 1})
}

// internet appends a connection from an instance to an internet host:
// directly through the internet gateway from a public subnet, else
// through the NAT gateway, whose interface logs it too.
func (fg *flowGen) internet(out []flowRec, in *Instance, dst uint32, port int32, p, respB, start, end int64) []flowRec {
	return internetVia(out, in, dst, port, p, respB, start, end, fg.r)
}

func internetVia(out []flowRec, in *Instance, dst uint32, port int32, p, respB, start, end int64, r *rand.Rand) []flowRec {
	reqB := p * (60 + int64(r.IntN(300)))
	nat := in.VPC.NAT
	if in.PublicIP != 0 || nat == nil {
		return outbound(out, in, dst, port, p, reqB, respB, start, end, 8, r)
	}
	n := len(out)
	out = outbound(out, in, dst, port, p, reqB, respB, start, end, 1, r)
	sport := out[n].sport
	natPort := ephemeral(r)
	rp := out[n+1].packets
	return append(out,
		flowRec{nat: nat, src: in.PrivateIP, dst: nat.PrivateIP, pktDst: dst, sport: sport, dport: port, proto: 6, packets: p, bytes: reqB, start: start, end: end, flags: 3},
		flowRec{nat: nat, src: nat.PrivateIP, dst: dst, sport: natPort, dport: port, proto: 6, packets: p, bytes: reqB, start: start, end: end, flags: 3, egress: true, path: 8},
		flowRec{nat: nat, src: dst, dst: nat.PrivateIP, sport: port, dport: natPort, proto: 6, packets: rp, bytes: respB, start: start, end: end, flags: 19},
		flowRec{nat: nat, src: nat.PrivateIP, dst: in.PrivateIP, pktSrc: dst, sport: port, dport: sport, proto: 6, packets: rp, bytes: respB, start: start, end: end, flags: 19, egress: true, path: 1})
}

// s3 appends a transfer from S3 of about kb kilobytes: through the
// gateway endpoint where the VPC has one, else over the internet.
func (fg *flowGen) s3(out []flowRec, in *Instance, kb, start, end int64) []flowRec {
	return s3Via(out, in, kb, start, end, fg.r)
}

func s3Via(out []flowRec, in *Instance, kb, start, end int64, r *rand.Rand) []flowRec {
	dst := s3Addr(in.VPC.Region, r)
	p := kb*1024/1400 + 2
	if in.s3ViaEndpoint(start) {
		return outbound(out, in, dst, 443, p/2+1, p*60, kb*1024, start, end, 7, r)
	}
	return internetVia(out, in, dst, 443, p/2+1, kb*1024, start, end, r)
}
