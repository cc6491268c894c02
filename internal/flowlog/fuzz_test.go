package flowlog

import (
	"bytes"
	"errors"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// checkDecoded checks what a decoder produced against rules stated
// independently of the decoder: values within the field's limits, addresses
// that parse, text that is valid UTF-8, errors that say where they are.
func checkDecoded(t testing.TB, file string, d decoded) {
	t.Helper()
	last := 0
	for i := range d.records {
		r := &d.records[i]
		if r.Line <= last {
			t.Fatalf("record %d has line %d after line %d", i, r.Line, last)
		}
		last = r.Line
		if r.Set>>NumFields != 0 {
			t.Fatalf("line %d: Set %#x has bits beyond the %d fields", r.Line, r.Set, NumFields)
		}
		for f := Field(0); f < NumFields; f++ {
			if !r.Has(f) {
				continue
			}
			info := f.Info()
			switch info.Kind {
			case String:
				s := r.Str[f]
				if len(s) == 0 || string(s) == "-" || !utf8.Valid(s) {
					t.Fatalf("line %d: %s = %q; want non-empty valid UTF-8 other than -", r.Line, f, s)
				}
				if f.IsAddress() {
					if a, err := netip.ParseAddr(string(s)); err != nil || a.Zone() != "" {
						t.Fatalf("line %d: %s = %q is not an address without zone: %v", r.Line, f, s, err)
					}
				}
			default:
				v, limit := r.Int[f], int64(math.MaxInt64)
				switch {
				case f == SrcPort || f == DstPort:
					limit = 65535
				case f == Protocol:
					limit = 255
				case info.Kind == Int32:
					limit = math.MaxInt32
				}
				if v < 0 || v > limit {
					t.Fatalf("line %d: %s = %d; want 0..%d", r.Line, f, v, limit)
				}
			}
		}
	}
	for _, e := range d.errors {
		if e == nil || e.Err == nil || e.File != file || e.Line <= 0 || len(e.Text) > 4*maxErrorText+8 {
			t.Fatalf("rejected-line error %#v; want one with File %q, a line and a cause", e, file)
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

// checkTextInvariants decodes data in batches of two sizes and checks both
// the invariants and that the batch size changes nothing.
func checkTextInvariants(t testing.TB, data []byte, format *Format) {
	t.Helper()
	opts := TextOptions{File: "fuzz.log", Format: format}
	big := decodeText(t, data, opts, 128)
	checkDecoded(t, opts.File, big)
	small := decodeText(t, data, opts, 1)
	if diff := cmp.Diff(string(goldenJSON(big)), string(goldenJSON(small))); diff != "" {
		t.Fatalf("batches of 1 differ from batches of 128 (-128 +1):\n%s", diff)
	}
}

func checkParquetInvariants(t testing.TB, data []byte) {
	t.Helper()
	opts := ParquetOptions{File: "fuzz.parquet"}
	big := decodeParquet(t, data, opts, 128)
	checkDecoded(t, opts.File, big)
	small := decodeParquet(t, data, opts, 3)
	if diff := cmp.Diff(string(goldenJSON(big)), string(goldenJSON(small))); diff != "" {
		t.Fatalf("batches of 3 differ from batches of 128 (-128 +3):\n%s", diff)
	}
}

// testdataFiles returns the contents of the testdata files with the given
// extension, outside testdata/fuzz.
func testdataFiles(t testing.TB, ext string) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	err := filepath.WalkDir("testdata", func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "fuzz" {
			return filepath.SkipDir
		}
		if filepath.Ext(path) == ext {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(strings.TrimPrefix(path, "testdata"+string(filepath.Separator)))] = b
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func FuzzTextDecoder(f *testing.F) {
	for name, data := range testdataFiles(f, ".log") {
		// As is: header, or autodetected default format.
		f.Add(data, "")
		// With an explicit format: the file's sidecar, else its header,
		// else the default format.
		format := DefaultFormat.String()
		if sf := textFormat(f, name); sf != nil {
			format = sf.String()
		} else if first, _, _ := strings.Cut(string(data), "\n"); !strings.HasPrefix(first, "2 ") {
			format = first
		}
		f.Add(data, format)
	}
	f.Add([]byte("version srcport\r\n2 70000\r\n\r\n2  443\n"), "")
	f.Add([]byte("2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK\nx\x00y\n"), "${srcaddr}")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		var ff *Format
		if format != "" {
			if parsed, err := ParseFormat(format); err == nil {
				ff = &parsed
			}
		}
		checkTextInvariants(t, data, ff)
	})
}

func FuzzParquetDecoder(f *testing.F) {
	for _, data := range testdataFiles(f, ".parquet") {
		f.Add(data)
	}
	// Other column types, to start the fuzzer on the type checks.
	f.Add(writeParquet(f, []floatPort{{"10.0.0.1", 443}}))
	f.Add(writeParquet(f, []groupAddr{{}}))
	f.Add(writeParquet(f, []timestampPackets{{}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParquetInvariants(t, data)
	})
}

// TestFuzzSeeds keeps the seed corpus valid without -fuzz: every testdata
// file passes the invariants.
func TestFuzzSeeds(t *testing.T) {
	for name, data := range testdataFiles(t, ".log") {
		t.Run(name, func(t *testing.T) {
			checkTextInvariants(t, data, nil)
			checkTextInvariants(t, data, textFormat(t, name))
			checkTextInvariants(t, bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")), textFormat(t, name))
		})
	}
	for name, data := range testdataFiles(t, ".parquet") {
		t.Run(name, func(t *testing.T) { checkParquetInvariants(t, data) })
	}
}
