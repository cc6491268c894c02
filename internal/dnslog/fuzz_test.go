package dnslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// checkDecoded checks what a decoder produced against rules stated
// independently of the decoder.
func checkDecoded(t testing.TB, file string, d decoded) {
	t.Helper()
	last := 0
	for i := range d.queries {
		q := &d.queries[i]
		if q.Record <= last {
			t.Fatalf("query %d has record number %d after %d", i, q.Record, last)
		}
		last = q.Record
		if q.QueryName == "" || !utf8.ValidString(q.QueryName) {
			t.Fatalf("record %d: QueryName %q; want non-empty valid UTF-8", q.Record, q.QueryName)
		}
		if q.QueryTime.Location() != time.UTC {
			t.Fatalf("record %d: QueryTime %v; want UTC", q.Record, q.QueryTime)
		}
		if q.SrcPort != nil && (*q.SrcPort < 0 || *q.SrcPort > 65535) {
			t.Fatalf("record %d: SrcPort %d; want 0..65535", q.Record, *q.SrcPort)
		}
		if len(q.Raw) == 0 || q.Raw[0] != '{' || !json.Valid(q.Raw) || !utf8.Valid(q.Raw) {
			t.Fatalf("record %d: Raw %q; want a valid JSON object", q.Record, q.Raw)
		}
		var compact bytes.Buffer
		json.Compact(&compact, q.Raw)
		if !bytes.Equal(compact.Bytes(), q.Raw) {
			t.Fatalf("record %d: Raw %q is not compact", q.Record, q.Raw)
		}
		if q.Answers != nil {
			var list []map[string]any
			if q.Answers[0] != '[' || json.Unmarshal(q.Answers, &list) != nil {
				t.Fatalf("record %d: Answers %q; want a JSON array of objects", q.Record, q.Answers)
			}
		}
		for _, s := range []string{q.QueryType, q.QueryClass, q.RCode, q.SrcAddr, q.Transport, q.InstanceID,
			q.ResolverEndpoint, q.VPCID, q.FirewallAction, q.FirewallRuleGroupID, q.FirewallDomainListID,
			q.AccountID, q.Region, q.Version} {
			if !utf8.ValidString(s) {
				t.Fatalf("record %d: field %q is not valid UTF-8", q.Record, s)
			}
		}
		// Raw is the record: decoding it again gives the same query.
		again := decode(t, append(bytes.Clone(q.Raw), '\n'), file, 0)
		if len(again.queries) != 1 {
			t.Fatalf("record %d: decoding its Raw %q gives %d queries, errors %v, %v; want the query back",
				q.Record, q.Raw, len(again.queries), again.errors, again.err)
		}
		g := again.queries[0]
		g.Record = q.Record
		if diff := cmp.Diff(*q, g); diff != "" {
			t.Fatalf("record %d: decoding its Raw gives another query (-first +again):\n%s", q.Record, diff)
		}
	}
	for _, e := range d.errors {
		if e == nil || e.Err == nil || e.File != file || e.Record <= 0 || len(e.Text) > 4*maxErrorText+8 {
			t.Fatalf("rejected-record error %#v; want one with File %q, a record number and a cause", e, file)
		}
		if !utf8.ValidString(e.Error()) {
			t.Fatalf("error message %q is not valid UTF-8", e.Error())
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
	}
}

// checkInvariants decodes data in batches of two sizes and checks both the
// invariants and that the batch size changes nothing.
func checkInvariants(t testing.TB, data []byte) {
	t.Helper()
	const file = "fuzz.log"
	big := decode(t, data, file, 128)
	checkDecoded(t, file, big)
	small := decode(t, data, file, 1)
	if diff := cmp.Diff(string(goldenJSON(big)), string(goldenJSON(small))); diff != "" {
		t.Fatalf("batches of 1 differ from batches of 128 (-128 +1):\n%s", diff)
	}
	Sniff(data)
}

// fuzzSeeds are inputs beyond testdata that reach the decoder's corners.
var fuzzSeeds = []string{
	good + "\n42\n" + good[:40],
	"[" + good + "," + good + "]",
	"{\n  \"query_name\": \"a.\",\n  \"query_timestamp\": \"2022-06-25 00:27:53\"\n}\n{\n}\n",
	strings.Replace(good, `"56067"`, `70000`, 1),
	strings.Replace(good, `[{"Rdata":"192.0.2.1","Type":"A","Class":"IN"}]`, `{"Rdata":"192.0.2.1"}`, 1),
	"\xef\xbb\xbf\r\n" + good + "\r\n",
	"\x1f\x8b\x08\x00",
	"not json\n" + good,
	"[1,[2],{\"query_name\":\"\\u0000\"}]]",
}

func FuzzDecoder(f *testing.F) {
	for _, data := range testdataInputs(f) {
		f.Add(data)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, data)
	})
}

// TestFuzzSeeds keeps the seed corpus valid without -fuzz.
func TestFuzzSeeds(t *testing.T) {
	for name, data := range testdataInputs(t) {
		t.Run(name, func(t *testing.T) {
			checkInvariants(t, data)
			checkInvariants(t, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")))
		})
	}
	for i, s := range fuzzSeeds {
		t.Run("seed"+string(rune('0'+i)), func(t *testing.T) { checkInvariants(t, []byte(s)) })
	}
}
