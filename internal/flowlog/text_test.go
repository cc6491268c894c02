package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// summary renders decoded output compactly for table tests: a record as
// "line: field=value ...", in documentation order; an error as
// "line:field:sentinel".
func summary(d decoded) (records, errs []string) {
	for i := range d.records {
		r := &d.records[i]
		s := fmt.Sprintf("%d:", r.Line)
		for f := Field(0); f < NumFields; f++ {
			if r.Has(f) {
				s += " " + f.String() + "=" + r.Value(f)
			}
		}
		records = append(records, s)
	}
	for _, e := range d.errors {
		errs = append(errs, fmt.Sprintf("%d:%s:%v", e.Line, e.Field, sentinelOf(e)))
	}
	return records, errs
}

func mustFormat(t testing.TB, s string) *Format {
	t.Helper()
	f, err := ParseFormat(s)
	if err != nil {
		t.Fatal(err)
	}
	return &f
}

const defaultLine = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"

const defaultRecord = " version=2 account-id=123456789010 interface-id=eni-1235b8ca123456789 srcaddr=172.31.16.139 dstaddr=172.31.16.21" +
	" srcport=20641 dstport=22 protocol=6 packets=20 bytes=4249 start=1418530010 end=1418530070 action=ACCEPT log-status=OK"

func TestTextDecoder(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		format   string // explicit format, if any
		records  []string
		errors   []string
		fatal    error  // the error that ends decoding; nil for io.EOF
		gotFmt   string // Format().String(), if checked
		warnings []string
	}{
		{
			name:    "header",
			in:      "version srcaddr srcport action\n2 10.0.0.1 443 ACCEPT\n",
			records: []string{"2: version=2 srcaddr=10.0.0.1 srcport=443 action=ACCEPT"},
			gotFmt:  "${version} ${srcaddr} ${srcport} ${action}",
		},
		{
			name:    "explicit format, no header",
			in:      "10.0.0.1 ACCEPT\n10.0.0.2 REJECT",
			format:  "${srcaddr} ${action}",
			records: []string{"1: srcaddr=10.0.0.1 action=ACCEPT", "2: srcaddr=10.0.0.2 action=REJECT"},
		},
		{
			name:    "header wins over explicit format",
			in:      "action srcaddr\nACCEPT 10.0.0.1\n",
			format:  "${srcaddr} ${action}",
			records: []string{"2: srcaddr=10.0.0.1 action=ACCEPT"},
			gotFmt:  "${action} ${srcaddr}",
		},
		{
			name:    "default format detected",
			in:      defaultLine + "\n",
			records: []string{"1:" + defaultRecord},
			gotFmt:  DefaultFormat.String(),
		},
		{
			name:    "default format given",
			in:      defaultLine,
			format:  DefaultFormat.String(),
			records: []string{"1:" + defaultRecord},
		},
		{
			name:  "neither header nor default format",
			in:    "eni-1 10.0.0.1 ACCEPT\n",
			fatal: ErrNotFlowLog,
		},
		{
			name:    "CRLF",
			in:      "srcaddr srcport\r\n10.0.0.1 443\r\n10.0.0.2 80\r\n",
			records: []string{"2: srcaddr=10.0.0.1 srcport=443", "3: srcaddr=10.0.0.2 srcport=80"},
		},
		{
			name:    "runs of spaces and tabs",
			in:      "  srcaddr \t srcport  \n\t10.0.0.1    443\t\n10.0.0.2 \t 80   \n",
			records: []string{"2: srcaddr=10.0.0.1 srcport=443", "3: srcaddr=10.0.0.2 srcport=80"},
		},
		{
			name:    "blank lines count as lines",
			in:      "\n\nsrcaddr srcport\n\n10.0.0.1 443\n   \n\r\n10.0.0.2 80\n\n",
			records: []string{"5: srcaddr=10.0.0.1 srcport=443", "8: srcaddr=10.0.0.2 srcport=80"},
		},
		{
			name:    "dash is unset",
			in:      "2 123456789010 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA\n",
			records: []string{"1: version=2 account-id=123456789010 interface-id=eni-1a2b3c4d start=1431280876 end=1431280934 log-status=NODATA"},
		},
		{
			name:    "wrong field count",
			in:      "srcaddr srcport\n10.0.0.1\n10.0.0.1 443 x\n10.0.0.2 80\n",
			records: []string{"4: srcaddr=10.0.0.2 srcport=80"},
			errors:  []string{"2::" + ErrFieldCount.Error(), "3::" + ErrFieldCount.Error()},
		},
		{
			name: "bad numbers",
			in: "srcport packets version\n" +
				"44x 1 2\n" + // not a number
				"-1 1 2\n" + // no sign allowed
				"1 9223372036854775808 2\n" + // over int64
				"1 1 2147483648\n" + // over int32
				"1 9223372036854775807 2147483647\n", // the largest allowed
			records: []string{"6: version=2147483647 srcport=1 packets=9223372036854775807"},
			errors: []string{"2:srcport:" + ErrNumber.Error(), "3:srcport:" + ErrNumber.Error(),
				"4:packets:" + ErrNumber.Error(), "5:version:" + ErrRange.Error()},
		},
		{
			name:    "port and protocol range",
			in:      "srcport dstport protocol\n70000 1 6\n1 65536 6\n1 1 256\n65535 0 255\n",
			records: []string{"5: srcport=65535 dstport=0 protocol=255"},
			errors: []string{"2:srcport:" + ErrRange.Error(), "3:dstport:" + ErrRange.Error(),
				"4:protocol:" + ErrRange.Error()},
		},
		{
			name: "bad addresses",
			in: "srcaddr dstaddr\n10.0.0.256 10.0.0.1\n10.0.0.1 1.2.3\n::g 10.0.0.1\n010.0.0.1 10.0.0.1\n" +
				"10.0.0.1 2001:db8::1\n1.2.3.4.5 1.2.3.4\nfe80::1%eth0 10.0.0.1\n::ffff:10.0.0.1 ::\n",
			records: []string{"6: srcaddr=10.0.0.1 dstaddr=2001:db8::1", "9: srcaddr=::ffff:10.0.0.1 dstaddr=::"},
			errors: []string{"2:srcaddr:" + ErrAddress.Error(), "3:dstaddr:" + ErrAddress.Error(),
				"4:srcaddr:" + ErrAddress.Error(), "5:srcaddr:" + ErrAddress.Error(), "7:srcaddr:" + ErrAddress.Error(),
				"8:srcaddr:" + ErrAddress.Error()},
		},
		{
			name:    "invalid UTF-8",
			in:      "interface-id action\neni-\xff\xfe ACCEPT\neni-é REJECT\n",
			records: []string{"3: interface-id=eni-é action=REJECT"},
			errors:  []string{"2::" + ErrEncoding.Error()},
		},
		{
			name:  "gzip data",
			in:    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x4b\xcc\xc9\x01\x00",
			fatal: ErrBinary,
		},
		{
			name:  "NUL bytes",
			in:    "version\x00srcaddr\n2 10.0.0.1\n",
			fatal: ErrBinary,
		},
		{
			name:  "empty object",
			in:    "",
			fatal: ErrEmpty,
		},
		{
			name:  "blank lines only",
			in:    "\n \r\n\t\n",
			fatal: ErrEmpty,
		},
		{
			name:   "header only",
			in:     "version srcaddr\n",
			gotFmt: "${version} ${srcaddr}",
		},
		{
			name:     "unknown header field",
			in:       "version color srcport\n2 blue 443\n",
			records:  []string{"2: version=2 srcport=443"},
			gotFmt:   "${version} ${color} ${srcport}",
			warnings: []string{`t.log:1: unknown header field "color" ignored`},
		},
		{
			name:     "repeated header field",
			in:       "srcport srcport\n1 2\n",
			records:  []string{"2: srcport=1"},
			warnings: []string{`t.log:1: unknown header field "srcport" ignored`},
		},
		{
			// S3 headers use the field names; a column name is not one.
			// Athena-style column names (as some exports write them) name
			// the same fields.
			name:    "column name in header",
			in:      "log_status start\nOK 5\n",
			records: []string{"2: start=5 log-status=OK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var format *Format
			if tt.format != "" {
				format = mustFormat(t, tt.format)
			}
			got := decodeText(t, []byte(tt.in), TextOptions{File: "t.log", Format: format}, 0)
			records, errs := summary(got)
			if diff := cmp.Diff(tt.records, records); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errors, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, got.errors)
			}
			if !errors.Is(got.err, tt.fatal) || (tt.fatal == nil) != (got.err == nil) {
				t.Errorf("decoding ended with %v; want %v", got.err, tt.fatal)
			}
			var perr *ParseError
			if got.err != nil && (!errors.As(got.err, &perr) || perr.File != "t.log") {
				t.Errorf("decoding ended with %v; want a *ParseError naming t.log", got.err)
			}
			if tt.gotFmt != "" && got.format.String() != tt.gotFmt {
				t.Errorf("Format() = %q; want %q", got.format.String(), tt.gotFmt)
			}
			if diff := cmp.Diff(tt.warnings, got.warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			for _, e := range got.errors {
				if e.File != "t.log" || e.Text == "" {
					t.Errorf("error %v has File %q, Text %q; want t.log and the line", e, e.File, e.Text)
				}
			}
			checkDecoded(t, "t.log", got)
		})
	}
}

// TestTextErrorMessages pins what users read.
func TestTextErrorMessages(t *testing.T) {
	got := decodeText(t, []byte("srcaddr srcport\n10.0.0.1 70000\n10.0.0.1\n"), TextOptions{File: "s3://b/k.log.gz"}, 0)
	want := []string{
		"s3://b/k.log.gz:2: field srcport: number out of range: 70000 > 65535",
		"s3://b/k.log.gz:3: wrong number of fields: got 1, the format has 2",
	}
	var msgs []string
	for _, e := range got.errors {
		msgs = append(msgs, e.Error())
	}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	got = decodeText(t, nil, TextOptions{File: "k.log"}, 0)
	if got.err == nil || got.err.Error() != "k.log: empty object" {
		t.Errorf("empty object: %v; want %q", got.err, "k.log: empty object")
	}
}

// TestTextLongLine checks that a line over the 1 MiB limit is rejected on
// its own and decoding goes on with the next line, wherever it falls.
func TestTextLongLine(t *testing.T) {
	long := strings.Repeat("x", 2<<20)
	tests := []struct {
		name    string
		in      string
		records []string
		errors  []string
	}{
		{
			name:    "middle",
			in:      "srcaddr srcport\n10.0.0.1 1\n" + long + "\n10.0.0.2 2\n",
			records: []string{"2: srcaddr=10.0.0.1 srcport=1", "4: srcaddr=10.0.0.2 srcport=2"},
			errors:  []string{"3::" + ErrLineLength.Error()},
		},
		{
			name:    "last, no newline",
			in:      "srcaddr srcport\n10.0.0.1 1\n" + long,
			records: []string{"2: srcaddr=10.0.0.1 srcport=1"},
			errors:  []string{"3::" + ErrLineLength.Error()},
		},
		{
			name:    "first line",
			in:      long + "\nsrcaddr srcport\n10.0.0.2 2\n",
			records: []string{"3: srcaddr=10.0.0.2 srcport=2"},
			errors:  []string{"1::" + ErrLineLength.Error()},
		},
		{
			name:    "just under the limit",
			in:      "srcaddr action\n10.0.0.1 " + strings.Repeat("y", 1<<20-20) + "\n10.0.0.2 A\n",
			records: []string{"2: srcaddr=10.0.0.1 action=" + strings.Repeat("y", 1<<20-20), "3: srcaddr=10.0.0.2 action=A"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, capacity := range []int{1, 1024} {
				got := decodeText(t, []byte(tt.in), TextOptions{File: "t.log"}, capacity)
				records, errs := summary(got)
				if diff := cmp.Diff(tt.records, records); diff != "" {
					t.Errorf("capacity %d: records (-want +got):\n%.2000s", capacity, diff)
				}
				if diff := cmp.Diff(tt.errors, errs); diff != "" {
					t.Errorf("capacity %d: errors (-want +got):\n%s", capacity, diff)
				}
				if got.err != nil {
					t.Errorf("capacity %d: decoding ended with %v; want io.EOF", capacity, got.err)
				}
			}
		})
	}
}

// truncatedReader delivers data in chunks of at most n bytes, then fails
// the way a cut gzip stream does. With errWithData, the error comes with
// the last bytes, as io.Reader allows, and later reads return io.EOF.
type truncatedReader struct {
	data        []byte
	n           int
	errWithData bool
	failed      bool
}

func (r *truncatedReader) Read(p []byte) (int, error) {
	if r.failed {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	if len(r.data) == 0 && (k == 0 || r.errWithData) {
		r.failed = r.errWithData
		return k, io.ErrUnexpectedEOF
	}
	return k, nil
}

func TestTextTruncatedInput(t *testing.T) {
	in := "srcaddr srcport\n10.0.0.1 1\n10.0.0.2 2\n10.0.0.3"
	long := "srcaddr srcport\n" + strings.Repeat("z", 1<<20+10) + "\n10.0.0.4 4\n"
	tests := []struct {
		name     string
		r        io.Reader
		records  []string
		errors   []string
		fatalMsg string
	}{
		{
			name:     "error after the data",
			r:        &truncatedReader{data: []byte(in), n: 7},
			records:  []string{"2: srcaddr=10.0.0.1 srcport=1", "3: srcaddr=10.0.0.2 srcport=2"},
			errors:   []string{"4::" + ErrFieldCount.Error()},
			fatalMsg: "t.log:5: read failed after line 4: unexpected EOF",
		},
		{
			name:     "error with the data",
			r:        &truncatedReader{data: []byte(in), n: 1 << 30, errWithData: true},
			records:  []string{"2: srcaddr=10.0.0.1 srcport=1", "3: srcaddr=10.0.0.2 srcport=2"},
			errors:   []string{"4::" + ErrFieldCount.Error()},
			fatalMsg: "t.log:5: read failed after line 4: unexpected EOF",
		},
		{
			name:     "error with the end of a long line",
			r:        &truncatedReader{data: []byte(long), n: 1 << 30, errWithData: true},
			records:  []string{"3: srcaddr=10.0.0.4 srcport=4"},
			errors:   []string{"2::" + ErrLineLength.Error()},
			fatalMsg: "t.log:4: read failed after line 3: unexpected EOF",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewTextDecoder(tt.r, TextOptions{File: "t.log"})
			var got decoded
			drain(t, d, 0, &got)
			records, errs := summary(got)
			if diff := cmp.Diff(tt.records, records); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errors, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if got.err == nil || got.err.Error() != tt.fatalMsg || !errors.Is(got.err, io.ErrUnexpectedEOF) {
				t.Errorf("decoding ended with %v; want %q wrapping io.ErrUnexpectedEOF", got.err, tt.fatalMsg)
			}
		})
	}
}

// TestTextBatchSizes decodes an object larger than the decoder's initial
// buffer, so that it refills while earlier batches alias the buffer, with
// batch sizes that split it every which way.
func TestTextBatchSizes(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("version srcaddr dstaddr srcport action interface-id\n")
	for i := range 15000 { // about 700 KB: several fills of the initial 256 KiB buffer
		switch {
		case i%997 == 0:
			in.WriteString("bad line\n")
		case i%13 == 0:
			in.WriteString("\n")
		default:
			fmt.Fprintf(&in, "5 10.%d.%d.1 192.0.2.%d %d ACCEPT eni-%08x\r\n", i/256%256, i%256, i%250, i%65536, i)
		}
	}
	want := decodeText(t, in.Bytes(), TextOptions{File: "t.log"}, 16384)
	if len(want.records) < 13000 || len(want.errors) != 16 || in.Len() < 2*initialBufferSize {
		t.Fatalf("got %d records and %d errors from %d bytes; want over 13000 and 16 from over %d", len(want.records), len(want.errors), in.Len(), 2*initialBufferSize)
	}
	for _, capacity := range []int{1, 2, 3, 1000, 1024} {
		got := decodeText(t, in.Bytes(), TextOptions{File: "t.log"}, capacity)
		if diff := cmp.Diff(string(goldenJSON(want)), string(goldenJSON(got))); diff != "" {
			t.Errorf("batches of %d differ from one batch (-want +got):\n%.3000s", capacity, diff)
		}
	}
}

// benchmarkLines builds n synthetic records: the default format, or the 29
// fields of the AWS v5 example format with an S3-style header.
func benchmarkLines(n int, v5 bool) []byte {
	var b bytes.Buffer
	if v5 {
		b.WriteString("version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status\n")
	}
	actions := []string{"ACCEPT", "REJECT"}
	for i := range n {
		src := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		dst := fmt.Sprintf("172.31.%d.%d", i*7>>8&255, i*7&255)
		start := 1616729292 + i/100
		if v5 {
			path := "-"
			if i%3 == 0 {
				path = "1"
			}
			fmt.Fprintf(&b, "5 %s %s %d 443 6 %d %d IPv4 %d %d 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - %s %d %s %s - S3 %s egress OK\n",
				src, dst, 1024+i%60000, start, start+60, 1+i%50, 40+i%100000, actions[i%2], i%32, src, dst, path)
		} else {
			fmt.Fprintf(&b, "2 123456789010 eni-1235b8ca123456789 %s %s %d 22 6 %d %d %d %d %s OK\n",
				src, dst, 1024+i%60000, 1+i%50, 40+i%100000, start, start+60, actions[i%2])
		}
	}
	return b.Bytes()
}

func BenchmarkTextDecoder(b *testing.B) {
	const lines = 100000
	for _, bc := range []struct {
		name string
		v5   bool
	}{{"v2-default", false}, {"v5-custom-29-fields", true}} {
		data := benchmarkLines(lines, bc.v5)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			batch := Batch{Records: make([]Record, 0, 1024)}
			for b.Loop() {
				d := NewTextDecoder(bytes.NewReader(data), TextOptions{File: "bench.log"})
				n := 0
				for {
					err := d.Next(&batch)
					n += len(batch.Records)
					if err == io.EOF {
						break
					}
					if err != nil || len(batch.Errors) > 0 {
						b.Fatalf("Next = %v, errors %v", err, batch.Errors)
					}
				}
				if n != lines {
					b.Fatalf("decoded %d records; want %d", n, lines)
				}
			}
			b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestStuckReaderDoesNotSpin(t *testing.T) {
	d := NewTextDecoder(stuckReader{}, TextOptions{File: "stuck"})
	err := d.Next(&Batch{})
	if !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("Next on a reader that returns nothing = %v; want io.ErrNoProgress", err)
	}
}

func TestHeaderWithColumnNames(t *testing.T) {
	d := NewTextDecoder(strings.NewReader("version log_status srcaddr\n2 OK 10.0.0.1\n"), TextOptions{File: "x"})
	b := &Batch{}
	if err := d.Next(b); err != nil || len(b.Records) != 1 || b.Records[0].Value(LogStatus) != "OK" || len(d.Warnings()) != 0 {
		t.Errorf("header with underscore names: err %v, %d records, warnings %v", err, len(b.Records), d.Warnings())
	}
}
