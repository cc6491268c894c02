package ocsf

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// checkDecoded checks what a decoder produced against rules stated
// independently of the decoder: values within their fields' limits,
// addresses that parse, valid UTF-8 and JSON, errors that say where they
// are.
func checkDecoded(t testing.TB, file string, d decoded) {
	t.Helper()
	last := 0
	for _, m := range d.flows {
		line := m["line"].(int)
		if line <= last {
			t.Fatalf("flow at line %d after line %d", line, last)
		}
		last = line
		for name, v := range m {
			if name == "line" {
				continue
			}
			f, ok := flowlog.Lookup(name)
			if !ok {
				t.Fatalf("line %d: unknown field %q", line, name)
			}
			switch x := v.(type) {
			case string:
				if x == "" || x == "-" || !utf8.ValidString(x) {
					t.Fatalf("line %d: %s = %q; want non-empty valid UTF-8 other than -", line, name, x)
				}
				if f.IsAddress() {
					if a, err := netip.ParseAddr(x); err != nil || a.Zone() != "" {
						t.Fatalf("line %d: %s = %q is not an address: %v", line, name, x, err)
					}
				}
			case int64:
				limit := int64(math.MaxInt64)
				switch {
				case f == flowlog.SrcPort || f == flowlog.DstPort:
					limit = 65535
				case f == flowlog.Protocol:
					limit = 255
				case f.Info().Kind == flowlog.Int32:
					limit = math.MaxInt32
				}
				if x < 0 || x > limit {
					t.Fatalf("line %d: %s = %d; want 0..%d", line, name, x, limit)
				}
			}
		}
	}
	raws := make([][]byte, 0, len(d.events)+len(d.queries)+len(d.findings))
	for _, e := range d.events {
		raws = append(raws, e.Raw)
		if e.Resources != nil && !json.Valid(e.Resources) {
			t.Fatalf("event %d: resources %q is not JSON", e.Record, e.Resources)
		}
		if e.EventName == "" || e.EventTime.IsZero() {
			t.Fatalf("event %d has no name or time", e.Record)
		}
	}
	for _, q := range d.queries {
		raws = append(raws, q.Raw)
		if q.Answers != nil && !json.Valid(q.Answers) {
			t.Fatalf("query %d: answers %q is not JSON", q.Record, q.Answers)
		}
		if q.SrcPort != nil && (*q.SrcPort < 0 || *q.SrcPort > 65535) {
			t.Fatalf("query %d: port %d", q.Record, *q.SrcPort)
		}
	}
	for _, f := range d.findings {
		raws = append(raws, f.Raw)
		if f.ID == "" || f.Severity < 0 || f.Severity > 10 {
			t.Fatalf("finding %d: ID %q, severity %v", f.Record, f.ID, f.Severity)
		}
	}
	for _, raw := range raws {
		if !json.Valid(raw) || !utf8.Valid(raw) {
			t.Fatalf("Raw %q is not valid JSON", raw)
		}
	}
	for _, e := range d.errors {
		if e == nil || e.Err == nil || e.File != file || e.Record <= 0 {
			t.Fatalf("record error %#v; want one with File %q, a record and a cause", e, file)
		}
		if !utf8.ValidString(e.Error()) {
			t.Fatalf("error message %q is not valid UTF-8", e.Error())
		}
	}
	if d.err != nil {
		var perr *ParseError
		if !errors.As(d.err, &perr) || perr.File != file || perr.Record != 0 {
			t.Fatalf("decoding ended with %v (%T); want a *ParseError naming %q", d.err, d.err, file)
		}
	}
}

func FuzzDecoder(f *testing.F) {
	for _, path := range samples(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	if data, err := os.ReadFile(notOCSF); err == nil {
		f.Add(data)
	}
	f.Add(writeParquet(f, networkRows110()))
	f.Add(writeParquet(f, apiRows110()))
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.parquet"
		sniffed := Sniff(bytes.NewReader(data), int64(len(data)))
		d, err := NewDecoder(bytes.NewReader(data), int64(len(data)), Options{File: file})
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || perr.File != file || perr.Record != 0 || !utf8.ValidString(err.Error()) {
				t.Fatalf("NewDecoder = %v (%T); want a *ParseError naming %q", err, err, file)
			}
			return
		}
		if !sniffed {
			t.Fatalf("NewDecoder accepted a file Sniff refused")
		}
		checkDecoded(t, file, drain(t, d, 64))
	})
}
