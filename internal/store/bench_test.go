package store

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/gumshoe-dev/gumshoe/internal/flowgen"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

func syntheticV2(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	t := int64(1767571200)
	for i := 0; i < n; i++ {
		eni := rng.IntN(300)
		fmt.Fprintf(&b, "2 111111111111 eni-%017x 10.0.%d.%d 198.51.100.%d %d 443 6 %d %d %d %d ACCEPT OK\n",
			eni, eni/250, eni%250+1, rng.IntN(250), 32768+rng.IntN(28000), 1+rng.IntN(100), 40+rng.IntN(100000), t+int64(i/1000), t+int64(i/1000)+60)
	}
	return b.String()
}

func BenchmarkFlowWriter(b *testing.B) {
	const n = 200000
	text := syntheticV2(n)
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "g.duckdb"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := flowlog.NewTextDecoder(strings.NewReader(text), flowlog.TextOptions{File: "bench"})
		batch := &flowlog.Batch{Records: make([]flowlog.Record, 0, 4096)}
		fw, _ := st.NewFlowWriter()
		for {
			err := d.Next(batch)
			if len(batch.Records) > 0 {
				if err := fw.Write(int64(i), batch.Records); err != nil {
					b.Fatal(err)
				}
			}
			if err != nil {
				break
			}
		}
		if _, _, err := fw.Close(); err != nil {
			b.Fatal(err)
		}
		fw.Abort()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkDecodeOnly(b *testing.B) {
	const n = 200000
	text := syntheticV2(n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := flowlog.NewTextDecoder(strings.NewReader(text), flowlog.TextOptions{File: "bench"})
		batch := &flowlog.Batch{Records: make([]flowlog.Record, 0, 4096)}
		for d.Next(batch) == nil {
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// flowgenRecords decodes n records written by internal/flowgen, which
// models connections (both directions, recurring windows) like real logs.
func flowgenRecords(b *testing.B, n int) []flowlog.Record {
	b.Helper()
	dir := b.TempDir()
	if _, err := flowgen.Generate(dir, flowgen.Config{Records: n, RecordsPerFile: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	var recs []flowlog.Record
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		dec := flowlog.NewTextDecoder(zr, flowlog.TextOptions{File: path})
		batch := &flowlog.Batch{Records: make([]flowlog.Record, 0, 4096)}
		for {
			err := dec.Next(batch)
			for _, r := range batch.Records {
				for f := range r.Str {
					r.Str[f] = append([]byte(nil), r.Str[f]...)
				}
				recs = append(recs, r)
			}
			if err != nil {
				return nil
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return recs
}

func BenchmarkRollupAdd(b *testing.B) {
	recs := flowgenRecords(b, 300_000)
	rb := newRollupBuilder()
	b.ResetTimer()
	for range b.N {
		rb.reset()
		for i := range recs {
			rb.add(&recs[i])
		}
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(rb.size()), "keys")
}

func BenchmarkRollupWrite(b *testing.B) {
	recs := flowgenRecords(b, 300_000)
	rb := newRollupBuilder()
	for i := range recs {
		rb.add(&recs[i])
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := range b.N {
		if _, err := rb.write(dir, fmt.Sprint(i), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rb.size()*b.N)/b.Elapsed().Seconds(), "rows/s")
}
