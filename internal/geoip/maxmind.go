package geoip

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// ErrDatabaseType reports a MaxMind database given in the wrong place, such
// as an ASN database as the city database.
var ErrDatabaseType = errors.New("wrong kind of MaxMind database")

type dbKind int

const (
	kindGeo dbKind = iota // City, Country, Enterprise
	kindASN               // ASN, ISP
)

func (k dbKind) String() string {
	if k == kindASN {
		return "ASN"
	}
	return "city"
}

// classify tells geolocation databases from AS databases by their
// database_type. Types it does not know (third-party databases in the
// GeoLite2 layout, such as DB-IP's) are given the benefit of the doubt:
// records in another layout decode to empty fields, not errors.
func classify(dbType string) (dbKind, bool) {
	t := strings.ToLower(dbType)
	switch {
	case strings.Contains(t, "asn"), strings.Contains(t, "isp"):
		return kindASN, true
	case strings.Contains(t, "city"), strings.Contains(t, "country"), strings.Contains(t, "enterprise"):
		return kindGeo, true
	}
	return 0, false
}

// openDB opens a MaxMind database meant to hold data of the given kind.
func openDB(path string, want dbKind) (*maxminddb.Reader, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in our message already
		}
		return nil, fmt.Errorf("open %s database %s: %w", want, path, err)
	}
	if got, known := classify(db.Metadata.DatabaseType); known && got != want {
		db.Close()
		hint := "a GeoLite2-City, GeoIP2-City or GeoLite2-Country database"
		if want == kindASN {
			hint = "a GeoLite2-ASN or GeoIP2-ISP database"
		}
		return nil, fmt.Errorf("open %s database %s: %w: it is a %q database; want %s",
			want, path, ErrDatabaseType, db.Metadata.DatabaseType, hint)
	}
	return db, nil
}

// name is the English entry of a MaxMind names map. Decoding into a struct
// skips the other languages without allocating a map for them.
type name struct {
	En string `maxminddb:"en"`
}

type country struct {
	ISOCode string `maxminddb:"iso_code"`
	Names   name   `maxminddb:"names"`
}

// cityRecord is the part of a GeoLite2/GeoIP2 City or Country record that
// gumshoe shows.
type cityRecord struct {
	Country           country `maxminddb:"country"`
	RegisteredCountry country `maxminddb:"registered_country"`
	City              struct {
		Names name `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude  float64 `maxminddb:"latitude"`
		Longitude float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// asnRecord is a GeoLite2-ASN record; GeoIP2-ISP records have the same
// fields among others.
type asnRecord struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// lookupCity fills in the geolocation of a. A record that does not decode
// (a database in another layout) leaves the fields empty: Lookup has no
// error to return, and the address is no less public for it.
func lookupCity(db *maxminddb.Reader, a netip.Addr, info *Info) {
	var rec cityRecord
	if err := db.Lookup(a).Decode(&rec); err != nil {
		return
	}
	c := rec.Country
	if c.ISOCode == "" {
		// Anycast and satellite networks often have only the country
		// that registered them.
		c = rec.RegisteredCountry
	}
	info.Country = c.ISOCode
	info.CountryName = c.Names.En
	info.City = rec.City.Names.En
	info.Latitude = round1(rec.Location.Latitude)
	info.Longitude = round1(rec.Location.Longitude)
}

func lookupASN(db *maxminddb.Reader, a netip.Addr, info *Info) {
	var rec asnRecord
	if err := db.Lookup(a).Decode(&rec); err != nil {
		return
	}
	info.ASN = rec.Number
	info.ASOrg = rec.Org
}

// round1 rounds to one decimal place (about 11 km), the precision Detective
// shows: city databases are not more exact than that, and pretending
// otherwise invites reading a street address into a city centroid.
func round1(x float64) float64 {
	return math.Round(x*10) / 10
}
