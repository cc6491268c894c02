// Package geoip tells gumshoe where a public IP address is and who runs it:
// its country, city and coordinates and its autonomous system organization
// (from MaxMind GeoLite2/GeoIP2 databases the user supplies), and whether it
// belongs to AWS, with the service and region (from AWS's published
// ip-ranges.json, a copy of which is embedded). Entity profiles use it for
// the geolocations and ASOs that Detective shows, and detections use it to
// tell calls made from inside AWS from those made outside it.
package geoip

import (
	"errors"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Info is what gumshoe knows about a public address. Fields the databases
// given to Open do not cover are empty.
type Info struct {
	Country     string  // ISO 3166-1 alpha-2 code, e.g. "DE"
	CountryName string  // in English
	City        string  // in English
	Latitude    float64 // rounded to one decimal, as Detective does
	Longitude   float64
	ASN         uint32
	ASOrg       string // autonomous system organization
	AWSService  string // "EC2", "S3", ... when the address is in AWS's published ranges, "" otherwise
	AWSRegion   string // "us-east-1", ..., or "GLOBAL"
}

// Config names the data a Resolver reads.
type Config struct {
	// CityDB is a GeoLite2/GeoIP2 City or Country .mmdb file; "" for none.
	CityDB string
	// ASNDB is a GeoLite2-ASN (or GeoIP2-ISP) .mmdb file; "" for none.
	ASNDB string
	// AWSRanges is a copy of AWS's ip-ranges.json, plain or gzipped; ""
	// uses the copy embedded in the binary.
	AWSRanges string
	// Examples lets the databases place the documentation and
	// benchmarking ranges (192.0.2.0/24, 198.18.0.0/15, 198.51.100.0/24,
	// 203.0.113.0/24, 2001:db8::/32), which real databases never hold:
	// for synthetic databases such as gumshoe demo's.
	Examples bool
}

// Resolver answers questions about addresses. Its methods are safe for
// concurrent use, except Close.
type Resolver struct {
	examples  bool
	city, asn *maxminddb.Reader
	aws       func() *awsTable
	cache     cache
}

// Open opens the MaxMind databases given (either may be ""), which may be
// GeoLite2/GeoIP2 City, Country and ASN .mmdb files. A database of the wrong
// kind (an ASN database as CityDB, say) is an error wrapping
// ErrDatabaseType. A user-supplied AWS ranges file is read here, so that
// its errors surface now; the embedded copy is parsed on first use.
func Open(cfg Config) (*Resolver, error) {
	r := &Resolver{examples: cfg.Examples}
	var err error
	if cfg.CityDB != "" {
		if r.city, err = openDB(cfg.CityDB, kindGeo); err != nil {
			return nil, err
		}
	}
	if cfg.ASNDB != "" {
		if r.asn, err = openDB(cfg.ASNDB, kindASN); err != nil {
			r.Close()
			return nil, err
		}
	}
	if cfg.AWSRanges == "" {
		r.aws = embeddedTable
	} else {
		t, err := loadRangesFile(cfg.AWSRanges)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.aws = func() *awsTable { return t }
	}
	return r, nil
}

// Close releases the MaxMind databases. It must not be called while
// lookups are in flight, and the Resolver must not be used after it.
func (r *Resolver) Close() error {
	var errs []error
	if r.city != nil {
		errs = append(errs, r.city.Close())
		r.city = nil
	}
	if r.asn != nil {
		errs = append(errs, r.asn.Close())
		r.asn = nil
	}
	return errors.Join(errs...)
}

// Lookup returns what is known about addr. Addresses that are not on the
// public internet (see IsPublic) return ok=false; a public address the
// databases do not cover returns ok=true with empty fields.
func (r *Resolver) Lookup(addr netip.Addr) (info Info, ok bool) {
	addr = addr.Unmap().WithZone("")
	if !r.Describes(addr) {
		return Info{}, false
	}
	if r.city == nil && r.asn == nil {
		// Nothing worth caching: the AWS table is as fast as the cache.
		info.AWSService, info.AWSRegion, _ = r.AWS(addr)
		return info, true
	}
	if info, ok := r.cache.get(addr); ok {
		return info, true
	}
	if r.city != nil {
		lookupCity(r.city, addr, &info)
	}
	if r.asn != nil {
		lookupASN(r.asn, addr, &info)
	}
	info.AWSService, info.AWSRegion, _ = r.AWS(addr)
	r.cache.put(addr, info)
	return info, true
}

// AWS reports whether addr is in AWS's published ranges (any service), with
// the most specific service other than "AMAZON" when there is one: an
// address in an S3 prefix that AWS also lists under EC2 and AMAZON is "S3".
// The region is the prefix's, e.g. "us-east-1", or "GLOBAL".
func (r *Resolver) AWS(addr netip.Addr) (service, region string, ok bool) {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() {
		return "", "", false
	}
	l, ok := r.aws().lookup(addr)
	return l.service, l.region, ok
}

// AWSRangesDate returns the createDate of the AWS ranges in use, e.g.
// "2026-08-22-21-17-05", so that a user can tell how current they are.
func (r *Resolver) AWSRangesDate() string {
	return r.aws().createDate
}

// nonPublic lists the special-purpose blocks (RFC 6890 and its updates)
// that are not reachable on the public internet and that netip's
// predicates do not already cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the limited broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// IsPublic reports whether addr is a public internet address: not private
// (RFC 1918, IPv6 unique local), loopback, link-local, multicast,
// unspecified, shared (100.64.0.0/10) or another special-purpose block such
// as the documentation ranges. IPv4-mapped IPv6 addresses are judged as the
// IPv4 address they carry.
func IsPublic(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if !addr.IsValid() || addr.IsUnspecified() || addr.IsLoopback() || addr.IsPrivate() ||
		addr.IsLinkLocalUnicast() || addr.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// examplePrefixes are the documentation and benchmarking ranges.
var examplePrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// Describes reports whether Lookup looks addr up: public addresses, and
// with Config.Examples the documentation and benchmarking ranges.
func (r *Resolver) Describes(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	if IsPublic(addr) {
		return true
	}
	if r.examples {
		for _, p := range examplePrefixes {
			if p.Contains(addr) {
				return true
			}
		}
	}
	return false
}
