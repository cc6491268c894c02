package guardduty

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// checkDecoded checks what the decoder produced against rules stated
// independently of it: findings with an ID, a known source, values within
// their limits and compact, valid JSON in Raw; errors that say where they
// are; record numbers that only grow and are never used twice.
func checkDecoded(t testing.TB, file string, d decoded) {
	t.Helper()
	used := make(map[int]bool)
	last := 0
	for i := range d.findings {
		f := &d.findings[i]
		if f.Record <= last {
			t.Fatalf("finding %d has record %d after record %d", i, f.Record, last)
		}
		last = f.Record
		used[f.Record] = true
		if f.ID == "" || (f.Source != SourceGuardDuty && f.Source != SourceSecurityHub) {
			t.Fatalf("record %d: ID %q, Source %q; want an ID and a known source", f.Record, f.ID, f.Source)
		}
		if f.Severity < 0 || f.Severity > 10 || (f.SeverityLabel != "" && f.SeverityLabel != severityLabel(f.Severity)) ||
			(f.SeverityLabel == "" && f.Severity != 0) {
			t.Fatalf("record %d: severity %v labelled %q", f.Record, f.Severity, f.SeverityLabel)
		}
		for _, p := range []*int32{f.LocalPort, f.RemotePort} {
			if p != nil && (*p < 0 || *p > 65535) {
				t.Fatalf("record %d: port %d", f.Record, *p)
			}
		}
		if f.RemoteIP != "" {
			if a, err := netip.ParseAddr(f.RemoteIP); err != nil || a.Zone() != "" {
				t.Fatalf("record %d: RemoteIP %q is not an address without zone: %v", f.Record, f.RemoteIP, err)
			}
		}
		if f.Count < 0 {
			t.Fatalf("record %d: Count %d", f.Record, f.Count)
		}
		for _, ts := range []time.Time{f.FirstSeen, f.LastSeen, f.UpdatedAt, f.CreatedAt} {
			if !ts.IsZero() && ts.Location() != time.UTC {
				t.Fatalf("record %d: time %v is not UTC", f.Record, ts)
			}
		}
		var c bytes.Buffer
		if !utf8.Valid(f.Raw) || json.Compact(&c, f.Raw) != nil || !bytes.Equal(c.Bytes(), f.Raw) || f.Raw[0] != '{' {
			t.Fatalf("record %d: Raw is not a compact, valid JSON object: %q", f.Record, f.Raw)
		}
	}
	last = 0
	for _, e := range d.errors {
		if e == nil || e.Err == nil || e.File != file || e.Record <= last {
			t.Fatalf("rejected record %#v after record %d; want one with File %q, a later record and a cause", e, last, file)
		}
		last = e.Record
		if used[e.Record] {
			t.Fatalf("record %d is both a finding and rejected: %v", e.Record, e)
		}
		if !utf8.ValidString(e.Error()) || strings.ContainsAny(e.Error(), "\x00\r") {
			t.Fatalf("error message %q is not printable text", e.Error())
		}
	}
	if d.err != nil {
		var perr *ParseError
		if !errors.As(d.err, &perr) || perr.File != file {
			t.Fatalf("decoding ended with %v (%T); want a *ParseError naming %q", d.err, d.err, file)
		}
		if !utf8.ValidString(d.err.Error()) {
			t.Fatalf("error message %q is not valid UTF-8", d.err.Error())
		}
		if errors.Is(d.err, io.EOF) {
			t.Fatalf("decoding ended with %v: the end of input is io.EOF from Next, or truncation", d.err)
		}
	}
}

// checkInvariants decodes data in batches of two sizes and checks both the
// invariants and that the batch size changes nothing.
func checkInvariants(t testing.TB, data []byte) {
	t.Helper()
	const file = "fuzz.json"
	big := decodeBytes(t, data, file, 128)
	checkDecoded(t, file, big)
	small := decodeBytes(t, data, file, 1)
	if diff := cmp.Diff(string(goldenJSON(big)), string(goldenJSON(small))); diff != "" {
		t.Fatalf("batches of 1 differ from batches of 128 (-128 +1):\n%s", diff)
	}
	for i := range big.findings {
		if !bytes.Equal(big.findings[i].Raw, small.findings[i].Raw) {
			t.Fatalf("record %d: Raw differs between batch sizes", big.findings[i].Record)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, data := range testdataFiles(f) {
		f.Add(data)
	}
	for _, s := range []string{
		`{"Findings":[]}`,
		`[{"detail-type":"GuardDuty Finding","detail":{"id":"x","service":{}}}]`,
		"{\"id\":\"x\",\"service\":{\"count\":\"x\"}}\n{\"id\":\"y\",\"service\":{}}\n",
		`{"SchemaVersion":"2018-10-08","Id":"x","Severity":{"Product":11,"Normalized":-1,"Label":"low"}}`,
		"{\n\"Findings\": [{\"Id\":\"a\",\"ProductArn\":\"p\"}, {\"Id\":\"b\",\"ProductArn\":",
		"\xef\xbb\xbf[{\"arn\":\"arn:aws:guardduty:r:a:d\",\"id\":\"\xff\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, data)
	})
}

// TestFuzzSeeds keeps the seed corpus valid without -fuzz: every testdata
// file passes the invariants, whole and cut short at a few places.
func TestFuzzSeeds(t *testing.T) {
	for name, data := range testdataFiles(t) {
		t.Run(name, func(t *testing.T) {
			checkInvariants(t, data)
			checkInvariants(t, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
			for _, n := range []int{1, len(data) / 3, len(data) / 2, len(data) - 2} {
				if n > 0 && n < len(data) {
					checkInvariants(t, data[:n])
				}
			}
		})
	}
}
