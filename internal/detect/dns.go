package detect

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// dns runs the detectors that read the DNS query logs.
func (r *run) dns(ctx context.Context) error {
	if len(r.sc.DNS) == 0 {
		return nil
	}
	pools := map[string]string{}
	for _, d := range r.cfg.MiningDomains {
		pools[strings.TrimSuffix(strings.ToLower(d), ".")] = "mining pools"
	}
	ignore := map[string]string{}
	for _, d := range r.cfg.DNSExfilIgnoreDomains {
		ignore[strings.TrimSuffix(strings.ToLower(d), ".")] = "ignored"
	}
	suffixes := append(r.cfg.Intel.Domains(), keys(pools)...)
	names, err := r.st.DetectDNSNames(ctx, r.sc.DNS, suffixes, r.cfg.DNSExfilMinLength)
	if err != nil {
		return err
	}
	type exfilKey struct {
		querier, domain string
		hour            time.Time
	}
	exfil := map[exfilKey][]*store.DNSName{}
	for i := range names {
		d := &names[i]
		if _, pool := matchSuffix(d.Name, pools); pool != "" {
			r.dnsFinding(TypeBitcoinToolDNS, "crypto-mining", d, d.Name,
				fmt.Sprintf("%%s queried %s, a domain of a cryptocurrency mining pool (%s).", d.Name, pool),
				map[string]any{"pool_domain": pool}, nil)
		}
		if list, entry := r.cfg.Intel.matchDomain(d.Name); list != "" {
			r.dnsFinding(TypeMaliciousDomainEC2, "threat-list", d, d.Name,
				fmt.Sprintf("%%s queried %s, which matches %s on the custom threat list %s.", d.Name, entry, list),
				map[string]any{"threat_list": list, "entry": entry},
				&Evidence{ThreatIntelligenceDetails: []ThreatIntelligenceDetail{{ThreatListName: list, ThreatNames: []string{entry}}}})
		}
		if _, ign := matchSuffix(d.Name, ignore); ign != "" {
			continue
		}
		sub, domain := splitDomain(d.Name)
		if len(sub) >= r.cfg.DNSExfilMinLength && entropy(sub) >= r.cfg.DNSExfilMinEntropy {
			k := exfilKey{querierKey(d), domain, d.Hour}
			exfil[k] = append(exfil[k], d)
		}
	}
	var ks []exfilKey
	for k, v := range exfil {
		if len(v) >= r.cfg.DNSExfilMinQueries {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].querier+ks[i].domain < ks[j].querier+ks[j].domain })
	for _, k := range ks {
		v := exfil[k]
		agg := *v[0]
		agg.Queries = 0
		var sample []string
		for _, d := range v {
			agg.Queries += d.Queries
			agg.First, agg.Last = minTime(agg.First, d.First), maxTime(agg.Last, d.Last)
			if len(sample) < 5 {
				sample = append(sample, d.Name)
			}
		}
		agg.Name = k.domain
		r.dnsFinding(TypeDNSExfiltration, "dns-exfiltration", &agg, k.domain,
			fmt.Sprintf("%%s queried %d distinct long, high-entropy names under %s in the hour from %s, which is how data is smuggled out through DNS (e.g. %s).",
				len(v), k.domain, k.hour.Format(time.RFC3339), strings.Join(sample, ", ")),
			map[string]any{"distinct_names": len(v), "sample_names": sample, "threshold": r.cfg.DNSExfilMinQueries}, nil)
	}
	return nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func querierKey(d *store.DNSName) string {
	if d.InstanceID != "" {
		return d.InstanceID
	}
	return d.SrcAddr
}

// dnsFinding records a finding about a querier's DNS request; desc has
// one %s for the querier's name.
func (r *run) dnsFinding(typ, detector string, d *store.DNSName, domain, desc string, evidence map[string]any, ev *Evidence) {
	f := newFinding(typ, detector, d.AccountID, d.Region)
	f.Resource = Resource{ResourceType: "Instance", InstanceDetails: &InstanceDetails{InstanceID: d.InstanceID,
		NetworkInterfaces: []NetworkInterface{{PrivateIPAddress: d.SrcAddr, VpcID: d.VPCID}}}}
	name := "EC2 instance " + d.InstanceID
	if d.InstanceID == "" {
		name = "the host at " + d.SrcAddr
	}
	f.Service.ResourceRole = "ACTOR"
	f.Service.Action = Action{ActionType: "DNS_REQUEST", DNSRequestAction: &DNSRequestAction{Domain: domain, Protocol: "UDP", Blocked: false}}
	f.Service.Evidence = ev
	f.Title = fmt.Sprintf("%s is querying %s.", name, domain)
	switch typ {
	case TypeBitcoinToolDNS:
		f.Title = fmt.Sprintf("%s is querying a domain name associated with cryptocurrency activity.", name)
	case TypeDNSExfiltration:
		f.Title = fmt.Sprintf("Data exfiltration through DNS queries from %s.", name)
	case TypeMaliciousDomainEC2:
		f.Title = fmt.Sprintf("%s is querying %s, a domain on a custom threat list.", name, domain)
	}
	f.Description = fmt.Sprintf(desc, name)
	if evidence == nil {
		evidence = map[string]any{}
	}
	evidence["queries"] = d.Queries
	evidence["hour"] = d.Hour.Format(time.RFC3339)
	f.Gumshoe.Evidence = evidence
	r.add(occurrence{f: f, resource: querierKey(d), counterpart: domain, window: d.Hour, n: d.Queries, first: d.First, last: d.Last})
}

// secondLevel lists second-level labels under which registrations are
// made in country-code domains (co.uk, com.au, ...).
var secondLevel = map[string]bool{"co": true, "com": true, "net": true, "org": true, "gov": true, "edu": true, "ac": true, "ne": true, "or": true}

// splitDomain splits a name into the part left of its registered domain
// (without the joining dot) and the registered domain, approximated as the
// last two labels, or three under a country code's second level.
func splitDomain(name string) (sub, domain string) {
	labels := strings.Split(name, ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 && secondLevel[labels[len(labels)-2]] {
		n = 3
	}
	if len(labels) <= n {
		return "", name
	}
	return strings.Join(labels[:len(labels)-n], "."), strings.Join(labels[len(labels)-n:], ".")
}

// entropy returns the Shannon entropy of s's characters other than dots,
// in bits per character.
func entropy(s string) float64 {
	var counts [256]int
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			continue
		}
		counts[s[i]]++
		n++
	}
	if n == 0 {
		return 0
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / float64(n)
			h -= p * math.Log2(p)
		}
	}
	return h
}
