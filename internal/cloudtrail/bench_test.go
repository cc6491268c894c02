package cloudtrail

import (
	"bytes"
	"io"
	"testing"
)

// benchmarkRecords builds an S3 log file of n events, as CloudTrail writes
// them (compact, {"Records":[...]}), cycling through the real events of
// testdata: IAM users, role sessions, services, console sign-ins, errors.
func benchmarkRecords(b *testing.B, n int) []byte {
	b.Helper()
	var events [][]byte
	for _, name := range goldenInputs(b) {
		for _, e := range decodeBytes(b, readTestdata(b, name), name, 0).events {
			events = append(events, e.Raw)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(events[i%len(events)])
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

func BenchmarkDecoder(b *testing.B) {
	const n = 5000
	data := benchmarkRecords(b, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	batch := Batch{Events: make([]Event, 0, 1024)}
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data), Options{File: "bench.json"})
		got := 0
		for {
			err := d.Next(&batch)
			got += len(batch.Events)
			if err == io.EOF {
				break
			}
			if err != nil || len(batch.Errors) > 0 {
				b.Fatalf("Next = %v, errors %v", err, batch.Errors)
			}
		}
		if got != n {
			b.Fatalf("decoded %d events; want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
