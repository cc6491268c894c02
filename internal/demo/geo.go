package demo

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// geoDescription labels both databases: anyone who opens them learns
// that they describe nothing real.
const geoDescription = "SYNTHETIC data written by gumshoe's demo: made-up places and networks for documentation and benchmarking address ranges only. Not a real GeoIP database."

// writeGeoIP writes the synthetic City and ASN databases into dir, in
// MaxMind's format, so that the ingest path that reads real GeoLite2 files
// reads these the same way. Their build time is the end of the period, so
// that the files are the same from run to run.
func writeGeoIP(dir string, end time.Time) error {
	city, err := newTree("Gumshoe-Synthetic-City", end)
	if err != nil {
		return err
	}
	asn, err := newTree("Gumshoe-Synthetic-ASN", end)
	if err != nil {
		return err
	}
	names := func(s string) mmdbtype.Map { return mmdbtype.Map{"en": mmdbtype.String(s)} }
	for _, b := range geoBlocks {
		_, network, err := net.ParseCIDR(b.prefix)
		if err != nil {
			return err
		}
		country := mmdbtype.Map{"iso_code": mmdbtype.String(b.country), "names": names(b.name)}
		rec := mmdbtype.Map{
			"continent":          mmdbtype.Map{"code": mmdbtype.String(b.continent), "names": names(b.contNam)},
			"country":            country,
			"registered_country": country,
			"city":               mmdbtype.Map{"names": names(b.city)},
			"location": mmdbtype.Map{
				"latitude": mmdbtype.Float64(b.lat), "longitude": mmdbtype.Float64(b.lon),
				"accuracy_radius": mmdbtype.Uint16(50), "time_zone": mmdbtype.String("Etc/UTC"),
			},
		}
		if err := city.Insert(network, rec); err != nil {
			return fmt.Errorf("synthetic GeoIP %s: %w", b.prefix, err)
		}
		if err := asn.Insert(network, mmdbtype.Map{
			"autonomous_system_number":       mmdbtype.Uint32(b.asn),
			"autonomous_system_organization": mmdbtype.String(b.org),
		}); err != nil {
			return fmt.Errorf("synthetic GeoIP %s: %w", b.prefix, err)
		}
	}
	if err := writeTree(city, filepath.Join(dir, CityDB)); err != nil {
		return err
	}
	return writeTree(asn, filepath.Join(dir, ASNDB))
}

func newTree(dbType string, end time.Time) (*mmdbwriter.Tree, error) {
	return mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		Description:  map[string]string{"en": geoDescription},
		Languages:    []string{"en"},
		RecordSize:   28,
		BuildEpoch:   end.Unix(),
		// The demo's internet is made of reserved ranges.
		IncludeReservedNetworks: true,
	})
}

func writeTree(t *mmdbwriter.Tree, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := t.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
