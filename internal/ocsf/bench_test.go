package ocsf

import (
	"bytes"
	"io"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// benchFile repeats rows to n rows, written with gzip pages as Security
// Lake writes them.
func benchFile[T any](b *testing.B, rows []T, n int) []byte {
	b.Helper()
	many := make([]T, 0, n)
	for len(many) < n {
		many = append(many, rows[len(many)%len(rows)])
	}
	return writeParquet(b, many, parquet.Compression(&parquet.Gzip))
}

func benchDecode(b *testing.B, data []byte, rows int) {
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	var batch Batch
	for b.Loop() {
		d, err := NewDecoder(bytes.NewReader(data), int64(len(data)), Options{File: "bench.parquet"})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			err := d.Next(&batch)
			n += len(batch.Flows) + len(batch.Events) + len(batch.Errors)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if n != rows {
			b.Fatalf("decoded %d rows; want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/record")
}

func BenchmarkDecodeFlows(b *testing.B) {
	const n = 20000
	benchDecode(b, benchFile(b, networkRows110()[:3], n), n)
}

func BenchmarkDecodeEvents(b *testing.B) {
	const n = 5000
	benchDecode(b, benchFile(b, apiRows110()[:2], n), n)
}
