package detect

import (
	"bufio"
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
// one IPv4 or IPv6 address, IPv4 CIDR network or domain name a line; empty
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
		p = p.Masked()
		if p.Addr().Is6() && p.Bits() != 128 {
			return fmt.Errorf("IPv6 networks are not supported")
		}
		in.addPrefix(list, p)
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
	in.IPs.Exact = append(in.IPs.Exact, p.Addr().String())
}

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

// addrSet makes an address set of plain addresses (DNS answers).
func addrSet(addrs []string) store.AddrSet {
	var in Intel
	for _, a := range addrs {
		if p, err := netip.ParseAddr(a); err == nil {
			p = p.Unmap()
			in.addPrefix("", netip.PrefixFrom(p, p.BitLen()))
		}
	}
	return in.IPs
}
