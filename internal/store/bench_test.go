package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

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
