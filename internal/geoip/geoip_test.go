package geoip

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// names builds a MaxMind names map; the German entry is there to check that
// only English is read.
func names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String("de:" + en)}
}

func cityRec(iso, countryName, city string, lat, lon float64) mmdbtype.Map {
	country := mmdbtype.Map{"iso_code": mmdbtype.String(iso), "names": names(countryName), "geoname_id": mmdbtype.Uint32(1)}
	return mmdbtype.Map{
		"continent":          mmdbtype.Map{"code": mmdbtype.String("EU"), "names": names("Europe")},
		"country":            country,
		"registered_country": country,
		"city":               mmdbtype.Map{"names": names(city), "geoname_id": mmdbtype.Uint32(2)},
		"location": mmdbtype.Map{
			"latitude":        mmdbtype.Float64(lat),
			"longitude":       mmdbtype.Float64(lon),
			"accuracy_radius": mmdbtype.Uint16(20),
			"time_zone":       mmdbtype.String("Etc/UTC"),
		},
	}
}

func asnRec(n uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(n),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

// writeMMDB writes a MaxMind database of the given type holding records
// (CIDR → record) and returns its path.
func writeMMDB(t testing.TB, file, dbType string, records map[string]mmdbtype.DataType) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		Languages:    []string{"en", "de"},
		RecordSize:   28,
		// Lets TestExamples place documentation ranges, as synthetic
		// databases do.
		IncludeReservedNetworks: true,
		Description:             map[string]string{"en": "gumshoe test database"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range records {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), file)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func testCityDB(t testing.TB) string {
	anycast := cityRec("", "", "", 0, 0)
	delete(anycast, "country")
	delete(anycast, "city")
	delete(anycast, "location")
	anycast["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": names("United States")}
	return writeMMDB(t, "GeoLite2-City.mmdb", "GeoLite2-City", map[string]mmdbtype.DataType{
		"81.2.69.0/24":  cityRec("GB", "United Kingdom", "London", 51.5142, -0.0931),
		"1.128.0.0/11":  cityRec("AU", "Australia", "Sydney", -33.8688, 151.2093),
		"2a02:ff0::/32": cityRec("DE", "Germany", "Berlin", 52.5196, 13.4069),
		"3.5.0.0/19":    cityRec("US", "United States", "Ashburn", 39.0469, -77.4903),
		"1.1.1.0/24":    anycast,
	})
}

func testASNDB(t testing.TB) string {
	return writeMMDB(t, "GeoLite2-ASN.mmdb", "GeoLite2-ASN", map[string]mmdbtype.DataType{
		"81.2.69.0/24":  asnRec(20712, "Andrews & Arnold Ltd"),
		"1.128.0.0/11":  asnRec(1221, "Telstra Limited"),
		"2a02:ff0::/32": asnRec(8881, "1&1 Versatel Deutschland GmbH"),
		"3.5.0.0/19":    asnRec(16509, "AMAZON-02"),
		"1.1.1.0/24":    asnRec(13335, "CLOUDFLARENET"),
	})
}

func openT(t testing.TB, cfg Config) *Resolver {
	t.Helper()
	r, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return r
}

var london = Info{
	Country: "GB", CountryName: "United Kingdom", City: "London",
	Latitude: 51.5, Longitude: -0.1,
	ASN: 20712, ASOrg: "Andrews & Arnold Ltd",
}

func TestLookup(t *testing.T) {
	r := openT(t, Config{CityDB: testCityDB(t), ASNDB: testASNDB(t)})
	tests := []struct {
		addr string
		want Info
		ok   bool
	}{
		{"81.2.69.142", london, true},
		{"::ffff:81.2.69.142", london, true},
		{"1.128.0.1", Info{
			Country: "AU", CountryName: "Australia", City: "Sydney",
			Latitude: -33.9, Longitude: 151.2, ASN: 1221, ASOrg: "Telstra Limited",
		}, true},
		{"2a02:ff0:1234::1", Info{
			Country: "DE", CountryName: "Germany", City: "Berlin",
			Latitude: 52.5, Longitude: 13.4, ASN: 8881, ASOrg: "1&1 Versatel Deutschland GmbH",
		}, true},
		// Registered country only, as MaxMind has it for anycast networks.
		{"1.1.1.1", Info{Country: "US", CountryName: "United States", ASN: 13335, ASOrg: "CLOUDFLARENET"}, true},
		// In AWS's ranges as well as the databases: S3 wins over the EC2
		// and AMAZON entries for the same prefix.
		{"3.5.0.1", Info{
			Country: "US", CountryName: "United States", City: "Ashburn",
			Latitude: 39.0, Longitude: -77.5, ASN: 16509, ASOrg: "AMAZON-02",
			AWSService: "S3", AWSRegion: "us-east-1",
		}, true},
		// In AWS's ranges only.
		{"52.4.0.1", Info{AWSService: "EC2", AWSRegion: "us-east-1"}, true},
		// Public, but in neither database nor AWS's ranges.
		{"8.8.8.8", Info{}, true},
		{"2001:4860:4860::8888", Info{}, true},
		// Not public.
		{"10.1.2.3", Info{}, false},
		{"172.16.0.1", Info{}, false},
		{"192.168.1.1", Info{}, false},
		{"::ffff:192.168.1.1", Info{}, false},
		{"100.64.0.1", Info{}, false},
		{"100.127.255.254", Info{}, false},
		{"127.0.0.1", Info{}, false},
		{"::1", Info{}, false},
		{"169.254.169.254", Info{}, false},
		{"fe80::1%eth0", Info{}, false},
		{"224.0.0.251", Info{}, false},
		{"ff02::1", Info{}, false},
		{"fd12:3456::1", Info{}, false},
		{"0.0.0.0", Info{}, false},
		{"::", Info{}, false},
		{"255.255.255.255", Info{}, false},
		{"192.0.2.10", Info{}, false},
		{"2001:db8::1", Info{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tt.addr)
			// Twice: the second answer comes from the cache.
			for range 2 {
				got, ok := r.Lookup(addr)
				if ok != tt.ok {
					t.Fatalf("Lookup(%s) ok = %v; want %v", addr, ok, tt.ok)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Fatalf("Lookup(%s) mismatch (-want +got):\n%s", addr, diff)
				}
			}
		})
	}
	if got, ok := r.Lookup(netip.Addr{}); ok || got != (Info{}) {
		t.Errorf("Lookup(zero Addr) = %+v, %v; want zero, false", got, ok)
	}
}

func TestLookupWithoutDatabases(t *testing.T) {
	r := openT(t, Config{})
	if got, ok := r.Lookup(netip.MustParseAddr("52.216.0.1")); !ok || got != (Info{AWSService: "S3", AWSRegion: "us-east-1"}) {
		t.Errorf("Lookup(52.216.0.1) = %+v, %v; want S3 us-east-1, true", got, ok)
	}
	if got, ok := r.Lookup(netip.MustParseAddr("81.2.69.142")); !ok || got != (Info{}) {
		t.Errorf("Lookup(81.2.69.142) = %+v, %v; want zero, true", got, ok)
	}
}

func TestLookupCountryDB(t *testing.T) {
	rec := cityRec("DE", "Germany", "", 0, 0)
	delete(rec, "city")
	delete(rec, "location")
	path := writeMMDB(t, "GeoLite2-Country.mmdb", "GeoLite2-Country", map[string]mmdbtype.DataType{"2a02:ff0::/32": rec})
	r := openT(t, Config{CityDB: path})
	got, ok := r.Lookup(netip.MustParseAddr("2a02:ff0::1"))
	if want := (Info{Country: "DE", CountryName: "Germany"}); !ok || got != want {
		t.Errorf("Lookup(2a02:ff0::1) = %+v, %v; want %+v, true", got, ok, want)
	}
}

func TestRound1(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{51.5142, 51.5}, {-0.0931, -0.1}, {-33.8688, -33.9}, {151.2093, 151.2},
		{0.04, 0}, {0.05, 0.1}, {-0.05, -0.1}, {179.99, 180}, {-90, -90}, {0, 0},
	} {
		if got := round1(tt.in); got != tt.want {
			t.Errorf("round1(%v) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a maxmind database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.mmdb")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A real database cut short loses its metadata, which sits at the end.
	valid, err := os.ReadFile(testCityDB(t))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mmdb")
	if err := os.WriteFile(truncated, valid[:len(valid)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.mmdb")
	cityDB, asnDB := testCityDB(t), testASNDB(t)

	tests := []struct {
		name     string
		cfg      Config
		wantFile string
		wantType bool // errors.Is(err, ErrDatabaseType)
	}{
		{"garbage city", Config{CityDB: garbage}, garbage, false},
		{"garbage asn", Config{CityDB: cityDB, ASNDB: garbage}, garbage, false},
		{"empty", Config{CityDB: empty}, empty, false},
		{"truncated", Config{CityDB: truncated}, truncated, false},
		{"missing", Config{ASNDB: missing}, missing, false},
		{"asn as city", Config{CityDB: asnDB}, asnDB, true},
		{"city as asn", Config{ASNDB: cityDB}, cityDB, true},
		{"swapped", Config{CityDB: asnDB, ASNDB: cityDB}, asnDB, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.cfg)
			if err == nil {
				r.Close()
				t.Fatalf("Open(%+v) = nil error; want one naming %s", tt.cfg, tt.wantFile)
			}
			if !strings.Contains(err.Error(), tt.wantFile) {
				t.Errorf("Open(%+v) = %q; want it to name %s", tt.cfg, err, tt.wantFile)
			}
			if tt.cfg.ASNDB == missing && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("errors.Is(%q, fs.ErrNotExist) = false; want true", err)
			}
			if got := errors.Is(err, ErrDatabaseType); got != tt.wantType {
				t.Errorf("errors.Is(%q, ErrDatabaseType) = %v; want %v", err, got, tt.wantType)
			}
			t.Logf("%v", err)
		})
	}
}

// A database whose type gumshoe does not know is accepted, and records in a
// layout other than GeoLite2's leave the fields empty rather than fail.
func TestLookupUnknownLayout(t *testing.T) {
	odd := writeMMDB(t, "odd.mmdb", "Acme-Geo", map[string]mmdbtype.DataType{
		"81.2.69.0/24": mmdbtype.Map{
			"country":                  mmdbtype.String("GB"), // a string, not a map
			"location":                 mmdbtype.Slice{mmdbtype.Float64(51.5)},
			"autonomous_system_number": mmdbtype.String("AS20712"),
		},
	})
	r := openT(t, Config{CityDB: odd, ASNDB: odd})
	got, ok := r.Lookup(netip.MustParseAddr("81.2.69.142"))
	if !ok || got != (Info{}) {
		t.Errorf("Lookup(81.2.69.142) = %+v, %v; want zero, true", got, ok)
	}
}

// A database whose search tree or data section is damaged but whose
// metadata survives opens; lookups must not panic.
func TestLookupCorruptData(t *testing.T) {
	data, err := os.ReadFile(testCityDB(t))
	if err != nil {
		t.Fatal(err)
	}
	meta := strings.LastIndex(string(data), "\xab\xcd\xefMaxMind.com")
	if meta < 0 {
		t.Fatal("no metadata marker in test database")
	}
	for i := 0; i < meta; i += 3 {
		data[i] ^= 0x5a
	}
	path := filepath.Join(t.TempDir(), "damaged.mmdb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(Config{CityDB: path})
	if err != nil {
		t.Logf("Open(damaged) = %v", err) // also acceptable
		return
	}
	defer r.Close()
	for _, s := range []string{"81.2.69.142", "1.128.0.1", "2a02:ff0::1", "8.8.8.8", "2600::1"} {
		r.Lookup(netip.MustParseAddr(s))
	}
}

func TestConcurrentLookups(t *testing.T) {
	r := openT(t, Config{CityDB: testCityDB(t), ASNDB: testASNDB(t)})
	// More distinct addresses than the cache holds, so that goroutines
	// evict each other's entries while they read.
	base := netip.MustParseAddr("1.128.0.0")
	const distinct = 2*cacheShards*cacheShardSize + 4000
	want := Info{
		Country: "AU", CountryName: "Australia", City: "Sydney",
		Latitude: -33.9, Longitude: 151.2, ASN: 1221, ASOrg: "Telstra Limited",
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			a := base
			for i := range distinct {
				if i%4 == 0 {
					if got, ok := r.Lookup(netip.MustParseAddr("81.2.69.142")); !ok || got != london {
						errs <- fmt.Errorf("Lookup(81.2.69.142) = %+v, %v; want %+v", got, ok, london)
						return
					}
				}
				if got, ok := r.Lookup(a); !ok || got != want {
					errs <- fmt.Errorf("goroutine %d: Lookup(%s) = %+v, %v; want %+v", g, a, got, ok, want)
					return
				}
				a = a.Next()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, limit := r.cache.len(), 2*cacheShards*cacheShardSize; n > limit {
		t.Errorf("cache holds %d entries; want at most %d", n, limit)
	}
}

func TestIsPublic(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"8.8.8.8", true}, {"52.95.110.1", true}, {"2600:1f18::1", true}, {"::ffff:8.8.8.8", true},
		{"100.63.255.255", true}, {"100.128.0.0", true}, {"172.32.0.1", true}, {"11.0.0.1", true},
		{"198.17.255.255", true}, {"198.20.0.0", true}, {"2001:db9::1", true},
		{"10.0.0.1", false}, {"100.64.0.0", false}, {"172.31.255.255", false}, {"192.168.0.1", false},
		{"127.0.0.53", false}, {"169.254.0.1", false}, {"224.0.0.1", false}, {"239.255.255.250", false},
		{"0.1.2.3", false}, {"192.0.0.9", false}, {"198.18.0.1", false}, {"198.51.100.7", false},
		{"203.0.113.9", false}, {"240.0.0.1", false}, {"255.255.255.255", false},
		{"::", false}, {"::1", false}, {"fe80::1", false}, {"fe80::1%en0", false}, {"fc00::1", false},
		{"fd00:ec2::254", false}, {"ff05::2", false}, {"2001:db8:1::1", false}, {"100::1", false},
		{"fec0::1", false}, {"64:ff9b:1::1", false}, {"::ffff:127.0.0.1", false},
	} {
		if got := IsPublic(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("IsPublic(%s) = %v; want %v", tt.addr, got, tt.want)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Errorf("IsPublic(zero Addr) = true; want false")
	}
}

// TestExamples checks that documentation ranges are looked up only when
// the configuration says the databases hold them (synthetic databases).
func TestExamples(t *testing.T) {
	db := writeMMDB(t, "Synthetic-City.mmdb", "GeoIP2-City", map[string]mmdbtype.DataType{
		"203.0.113.0/24": mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String("BR")}},
	})
	plain := openT(t, Config{CityDB: db})
	if _, ok := plain.Lookup(netip.MustParseAddr("203.0.113.9")); ok || plain.Describes(netip.MustParseAddr("203.0.113.9")) {
		t.Error("a documentation address was looked up without Examples")
	}
	ex := openT(t, Config{CityDB: db, Examples: true})
	for _, a := range []string{"203.0.113.9", "198.18.0.1", "2001:db8::1", "8.8.8.8"} {
		if !ex.Describes(netip.MustParseAddr(a)) {
			t.Errorf("Describes(%s) = false with Examples", a)
		}
	}
	if info, ok := ex.Lookup(netip.MustParseAddr("203.0.113.9")); !ok || info.Country != "BR" {
		t.Errorf("Lookup(203.0.113.9) = %+v, %v; want BR", info, ok)
	}
	for _, a := range []string{"10.0.0.1", "192.168.0.1", "100.64.0.1"} {
		if ex.Describes(netip.MustParseAddr(a)) {
			t.Errorf("Describes(%s) = true: private addresses are never looked up", a)
		}
	}
}
