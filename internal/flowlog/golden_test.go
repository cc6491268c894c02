package flowlog

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json and the generated testdata files")

// decoded is everything a decoder produced for one object, with records
// copied out of the decoder's buffers.
type decoded struct {
	format   Format
	warnings []string
	records  []Record
	errors   []*ParseError
	err      error // the error that ended decoding; nil at io.EOF
}

// cloneRecord copies r so that it no longer aliases a decoder's buffers.
func cloneRecord(r *Record) Record {
	c := *r
	for f := Field(0); f < NumFields; f++ {
		if c.Has(f) && fields[f].Kind == String {
			c.Str[f] = bytes.Clone(r.Str[f])
		}
		if !c.Has(f) {
			c.Str[f], c.Int[f] = nil, 0
		}
	}
	return c
}

// nexter is what TextDecoder and ParquetDecoder have in common.
type nexter interface {
	Next(*Batch) error
}

// drain calls Next until the decoder is done, copying every batch as it
// comes, the way a caller that keeps records must.
func drain(t testing.TB, d nexter, capacity int, out *decoded) {
	t.Helper()
	b := Batch{Records: make([]Record, 0, capacity)}
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			t.Fatalf("Next called %d times without reaching the end", calls)
		}
		err := d.Next(&b)
		if len(b.Records) > cap(b.Records) || (capacity > 0 && cap(b.Records) != capacity) {
			t.Fatalf("Next returned %d records in a batch of capacity %d (asked %d)", len(b.Records), cap(b.Records), capacity)
		}
		for i := range b.Records {
			out.records = append(out.records, cloneRecord(&b.Records[i]))
		}
		out.errors = append(out.errors, b.Errors...)
		if err == io.EOF {
			return
		}
		if err != nil {
			out.err = err
			return
		}
	}
}

func decodeText(t testing.TB, data []byte, opts TextOptions, capacity int) decoded {
	t.Helper()
	d := NewTextDecoder(bytes.NewReader(data), opts)
	var out decoded
	drain(t, d, capacity, &out)
	out.format, out.warnings = d.Format(), d.Warnings()
	return out
}

func decodeParquet(t testing.TB, data []byte, opts ParquetOptions, capacity int) decoded {
	t.Helper()
	d, err := NewParquetDecoder(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return decoded{err: err}
	}
	var out decoded
	drain(t, d, capacity, &out)
	out.format, out.warnings = d.Format(), d.Warnings()
	return out
}

// goldenJSON renders what a decoder produced, one record per line so that
// a golden file reads side by side with its source: only the fields that
// are set, in documentation order, integers as numbers, timestamps as Unix
// seconds.
func goldenJSON(d decoded) []byte {
	var b bytes.Buffer
	str := func(s string) string {
		var j bytes.Buffer
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(false) // error messages say "70000 > 65535"
		enc.Encode(s)
		return strings.TrimSuffix(j.String(), "\n")
	}
	list := func(name string, items []string, last bool) {
		fmt.Fprintf(&b, "  %q: [", name)
		for i, s := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    " + str(s))
		}
		if len(items) > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("]")
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("{\n")
	fmt.Fprintf(&b, "  \"format\": %s,\n", str(d.format.String()))
	list("warnings", d.warnings, false)
	b.WriteString("  \"records\": [")
	for i := range d.records {
		r := &d.records[i]
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "\n    {\"line\": %d, \"fields\": {", r.Line)
		n := 0
		for f := Field(0); f < NumFields; f++ {
			if !r.Has(f) {
				continue
			}
			if n > 0 {
				b.WriteString(", ")
			}
			n++
			b.WriteString(str(f.String()) + ": ")
			if fields[f].Kind == String {
				b.WriteString(str(string(r.Str[f])))
			} else {
				b.WriteString(strconv.FormatInt(r.Int[f], 10))
			}
		}
		b.WriteString("}}")
	}
	if len(d.records) > 0 {
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
	list("errors", errs, true)
	b.WriteString("}\n")
	return b.Bytes()
}

// goldenInputs lists the testdata files that have golden output.
func goldenInputs(t *testing.T) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir("testdata", func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "fuzz" {
			return filepath.SkipDir
		}
		if ext := filepath.Ext(path); ext == ".log" || ext == ".parquet" {
			names = append(names, filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator))))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 12 {
		t.Fatalf("found %d golden inputs in testdata, want at least 12: %q", len(names), names)
	}
	return names
}

// textFormat returns the explicit format a headerless testdata file is
// decoded with, from its .format sidecar, or nil.
func textFormat(t testing.TB, name string) *Format {
	t.Helper()
	s, err := os.ReadFile(filepath.Join("testdata", name+".format"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFormat(string(s))
	if err != nil {
		t.Fatalf("%s.format: %v", name, err)
	}
	return &f
}

// decodeTestdata decodes one testdata file with the decoder its name calls
// for.
func decodeTestdata(t testing.TB, name string, capacity int) decoded {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".parquet") {
		return decodeParquet(t, data, ParquetOptions{File: name}, capacity)
	}
	return decodeText(t, data, TextOptions{File: name, Format: textFormat(t, name)}, capacity)
}

func TestGolden(t *testing.T) {
	if *update {
		writeNativeParquetFile(t)
	}
	for _, name := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) {
			got := goldenJSON(decodeTestdata(t, name, 0))
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

// TestGoldenBatchSizes checks that the batch size changes nothing: records
// alias the decoder's buffers, and a decoder that moved them under a
// returned batch would show here as corrupted values.
func TestGoldenBatchSizes(t *testing.T) {
	for _, name := range goldenInputs(t) {
		want := goldenJSON(decodeTestdata(t, name, 4096))
		for _, capacity := range []int{1, 2, 3, 7} {
			got := goldenJSON(decodeTestdata(t, name, capacity))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s with batches of %d differs from one batch (-want +got):\n%s", name, capacity, diff)
			}
		}
	}
}
