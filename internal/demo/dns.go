package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// dnsRec is one Route 53 Resolver query log record.
type dnsRec struct {
	in      *Instance
	t       int64
	name    string // with the final dot
	qtype   string
	rcode   string
	answers []dnsAnswer
	port    int32
}

type dnsAnswer struct{ rdata, typ string }

func appendDNS(b []byte, q *dnsRec) []byte {
	v := q.in.VPC
	w := jw{b: b}
	w.open("").str("version", "1.100000").str("account_id", v.Account.ID).str("region", v.Region).str("vpc_id", v.ID).
		str("query_timestamp", isoTime(q.t)).str("query_name", q.name).str("query_type", q.qtype).str("query_class", "IN").
		str("rcode", q.rcode).openArr("answers")
	for _, a := range q.answers {
		w.open("").str("Rdata", a.rdata).str("Type", a.typ).str("Class", "IN").close()
	}
	w.closeArr()
	w.key("srcaddr")
	w.b = append(appendIP(append(w.b, '"'), q.in.PrivateIP), '"')
	w.key("srcport")
	w.b = append(strconv.AppendInt(append(w.b, '"'), int64(q.port), 10), '"')
	w.str("transport", "UDP")
	w.open("srcids").str("instance", q.in.ID).close()
	w.close()
	return append(w.b, '\n')
}

// dnsFile writes the resolver query log object of VPC s for window win.
func (w *writer) dnsFile(dir string, s, win int, n int64) (Stats, error) {
	g := w.g
	v := g.flowStreams[s]
	ws := g.winStart(win)
	stamp := stampOf(ws + g.window)
	rel := fmt.Sprintf("AWSLogs/%s/vpcdnsquerylogs/%s/%s/%s_vpcdnsquerylogs_%s_%s_%08x.log.gz",
		v.Account.ID, v.ID, datePath(stamp), v.ID, v.Account.ID, stamp.Format("20060102T1504Z"),
		uint32(mix64(uint64(g.cfg.Seed)^saltDNS, uint64(s)<<32|uint64(win))))
	if err := w.create(dir, rel); err != nil {
		return Stats{}, err
	}
	r := g.fileRand(saltDNS, s, win)
	var q dnsRec
	for range n {
		ordinaryQuery(&q, v, r, ws, ws+g.window)
		w.buf = appendDNS(w.buf, &q)
		if err := w.spill(); err != nil {
			return Stats{}, err
		}
	}
	sc := g.sDNS[fileKey{s, win}]
	for i := range sc {
		w.buf = appendDNS(w.buf, &sc[i])
	}
	size, err := w.finish()
	return Stats{DNSQueries: n + int64(len(sc)), Bytes: size}, err
}

// ordinaryQuery fills q with a query an instance of v makes.
func ordinaryQuery(q *dnsRec, v *VPC, r *rand.Rand, ws, we int64) {
	in := v.Instances[r.IntN(len(v.Instances))]
	*q = dnsRec{in: in, t: ws + int64(r.IntN(int(we-ws))), qtype: "A", rcode: "NOERROR", port: ephemeral(r), answers: q.answers[:0]}
	region := v.Region
	h, _ := hourOf(q.t)
	aws := func(svc string) {
		q.name = svc + "." + region + ".amazonaws.com."
		q.answers = append(q.answers, dnsAnswer{ipString(apiAddr(region, r)), "A"})
	}
	k := r.IntN(100)
	switch {
	case int(h) == 3 && k < 40:
		repo := "al2023-repos-" + region + "-de612dc2.s3.dualstack." + region + ".amazonaws.com."
		q.name = repo
		q.answers = append(q.answers, dnsAnswer{"s3-r-w." + region + ".amazonaws.com.", "CNAME"}, dnsAnswer{ipString(s3Addr(region, r)), "A"})
	case k < 25:
		aws([]string{"ssm", "ec2messages", "ssmmessages", "logs", "monitoring"}[r.IntN(5)])
	case k < 35:
		aws("sts")
	case k < 45:
		q.name = "s3." + region + ".amazonaws.com."
		q.answers = append(q.answers, dnsAnswer{ipString(s3Addr(region, r)), "A"})
	case k < 65 && in.Tier != "db":
		// The app tier's own names, in the VPC's private hosted zone.
		var db *Instance
		for _, x := range v.Instances {
			if x.Tier == "db" {
				db = x
				break
			}
		}
		if db == nil {
			aws("sqs")
			break
		}
		q.name = "db-1." + v.Account.Name + ".internal."
		q.answers = append(q.answers, dnsAnswer{ipString(db.PrivateIP), "A"})
	case k < 80:
		names := [...]string{"api.payments.example.com.", "hooks.chat.example.net.", "telemetry.vendor.example.org.", "git.example.com.", "registry.example.org."}
		i := r.IntN(len(names))
		q.name = names[i]
		q.answers = append(q.answers, dnsAnswer{ipString(addrPartners | uint32(i*8+r.IntN(8))), "A"})
	case k < 88:
		aws([]string{"sqs", "kms", "secretsmanager"}[r.IntN(3)])
	case k < 94:
		q.name = "s3." + region + ".amazonaws.com."
		q.qtype = "AAAA"
	default:
		q.name = "wpad." + v.Account.Name + ".internal."
		q.rcode = "NXDOMAIN"
	}
}
