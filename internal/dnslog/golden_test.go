package dnslog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// decoded is everything a decoder produced for one object.
type decoded struct {
	queries []Query
	errors  []*ParseError
	err     error // the error that ended decoding; nil at io.EOF
}

// drain calls Next until the decoder is done, checking the batch contract
// on the way.
func drain(t testing.TB, d *Decoder, capacity int) decoded {
	t.Helper()
	var out decoded
	b := Batch{Queries: make([]Query, 0, capacity)}
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			t.Fatalf("Next called %d times without reaching the end", calls)
		}
		err := d.Next(&b)
		want := capacity
		if want == 0 {
			want = 1024
		}
		if cap(b.Queries) != want || len(b.Queries) > want || len(b.Errors) > want {
			t.Fatalf("Next returned %d queries and %d errors in a batch of capacity %d; want capacity %d",
				len(b.Queries), len(b.Errors), cap(b.Queries), want)
		}
		if err == io.EOF && (len(b.Queries) > 0 || len(b.Errors) > 0) {
			t.Fatalf("Next returned io.EOF with %d queries and %d errors", len(b.Queries), len(b.Errors))
		}
		out.queries = append(out.queries, b.Queries...)
		out.errors = append(out.errors, b.Errors...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			out.err = err
			if err := d.Next(&b); err != io.EOF || len(b.Queries) > 0 {
				t.Fatalf("Next after %v = %d queries, %v; want 0, io.EOF", out.err, len(b.Queries), err)
			}
			return out
		}
	}
}

func decode(t testing.TB, data []byte, file string, capacity int) decoded {
	t.Helper()
	return drain(t, NewDecoder(bytes.NewReader(data), Options{File: file}), capacity)
}

// goldenQuery is a Query as golden files show it: only the fields that are
// set, in table order, without Raw.
type goldenQuery struct {
	Record               int             `json:"record"`
	QueryTime            string          `json:"query_time"`
	QueryName            string          `json:"query_name"`
	QueryType            string          `json:"query_type,omitempty"`
	QueryClass           string          `json:"query_class,omitempty"`
	RCode                string          `json:"rcode,omitempty"`
	Answers              json.RawMessage `json:"answers,omitempty"`
	SrcAddr              string          `json:"srcaddr,omitempty"`
	SrcPort              *int32          `json:"srcport,omitempty"`
	Transport            string          `json:"transport,omitempty"`
	InstanceID           string          `json:"instance_id,omitempty"`
	ResolverEndpoint     string          `json:"resolver_endpoint,omitempty"`
	VPCID                string          `json:"vpc_id,omitempty"`
	FirewallAction       string          `json:"firewall_rule_action,omitempty"`
	FirewallRuleGroupID  string          `json:"firewall_rule_group_id,omitempty"`
	FirewallDomainListID string          `json:"firewall_domain_list_id,omitempty"`
	AccountID            string          `json:"account_id,omitempty"`
	Region               string          `json:"region,omitempty"`
	Version              string          `json:"version,omitempty"`
}

// marshal renders v as one line of JSON, without HTML escaping so that
// error messages read as they print.
func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// goldenJSON renders what a decoder produced, one query per line so that a
// golden file reads side by side with its source.
func goldenJSON(d decoded) []byte {
	var b bytes.Buffer
	b.WriteString("{\n  \"queries\": [")
	for i, q := range d.queries {
		if i > 0 {
			b.WriteByte(',')
		}
		g := goldenQuery{
			Record: q.Record, QueryTime: q.QueryTime.Format("2006-01-02T15:04:05.999999999Z07:00"),
			QueryName: q.QueryName, QueryType: q.QueryType, QueryClass: q.QueryClass, RCode: q.RCode,
			Answers: q.Answers, SrcAddr: q.SrcAddr, SrcPort: q.SrcPort, Transport: q.Transport,
			InstanceID: q.InstanceID, ResolverEndpoint: q.ResolverEndpoint, VPCID: q.VPCID,
			FirewallAction: q.FirewallAction, FirewallRuleGroupID: q.FirewallRuleGroupID,
			FirewallDomainListID: q.FirewallDomainListID, AccountID: q.AccountID, Region: q.Region,
			Version: q.Version,
		}
		b.WriteString("\n    " + marshal(g))
	}
	if len(d.queries) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n  \"errors\": [")
	var errs []string
	for _, e := range d.errors {
		errs = append(errs, e.Error())
	}
	if d.err != nil {
		errs = append(errs, "fatal: "+d.err.Error())
	}
	for i, s := range errs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    " + marshal(s))
	}
	if len(errs) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	return b.Bytes()
}

// isInput reports whether a testdata file is decoder input.
func isInput(name string) bool {
	if strings.HasSuffix(name, ".golden.json") {
		return false
	}
	for _, ext := range []string{".ndjson", ".log", ".json", ".json.gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// testdataInputs returns the decompressed contents of the testdata input
// files, by name relative to testdata, outside testdata/fuzz.
func testdataInputs(t testing.TB) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	err := filepath.WalkDir("testdata", func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "fuzz" {
			return filepath.SkipDir
		}
		if e.IsDir() || !isInput(e.Name()) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return err
			}
			if b, err = io.ReadAll(zr); err != nil {
				return err
			}
		}
		rel, _ := filepath.Rel("testdata", path)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 6 {
		t.Fatalf("found %d inputs in testdata, want at least 6", len(out))
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, data := range testdataInputs(t) {
		t.Run(name, func(t *testing.T) {
			got := goldenJSON(decode(t, data, name, 0))
			path := filepath.Join("testdata", filepath.FromSlash(name)+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("decoding %s differs from %s (-want +got):\n%s", name, path, diff)
			}
		})
	}
}

// TestGoldenCounts pins what the golden files should hold, so that an
// -update that loses records does not pass unnoticed.
func TestGoldenCounts(t *testing.T) {
	inputs := testdataInputs(t)
	for name, want := range map[string]int{
		"aws-native.log": 7,
		"panther-analysis_route53_resolver_vpcdns_test_events.ndjson": 13,
		"security-lake/route53-inputs0.json.gz":                       1,
		"security-lake/route53-inputs3.json.gz":                       1,
	} {
		d := decode(t, inputs[name], name, 0)
		if len(d.queries) != want || len(d.errors) != 0 || d.err != nil {
			t.Errorf("decoding %s = %d queries, errors %v, %v; want %d queries and no error",
				name, len(d.queries), d.errors, d.err, want)
		}
	}
}
