package engine

import (
	"net/netip"
	"strconv"
	"strings"
)

// Filter is one condition on flow-details rows, written
// FIELD OP VALUE with OP one of "=", "!=" and "~" (contains, for partial
// values). Fields: remote_ip, instance, local_port, remote_port, protocol,
// direction, action. An address field's value may be an address, a CIDR
// block, "public" or "private"; a port's may be a number or a range
// "1024-65535"; a protocol's a number or a name (tcp, udp, icmp); an
// action's accept or reject (a row counts as both when it has both).
type Filter struct {
	Field string
	Op    string
	Value string

	prefix netip.Prefix
	addr   netip.Addr
	lo, hi int64
	class  string // "public" or "private"
}

var filterFields = []string{"remote_ip", "instance", "local_port", "remote_port", "protocol", "direction", "action"}

// ParseFilter reads one filter.
func ParseFilter(s string) (Filter, error) {
	i := strings.IndexAny(s, "!=~")
	if i <= 0 {
		return Filter{}, invalid("filter %q: want FIELD=VALUE, FIELD!=VALUE or FIELD~VALUE", s)
	}
	f := Filter{Field: strings.ToLower(strings.TrimSpace(s[:i]))}
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "!="):
		f.Op, f.Value = "!=", rest[2:]
	case strings.HasPrefix(rest, "="):
		f.Op, f.Value = "=", rest[1:]
	case strings.HasPrefix(rest, "~"):
		f.Op, f.Value = "~", rest[1:]
	default:
		return Filter{}, invalid("filter %q: unknown operator", s)
	}
	f.Value = strings.TrimSpace(f.Value)
	if f.Field == "ip" {
		f.Field = "remote_ip"
	}
	known := false
	for _, k := range filterFields {
		known = known || k == f.Field
	}
	if !known {
		return Filter{}, invalid("filter %q: unknown field %q (want one of %s)", s, f.Field, strings.Join(filterFields, ", "))
	}
	if f.Value == "" {
		return Filter{}, invalid("filter %q: empty value", s)
	}
	if f.Op == "~" {
		f.Value = strings.ToLower(f.Value)
		return f, nil
	}
	switch f.Field {
	case "remote_ip":
		v := strings.ToLower(f.Value)
		switch {
		case v == "public" || v == "private":
			f.class = v
		case strings.Contains(v, "/"):
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return Filter{}, invalid("filter %q: bad CIDR block", s)
			}
			f.prefix = p.Masked()
		default:
			a, err := netip.ParseAddr(v)
			if err != nil {
				return Filter{}, invalid("filter %q: bad address (use ~ for a partial value)", s)
			}
			f.addr = a.Unmap()
		}
	case "local_port", "remote_port":
		lo, hi, ok := strings.Cut(f.Value, "-")
		if !ok {
			hi = lo
		}
		var err1, err2 error
		f.lo, err1 = strconv.ParseInt(lo, 10, 64)
		f.hi, err2 = strconv.ParseInt(hi, 10, 64)
		if err1 != nil || err2 != nil || f.lo < 0 || f.hi > 65535 || f.lo > f.hi {
			return Filter{}, invalid("filter %q: bad port or port range", s)
		}
	case "protocol":
		n, ok := protocolNumber(f.Value)
		if !ok {
			return Filter{}, invalid("filter %q: bad protocol", s)
		}
		f.lo = n
	case "direction":
		f.Value = strings.ToLower(f.Value)
		if f.Value != "inbound" && f.Value != "outbound" && f.Value != "unknown" {
			return Filter{}, invalid("filter %q: direction is inbound, outbound or unknown", s)
		}
	case "action":
		f.Value = strings.ToUpper(f.Value)
		if f.Value != "ACCEPT" && f.Value != "REJECT" {
			return Filter{}, invalid("filter %q: action is accept or reject", s)
		}
	}
	return f, nil
}

// text is a row's field as the "~" operator sees it.
func (f *Filter) text(r *FlowRow) string {
	switch f.Field {
	case "remote_ip":
		return r.RemoteIP
	case "instance":
		return strings.ToLower(r.Instance)
	case "local_port":
		return intText(r.LocalPort)
	case "remote_port":
		return intText(r.RemotePort)
	case "protocol":
		return intText(r.Protocol) + " " + strings.ToLower(r.ProtocolName)
	case "direction":
		return r.Direction
	case "action":
		return strings.ToLower(r.Action)
	}
	return ""
}

// Match reports whether a row passes the filter.
func (f *Filter) Match(r *FlowRow) bool {
	if f.Op == "~" {
		return strings.Contains(f.text(r), f.Value)
	}
	m := f.equal(r)
	if f.Op == "!=" {
		return !m
	}
	return m
}

func (f *Filter) equal(r *FlowRow) bool {
	switch f.Field {
	case "remote_ip":
		a, err := netip.ParseAddr(r.RemoteIP)
		if err != nil {
			return false
		}
		a = a.Unmap()
		switch {
		case f.class != "":
			return (f.class == "private") == isPrivate(a)
		case f.prefix.IsValid():
			return f.prefix.Contains(a)
		default:
			return a == f.addr
		}
	case "instance":
		return strings.EqualFold(r.Instance, f.Value)
	case "local_port", "remote_port":
		p := r.LocalPort
		if f.Field == "remote_port" {
			p = r.RemotePort
		}
		return p != nil && *p >= f.lo && *p <= f.hi
	case "protocol":
		return r.Protocol != nil && *r.Protocol == f.lo
	case "direction":
		return r.Direction == f.Value
	case "action":
		if f.Value == "ACCEPT" {
			return r.AcceptedFlows > 0
		}
		return r.RejectedFlows > 0
	}
	return false
}

// sharedSpace is 100.64.0.0/10 (carrier-grade NAT), private in the sense
// that matters here: not a peer on the internet.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// isPrivate reports whether an address is not routed on the internet as
// itself: RFC 1918, shared, loopback, link-local, IPv6 unique local.
func isPrivate(a netip.Addr) bool {
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || sharedSpace.Contains(a) || a.IsUnspecified()
}

// matchAll applies filters joined by AND (or OR when any is set).
func matchAll(fs []Filter, any bool, r *FlowRow) bool {
	if len(fs) == 0 {
		return true
	}
	for i := range fs {
		m := fs[i].Match(r)
		if any && m {
			return true
		}
		if !any && !m {
			return false
		}
	}
	return !any
}
