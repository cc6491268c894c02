package guardduty

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// decoded is everything a decoder produced for one object.
type decoded struct {
	findings []Finding
	errors   []*ParseError
	err      error // the error that ended decoding; nil at io.EOF
}

// drain calls Next until the decoder is done, the way a caller does.
func drain(t testing.TB, d *Decoder, capacity int) decoded {
	t.Helper()
	var out decoded
	b := Batch{Findings: make([]Finding, 0, capacity)}
	for calls := 0; ; calls++ {
		if calls > 1<<20 {
			t.Fatalf("Next called %d times without reaching the end", calls)
		}
		err := d.Next(&b)
		if len(b.Findings) > cap(b.Findings) || (capacity > 0 && cap(b.Findings) != capacity) {
			t.Fatalf("Next returned %d findings in a batch of capacity %d (asked %d)", len(b.Findings), cap(b.Findings), capacity)
		}
		if capacity > 0 && len(b.Errors) > capacity {
			t.Fatalf("Next returned %d errors in a batch of capacity %d", len(b.Errors), capacity)
		}
		if err == io.EOF && (len(b.Findings) > 0 || len(b.Errors) > 0) {
			t.Fatalf("Next returned io.EOF with %d findings and %d errors", len(b.Findings), len(b.Errors))
		}
		out.findings = append(out.findings, b.Findings...)
		out.errors = append(out.errors, b.Errors...)
		if err == io.EOF {
			if err := d.Next(&b); err != io.EOF {
				t.Fatalf("Next after io.EOF = %v; want io.EOF", err)
			}
			return out
		}
		if err != nil {
			out.err = err
			if err := d.Next(&b); err != io.EOF {
				t.Fatalf("Next after %v = %v; want io.EOF", out.err, err)
			}
			return out
		}
	}
}

func decodeBytes(t testing.TB, data []byte, file string, capacity int) decoded {
	t.Helper()
	return drain(t, NewDecoder(bytes.NewReader(data), Options{File: file}), capacity)
}

// goldenFinding is a Finding as the golden files show it: without Raw,
// empty fields left out, times in RFC 3339.
type goldenFinding struct {
	Record        int     `json:"record"`
	ID            string  `json:"id"`
	Source        string  `json:"source"`
	Product       string  `json:"product"`
	Type          string  `json:"type,omitempty"`
	Severity      float64 `json:"severity"`
	SeverityLabel string  `json:"severityLabel,omitempty"`
	Title         string  `json:"title,omitempty"`
	Description   string  `json:"description,omitempty"`
	AccountID     string  `json:"accountId,omitempty"`
	Region        string  `json:"region,omitempty"`
	ResourceType  string  `json:"resourceType,omitempty"`
	InstanceID    string  `json:"instanceId,omitempty"`
	AccessKeyID   string  `json:"accessKeyId,omitempty"`
	Principal     string  `json:"principal,omitempty"`
	RemoteIP      string  `json:"remoteIp,omitempty"`
	LocalPort     *int32  `json:"localPort,omitempty"`
	RemotePort    *int32  `json:"remotePort,omitempty"`
	Domain        string  `json:"domain,omitempty"`
	FirstSeen     string  `json:"firstSeen,omitempty"`
	LastSeen      string  `json:"lastSeen,omitempty"`
	UpdatedAt     string  `json:"updatedAt,omitempty"`
	CreatedAt     string  `json:"createdAt,omitempty"`
	Count         int64   `json:"count"`
	Archived      bool    `json:"archived"`
}

func goldenTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func toGolden(f *Finding) goldenFinding {
	return goldenFinding{
		Record: f.Record, ID: f.ID, Source: f.Source, Product: f.Product, Type: f.Type,
		Severity: f.Severity, SeverityLabel: f.SeverityLabel, Title: f.Title, Description: f.Description,
		AccountID: f.AccountID, Region: f.Region, ResourceType: f.ResourceType, InstanceID: f.InstanceID,
		AccessKeyID: f.AccessKeyID, Principal: f.Principal, RemoteIP: f.RemoteIP,
		LocalPort: f.LocalPort, RemotePort: f.RemotePort, Domain: f.Domain,
		FirstSeen: goldenTime(f.FirstSeen), LastSeen: goldenTime(f.LastSeen),
		UpdatedAt: goldenTime(f.UpdatedAt), CreatedAt: goldenTime(f.CreatedAt),
		Count: f.Count, Archived: f.Archived,
	}
}

// goldenJSON renders what a decoder produced: the flattened findings
// without Raw, then the rejected records and the error that ended decoding.
func goldenJSON(d decoded) []byte {
	out := struct {
		Findings []goldenFinding `json:"findings"`
		Errors   []string        `json:"errors"`
	}{Findings: []goldenFinding{}, Errors: []string{}}
	for i := range d.findings {
		out.Findings = append(out.Findings, toGolden(&d.findings[i]))
	}
	for _, e := range d.errors {
		out.Errors = append(out.Errors, e.Error())
	}
	if d.err != nil {
		out.Errors = append(out.Errors, "fatal: "+d.err.Error())
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // titles say "C&C"
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// isInput reports whether a testdata file is decoder input.
func isInput(name string) bool {
	if strings.HasSuffix(name, ".golden.json") {
		return false
	}
	switch filepath.Ext(name) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// testdataFiles returns the decoder inputs in testdata, outside
// testdata/fuzz, by name.
func testdataFiles(t testing.TB) map[string][]byte {
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
		out[filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 11 {
		t.Fatalf("found %d inputs in testdata, want at least 11", len(out))
	}
	return out
}

func TestGolden(t *testing.T) {
	for name, data := range testdataFiles(t) {
		t.Run(name, func(t *testing.T) {
			got := goldenJSON(decodeBytes(t, data, name, 0))
			path := filepath.Join("testdata", name+".golden.json")
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

// TestGoldenBatchSizes checks that the batch size changes nothing, even
// when a batch fills in the middle of an array or an event.
func TestGoldenBatchSizes(t *testing.T) {
	for name, data := range testdataFiles(t) {
		want := goldenJSON(decodeBytes(t, data, name, 4096))
		for _, capacity := range []int{1, 2, 3} {
			got := goldenJSON(decodeBytes(t, data, name, capacity))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s with batches of %d differs from one batch (-want +got):\n%s", name, capacity, diff)
			}
		}
	}
}

// TestRaw checks that Raw is the finding itself, compact: decoded on its
// own, it gives the same finding.
func TestRaw(t *testing.T) {
	for name, data := range testdataFiles(t) {
		for _, f := range decodeBytes(t, data, name, 0).findings {
			var c bytes.Buffer
			if err := json.Compact(&c, f.Raw); err != nil || !bytes.Equal(c.Bytes(), f.Raw) {
				t.Fatalf("%s record %d: Raw is not compact JSON (%v): %s", name, f.Record, err, f.Raw)
			}
			again := decodeBytes(t, f.Raw, "raw.json", 0)
			if again.err != nil || len(again.errors) > 0 || len(again.findings) != 1 {
				t.Fatalf("%s record %d: decoding Raw alone gave %d findings, errors %v, %v", name, f.Record, len(again.findings), again.errors, again.err)
			}
			want, got := toGolden(&f), toGolden(&again.findings[0])
			want.Record = 1
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s record %d: Raw decodes to a different finding (-want +got):\n%s", name, f.Record, diff)
			}
		}
	}
}

// TestPantherIndex checks that every line of the Panther samples is
// accounted for: a finding or an error for each row of the index.
func TestPantherIndex(t *testing.T) {
	for _, name := range []string{
		"panther-analysis_guardduty_test_findings",
		"panther-analysis_securityhub_asff_test_findings",
	} {
		index, err := os.ReadFile(filepath.Join("testdata", name+".index.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		rows := strings.Count(strings.TrimSpace(string(index)), "\n") // minus the header
		data, err := os.ReadFile(filepath.Join("testdata", name+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		d := decodeBytes(t, data, name, 0)
		if d.err != nil || len(d.errors) > 0 || len(d.findings) != rows {
			t.Errorf("%s: %d findings, errors %v, %v; want %d findings", name, len(d.findings), d.errors, d.err, rows)
		}
	}
}
