package detect

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

//go:embed mining-pools.txt
var miningPools string

// MiningPoolDomains returns the embedded list of mining pool domains.
func MiningPoolDomains() []string {
	var out []string
	for _, line := range strings.Split(miningPools, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

// Intel is user-supplied threat intelligence: addresses, networks and
// domains, each with the name of the list it came from.
type Intel struct {
	// IPs holds the listed IPv4 addresses and networks as ranges for
	// SQL; IPv6 entries are matched in Go (see addPrefix).
	IPs      store.AddrSet
	prefixes []listed[netip.Prefix]
	domains  map[string]string // domain → list
}

type listed[T any] struct {
	v    T
	list string
}

// ThreatListError reports a line of a threat list that is neither an
// address, a network nor a domain.
type ThreatListError struct {
	File string
	Line int
	Text string
}

func (e *ThreatListError) Error() string {
	return fmt.Sprintf("%s:%d: %q is not an IP address, a CIDR network or a domain name", e.File, e.Line, e.Text)
}

// ReadThreatList adds a threat list file to the intelligence: plain text,
// one IPv4 or IPv6 address, CIDR network or domain name a line; empty
// lines and lines starting with # are skipped, and anything after the
// first space or tab is a comment. The list is named after its file.
func (in *Intel) ReadThreatList(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("threat list: %w", err)
	}
	defer f.Close()
	return in.Read(filepath.Base(path), path, f)
}

// Read adds the entries of a threat list read from r; name names the list
// in findings, file in errors.
func (in *Intel) Read(name, file string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexAny(text, " \t"); i >= 0 {
			text = text[:i]
		}
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if err := in.add(name, text); err != nil {
			return &ThreatListError{File: file, Line: line, Text: text}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("threat list %s: %w", file, err)
	}
	return nil
}

func (in *Intel) add(list, text string) error {
	if a, err := netip.ParseAddr(text); err == nil {
		a = a.Unmap()
		in.addPrefix(list, netip.PrefixFrom(a, a.BitLen()))
		return nil
	}
	if p, err := netip.ParsePrefix(text); err == nil {
		in.addPrefix(list, p.Masked())
		return nil
	}
	d := strings.TrimSuffix(strings.ToLower(text), ".")
	if !validDomain(d) {
		return fmt.Errorf("not a domain")
	}
	if in.domains == nil {
		in.domains = map[string]string{}
	}
	if _, ok := in.domains[d]; !ok {
		in.domains[d] = list
	}
	return nil
}

func (in *Intel) addPrefix(list string, p netip.Prefix) {
	in.prefixes = append(in.prefixes, listed[netip.Prefix]{p, list})
	if p.Addr().Is4() {
		b := p.Addr().As4()
		lo := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
		in.IPs.V4 = append(in.IPs.V4, [2]uint32{lo, hi})
		return
	}
	// IPv6: logs write addresses in more than one form (leading zeros,
	// upper case), and SQL cannot compare them as numbers; a run matches
	// the distinct IPv6 addresses of its logs here instead (listedAddrs).
}

// hasIPv6 reports whether an IPv6 address or network is listed.
func (in *Intel) hasIPv6() bool {
	for _, p := range in.prefixes {
		if p.v.Addr().Is6() {
			return true
		}
	}
	return false
}

// Empty reports whether the intelligence lists no address.
func (in *Intel) Empty() bool { return len(in.prefixes) == 0 }

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Domains returns the listed domains.
func (in *Intel) Domains() []string {
	var out []string
	for d := range in.domains {
		out = append(out, d)
	}
	return out
}

// matchIP returns the list and entry an address matches.
func (in *Intel) matchIP(addr string) (list, entry string) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return "", ""
	}
	a = a.Unmap()
	for _, p := range in.prefixes {
		if p.v.Contains(a) {
			if p.v.IsSingleIP() {
				return p.list, p.v.Addr().String()
			}
			return p.list, p.v.String()
		}
	}
	return "", ""
}

// matchDomain returns the list and listed domain a name is, or is under.
func (in *Intel) matchDomain(name string) (list, entry string) {
	return matchSuffix(name, in.domains)
}

func matchSuffix(name string, set map[string]string) (string, string) {
	for d := name; d != ""; {
		if l, ok := set[d]; ok {
			return l, d
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			break
		}
		d = d[i+1:]
	}
	return "", ""
}

// listedAddrs returns the set of listed addresses for the run's SQL: the
// IPv4 ranges, and the IPv6 addresses of the run's flows and CloudTrail
// events, as the logs write them, that an IPv6 entry covers.
func (r *run) listedAddrs(ctx context.Context) (store.AddrSet, error) {
	if r.listed != nil {
		return *r.listed, nil
	}
	set := store.AddrSet{V4: r.cfg.Intel.IPs.V4}
	if r.cfg.Intel.hasIPv6() {
		addrs, err := r.st.DetectIPv6Addresses(ctx, r.sc.Flows, r.sc.CloudTrail)
		if err != nil {
			return set, err
		}
		for _, a := range addrs {
			if p, err := netip.ParseAddr(a); err == nil && p.Unmap().Is6() {
				if list, _ := r.cfg.Intel.matchIP(a); list != "" {
					set.Exact = append(set.Exact, strings.ToLower(a))
				}
			}
		}
	}
	r.listed = &set
	return set, nil
}

// addrSet makes an address set of plain addresses (DNS answers): IPv4 as
// ranges, IPv6 as written and in canonical form.
func addrSet(addrs []string) store.AddrSet {
	var in Intel
	var exact []string
	for _, a := range addrs {
		if p, err := netip.ParseAddr(a); err == nil {
			if p = p.Unmap(); p.Is4() {
				in.addPrefix("", netip.PrefixFrom(p, p.BitLen()))
			} else {
				exact = append(exact, strings.ToLower(a), p.String())
			}
		}
	}
	set := in.IPs
	set.Exact = exact
	return set
}
