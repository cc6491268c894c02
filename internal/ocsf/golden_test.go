package ocsf

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
	"github.com/gumshoe-dev/gumshoe/internal/dnslog"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/guardduty"
)

var update = flag.Bool("update", false, "rewrite testdata/**/*.golden.json")

// decoded is everything a decoder produced for one object.
type decoded struct {
	class    int
	version  string
	flows    []map[string]any // flows copied out, by field name
	events   []cloudtrail.Event
	queries  []dnslog.Query
	findings []guardduty.Finding
	errors   []*ParseError
	err      error // the error that ended decoding; nil at io.EOF
}

// flowMap copies a flow record out of the decoder's memory.
func flowMap(r *flowlog.Record) map[string]any {
	m := map[string]any{"line": r.Line}
	for _, f := range flowlog.Fields() {
		if !r.Has(f) {
			continue
		}
		if f.Info().Kind == flowlog.String {
			m[f.String()] = string(r.Str[f])
		} else {
			m[f.String()] = r.Int[f]
		}
	}
	return m
}

// drain calls Next until the decoder is done, checking the batch contract
// on the way.
func drain(t testing.TB, d *Decoder, capacity int) decoded {
	t.Helper()
	out := decoded{class: d.Class(), version: d.Version()}
	b := Batch{
		Flows:    make([]flowlog.Record, 0, capacity),
		Events:   make([]cloudtrail.Event, 0, capacity),
		Queries:  make([]dnslog.Query, 0, capacity),
		Findings: make([]guardduty.Finding, 0, capacity),
	}
	for calls := 0; ; calls++ {
		if calls > 1<<20 {
			t.Fatalf("Next called %d times without reaching the end", calls)
		}
		err := d.Next(&b)
		filled := 0
		for _, n := range []int{len(b.Flows), len(b.Events), len(b.Queries), len(b.Findings)} {
			if n > 0 {
				filled++
			}
		}
		if filled > 1 {
			t.Fatalf("Next filled %d kinds of record in one batch; want at most one", filled)
		}
		if capacity > 0 && max(len(b.Flows), len(b.Events), len(b.Queries), len(b.Findings)) > capacity {
			t.Fatalf("Next returned more records than the capacity %d", capacity)
		}
		for i := range b.Flows {
			out.flows = append(out.flows, flowMap(&b.Flows[i]))
		}
		out.events = append(out.events, b.Events...)
		out.queries = append(out.queries, b.Queries...)
		out.findings = append(out.findings, b.Findings...)
		out.errors = append(out.errors, b.Errors...)
		records := len(b.Flows) + len(b.Events) + len(b.Queries) + len(b.Findings)
		if err == io.EOF {
			if records > 0 {
				t.Fatalf("Next returned io.EOF with %d records", records)
			}
			break
		}
		if err != nil {
			out.err = err
			if again := d.Next(&b); again != err {
				t.Fatalf("Next after %v returned %v; want the same error", err, again)
			}
			break
		}
		if records+len(b.Errors) == 0 {
			t.Fatalf("Next returned an empty batch without io.EOF")
		}
	}
	return out
}

// decodeBytes decodes a whole object held in memory.
func decodeBytes(t testing.TB, data []byte, file string, capacity int) (decoded, error) {
	t.Helper()
	d, err := NewDecoder(bytes.NewReader(data), int64(len(data)), Options{File: file})
	if err != nil {
		return decoded{}, err
	}
	return drain(t, d, capacity), nil
}

// golden is what a golden file holds for one object.
type golden struct {
	Class    int                 `json:"class"`
	Version  string              `json:"version"`
	Flows    []map[string]any    `json:"flows,omitempty"`
	Events   []cloudtrail.Event  `json:"events,omitempty"`
	Queries  []dnslog.Query      `json:"queries,omitempty"`
	Findings []guardduty.Finding `json:"findings,omitempty"`
	Errors   []string            `json:"errors,omitempty"`
	Err      string              `json:"err,omitempty"`
}

func toGolden(d decoded) golden {
	g := golden{Class: d.class, Version: d.version, Flows: d.flows, Events: d.events,
		Queries: d.queries, Findings: d.findings}
	for _, e := range d.errors {
		g.Errors = append(g.Errors, e.Error())
	}
	if d.err != nil {
		g.Err = d.err.Error()
	}
	return g
}

// samples returns the Security Lake objects under testdata, their inputs
// left out.
func samples(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("testdata", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && (e.Name() == "input" || e.Name() == "inputs" || e.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".parquet") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 26 {
		t.Fatalf("found %d samples under testdata; want the 26 Security Lake objects", len(files))
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range samples(t) {
		t.Run(strings.TrimPrefix(filepath.ToSlash(path), "testdata/"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.ToSlash(path)
			d, err := decodeBytes(t, data, file, 0)
			if err != nil {
				t.Fatalf("NewDecoder(%s) = %v", file, err)
			}
			if len(d.errors) > 0 || d.err != nil {
				t.Errorf("decoding %s: errors %v, end %v; want none", file, d.errors, d.err)
			}
			got, err := json.MarshalIndent(toGolden(d), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			goldenPath := path + ".golden.json"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("decoding %s differs from %s (-want +got):\n%s", file, goldenPath, diff)
			}
		})
	}
}

// TestSamplesMatchInputs decodes each sample's original AWS log with
// gumshoe's native decoder and checks that the OCSF record maps back to the
// same values: the reverse mapping is what makes Security Lake data usable
// by the rest of the pipeline.
func TestSamplesMatchInputs(t *testing.T) {
	for _, path := range samples(t) {
		name := strings.TrimPrefix(filepath.ToSlash(path), "testdata/1.0.0-rc.2/")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeBytes(t, data, path, 0)
			if err != nil {
				t.Fatal(err)
			}
			dir, base := filepath.Split(path)
			switch {
			case strings.Contains(name, "VPC_FLOW/"):
				checkFlowInput(t, dir, base, got)
			case strings.Contains(name, "CLOUD_TRAIL/"):
				checkEventInput(t, dir, base, got)
			case strings.Contains(name, "ROUTE53/"):
				checkQueryInput(t, dir, base, got)
			case strings.Contains(name, "SH_FINDINGS/"):
				checkFindingInput(t, dir, base, got)
			default:
				t.Fatalf("no input known for %s", name)
			}
		})
	}
}

// inputNumber returns the digit in "example2..." that numbers a sample's
// input.
func inputNumber(t *testing.T, base string) string {
	t.Helper()
	n, ok := strings.CutPrefix(base, "example")
	if !ok || n == "" {
		t.Fatalf("sample %s is not named exampleN", base)
	}
	return n[:1]
}

func checkFlowInput(t *testing.T, dir, base string, got decoded) {
	n := inputNumber(t, base)
	matches, _ := filepath.Glob(filepath.Join(dir, "inputs", "vpc_flow-input"+n+"*.parquet"))
	if len(matches) != 1 {
		t.Fatalf("inputs for %s: %v", base, matches)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	native, err := flowlog.NewParquetDecoder(bytes.NewReader(data), int64(len(data)), flowlog.ParquetOptions{File: matches[0]})
	if errors.Is(err, flowlog.ErrType) {
		// pandas wrote this input's empty integer columns as DOUBLE NaN,
		// which flowlog rightly refuses; read it column by column.
		want := pandasFlows(t, data)
		if diff := cmp.Diff(want, got.flows); diff != "" {
			t.Errorf("flows of %s differ from the input flow log %s (-input +ocsf):\n%s", base, matches[0], diff)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var b flowlog.Batch
	var want []map[string]any
	for {
		err := native.Next(&b)
		for i := range b.Records {
			want = append(want, flowMap(&b.Records[i]))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(want) == 0 {
		t.Fatalf("input %s holds no flow", matches[0])
	}
	if diff := cmp.Diff(want, got.flows); diff != "" {
		t.Errorf("flows of %s differ from the input flow log %s (-input +ocsf):\n%s", base, matches[0], diff)
	}
}

// pandasFlows reads a one-level flow log Parquet file of any column
// types: text "-" and NaN are missing values, doubles whole numbers.
func pandasFlows(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	cols := f.Schema().Columns()
	var out []map[string]any
	for _, g := range f.RowGroups() {
		rows := g.Rows()
		buf := make([]parquet.Row, 16)
		for {
			n, err := rows.ReadRows(buf)
			for _, row := range buf[:n] {
				m := map[string]any{"line": len(out) + 1}
				for _, v := range row {
					field, ok := flowlog.Lookup(cols[v.Column()][0])
					if !ok || v.IsNull() {
						continue
					}
					var x any
					switch v.Kind() {
					case parquet.ByteArray:
						if s := string(v.ByteArray()); s != "-" && s != "" {
							x = s
						}
					case parquet.Double:
						if d := v.Double(); d == d {
							x = int64(d)
						}
					case parquet.Int64, parquet.Int32:
						x = v.Int64()
					}
					if x == nil {
						continue
					}
					if field.Info().Kind != flowlog.String {
						if s, ok := x.(string); ok {
							i, err := strconv.ParseInt(s, 10, 64)
							if err != nil {
								t.Fatalf("column %s: %v", field, err)
							}
							x = i
						}
					}
					m[field.String()] = x
				}
				out = append(out, m)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
	}
	return out
}

// readInput opens a gzipped input.
func readInput(t *testing.T, path string) io.Reader {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}

func checkEventInput(t *testing.T, dir, base string, got decoded) {
	input := filepath.Join(dir, "input", strings.TrimSuffix(base, ".parquet"))
	d := cloudtrail.NewDecoder(readInput(t, input), cloudtrail.Options{File: input})
	var b cloudtrail.Batch
	var want []cloudtrail.Event
	for {
		err := d.Next(&b)
		want = append(want, b.Events...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// The flattened fields must agree; Raw (OCSF against CloudTrail JSON),
	// Resources (rebuilt from OCSF) and Record differ by design.
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".Raw", ".Resources", ".Record":
			return true
		}
		return false
	}, cmp.Ignore())
	if len(want) == 0 {
		t.Fatalf("input %s holds no event", input)
	}
	if diff := cmp.Diff(want, got.events, ignore); diff != "" {
		t.Errorf("events of %s differ from the input CloudTrail event %s (-input +ocsf):\n%s", base, input, diff)
	}
	for i := range min(len(want), len(got.events)) {
		w, g := normaliseResources(t, want[i].Resources), normaliseResources(t, got.events[i].Resources)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("resources of %s differ from the input (-input +ocsf):\n%s", base, diff)
		}
	}
}

// normaliseResources decodes a resources array for comparison.
func normaliseResources(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	if raw == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("resources %s: %v", raw, err)
	}
	return v
}

func checkQueryInput(t *testing.T, dir, base string, got decoded) {
	input := filepath.Join(dir, "inputs", "route53-inputs"+inputNumber(t, base)+".json.gz")
	d := dnslog.NewDecoder(readInput(t, input), dnslog.Options{File: input})
	var b dnslog.Batch
	var want []dnslog.Query
	for {
		err := d.Next(&b)
		want = append(want, b.Queries...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".Raw", ".Record":
			return true
		}
		return false
	}, cmp.Ignore())
	if len(want) == 0 {
		t.Fatalf("input %s holds no query", input)
	}
	if diff := cmp.Diff(want, got.queries, ignore); diff != "" {
		t.Errorf("queries of %s differ from the input resolver log %s (-input +ocsf):\n%s", base, input, diff)
	}
}

func checkFindingInput(t *testing.T, dir, base string, got decoded) {
	input := filepath.Join(dir, "inputs", "securityhub-inputs"+inputNumber(t, base)+".json.gz")
	d := guardduty.NewDecoder(readInput(t, input), guardduty.Options{File: input})
	var b guardduty.Batch
	var want []guardduty.Finding
	for {
		err := d.Next(&b)
		want = append(want, b.Findings...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Severity differs by design: the native decoder reads ASFF's
	// Severity.Product, which Security Hub controls leave at 0 whatever
	// their label; OCSF's severity_id follows the label.
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		switch p.Last().String() {
		case ".Raw", ".Record", ".Severity", ".SeverityLabel":
			return true
		}
		return false
	}, cmp.Ignore())
	if len(want) == 0 {
		t.Fatalf("input %s holds no finding", input)
	}
	if diff := cmp.Diff(want, got.findings, ignore); diff != "" {
		t.Errorf("findings of %s differ from the input ASFF finding %s (-input +ocsf):\n%s", base, input, diff)
	}
	for i := range min(len(want), len(got.findings)) {
		label := strings.ToUpper(got.findings[i].SeverityLabel)
		var asff struct {
			Severity struct{ Label string }
		}
		if err := json.Unmarshal(want[i].Raw, &asff); err != nil {
			t.Fatal(err)
		}
		if label != asff.Severity.Label {
			t.Errorf("finding %d of %s: severity label %q; want the input's %q", i, base, label, asff.Severity.Label)
		}
	}
}
