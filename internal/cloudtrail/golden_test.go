package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
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
	shape   string
	digests int
	events  []Event
	errors  []*ParseError
	err     error // the error that ended decoding; nil at io.EOF
}

// drain calls Next until the decoder is done, keeping every batch's events
// the way a caller that keeps events may: they own their memory.
func drain(t testing.TB, d *Decoder, capacity int) decoded {
	t.Helper()
	var out decoded
	b := Batch{Events: make([]Event, 0, capacity)}
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			t.Fatalf("Next called %d times without reaching the end", calls)
		}
		err := d.Next(&b)
		want := capacity
		if want == 0 {
			want = 1024
		}
		if cap(b.Events) != want || len(b.Events)+len(b.Errors) > want {
			t.Fatalf("Next returned %d events and %d errors in a batch of capacity %d (asked %d)",
				len(b.Events), len(b.Errors), cap(b.Events), capacity)
		}
		out.events = append(out.events, b.Events...)
		out.errors = append(out.errors, b.Errors...)
		if err == io.EOF {
			if len(b.Events)+len(b.Errors) > 0 {
				t.Fatalf("Next returned io.EOF with %d events and %d errors", len(b.Events), len(b.Errors))
			}
			break
		}
		if err != nil {
			out.err = err
			if d.Next(&b) != io.EOF {
				t.Fatalf("Next after %v did not return io.EOF", err)
			}
			break
		}
		if len(b.Events)+len(b.Errors) == 0 {
			t.Fatalf("Next returned an empty batch without io.EOF")
		}
	}
	out.shape, out.digests = d.Shape(), d.Digests()
	return out
}

func decodeBytes(t testing.TB, data []byte, file string, capacity int) decoded {
	t.Helper()
	return drain(t, NewDecoder(bytes.NewReader(data), Options{File: file}), capacity)
}

// goldenEvent is an Event as the golden files show it.
type goldenEvent struct {
	Record             int             `json:"record"`
	EventID            string          `json:"eventID"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIP           string          `json:"sourceIP"`
	UserAgent          string          `json:"userAgent"`
	UserType           string          `json:"userType"`
	UserARN            string          `json:"userARN"`
	PrincipalID        string          `json:"principalID"`
	AccountID          string          `json:"accountID"`
	AccessKeyID        string          `json:"accessKeyID"`
	UserName           string          `json:"userName"`
	SessionIssuerARN   string          `json:"sessionIssuerARN"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	ReadOnly           *bool           `json:"readOnly"`
	RecipientAccountID string          `json:"recipientAccountID"`
	Resources          json.RawMessage `json:"resources"`
	RawSHA256          string          `json:"rawSHA256"`
	RawBytes           int             `json:"rawBytes"`
}

// goldenJSON renders what a decoder produced for a golden file: every
// flattened field (the raw event as its SHA-256 and length), the errors,
// one event per block so that it reads side by side with its source.
func goldenJSON(t testing.TB, d decoded) []byte {
	t.Helper()
	marshal := func(v any, indent string) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent(indent, "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	var b strings.Builder
	b.WriteString("{\n")
	b.WriteString(`  "shape": ` + marshal(d.shape, "") + ",\n")
	b.WriteString(`  "digests": ` + marshal(d.digests, "") + ",\n")
	b.WriteString(`  "events": [`)
	for i, e := range d.events {
		if i > 0 {
			b.WriteByte(',')
		}
		sum := sha256.Sum256(e.Raw)
		g := goldenEvent{
			Record: e.Record, EventID: e.EventID, EventTime: e.EventTime.Format(time.RFC3339Nano),
			EventSource: e.EventSource, EventName: e.EventName, AWSRegion: e.AWSRegion,
			SourceIP: e.SourceIP, UserAgent: e.UserAgent, UserType: e.UserType, UserARN: e.UserARN,
			PrincipalID: e.PrincipalID, AccountID: e.AccountID, AccessKeyID: e.AccessKeyID,
			UserName: e.UserName, SessionIssuerARN: e.SessionIssuerARN, ErrorCode: e.ErrorCode,
			ErrorMessage: e.ErrorMessage, ReadOnly: e.ReadOnly, RecipientAccountID: e.RecipientAccountID,
			Resources: e.Resources, RawSHA256: hex.EncodeToString(sum[:]), RawBytes: len(e.Raw),
		}
		b.WriteString("\n    " + marshal(g, "    "))
	}
	if len(d.events) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("],\n")
	var errs []string
	for _, e := range d.errors {
		errs = append(errs, e.Error())
	}
	if d.err != nil {
		errs = append(errs, "fatal: "+d.err.Error())
	}
	b.WriteString(`  "errors": [`)
	for i, e := range errs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    " + marshal(e, ""))
	}
	if len(errs) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	return []byte(b.String())
}

// goldenInputs lists the testdata files that have golden output.
func goldenInputs(t testing.TB) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir("testdata", func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "fuzz" {
			return filepath.SkipDir
		}
		name := filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))
		if !e.IsDir() && !strings.HasSuffix(name, ".golden.json") && name != "NOTICE" {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 40 {
		t.Fatalf("found %d golden inputs in testdata, want at least 40: %q", len(names), names)
	}
	return names
}

// readTestdata returns a testdata file's content, decompressed the way
// the source package would.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

func TestGolden(t *testing.T) {
	for _, name := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) {
			d := decodeBytes(t, readTestdata(t, name), name, 0)
			checkDecoded(t, name, d)
			got := goldenJSON(t, d)
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
			if !json.Valid(got) {
				t.Errorf("golden output for %s is not valid JSON:\n%s", name, got)
			}
		})
	}
}

// TestGoldenBatchSizes checks that the batch size changes nothing.
func TestGoldenBatchSizes(t *testing.T) {
	for _, name := range goldenInputs(t) {
		data := readTestdata(t, name)
		want := goldenJSON(t, decodeBytes(t, data, name, 4096))
		for _, capacity := range []int{1, 2, 3, 7} {
			got := goldenJSON(t, decodeBytes(t, data, name, capacity))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s with batches of %d differs from one batch (-want +got):\n%s", name, capacity, diff)
			}
		}
	}
}

// TestGoldenReads checks that how the input arrives changes nothing: one
// byte at a time, or a few, the decoder's buffer refills mid-token.
func TestGoldenReads(t *testing.T) {
	for _, name := range goldenInputs(t) {
		data := readTestdata(t, name)
		want := goldenJSON(t, decodeBytes(t, data, name, 0))
		for _, n := range []int{1, 7} {
			got := goldenJSON(t, drain(t, NewDecoder(&chunkReader{data: data, n: n}, Options{File: name}), 0))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s read %d bytes at a time differs (-want +got):\n%s", name, n, diff)
			}
		}
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[n:]
	return n, nil
}
