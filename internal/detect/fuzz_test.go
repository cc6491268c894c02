package detect_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
)

// FuzzThreatList: any input is read or rejected with a *ThreatListError
// (or a read error), never a panic; what is read matches itself.
func FuzzThreatList(f *testing.F) {
	for _, s := range []string{
		"198.51.100.1\n10.0.0.0/8\n# comment\n\nexample.com trailing comment\n2001:db8::1\n",
		"evil.example.com.\n203.0.113.0/24\t# scanners\n",
		"::ffff:192.0.2.1\n0.0.0.0/0\n",
		"xn--bcher-kva.example\n_dmarc.example.org\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var in detect.Intel
		err := in.Read("fuzz", "fuzz.txt", strings.NewReader(text))
		var le *detect.ThreatListError
		if err != nil && !errors.As(err, &le) && !strings.Contains(err.Error(), "threat list") {
			t.Fatalf("Read: unexpected error type %T: %v", err, err)
		}
		for _, d := range in.Domains() {
			if d != strings.ToLower(d) || strings.HasSuffix(d, ".") {
				t.Fatalf("domain %q not normalised", d)
			}
		}
	})
}
