package ocsf

import (
	"fmt"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/dnslog"
)

// query maps a DNS Activity record made from a Route 53 resolver query log
// back to the query's flattened fields.
func (d *Decoder) query(v *value) (dnslog.Query, *ParseError) {
	x := extractor{d: d}
	t := x.time(v, "time")
	if t.IsZero() && x.err == nil {
		t = x.time(v, "time_dt")
	}
	name := x.str(v, "query", "hostname")
	if x.err != nil {
		return dnslog.Query{}, x.err
	}
	if t.IsZero() {
		return dnslog.Query{}, d.recordError("time", ErrMissing)
	}
	if name == "" {
		return dnslog.Query{}, d.recordError("query.hostname", ErrMissing)
	}
	unmapped := v.get("unmapped")
	q := dnslog.Query{
		QueryTime:            t,
		QueryName:            name,
		QueryType:            x.str(v, "query", "type"),
		QueryClass:           x.str(v, "query", "class"),
		RCode:                x.rcode(v),
		SrcAddr:              x.str(v, "src_endpoint", "ip"),
		Transport:            x.str(v, "connection_info", "protocol_name"),
		InstanceID:           x.str(v, "src_endpoint", "instance_uid"),
		ResolverEndpoint:     x.str(v, "dst_endpoint", "instance_uid"),
		VPCID:                x.str(v, "src_endpoint", "vpc_uid"),
		FirewallRuleGroupID:  x.str(unmapped, "firewall_rule_group_id"),
		FirewallDomainListID: x.str(unmapped, "firewall_domain_list_id"),
		AccountID:            firstOf(x.str(v, "cloud", "account", "uid"), x.str(v, "cloud", "account_uid")),
		Region:               x.str(v, "cloud", "region"),
		Version:              x.str(v, "metadata", "product", "version"),
		Record:               d.cur,
	}
	if port, ok := x.integer(v, "src_endpoint", "port"); ok {
		if port < 0 || port > 65535 {
			return dnslog.Query{}, d.recordError("src_endpoint.port", fmt.Errorf("%w: %d not in 0..65535", ErrRange, port))
		}
		p := int32(port)
		q.SrcPort = &p
	}
	q.FirewallAction = firewallAction(x.str(v, "disposition"), q.FirewallRuleGroupID != "")
	q.Answers = x.answers(v)
	if x.err != nil {
		return dnslog.Query{}, x.err
	}
	q.Raw = d.rawJSON(v)
	return q, nil
}

// rcodes are the Route 53 resolver log names of the DNS response codes,
// by OCSF rcode_id (which follows the IANA numbers).
var rcodes = map[int64]string{
	0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
	5: "REFUSED", 6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH",
	10: "NOTZONE",
}

// rcodeCaptions are OCSF's captions for the same codes.
var rcodeCaptions = map[string]string{
	"noerror": "NOERROR", "formerror": "FORMERR", "serverror": "SERVFAIL",
	"nxdomain": "NXDOMAIN", "notimp": "NOTIMP", "refused": "REFUSED",
	"yxdomain": "YXDOMAIN", "yxrrset": "YXRRSET", "nxrrset": "NXRRSET",
	"notauth": "NOTAUTH", "notzone": "NOTZONE",
}

// rcode returns the response code the way the resolver log writes it
// ("NXDOMAIN"), which detections match on, from OCSF's rcode_id or its
// caption ("NXDomain"); a code without a resolver-log name is kept as
// OCSF writes it.
func (x *extractor) rcode(v *value) string {
	caption := x.str(v, "rcode")
	if id, ok := x.integer(v, "rcode_id"); ok {
		if s, ok := rcodes[id]; ok {
			return s
		}
	}
	if s, ok := rcodeCaptions[strings.ToLower(caption)]; ok {
		return s
	}
	return caption
}

// firewallAction returns the DNS Firewall action from OCSF's disposition.
// Security Lake v1 writes an ALERT rule's match as "No Action", so that
// stands for ALERT when a firewall rule group is named.
func firewallAction(disposition string, ruleMatched bool) string {
	switch strings.ToLower(disposition) {
	case "blocked":
		return "BLOCK"
	case "allowed":
		return "ALLOW"
	case "alert":
		return "ALERT"
	case "no action":
		if ruleMatched {
			return "ALERT"
		}
	}
	return ""
}

// answers rebuilds the answers the way the resolver log writes them,
// [{"Rdata", "Type", "Class"}], or nil when the record has none.
func (x *extractor) answers(v *value) []byte {
	list := v.get("answers")
	if list == nil {
		return nil
	}
	if list.kind != vList {
		x.fail([]string{"answers"}, fmt.Errorf("%w: %s; want a list", ErrType, kindName(list.kind)))
		return nil
	}
	b := []byte{'['}
	for i := range list.list {
		a := &list.list[i]
		if a.kind != vObject {
			x.fail([]string{"answers"}, fmt.Errorf("%w: element %s; want an object", ErrType, kindName(a.kind)))
			return nil
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Rdata":`...)
		b = appendJSONString(b, x.str(a, "rdata"))
		b = append(b, `,"Type":`...)
		b = appendJSONString(b, x.str(a, "type"))
		b = append(b, `,"Class":`...)
		b = appendJSONString(b, x.str(a, "class"))
		b = append(b, '}')
	}
	return append(b, ']')
}
