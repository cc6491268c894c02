package detect_test

import (
	"context"
	"testing"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
)

// BenchmarkRunFull re-evaluates every hour of the ten-day fixture
// (Since), which is what a first run does.
func BenchmarkRunFull(b *testing.B) {
	st, _ := setup(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := detect.Run(context.Background(), st, detect.Config{Since: base}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunNothingNew is an incremental run with nothing ingested
// since the last.
func BenchmarkRunNothingNew(b *testing.B) {
	st, _ := setup(b)
	if _, err := detect.Run(context.Background(), st, detect.Config{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := detect.Run(context.Background(), st, detect.Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
