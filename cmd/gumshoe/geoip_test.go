package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeMMDB builds a tiny MaxMind database: nothing can be downloaded here,
// and the real GeoLite2 files may not be redistributed.
func writeMMDB(t *testing.T, path, dbType, cidr string, rec mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28})
	if err != nil {
		t.Fatal(err)
	}
	_, network, _ := net.ParseCIDR(cidr)
	if err := tree.Insert(network, rec); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}

func TestIngestWithGeoIP(t *testing.T) {
	dir := t.TempDir()
	city := filepath.Join(dir, "city.mmdb")
	asn := filepath.Join(dir, "asn.mmdb")
	writeMMDB(t, city, "GeoLite2-City", "81.2.69.0/24", mmdbtype.Map{
		"country":  mmdbtype.Map{"iso_code": mmdbtype.String("GB"), "names": mmdbtype.Map{"en": mmdbtype.String("United Kingdom")}},
		"city":     mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("London")}},
		"location": mmdbtype.Map{"latitude": mmdbtype.Float64(51.5142), "longitude": mmdbtype.Float64(-0.0931)},
	})
	writeMMDB(t, asn, "GeoLite2-ASN", "81.2.64.0/19", mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(20712),
		"autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd"),
	})
	flows := writeFile(t, dir, "f.log", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"+
		"2 123456789010 eni-1 81.2.69.160 10.0.0.5 51234 22 6 10 1000 1418530010 1418530070 REJECT OK\n")
	db := filepath.Join(dir, "g.duckdb")
	if _, _, err := run(t, "ingest", "--db", db, "--geoip-city", city, "--geoip-asn", asn, flows); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "query", "--db", db, "--format", "csv", "SELECT ip, country, city, latitude, longitude, asn, as_org FROM ip_info")
	if err != nil {
		t.Fatal(err)
	}
	want := "ip,country,city,latitude,longitude,asn,as_org\n81.2.69.160,GB,London,51.5,-0.1,20712,Andrews & Arnold Ltd\n"
	if out != want {
		t.Errorf("ip_info = %q; want %q", out, want)
	}
	// A database of the wrong kind is refused with a message naming it.
	_, _, err = run(t, "ingest", "--db", db, "--geoip-city", asn, flows)
	if err == nil || !strings.Contains(err.Error(), asn) {
		t.Errorf("ingest with an ASN database as --geoip-city = %v; want an error naming it", err)
	}
}
