package geoip

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The expectations below come from the embedded ip-ranges.json (createDate
// 2026-08-22-21-17-05); refreshing the file may move some of them.
func TestAWSEmbedded(t *testing.T) {
	r := openT(t, Config{})
	tests := []struct {
		addr, service, region string
	}{
		{"52.216.0.1", "S3", "us-east-1"},      // 52.216.0.0/15: AMAZON, S3
		{"52.217.255.255", "S3", "us-east-1"},  // its last address
		{"52.218.0.0", "S3", "eu-west-1"},      // the next prefix
		{"3.5.0.1", "S3", "us-east-1"},         // 3.5.0.0/19: AMAZON, EC2, S3
		{"52.4.0.1", "EC2", "us-east-1"},       // 52.4.0.0/14: AMAZON, EC2
		{"52.7.255.255", "EC2", "us-east-1"},   // its last address
		{"52.215.255.255", "EC2", "eu-west-1"}, // 52.208.0.0/13
		{"44.192.0.1", "EC2", "us-east-1"},
		{"54.239.0.1", "AMAZON", "us-east-1"}, // 54.239.0.0/28: AMAZON only
		{"52.94.76.1", "AMAZON", "us-west-2"},
		{"13.32.0.1", "CLOUDFRONT", "GLOBAL"},
		// 64.252.64.0/18 is CLOUDFRONT and CLOUDFRONT_ORIGIN_FACING, and
		// holds EC2 /24s of several regions.
		{"64.252.127.254", "CLOUDFRONT_ORIGIN_FACING", "GLOBAL"},
		{"64.252.81.7", "EC2", "sa-east-1"},
		{"64.252.120.1", "EC2", "us-west-1"},
		// An AMAZON-only /26 inside an EC2 /16 is EC2.
		{"140.179.15.1", "EC2", "cn-north-1"},
		// 15.193.3.0/24 is AMAZON, EC2 and AMAZON_CONNECT, inside a GLOBAL
		// AMAZON_CONNECT /19.
		{"15.193.3.5", "AMAZON_CONNECT", "ap-southeast-2"},
		{"15.193.31.254", "AMAZON_CONNECT", "GLOBAL"},
		{"35.55.17.1", "IVS_REALTIME", "eu-central-1"},
		{"::ffff:52.4.0.1", "EC2", "us-east-1"},
		{"2a05:d070:b000::1", "S3", "eu-central-1"}, // /40: AMAZON, EC2, S3
		{"2a05:d070:b0ff:ffff:ffff:ffff:ffff:ffff", "S3", "eu-central-1"},
		{"2600:1f18::1", "EC2", "us-east-1"},
		{"2600:1f70:4000::5", "EC2", "us-west-2"}, // AMAZON /56 inside an EC2 /39
		{"2406:daba:f000::1", "EC2", "ap-southeast-4"},
		// Not AWS.
		{"8.8.8.8", "", ""},
		{"1.1.1.1", "", ""},
		{"81.2.69.142", "", ""},
		{"2001:4860:4860::8888", "", ""},
		{"10.0.0.1", "", ""},
		{"::1", "", ""},
	}
	for _, tt := range tests {
		addr := netip.MustParseAddr(tt.addr)
		service, region, ok := r.AWS(addr)
		if service != tt.service || region != tt.region || ok != (tt.service != "") {
			t.Errorf("AWS(%s) = %q, %q, %v; want %q, %q, %v", addr, service, region, ok, tt.service, tt.region, tt.service != "")
		}
	}
	if _, _, ok := r.AWS(netip.Addr{}); ok {
		t.Errorf("AWS(zero Addr) ok = true; want false")
	}
	if got, want := r.AWSRangesDate(), "2026-08-22-21-17-05"; got != want {
		t.Errorf("AWSRangesDate() = %q; want %q", got, want)
	}
}

// TestAWSTableMatchesReference checks the flattened table against a direct
// reading of the rule, walking from the longest prefix holding an address
// to the shortest, at every prefix boundary of the embedded list and at
// random addresses.
func TestAWSTableMatchesReference(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(embeddedRanges))
	if err != nil {
		t.Fatal(err)
	}
	var f rangesFile
	if err := json.NewDecoder(zr).Decode(&f); err != nil {
		t.Fatal(err)
	}
	byPrefix := map[netip.Prefix][]awsLabel{}
	for _, p := range f.Prefixes {
		pfx := netip.MustParsePrefix(p.Prefix)
		byPrefix[pfx] = append(byPrefix[pfx], awsLabel{p.Service, p.Region})
	}
	for _, p := range f.IPv6Prefixes {
		pfx := netip.MustParsePrefix(p.Prefix)
		byPrefix[pfx] = append(byPrefix[pfx], awsLabel{p.Service, p.Region})
	}
	reference := func(a netip.Addr) (awsLabel, bool) {
		var fallback awsLabel
		found := false
		for bits := a.BitLen(); bits >= 0; bits-- {
			p, _ := a.Prefix(bits)
			labels, ok := byPrefix[p]
			if !ok {
				continue
			}
			l := labels[0]
			for _, m := range labels[1:] {
				if better(m, l) {
					l = m
				}
			}
			if l.service != awsAmazon {
				return l, true
			}
			if !found {
				fallback, found = l, true
			}
		}
		return fallback, found
	}

	var probes []netip.Addr
	for p := range byPrefix {
		first, last := p.Addr(), lastAddr(p)
		probes = append(probes, first, last, first.Prev(), last.Next())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b4 [4]byte
		var b16 [16]byte
		for i := range b4 {
			b4[i] = byte(rng.Uint32())
		}
		for i := range b16 {
			b16[i] = byte(rng.Uint32())
		}
		b16[0] = 0x2a // keep to 2000::/3, where AWS's IPv6 ranges are
		probes = append(probes, netip.AddrFrom4(b4), netip.AddrFrom16(b16))
	}

	table := embeddedTable()
	hits := 0
	for _, a := range probes {
		if !a.IsValid() {
			continue
		}
		got, gotOK := table.lookup(a)
		want, wantOK := reference(a)
		if got != want || gotOK != wantOK {
			t.Errorf("lookup(%s) = %v, %v; want %v, %v", a, got, gotOK, want, wantOK)
		}
		if gotOK {
			hits++
		}
	}
	if hits < len(byPrefix) {
		t.Errorf("only %d of %d probes are in AWS's ranges; the probes are wrong", hits, len(probes))
	}
	t.Logf("%d probes, %d in AWS ranges; %d IPv4 and %d IPv6 intervals, %d labels",
		len(probes), hits, len(table.v4start), len(table.v6start), len(table.labels))
}

// TestAWSTableInvariants checks that the intervals are sorted and disjoint,
// which the binary search relies on.
func TestAWSTableInvariants(t *testing.T) {
	checkTable(t, embeddedTable())
}

func checkTable(t *testing.T, tb *awsTable) {
	t.Helper()
	for i := range tb.v4start {
		if tb.v4start[i] > tb.v4end[i] || i > 0 && tb.v4start[i] <= tb.v4end[i-1] {
			t.Fatalf("IPv4 interval %d [%d, %d] is empty or overlaps the one before", i, tb.v4start[i], tb.v4end[i])
		}
	}
	for i := range tb.v6start {
		if tb.v6start[i].cmp(tb.v6end[i]) > 0 || i > 0 && tb.v6start[i].cmp(tb.v6end[i-1]) <= 0 {
			t.Fatalf("IPv6 interval %d is empty or overlaps the one before", i)
		}
	}
	if len(tb.v4start) != len(tb.v4end) || len(tb.v4start) != len(tb.v4label) ||
		len(tb.v6start) != len(tb.v6end) || len(tb.v6start) != len(tb.v6label) {
		t.Fatalf("table columns differ in length")
	}
}

const smallRanges = `{
  "syncToken": "1",
  "createDate": "2030-01-02-03-04-05",
  "prefixes": [
    {"ip_prefix": "0.0.0.0/0", "region": "GLOBAL", "service": "AMAZON", "network_border_group": "GLOBAL"},
    {"ip_prefix": "255.255.255.255/32", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"},
    {"ip_prefix": "198.51.100.0/24", "region": "eu-west-1", "service": "EC2", "network_border_group": "eu-west-1"},
    {"ip_prefix": "198.51.100.0/24", "region": "eu-west-1", "service": "S3", "network_border_group": "eu-west-1"},
    {"ip_prefix": "198.51.100.64/26", "region": "eu-west-1", "service": "AMAZON", "network_border_group": "eu-west-1"},
    {"ip_prefix": "198.51.100.128/25", "region": "eu-west-1", "service": "DYNAMODB", "network_border_group": "eu-west-1"},
    {"ip_prefix": "198.51.100.200/32", "region": "eu-west-1", "service": "ROUTE53", "network_border_group": "eu-west-1"}
  ],
  "ipv6_prefixes": [
    {"ipv6_prefix": "2001:db8::/32", "region": "eu-west-1", "service": "AMAZON", "network_border_group": "eu-west-1"},
    {"ipv6_prefix": "2001:db8:1::/48", "region": "eu-west-1", "service": "EC2", "network_border_group": "eu-west-1"},
    {"ipv6_prefix": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", "region": "us-west-2", "service": "S3", "network_border_group": "us-west-2"}
  ]
}`

func TestAWSRangesFile(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "ip-ranges.json")
	if err := os.WriteFile(plain, []byte(smallRanges), 0o644); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(smallRanges))
	zw.Close()
	gzipped := filepath.Join(dir, "ip-ranges.json.gz")
	if err := os.WriteFile(gzipped, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr, service, region string
	}{
		{"0.0.0.0", "AMAZON", "GLOBAL"},
		{"198.51.99.255", "AMAZON", "GLOBAL"},
		{"198.51.100.0", "S3", "eu-west-1"},   // EC2 and S3 for the same prefix: S3
		{"198.51.100.64", "S3", "eu-west-1"},  // AMAZON inside S3: S3
		{"198.51.100.127", "S3", "eu-west-1"}, //
		{"198.51.100.128", "DYNAMODB", "eu-west-1"},
		{"198.51.100.199", "DYNAMODB", "eu-west-1"},
		{"198.51.100.200", "ROUTE53", "eu-west-1"},
		{"198.51.100.201", "DYNAMODB", "eu-west-1"},
		{"198.51.100.255", "DYNAMODB", "eu-west-1"},
		{"198.51.101.0", "AMAZON", "GLOBAL"},
		{"255.255.255.254", "AMAZON", "GLOBAL"},
		{"255.255.255.255", "EC2", "us-east-1"},
		{"2001:db8::1", "AMAZON", "eu-west-1"},
		{"2001:db8:1:ffff:ffff:ffff:ffff:ffff", "EC2", "eu-west-1"},
		{"2001:db8:2::", "AMAZON", "eu-west-1"},
		{"2001:db9::", "", ""},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:feff", "", ""},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "S3", "us-west-2"},
	}
	for _, path := range []string{plain, gzipped} {
		r := openT(t, Config{AWSRanges: path})
		checkTable(t, r.aws())
		for _, tt := range tests {
			addr := netip.MustParseAddr(tt.addr)
			service, region, ok := r.AWS(addr)
			if service != tt.service || region != tt.region || ok != (tt.service != "") {
				t.Errorf("%s: AWS(%s) = %q, %q, %v; want %q, %q, %v",
					filepath.Base(path), addr, service, region, ok, tt.service, tt.region, tt.service != "")
			}
		}
		if got, want := r.AWSRangesDate(), "2030-01-02-03-04-05"; got != want {
			t.Errorf("AWSRangesDate() = %q; want %q", got, want)
		}
	}
}

func TestAWSRangesFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
	}{
		{"empty.json", "", "EOF"},
		{"not-json.json", "ip_prefix 3.5.0.0/19\n", "invalid JSON at byte 1"},
		{"truncated.json", smallRanges[:200], "unexpected EOF"},
		{"no-prefixes.json", `{"syncToken": "1", "prefixes": []}`, "no prefixes"},
		{"other.json", `{"ip": "8.8.8.8"}`, "no prefixes"},
		{"bad-prefix.json", `{"prefixes": [{"ip_prefix": "3.5.0.0/19"}, {"ip_prefix": "3.5.0/19"}]}`, `prefixes[1]: ip_prefix "3.5.0/19"`},
		{"v6-as-v4.json", `{"prefixes": [{"ip_prefix": "2600::/16"}]}`, `prefixes[0]: ip_prefix "2600::/16" is not an IPv4 prefix`},
		{"v4-as-v6.json", `{"ipv6_prefixes": [{"ipv6_prefix": "3.5.0.0/19"}]}`, `ipv6_prefixes[0]: ipv6_prefix "3.5.0.0/19" is not an IPv6 prefix`},
		{"wrong-type.json", `{"prefixes": {"ip_prefix": "3.5.0.0/19"}}`, "cannot unmarshal"},
		{"bad.json.gz", "\x1f\x8b\x08\x00garbage", "gunzip: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(Config{AWSRanges: path})
			if err == nil {
				r.Close()
				t.Fatalf("Open(AWSRanges: %s) = nil error; want one", tt.name)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, tt.want) {
				t.Errorf("Open(AWSRanges: %s) = %q; want it to name the file and say %q", tt.name, msg, tt.want)
			}
		})
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := Open(Config{AWSRanges: missing}); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(AWSRanges: missing) = %v; want a not-exist error naming the file", err)
	}
}

func FuzzParseRanges(f *testing.F) {
	f.Add([]byte(smallRanges))
	f.Add([]byte(`{"prefixes": [{"ip_prefix": "3.5.0.0/19", "service": "S3"}, {"ip_prefix": "3.5.0.0/16", "service": "EC2"}]}`))
	f.Add([]byte(`{"ipv6_prefixes": [{"ipv6_prefix": "::/0"}, {"ipv6_prefix": "::/128", "service": "EC2"}]}`))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(smallRanges))
	zw.Close()
	f.Add(gz.Bytes())
	probes := []netip.Addr{
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("3.5.0.1"), netip.MustParseAddr("198.51.100.200"),
		netip.MustParseAddr("255.255.255.255"), netip.MustParseAddr("::"), netip.MustParseAddr("2001:db8:1::1"),
		netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := parseRanges(io.LimitReader(bytes.NewReader(data), 1<<20))
		if err != nil {
			return
		}
		checkTable(t, tb)
		for _, a := range probes {
			tb.lookup(a)
		}
	})
}
