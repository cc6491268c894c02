package geoip

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchAddrs returns n addresses of one family, half of them inside AWS's
// ranges (a random address inside a random prefix) and half anywhere.
func benchAddrs(n int, v6 bool) []netip.Addr {
	tb := embeddedTable()
	rng := rand.New(rand.NewPCG(3, 4))
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		if v6 {
			var b [16]byte
			if i%2 == 0 {
				j := rng.IntN(len(tb.v6start))
				s, e := tb.v6start[j], tb.v6end[j]
				lo := s.lo
				if s.hi == e.hi && e.lo > s.lo {
					lo += rng.Uint64N(e.lo - s.lo)
				}
				putBE(b[:8], s.hi)
				putBE(b[8:], lo)
			} else {
				putBE(b[:8], 0x2000_0000_0000_0000|rng.Uint64()>>3)
				putBE(b[8:], rng.Uint64())
			}
			addrs[i] = netip.AddrFrom16(b)
			continue
		}
		var x uint32
		if i%2 == 0 {
			j := rng.IntN(len(tb.v4start))
			x = tb.v4start[j] + uint32(rng.Uint64N(uint64(tb.v4end[j]-tb.v4start[j])+1))
		} else {
			x = rng.Uint32()
		}
		addrs[i] = netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
	}
	return addrs
}

func putBE(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}

func BenchmarkAWS(b *testing.B) {
	r, err := Open(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, fam := range []struct {
		name string
		v6   bool
	}{{"IPv4", false}, {"IPv6", true}} {
		b.Run(fam.name, func(b *testing.B) {
			addrs := benchAddrs(1<<16, fam.v6)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.AWS(addrs[i&(len(addrs)-1)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}

// BenchmarkParseEmbedded measures the one-off cost of the first AWS lookup.
func BenchmarkParseEmbedded(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(embeddedRanges)))
	for b.Loop() {
		if _, err := parseRanges(bytes.NewReader(embeddedRanges)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookup measures Lookup with City and ASN databases, when the
// addresses repeat (as in logs: answered from the cache) and when every one
// is new (a MaxMind decode each).
func BenchmarkLookup(b *testing.B) {
	r, err := Open(Config{CityDB: testCityDB(b), ASNDB: testASNDB(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	base := netip.MustParseAddr("1.128.0.0")
	for _, bc := range []struct {
		name     string
		distinct int
	}{{"repeating-1k", 1 << 10}, {"distinct-1M", 1 << 20}} {
		addrs := make([]netip.Addr, bc.distinct)
		a := base
		for i := range addrs {
			addrs[i] = a
			a = a.Next()
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r.Lookup(addrs[i&(len(addrs)-1)])
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := rand.IntN(len(addrs))
				for pb.Next() {
					r.Lookup(addrs[i&(len(addrs)-1)])
					i++
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
		})
	}
}
