package demo

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// The address plan. Addresses outside AWS come from the documentation
// ranges (RFC 5737) and the benchmarking range (RFC 2544), which no real
// host uses, so that nothing in the demo points at a real party. Addresses
// of AWS itself (the instances' public addresses, the NAT gateways'
// Elastic IPs, S3 and the API endpoints) come from AWS's published ranges
// for the region, so that "inside AWS" and "outside AWS" mean what they
// mean in real logs.
//
//	192.0.2.0/24     TEST-NET-1: offices, homes and the CI provider
//	198.18.0.0/16    benchmarking: the web site's visitors
//	198.19.0.0/17    benchmarking: third-party services the apps call
//	198.19.128.0/17  benchmarking: background internet scanners
//	198.51.100.0/24  TEST-NET-2: the mining pool, the port scan's target
//	203.0.113.0/24   TEST-NET-3: the attackers
const (
	addrBerlinOffice = 192<<24 | 0<<16 | 2<<8 | 0   // 192.0.2.0/26
	addrNYOffice     = 192<<24 | 0<<16 | 2<<8 | 64  // 192.0.2.64/26
	addrHomes        = 192<<24 | 0<<16 | 2<<8 | 128 // 192.0.2.128/27: Berlin staff's homes
	addrHomesUS      = 192<<24 | 0<<16 | 2<<8 | 160 // 192.0.2.160/27: New York staff's homes
	addrCI           = 192<<24 | 0<<16 | 2<<8 | 192 // 192.0.2.192/26
	addrClients      = 198<<24 | 18<<16             // 198.18.0.0/16
	addrPartners     = 198<<24 | 19<<16             // 198.19.0.0/17
	addrScanners     = 198<<24 | 19<<16 | 128<<8    // 198.19.128.0/17
	addrTestNet2     = 198<<24 | 51<<16 | 100<<8
	addrTestNet3     = 203<<24 | 0<<16 | 113<<8
)

// The attackers and the hosts of the scenarios.
const (
	addrBruteForcer = addrTestNet3 | 21
	addrProber1     = addrTestNet3 | 140
	addrExfil       = addrTestNet3 | 50
	addrLeakedKey   = addrTestNet3 | 99
	addrRootLogin   = addrTestNet3 | 201
	addrPool1       = addrTestNet2 | 23
	addrPool2       = addrTestNet2 | 24
	addrScanTarget  = addrTestNet2 | 77
)

// AWS addresses by region: EC2 (instances' public addresses and NAT
// Elastic IPs), S3, and the regional API endpoints.
type awsRanges struct {
	ec2, nat, s3, api uint32 // bases of /16 (ec2, nat), /17 (s3), /21 (api)
}

var regionRanges = map[string]awsRanges{
	"us-east-1": {ec2: 52<<24 | 4<<16, nat: 50<<24 | 16<<16, s3: 52<<24 | 216<<16, api: 52<<24 | 94<<16 | 224<<8},
	"eu-west-1": {ec2: 54<<24 | 247<<16, nat: 63<<24 | 32<<16, s3: 52<<24 | 218<<16, api: 52<<24 | 94<<16 | 216<<8},
}

// rangeList is regionRanges in a fixed order.
var rangeList = []awsRanges{regionRanges["us-east-1"], regionRanges["eu-west-1"]}

func instancePublicIP(region string, i int, r *rand.Rand) uint32 {
	return regionRanges[region].ec2 | uint32(1+r.IntN(250))<<8 | uint32(10+i)
}

func natPublicIP(region string, second int) uint32 {
	return regionRanges[region].nat | uint32(second)<<8 | 17
}

// s3Addr is one of a few S3 front-end addresses of the region.
func s3Addr(region string, r *rand.Rand) uint32 {
	return regionRanges[region].s3 | uint32(r.IntN(8)+1)<<8 | uint32(r.IntN(250)+2)
}

// apiAddr is an address of a regional API endpoint (STS, SSM, KMS, …).
func apiAddr(region string, r *rand.Rand) uint32 {
	return regionRanges[region].api | uint32(r.IntN(8))<<8 | uint32(r.IntN(250)+2)
}

// client returns one of the web site's visitors: a skewed pick among
// 65,536 addresses, so that some visitors come back every day.
func client(r *rand.Rand) uint32 {
	f := r.Float64()
	return addrClients | uint32(f*f*65535)
}

func scanner(r *rand.Rand) uint32 { return addrScanners | uint32(r.IntN(1<<15)) }

func ipv4(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

// octets spells 0 to 255: flow logs are mostly addresses, and a table
// is faster than formatting numbers.
var octets = func() (t [256]string) {
	for i := range t {
		t[i] = strconv.Itoa(i)
	}
	return t
}()

func appendIP(b []byte, a uint32) []byte {
	b = append(b, octets[a>>24]...)
	b = append(b, '.')
	b = append(b, octets[a>>16&255]...)
	b = append(b, '.')
	b = append(b, octets[a>>8&255]...)
	b = append(b, '.')
	return append(b, octets[a&255]...)
}

func ipString(a uint32) string { return string(appendIP(nil, a)) }

// awsService names the AWS service range an address is in, as flow logs'
// pkt-src-aws-service and pkt-dst-aws-service do; "" when none.
func awsService(a uint32) string {
	if a>>24 == 10 || a>>24 == 192 || a>>24 == 198 || a>>24 == 203 {
		return "" // the VPCs and the made-up internet
	}
	for _, rr := range rangeList {
		switch {
		case a&0xffff8000 == rr.s3:
			return "S3"
		case a&0xfffff800 == rr.api:
			return "AMAZON"
		case a&0xffff0000 == rr.ec2, a&0xffff0000 == rr.nat:
			return "EC2"
		}
	}
	return ""
}

// geoBlock is one block of the synthetic GeoIP database.
type geoBlock struct {
	prefix             string
	country, name      string
	city               string
	lat, lon           float64
	asn                uint32
	org                string
	continent, contNam string
}

// geoBlocks places every non-AWS address of the demo. The places are
// real cities; the networks are made up and say so.
var geoBlocks = []geoBlock{
	{"192.0.2.0/26", "DE", "Germany", "Berlin", 52.52, 13.40, 64496, "Example Office Fibre (synthetic)", "EU", "Europe"},
	{"192.0.2.64/26", "US", "United States", "New York", 40.71, -74.01, 64497, "Example Business Internet (synthetic)", "NA", "North America"},
	// Homes near each office: a New York engineer signing in from home
	// must not look like a jump across the Atlantic (impossible travel).
	{"192.0.2.128/27", "DE", "Germany", "Hamburg", 53.55, 9.99, 64498, "Example Home Broadband (synthetic)", "EU", "Europe"},
	{"192.0.2.160/27", "US", "United States", "Brooklyn", 40.68, -73.94, 65542, "Example Home Cable US (synthetic)", "NA", "North America"},
	{"192.0.2.192/26", "US", "United States", "Ashburn", 39.04, -77.49, 64499, "Example CI Cloud (synthetic)", "NA", "North America"},
	{"198.18.0.0/19", "US", "United States", "Chicago", 41.88, -87.63, 64500, "Example Telecom US (synthetic)", "NA", "North America"},
	{"198.18.32.0/19", "US", "United States", "Los Angeles", 34.05, -118.24, 64501, "Example Cable West (synthetic)", "NA", "North America"},
	{"198.18.64.0/19", "GB", "United Kingdom", "London", 51.51, -0.13, 64502, "Example Telecom UK (synthetic)", "EU", "Europe"},
	{"198.18.96.0/19", "DE", "Germany", "Frankfurt am Main", 50.11, 8.68, 64503, "Example Telekom DE (synthetic)", "EU", "Europe"},
	{"198.18.128.0/19", "FR", "France", "Paris", 48.86, 2.35, 64504, "Example Telecom FR (synthetic)", "EU", "Europe"},
	{"198.18.160.0/19", "JP", "Japan", "Tokyo", 35.68, 139.69, 64505, "Example Telecom JP (synthetic)", "AS", "Asia"},
	{"198.18.192.0/19", "BR", "Brazil", "São Paulo", -23.55, -46.63, 64506, "Example Telecom BR (synthetic)", "SA", "South America"},
	{"198.18.224.0/19", "CA", "Canada", "Toronto", 43.65, -79.38, 64507, "Example Telecom CA (synthetic)", "NA", "North America"},
	{"198.19.0.0/17", "US", "United States", "Seattle", 47.61, -122.33, 64508, "Example SaaS Hosting (synthetic)", "NA", "North America"},
	{"198.19.128.0/18", "NL", "Netherlands", "Amsterdam", 52.37, 4.90, 64509, "Example Bulletproof Hosting (synthetic)", "EU", "Europe"},
	{"198.19.192.0/18", "SG", "Singapore", "Singapore", 1.35, 103.82, 64510, "Example Scanning Service (synthetic)", "AS", "Asia"},
	{"198.51.100.0/25", "FR", "France", "Roubaix", 50.69, 3.17, 64511, "Example Dedicated Servers (synthetic)", "EU", "Europe"},
	{"198.51.100.128/25", "DE", "Germany", "Falkenstein", 50.48, 12.37, 65536, "Example Root Servers (synthetic)", "EU", "Europe"},
	{"203.0.113.0/27", "NL", "Netherlands", "Amsterdam", 52.37, 4.90, 65541, "Example Cloud VPS (synthetic)", "EU", "Europe"},
	{"203.0.113.32/27", "RO", "Romania", "Bucharest", 44.43, 26.10, 65537, "Example VPS Romania (synthetic)", "EU", "Europe"},
	{"203.0.113.64/26", "BR", "Brazil", "Rio de Janeiro", -22.91, -43.17, 65538, "Example Mobile BR (synthetic)", "SA", "South America"},
	{"203.0.113.128/26", "SG", "Singapore", "Singapore", 1.29, 103.85, 65539, "Example VPS Asia (synthetic)", "AS", "Asia"},
	{"203.0.113.192/26", "VN", "Vietnam", "Hanoi", 21.03, 105.85, 65540, "Example Broadband VN (synthetic)", "AS", "Asia"},
}

// geoOf returns the synthetic block holding a, or nil.
func geoOf(a uint32) *geoBlock {
	addr := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
	for i := range geoBlocks {
		if netip.MustParsePrefix(geoBlocks[i].prefix).Contains(addr) {
			return &geoBlocks[i]
		}
	}
	return nil
}
