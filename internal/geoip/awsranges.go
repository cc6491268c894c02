package geoip

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sync"
)

// embeddedRanges is AWS's published ip-ranges.json (createDate
// 2026-08-22-21-17-05), gzipped because the JSON is 2.6 MB and the gzip
// 124 KB. To refresh it, download the current file from the address AWS
// documents under "AWS IP address ranges" and run
//
//	gzip -9nc ip-ranges.json > internal/geoip/aws-ip-ranges.json.gz
//
// (-n keeps the output byte-identical across runs). Users who need a newer
// list than the binary's point Config.AWSRanges at their own copy.
//
//go:embed aws-ip-ranges.json.gz
var embeddedRanges []byte

// embeddedTable parses the embedded list on first use: most commands never
// ask about AWS ranges, and parsing costs tens of milliseconds. The data is
// part of the build and checked by the tests, so failing to parse it is a
// broken build, not bad input.
var embeddedTable = sync.OnceValue(func() *awsTable {
	t, err := parseRanges(bytes.NewReader(embeddedRanges))
	if err != nil {
		panic("geoip: embedded aws-ip-ranges.json.gz: " + err.Error())
	}
	return t
})

// awsAmazon is the service that AWS lists every one of its prefixes under;
// the other services name subsets of it.
const awsAmazon = "AMAZON"

type awsLabel struct {
	service, region string
}

// awsTable answers "which AWS service and region is this address in" by
// binary search over disjoint, sorted address intervals. Nested prefixes are
// flattened when the table is built, so a lookup never has to weigh one
// prefix against another.
type awsTable struct {
	createDate string
	labels     []awsLabel

	v4start, v4end []uint32
	v4label        []uint32
	// v4index[h] is the first interval that ends at or after h<<16, so
	// that a lookup searches only the few intervals of its /16 instead of
	// all of them; v4index[1<<16] is len(v4start).
	v4index []uint32

	v6start, v6end []u128
	v6label        []uint32
}

// u128 is an IPv6 address as two big-endian halves, cheaper to compare than
// a netip.Addr.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func key6(a netip.Addr) u128 {
	b := a.As16()
	return u128{beUint64(b[:8]), beUint64(b[8:])}
}

func key4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func beUint64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// lookup returns the label of the most specific prefix holding a, which
// must be unmapped and have no zone.
func (t *awsTable) lookup(a netip.Addr) (awsLabel, bool) {
	if a.Is4() {
		x := key4(a)
		lo, hi := t.v4index[x>>16], t.v4index[x>>16+1]
		// The interval holding x, if any, is among lo..hi: the ones from
		// hi on end in a later /16 and only the first of them can start
		// early enough.
		if hi < uint32(len(t.v4start)) {
			hi++
		}
		j, found := slices.BinarySearch(t.v4start[lo:hi], x)
		i := int(lo) + j
		if !found {
			i--
		}
		if i < 0 || x > t.v4end[i] {
			return awsLabel{}, false
		}
		return t.labels[t.v4label[i]], true
	}
	x := key6(a)
	i, found := slices.BinarySearchFunc(t.v6start, x, u128.cmp)
	if !found {
		i--
	}
	if i < 0 || x.cmp(t.v6end[i]) > 0 {
		return awsLabel{}, false
	}
	return t.labels[t.v6label[i]], true
}

// rangesFile is the shape of ip-ranges.json; fields gumshoe does not use
// (syncToken, network_border_group) are left out.
type rangesFile struct {
	CreateDate string `json:"createDate"`
	Prefixes   []struct {
		Prefix  string `json:"ip_prefix"`
		Region  string `json:"region"`
		Service string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		Prefix  string `json:"ipv6_prefix"`
		Region  string `json:"region"`
		Service string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// loadRangesFile reads an ip-ranges.json, plain or gzipped, from path.
func loadRangesFile(path string) (*awsTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open aws ip ranges: %w", err)
	}
	defer f.Close()
	t, err := parseRanges(f)
	if err != nil {
		return nil, fmt.Errorf("parse aws ip ranges %s: %w", path, err)
	}
	return t, nil
}

// parseRanges reads ip-ranges.json, gzipped or not, and builds its table.
func parseRanges(r io.Reader) (*awsTable, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		// Read it whole, so that a damaged stream is reported as such
		// rather than as JSON that ends early.
		data, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("gunzip: %w", err)
		}
		r = bytes.NewReader(data)
	} else {
		r = br
	}
	var f rangesFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("invalid JSON at byte %d: %w", syn.Offset, err)
		}
		return nil, err
	}

	var v4, v6 []rangeEntry
	for i, p := range f.Prefixes {
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil || !pfx.Addr().Is4() {
			return nil, fmt.Errorf("prefixes[%d]: ip_prefix %q is not an IPv4 prefix", i, p.Prefix)
		}
		v4 = append(v4, rangeEntry{pfx.Masked(), awsLabel{p.Service, p.Region}})
	}
	for i, p := range f.IPv6Prefixes {
		pfx, err := netip.ParsePrefix(p.Prefix)
		if err != nil || !pfx.Addr().Is6() || pfx.Addr().Is4In6() {
			return nil, fmt.Errorf("ipv6_prefixes[%d]: ipv6_prefix %q is not an IPv6 prefix", i, p.Prefix)
		}
		v6 = append(v6, rangeEntry{pfx.Masked(), awsLabel{p.Service, p.Region}})
	}
	if len(v4)+len(v6) == 0 {
		return nil, errors.New("no prefixes: not an AWS ip-ranges.json file")
	}

	t := &awsTable{createDate: f.CreateDate}
	ids := map[awsLabel]uint32{}
	labelID := func(l awsLabel) uint32 {
		id, ok := ids[l]
		if !ok {
			id = uint32(len(t.labels))
			ids[l] = id
			t.labels = append(t.labels, l)
		}
		return id
	}
	for _, iv := range flatten(v4) {
		t.v4start = append(t.v4start, key4(iv.first))
		t.v4end = append(t.v4end, key4(iv.last))
		t.v4label = append(t.v4label, labelID(iv.label))
	}
	t.v4index = make([]uint32, 1<<16+1)
	for h := range t.v4index {
		i, _ := slices.BinarySearch(t.v4end, uint32(h)<<16)
		if h == 1<<16 {
			i = len(t.v4end)
		}
		t.v4index[h] = uint32(i)
	}
	for _, iv := range flatten(v6) {
		t.v6start = append(t.v6start, key6(iv.first))
		t.v6end = append(t.v6end, key6(iv.last))
		t.v6label = append(t.v6label, labelID(iv.label))
	}
	return t, nil
}

type rangeEntry struct {
	prefix netip.Prefix
	label  awsLabel
}

type interval struct {
	first, last netip.Addr
	label       awsLabel
}

// better reports whether a names a more specific service than b for the
// same prefix. AWS lists a prefix once per service that uses it: always
// AMAZON, often EC2 as well as S3, DYNAMODB, ROUTE53, ...; the narrower
// service is the useful answer. CLOUDFRONT_ORIGIN_FACING is a part of
// CLOUDFRONT, hence the longer name winning a tie; the alphabetical order
// after that only makes the choice deterministic.
func better(a, b awsLabel) bool {
	rank := func(s string) int {
		switch s {
		case awsAmazon:
			return 0
		case "EC2":
			return 1
		}
		return 2
	}
	if ra, rb := rank(a.service), rank(b.service); ra != rb {
		return ra > rb
	}
	if len(a.service) != len(b.service) {
		return len(a.service) > len(b.service)
	}
	return a.service+"\x00"+a.region < b.service+"\x00"+b.region
}

// flatten turns prefixes of one address family, which may nest, into
// disjoint intervals sorted by address, each labelled with the most specific
// service other than AMAZON that covers it, or AMAZON when none does.
func flatten(entries []rangeEntry) []interval {
	// One label per prefix.
	best := make(map[netip.Prefix]awsLabel, len(entries))
	for _, e := range entries {
		if cur, ok := best[e.prefix]; !ok || better(e.label, cur) {
			best[e.prefix] = e.label
		}
	}
	prefixes := make([]netip.Prefix, 0, len(best))
	for p := range best {
		prefixes = append(prefixes, p)
	}
	// By first address, enclosing prefixes before the ones they hold: two
	// CIDR prefixes are either nested or disjoint, so a stack of the open
	// ones is all the sweep needs.
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Bits(), b.Bits())
	})

	type open struct {
		prefix netip.Prefix
		last   netip.Addr
		label  awsLabel
	}
	var (
		out    []interval
		stack  []open
		cursor netip.Addr // first address not yet emitted; invalid past the end of the space
	)
	emit := func(first, last netip.Addr, l awsLabel) {
		if n := len(out); n > 0 && out[n-1].label == l && out[n-1].last.Next() == first {
			out[n-1].last = last
			return
		}
		out = append(out, interval{first, last, l})
	}
	pop := func() {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cursor.IsValid() && cursor.Compare(top.last) <= 0 {
			emit(cursor, top.last, top.label)
			cursor = top.last.Next()
		}
	}
	for _, p := range prefixes {
		first := p.Addr()
		for len(stack) > 0 && !stack[len(stack)-1].prefix.Contains(first) {
			pop()
		}
		label := best[p]
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			if cursor.IsValid() && cursor.Less(first) {
				emit(cursor, first.Prev(), parent.label)
			}
			// An AMAZON prefix inside, say, an EC2 one is still EC2: the
			// most specific service other than AMAZON wins.
			if label.service == awsAmazon && parent.label.service != awsAmazon {
				label = parent.label
			}
		}
		cursor = first
		stack = append(stack, open{p, lastAddr(p), label})
	}
	for len(stack) > 0 {
		pop()
	}
	return out
}

// lastAddr returns the highest address in p, which must be masked.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}
