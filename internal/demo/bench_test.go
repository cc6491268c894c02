package demo

import (
	"context"
	"testing"
)

// BenchmarkGenerateFlows measures flow log output, gzip included, on all
// cores: records per second is the number to quote (the target is 1 M/s
// on 2 cores). One day of 2 M records makes files of about 20,000
// records, as 10^8 records over 45 days do.
func BenchmarkGenerateFlows(b *testing.B) {
	for _, format := range []string{"v5", "v2"} {
		b.Run(format, func(b *testing.B) {
			const n = 2_000_000
			b.ReportAllocs()
			var records int64
			for b.Loop() {
				st, err := Generate(context.Background(), b.TempDir(), Config{Days: 1, Seed: 1, Flows: n, CloudTrail: 1, DNS: 1, Format: format})
				if err != nil {
					b.Fatal(err)
				}
				records += st.FlowRecords
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkGenerateCloudTrail measures CloudTrail output.
func BenchmarkGenerateCloudTrail(b *testing.B) {
	b.ReportAllocs()
	var events int64
	for b.Loop() {
		st, err := Generate(context.Background(), b.TempDir(), Config{Days: 10, Seed: 1, Flows: 1, CloudTrail: 200_000, DNS: 1})
		if err != nil {
			b.Fatal(err)
		}
		events += st.CloudTrailEvents
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
