package flowgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

var keyPattern = regexp.MustCompile(`^AWSLogs/(\d{12})/vpcflowlogs/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_vpcflowlogs_([a-z0-9-]+)_fl-[0-9a-f]{8}_(\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz$`)

// files returns the generated files, keyed by path relative to dir.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func gunzip(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not gzip: %v", name, err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: bad gzip stream: %v", name, err)
	}
	return text
}

func TestGenerate(t *testing.T) {
	for _, tc := range []struct {
		format string
		header string
		fields int
	}{
		{"v2", FormatV2Header, 14},
		{"", FormatV2Header, 14},
		{"v5", FormatV5Header, 29},
	} {
		t.Run("format="+tc.format, func(t *testing.T) {
			if n := len(strings.Fields(tc.header)); n != tc.fields {
				t.Fatalf("header has %d fields; want %d", n, tc.fields)
			}
			cfg := Config{Records: 25_003, Format: tc.format, RecordsPerFile: 2_000, Seed: 7}
			dir := t.TempDir()
			st, err := Generate(dir, cfg)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if st.Records != cfg.Records {
				t.Errorf("Stats.Records = %d; want %d", st.Records, cfg.Records)
			}
			if want := 13; st.Files != want {
				t.Errorf("Stats.Files = %d; want %d", st.Files, want)
			}
			got := files(t, dir)
			if len(got) != st.Files {
				t.Errorf("found %d files; Stats.Files = %d", len(got), st.Files)
			}

			var size int64
			records, nodata, rejects := 0, 0, 0
			accounts, regions := map[string]bool{}, map[string]bool{}
			for name, b := range got {
				size += int64(len(b))
				m := keyPattern.FindStringSubmatch(name)
				if m == nil {
					t.Errorf("key %q does not match the S3 layout", name)
					continue
				}
				acct, region, y, mo, d, acct2, region2, stamp := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
				if acct != acct2 || region != region2 {
					t.Errorf("key %q: folder and file name disagree", name)
				}
				if stamp[:8] != y+mo+d {
					t.Errorf("key %q: date folders do not match the time stamp %s", name, stamp)
				}
				if _, err := time.Parse("20060102T1504Z", stamp); err != nil {
					t.Errorf("key %q: time stamp: %v", name, err)
				}
				accounts[acct], regions[region] = true, true

				text := gunzip(t, name, b)
				sc := bufio.NewScanner(bytes.NewReader(text))
				if !sc.Scan() || sc.Text() != tc.header {
					t.Errorf("%s: first line = %q; want the header %q", name, sc.Text(), tc.header)
				}
				for sc.Scan() {
					f := strings.Split(sc.Text(), " ")
					if len(f) != tc.fields {
						t.Fatalf("%s: line %q has %d fields; want %d", name, sc.Text(), len(f), tc.fields)
					}
					if f[1] != acct {
						t.Fatalf("%s: record account %s in the folder of %s", name, f[1], acct)
					}
					records++
					switch {
					case f[13] == "NODATA":
						nodata++
					case f[12] == "REJECT":
						rejects++
					}
					if tc.fields == 29 && f[13] == "OK" {
						checkV5(t, f)
					}
				}
			}
			if records != cfg.Records {
				t.Errorf("files hold %d records; want %d", records, cfg.Records)
			}
			if size != st.Bytes {
				t.Errorf("Stats.Bytes = %d; files total %d", st.Bytes, size)
			}
			if len(accounts) != 2 || len(regions) != 2 {
				t.Errorf("accounts %v, regions %v; want the two defaults of each", accounts, regions)
			}
			if nodata == 0 || nodata > records/50 {
				t.Errorf("%d NODATA lines in %d records; want a few", nodata, records)
			}
			if rejects < records/20 || rejects > records/5 {
				t.Errorf("%d REJECT lines in %d records; want about 10%%", rejects, records)
			}
		})
	}
}

// checkV5 checks that a v5 record's direction fields agree with which side
// is the interface.
func checkV5(t *testing.T, f []string) {
	t.Helper()
	src, dst, dir, path := f[3], f[4], f[27], f[28]
	switch dir {
	case "ingress":
		if path != "-" || !strings.HasPrefix(dst, "10.") {
			t.Fatalf("ingress record %q: want traffic-path - and a private dstaddr", f)
		}
	case "egress":
		if !strings.Contains(" 1 2 7 8 ", " "+path+" ") || !strings.HasPrefix(src, "10.") {
			t.Fatalf("egress record %q: want traffic-path 1, 2, 7 or 8 and a private srcaddr", f)
		}
	default:
		t.Fatalf("record %q: flow-direction %q", f, dir)
	}
	if f[18] != "IPv4" || f[19] != src || f[20] != dst {
		t.Fatalf("record %q: type and packet addresses", f)
	}
}

func TestGenerateDecodes(t *testing.T) {
	for _, format := range []string{"v2", "v5"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			st, err := Generate(dir, Config{Records: 12_345, Format: format, RecordsPerFile: 5_000, Seed: 1})
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			records := 0
			for name, b := range files(t, dir) {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				d := flowlog.NewTextDecoder(zr, flowlog.TextOptions{File: name})
				var batch flowlog.Batch
				for {
					err := d.Next(&batch)
					for _, e := range batch.Errors {
						t.Errorf("decode: %v", e)
					}
					records += len(batch.Records)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("decode %s: %v", name, err)
					}
				}
				if w := d.Warnings(); len(w) > 0 {
					t.Errorf("%s: warnings %q", name, w)
				}
				if n := len(d.Format().Fields); format == "v5" && n != 29 || format == "v2" && n != 14 {
					t.Errorf("%s: decoder format has %d fields", name, n)
				}
			}
			if records != st.Records {
				t.Errorf("decoded %d records; want %d", records, st.Records)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Records: 9_000, Format: "v5", RecordsPerFile: 1_000, Seed: 42}
	a, b := t.TempDir(), t.TempDir()
	if _, err := Generate(a, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if _, err := Generate(b, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	fa, fb := files(t, a), files(t, b)
	if len(fa) != len(fb) || len(fa) == 0 {
		t.Fatalf("runs wrote %d and %d files", len(fa), len(fb))
	}
	for name, x := range fa {
		if !bytes.Equal(x, fb[name]) {
			t.Errorf("%s differs between runs with the same seed", name)
		}
	}

	cfg.Seed = 43
	c := t.TempDir()
	if _, err := Generate(c, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	same := 0
	for name, x := range files(t, c) {
		if bytes.Equal(x, fa[name]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d files identical across seeds 42 and 43", same)
	}
}

func TestGenerateTimeSpan(t *testing.T) {
	// 3 M records should span a few days; check the rate on a sample, since
	// time depends only on the record's position in its stream.
	dir := t.TempDir()
	cfg := Config{Records: 30_000, RecordsPerFile: 7_500, Seed: 3, Accounts: []string{"123456789012"}, Regions: []string{"ap-southeast-2"}}
	if _, err := Generate(dir, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	var lo, hi int64 = 1 << 62, 0
	for name, b := range files(t, dir) {
		if !strings.Contains(name, "/ap-southeast-2/") || !strings.HasPrefix(name, "AWSLogs/123456789012/") {
			t.Errorf("key %q: want the configured account and region", name)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := flowlog.NewTextDecoder(zr, flowlog.TextOptions{File: name})
		var batch flowlog.Batch
		for d.Next(&batch) == nil {
			for i := range batch.Records {
				r := &batch.Records[i]
				lo, hi = min(lo, r.Int[flowlog.Start]), max(hi, r.Int[flowlog.End])
				if r.Int[flowlog.End] <= r.Int[flowlog.Start] {
					t.Fatalf("%s:%d: end %d before start %d", name, r.Line, r.Int[flowlog.End], r.Int[flowlog.Start])
				}
			}
		}
	}
	if lo != DefaultStart.Unix() {
		t.Errorf("first start = %v; want %v", time.Unix(lo, 0).UTC(), DefaultStart)
	}
	// One stream here, four by default: 3 M records over four streams take
	// as long as 750 k here.
	perRecord := float64(hi-lo) / float64(cfg.Records)
	days := perRecord * 750_000 / 86400
	if days < 2 || days > 6 {
		t.Errorf("3 M default records would span %.1f days; want a few", days)
	}
}

func TestGenerateConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Records: -1},
		{Records: 10, Format: "v3"},
		{Records: 10, Accounts: []string{"../../etc"}},
		{Records: 10, Regions: []string{"US/East"}},
		{Records: 10, RecordsPerFile: -5},
	} {
		if _, err := Generate(t.TempDir(), cfg); err == nil {
			t.Errorf("Generate(%+v) = nil error; want an error", cfg)
		}
	}
	st, err := Generate(t.TempDir(), Config{})
	if err != nil || st != (Stats{}) {
		t.Errorf("Generate(zero Config) = %+v, %v; want nothing written", st, err)
	}
}

func TestAZPrefix(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"us-east-1", "use1"},
		{"eu-west-1", "euw1"},
		{"ap-southeast-2", "apse2"},
		{"eu-central-1", "euc1"},
		{"local", "local"},
	} {
		if got := azPrefix(tc.in); got != tc.want {
			t.Errorf("azPrefix(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, format := range []string{"v2", "v5"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			dir := b.TempDir()
			var st Stats
			for b.Loop() {
				var err error
				st, err = Generate(dir, Config{Records: 200_000, Format: format})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// TestGenerateConversations checks the shape of the traffic: by default a
// connection's request comes with its reply (the same interface, addresses
// and ports swapped) and long-lived ones recur, so conversations hold
// several records, as in real flow logs; Unpaired makes every record its
// own conversation.
func TestGenerateConversations(t *testing.T) {
	for _, c := range []struct {
		unpaired           bool
		minRatio, maxRatio float64
	}{
		{false, 2, 4},
		{true, 1, 1.05},
	} {
		dir := t.TempDir()
		if _, err := Generate(dir, Config{Records: 20_000, Format: "v2", RecordsPerFile: 10_000, Seed: 3, Unpaired: c.unpaired}); err != nil {
			t.Fatal(err)
		}
		conversations := map[string]int{}
		records := 0
		for name, b := range files(t, dir) {
			for i, line := range strings.Split(string(gunzip(t, name, b)), "\n") {
				f := strings.Fields(line)
				if i == 0 || len(f) != 14 || f[13] != "OK" {
					continue
				}
				// interface, the two endpoints in a fixed order, protocol, action.
				a, b := f[3]+":"+f[5], f[4]+":"+f[6]
				if b < a {
					a, b = b, a
				}
				conversations[f[2]+" "+a+" "+b+" "+f[7]+" "+f[12]]++
				records++
			}
		}
		ratio := float64(records) / float64(len(conversations))
		t.Logf("unpaired=%v: %d records, %d conversations (%.2f each)", c.unpaired, records, len(conversations), ratio)
		if ratio < c.minRatio || ratio > c.maxRatio {
			t.Errorf("unpaired=%v: %.2f records per conversation; want %.2f–%.2f", c.unpaired, ratio, c.minRatio, c.maxRatio)
		}
	}
}
