package demo

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
)

// writer holds one worker's buffers.
type writer struct {
	g   *gen
	buf []byte
	bw  *bufio.Writer
	zw  *gzip.Writer
	f   *os.File
	// scratch for the record generators
	flows []flowRec
	ev    ctEvent
	tmp   []byte
}

func newWriter(g *gen) *writer {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid
	return &writer{g: g, buf: make([]byte, 0, 128<<10), bw: bufio.NewWriterSize(nil, 256<<10), zw: zw}
}

// create opens dir/rel for a gzip stream.
func (w *writer) create(dir, rel string) error {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w.f = f
	w.bw.Reset(f)
	w.zw.Reset(w.bw)
	// A fixed header time keeps the bytes the same from run to run.
	w.zw.ModTime = time.Time{}
	w.buf = w.buf[:0]
	return nil
}

// spill compresses the buffer when it is full enough.
func (w *writer) spill() error {
	if len(w.buf) < 64<<10 {
		return nil
	}
	_, err := w.zw.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// finish writes what is left and closes the file, returning its size.
func (w *writer) finish() (int64, error) {
	f := w.f
	w.f = nil
	_, err := w.zw.Write(w.buf)
	w.buf = w.buf[:0]
	if err == nil {
		err = w.zw.Close()
	}
	if err == nil {
		err = w.bw.Flush()
	}
	var size int64
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			size = fi.Size()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", f.Name(), err)
	}
	return size, nil
}

// Salts that keep the random streams of the kinds of file apart.
const (
	saltFlow  = 0x666c6f77
	saltCT    = 0x6374726c
	saltDNS   = 0x646e7371
	saltSched = 0x7363686564
)

// fileRand is the random stream of one file.
func (g *gen) fileRand(salt uint64, stream, win int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.cfg.Seed)^salt, uint64(stream)<<32|uint64(win)))
}

// hourOf returns the UTC hour (fractional) and weekday of t.
func hourOf(t int64) (float64, time.Weekday) {
	tm := time.Unix(t, 0).UTC()
	return float64(tm.Hour()) + float64(tm.Minute())/60, tm.Weekday()
}

// diurnal is the share of a day's peak traffic at UTC hour h for visitors
// whose busiest hour is peak: never below a quarter.
func diurnal(h, peak float64) float64 {
	return 0.25 + 0.75*(0.5+0.5*math.Cos(2*math.Pi*(h-peak)/24))
}

// peakHour is when a region's visitors are busiest, UTC.
func peakHour(region string) float64 {
	if region == "eu-west-1" {
		return 13
	}
	return 19
}

// activity weighs window w of a region's VPC traffic.
func (g *gen) activity(w int, region string) float64 {
	t := g.winStart(w) + g.window/2
	h, wd := hourOf(t)
	v := 0.5 + 0.5*diurnal(h, peakHour(region))
	if wd == time.Saturday || wd == time.Sunday {
		v *= 0.8
	}
	return v
}

// working is how much of the staff is at work at t: Berlin (UTC+1) and
// New York (UTC-5) offices, weekdays 8 to 18 local time.
func working(t int64, utcOffset int) float64 {
	tm := time.Unix(t+int64(utcOffset)*3600, 0).UTC()
	if tm.Weekday() == time.Saturday || tm.Weekday() == time.Sunday {
		return 0.03
	}
	h := tm.Hour()
	switch {
	case h >= 9 && h < 17:
		return 1
	case h == 8 || h == 17 || h == 18:
		return 0.4
	case h >= 19 && h < 23:
		return 0.08
	}
	return 0.01
}

// workActivity weighs window w by the people at work in either office.
func (g *gen) workActivity(w int) float64 {
	t := g.winStart(w) + g.window/2
	return 0.5*working(t, 1) + 0.5*working(t, -5)
}

func stampOf(t int64) time.Time { return time.Unix(t, 0).UTC() }

func datePath(t time.Time) string { return t.Format("2006/01/02") }
