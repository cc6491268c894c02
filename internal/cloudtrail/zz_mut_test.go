package cloudtrail

import (
	"math/rand"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestZZMutations(t *testing.T) {
	var seeds [][]byte
	for _, name := range goldenInputs(t) {
		d := readTestdata(t, name)
		seeds = append(seeds, d[:min(len(d), 16<<10)])
	}
	for _, s := range unitInputs {
		seeds = append(seeds, []byte(s))
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	deadline := time.Now().Add(50 * time.Second)
	var n atomic.Int64
	var cur []byte
	done := make(chan struct{})
	go func() {
		last := int64(-1)
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Second):
				if v := n.Load(); v != last {
					last = v
					continue
				}
				os.WriteFile("/tmp/ctcheck/hang.bin", cur, 0o644)
				buf := make([]byte, 1<<20)
				k := runtime.Stack(buf, true)
				os.WriteFile("/tmp/ctcheck/hang.txt", buf[:k], 0o644)
				panic("hang")
			}
		}
	}()
	for time.Now().Before(deadline) {
		d := append([]byte(nil), seeds[rng.Intn(len(seeds))]...)
		for m := rng.Intn(8) + 1; m > 0 && len(d) > 0; m-- {
			i := rng.Intn(len(d))
			switch rng.Intn(5) {
			case 0:
				d[i] = byte(rng.Intn(256))
			case 1:
				d = append(d[:i], d[i+1:]...)
			case 2:
				d = append(d[:i], append([]byte{"{}[]\",:\\\n "[rng.Intn(10)]}, d[i:]...)...)
			case 3:
				j := rng.Intn(len(d))
				if j > i {
					d = append(d[:i], d[j:]...)
				}
			case 4:
				j := rng.Intn(len(d))
				if j > i {
					d = append(d[:i], append(append([]byte(nil), d[i:j]...), d[i:]...)...)
				}
			}
		}
		cur = d
		checkInvariants(t, d)
		n.Add(1)
		if t.Failed() {
			os.WriteFile("/tmp/ctcheck/fail.bin", d, 0o644)
			return
		}
	}
	close(done)
	t.Logf("%d inputs", n.Load())
}
