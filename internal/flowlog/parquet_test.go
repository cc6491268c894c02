package flowlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// nativeRow is a version 5 flow log record as AWS writes it to Parquet:
// the 29 fields of the documentation's v5 example format, in its order,
// named with "_", INT32 and INT64 where AWS uses them, STRING otherwise,
// every column optional.
type nativeRow struct {
	Version          *int32  `parquet:"version,optional"`
	SrcAddr          *string `parquet:"srcaddr,optional"`
	DstAddr          *string `parquet:"dstaddr,optional"`
	SrcPort          *int32  `parquet:"srcport,optional"`
	DstPort          *int32  `parquet:"dstport,optional"`
	Protocol         *int32  `parquet:"protocol,optional"`
	Start            *int64  `parquet:"start,optional"`
	End              *int64  `parquet:"end,optional"`
	Type             *string `parquet:"type,optional"`
	Packets          *int64  `parquet:"packets,optional"`
	Bytes            *int64  `parquet:"bytes,optional"`
	AccountID        *string `parquet:"account_id,optional"`
	VPCID            *string `parquet:"vpc_id,optional"`
	SubnetID         *string `parquet:"subnet_id,optional"`
	InstanceID       *string `parquet:"instance_id,optional"`
	InterfaceID      *string `parquet:"interface_id,optional"`
	Region           *string `parquet:"region,optional"`
	AZID             *string `parquet:"az_id,optional"`
	SublocationType  *string `parquet:"sublocation_type,optional"`
	SublocationID    *string `parquet:"sublocation_id,optional"`
	Action           *string `parquet:"action,optional"`
	TCPFlags         *int32  `parquet:"tcp_flags,optional"`
	PktSrcAddr       *string `parquet:"pkt_srcaddr,optional"`
	PktDstAddr       *string `parquet:"pkt_dstaddr,optional"`
	PktSrcAWSService *string `parquet:"pkt_src_aws_service,optional"`
	PktDstAWSService *string `parquet:"pkt_dst_aws_service,optional"`
	TrafficPath      *int32  `parquet:"traffic_path,optional"`
	FlowDirection    *string `parquet:"flow_direction,optional"`
	LogStatus        *string `parquet:"log_status,optional"`
}

func ptr[T any](v T) *T { return &v }

// nativeRows are the records of testdata/aws-native-v5.parquet: the two
// records of the AWS v5 example, then NODATA, SKIPDATA, IPv6, REJECT and
// boundary values, with nulls where AWS writes "-" in text.
func nativeRows() []nativeRow {
	s, i32, i64 := ptr[string], ptr[int32], ptr[int64]
	return []nativeRow{
		{ // 5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-... S3 - - ingress OK
			Version: i32(5), SrcAddr: s("52.95.128.179"), DstAddr: s("10.0.0.71"), SrcPort: i32(80), DstPort: i32(34210),
			Protocol: i32(6), Start: i64(1616729292), End: i64(1616729349), Type: s("IPv4"), Packets: i64(14), Bytes: i64(15044),
			AccountID: s("123456789012"), VPCID: s("vpc-abcdefab012345678"), SubnetID: s("subnet-aaaaaaaa012345678"),
			InstanceID: s("i-0c50d5961bcb2d47b"), InterfaceID: s("eni-1235b8ca123456789"), Region: s("ap-southeast-2"),
			AZID: s("apse2-az3"), Action: s("ACCEPT"), TCPFlags: i32(19), PktSrcAddr: s("52.95.128.179"),
			PktDstAddr: s("10.0.0.71"), PktSrcAWSService: s("S3"), FlowDirection: s("ingress"), LogStatus: s("OK"),
		},
		{ // 5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 ... - S3 8 egress OK
			Version: i32(5), SrcAddr: s("10.0.0.71"), DstAddr: s("52.95.128.179"), SrcPort: i32(34210), DstPort: i32(80),
			Protocol: i32(6), Start: i64(1616729292), End: i64(1616729349), Type: s("IPv4"), Packets: i64(7), Bytes: i64(471),
			AccountID: s("123456789012"), VPCID: s("vpc-abcdefab012345678"), SubnetID: s("subnet-aaaaaaaa012345678"),
			InstanceID: s("i-0c50d5961bcb2d47b"), InterfaceID: s("eni-1235b8ca123456789"), Region: s("ap-southeast-2"),
			AZID: s("apse2-az3"), Action: s("ACCEPT"), TCPFlags: i32(3), PktSrcAddr: s("10.0.0.71"),
			PktDstAddr: s("52.95.128.179"), PktDstAWSService: s("S3"), TrafficPath: i32(8), FlowDirection: s("egress"), LogStatus: s("OK"),
		},
		{ // NODATA: no traffic on the interface during the interval
			Version: i32(5), Start: i64(1616729400), End: i64(1616729460), AccountID: s("123456789012"),
			VPCID: s("vpc-abcdefab012345678"), SubnetID: s("subnet-aaaaaaaa012345678"), InstanceID: s("i-0c50d5961bcb2d47b"),
			InterfaceID: s("eni-1235b8ca123456789"), Region: s("ap-southeast-2"), AZID: s("apse2-az3"), LogStatus: s("NODATA"),
		},
		{ // SKIPDATA: records skipped during the interval
			Version: i32(5), Start: i64(1616729400), End: i64(1616729460), AccountID: s("123456789012"),
			InterfaceID: s("eni-11111111aaaaaaaaa"), LogStatus: s("SKIPDATA"),
		},
		{ // IPv6 SSH, accepted
			Version: i32(5), SrcAddr: s("2001:db8:1234:a100:8d6e:3477:df66:f105"), DstAddr: s("2001:db8:1234:a102:3304:8879:34cf:4071"),
			SrcPort: i32(34892), DstPort: i32(22), Protocol: i32(6), Start: i64(1616729460), End: i64(1616729520), Type: s("IPv6"),
			Packets: i64(54), Bytes: i64(8855), AccountID: s("123456789012"), VPCID: s("vpc-abcdefab012345678"),
			SubnetID: s("subnet-aaaaaaaa012345678"), InstanceID: s("i-0c50d5961bcb2d47b"), InterfaceID: s("eni-1235b8ca123456789"),
			Region: s("ap-southeast-2"), AZID: s("apse2-az3"), Action: s("ACCEPT"), TCPFlags: i32(18),
			PktSrcAddr: s("2001:db8:1234:a100:8d6e:3477:df66:f105"), PktDstAddr: s("2001:db8:1234:a102:3304:8879:34cf:4071"),
			FlowDirection: s("ingress"), LogStatus: s("OK"),
		},
		{ // RDP rejected by a security group, on an Outpost
			Version: i32(5), SrcAddr: s("198.51.100.23"), DstAddr: s("10.0.0.71"), SrcPort: i32(49761), DstPort: i32(3389),
			Protocol: i32(6), Start: i64(1616729460), End: i64(1616729520), Type: s("IPv4"), Packets: i64(1), Bytes: i64(40),
			AccountID: s("123456789012"), VPCID: s("vpc-abcdefab012345678"), SubnetID: s("subnet-bbbbbbbb012345678"),
			InterfaceID: s("eni-2222bbbb012345678"), Region: s("ap-southeast-2"), SublocationType: s("outpost"),
			SublocationID: s("op-0123456789abcdef0"), Action: s("REJECT"), TCPFlags: i32(2), PktSrcAddr: s("198.51.100.23"),
			PktDstAddr: s("10.0.0.71"), FlowDirection: s("ingress"), LogStatus: s("OK"),
		},
		{ // the largest values the fields allow
			Version: i32(5), SrcAddr: s("10.0.0.71"), DstAddr: s("203.0.113.5"), SrcPort: i32(65535), DstPort: i32(0),
			Protocol: i32(255), Start: i64(math.MaxInt32 + 1), End: i64(math.MaxInt64), Type: s("IPv4"),
			Packets: i64(math.MaxInt64), Bytes: i64(1 << 40), InterfaceID: s("eni-1235b8ca123456789"), Action: s("ACCEPT"),
			TCPFlags: i32(math.MaxInt32), TrafficPath: i32(2), FlowDirection: s("egress"), LogStatus: s("OK"),
		},
	}
}

// writeParquet writes rows with parquet-go into an in-memory file.
func writeParquet[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nativeParquet is testdata/aws-native-v5.parquet as this version of the
// test writes it: three rows per row group, so that decoding crosses row
// group boundaries.
func nativeParquet(t testing.TB) []byte {
	return writeParquet(t, nativeRows(), parquet.MaxRowsPerRowGroup(3))
}

const nativeParquetFile = "aws-native-v5.parquet"

// writeNativeParquetFile regenerates the file under go test -update. The
// committed file stays the reference otherwise, so that a new parquet-go
// writing different bytes does not break the golden test.
func writeNativeParquetFile(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("testdata", nativeParquetFile), nativeParquet(t), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestNativeParquetFile checks that the committed file holds what the
// generator describes, and that it has the schema AWS uses.
func TestNativeParquetFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", nativeParquetFile))
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	got := goldenJSON(decodeParquet(t, data, ParquetOptions{File: nativeParquetFile}, 0))
	want := goldenJSON(decodeParquet(t, nativeParquet(t), ParquetOptions{File: nativeParquetFile}, 0))
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("testdata/%s differs from nativeRows (-want +got):\n%s", nativeParquetFile, diff)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n < 2 {
		t.Errorf("%s has %d row groups; want several", nativeParquetFile, n)
	}
	wantTypes := map[string]string{
		"version": "INT32", "srcport": "INT32", "dstport": "INT32", "protocol": "INT32", "tcp_flags": "INT32", "traffic_path": "INT32",
		"packets": "INT64", "bytes": "INT64", "start": "INT64", "end": "INT64",
	}
	cols := f.Root().Columns()
	if len(cols) != 29 {
		t.Errorf("%s has %d columns; want the 29 v5 fields", nativeParquetFile, len(cols))
	}
	for _, c := range cols {
		want := wantTypes[c.Name()]
		if want == "" {
			want = "STRING"
		}
		if got := c.Type().Kind().String(); got != want && c.Type().String() != want || !c.Optional() {
			t.Errorf("column %s is %s (optional %t); want optional %s", c.Name(), got, c.Optional(), want)
		}
	}
}

// TestParquetPandasSample decodes the flowlogs-reader sample written by
// pandas, where numbers are text and missing values are "None" or "-".
func TestParquetPandasSample(t *testing.T) {
	const name = "flowlogs-reader_flows.parquet"
	got := decodeTestdata(t, name, 0)
	if got.err != nil {
		t.Fatalf("decoding %s: %v", name, got.err)
	}
	if len(got.records) != 2 || len(got.errors) != 1 {
		t.Fatalf("decoding %s: %d records, %d errors; want 2 and 1", name, len(got.records), len(got.errors))
	}
	first, nodata := &got.records[0], &got.records[1]
	if first.Line != 1 || first.Value(SrcPort) != "443" || first.Value(Packets) != "10" || first.Value(AccountID) != "123456789010" {
		t.Errorf("row 1 = line %d srcport %s packets %s account-id %s; want line 1, 443, 10, 123456789010",
			first.Line, first.Value(SrcPort), first.Value(Packets), first.Value(AccountID))
	}
	for _, f := range []Field{SrcAddr, DstAddr, SrcPort, DstPort, Protocol, Packets, Bytes, Action} {
		if nodata.Has(f) {
			t.Errorf("row 2 (NODATA) has %s = %q; want it unset", f, nodata.Value(f))
		}
	}
	// Row 3 has protocol 8080, which no IP protocol number can be.
	e := got.errors[0]
	if e.Line != 3 || e.Field != "protocol" || !errors.Is(e, ErrRange) {
		t.Errorf("error = %v (line %d, field %q); want ErrRange at row 3, field protocol", e, e.Line, e.Field)
	}
}

// Column types for the conversion tests. Each is written to a file of its
// own; parquet-go orders struct fields as declared.
type (
	floatPort struct {
		SrcAddr string  `parquet:"srcaddr"`
		SrcPort float64 `parquet:"srcport"`
	}
	float32Bytes struct {
		Bytes float32 `parquet:"bytes"`
	}
	boolAction struct {
		Action bool `parquet:"action"`
	}
	int96Start struct {
		Start deprecated.Int96 `parquet:"start"`
	}
	repeatedPort struct {
		DstPort []int32 `parquet:"dstport"`
	}
	listPort struct {
		DstPort []int32 `parquet:"dstport,list"`
	}
	groupAddr struct {
		SrcAddr struct {
			IP string `parquet:"ip"`
		} `parquet:"srcaddr"`
	}
	intAddr struct {
		SrcAddr int64 `parquet:"srcaddr"`
	}
	fixedAddr struct {
		SrcAddr [16]byte `parquet:"srcaddr"`
	}
	timestampPackets struct {
		Packets time.Time `parquet:"packets,timestamp"`
	}
	jsonAction struct {
		Action string `parquet:"action,json"`
	}
	decimalBytes struct {
		Bytes int64 `parquet:"bytes,decimal(2:18)"`
	}
	dateStart struct {
		Start time.Time `parquet:"start,date"`
	}
	noFlowColumns struct {
		Name  string `parquet:"name"`
		Count int64  `parquet:"count"`
	}
)

func TestParquetFatalTypes(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		field string // the column the error must name
		want  string // in the message
	}{
		{"float port", writeParquet(t, []floatPort{{"10.0.0.1", 443}}), "srcport", "DOUBLE"},
		{"float bytes", writeParquet(t, []float32Bytes{{1}}), "bytes", "FLOAT"},
		{"boolean action", writeParquet(t, []boolAction{{true}}), "action", "BOOLEAN"},
		{"INT96 start", writeParquet(t, []int96Start{{}}), "start", "INT96"},
		{"repeated port", writeParquet(t, []repeatedPort{{[]int32{80}}}), "dstport", "repeated INT32"},
		{"list port", writeParquet(t, []listPort{{[]int32{80}}}), "dstport", "group"},
		{"group address", writeParquet(t, []groupAddr{{}}), "srcaddr", "group"},
		{"integer address", writeParquet(t, []intAddr{{167772161}}), "srcaddr", "INT64"},
		{"fixed-length address", writeParquet(t, []fixedAddr{{}}), "srcaddr", "FIXED_LEN_BYTE_ARRAY"},
		{"timestamp packets", writeParquet(t, []timestampPackets{{time.Unix(5, 0)}}), "packets", "TIMESTAMP"},
		{"JSON action", writeParquet(t, []jsonAction{{`"ACCEPT"`}}), "action", "JSON"},
		{"decimal bytes", writeParquet(t, []decimalBytes{{100}}), "bytes", "DECIMAL"},
		{"date start", writeParquet(t, []dateStart{{time.Unix(86400, 0)}}), "start", "DATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewParquetDecoder(bytes.NewReader(tt.data), int64(len(tt.data)), ParquetOptions{File: "x.parquet"})
			var perr *ParseError
			if !errors.As(err, &perr) || !errors.Is(err, ErrType) {
				t.Fatalf("NewParquetDecoder = %v; want a *ParseError wrapping ErrType", err)
			}
			if perr.File != "x.parquet" || perr.Line != 0 || perr.Field != tt.field {
				t.Errorf("error %v has File %q, Line %d, Field %q; want x.parquet, 0, %s", err, perr.File, perr.Line, perr.Field, tt.field)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || !strings.Contains(msg, `column "`+tt.field+`"`) {
				t.Errorf("error %q does not name column %q and type %s", msg, tt.field, tt.want)
			}
		})
	}
}

func TestParquetNotFlowLog(t *testing.T) {
	data := writeParquet(t, []noFlowColumns{{"a", 1}})
	_, err := NewParquetDecoder(bytes.NewReader(data), int64(len(data)), ParquetOptions{File: "x.parquet"})
	if !errors.Is(err, ErrNotFlowLog) {
		t.Errorf("NewParquetDecoder(file with columns name, count) = %v; want ErrNotFlowLog", err)
	}
}

// TestParquetUnreadable feeds files that are not Parquet, or no longer are.
func TestParquetUnreadable(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "flowlogs-reader_v3_s3.log"))
	if err != nil {
		t.Fatal(err)
	}
	native := nativeParquet(t)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text flow log", text},
		{"magic only", []byte("PAR1PAR1")},
		{"twelve bytes", []byte("PAR1\x00\x00\x00\x00PAR1")},
		{"huge footer length", append([]byte("PAR1xxxxxxxxxxxx"), "\xff\xff\xff\x7fPAR1"...)},
		{"truncated to half", native[:len(native)/2]},
		{"footer cut", native[:len(native)-1]},
		{"encrypted", []byte("PAREPAREPARE")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewParquetDecoder(bytes.NewReader(tt.data), int64(len(tt.data)), ParquetOptions{File: "x.parquet"})
			var perr *ParseError
			if !errors.As(err, &perr) || perr.File != "x.parquet" || perr.Line != 0 {
				t.Fatalf("NewParquetDecoder = %v; want a *ParseError about x.parquet", err)
			}
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrType) {
				t.Errorf("NewParquetDecoder = %v; want ErrCorrupt (or ErrType for encryption)", err)
			}
		})
	}
}

// TestParquetTruncated cuts the native file at every length and damages
// its bytes here and there (the fuzz target goes further): decoding must
// fail cleanly or succeed, never panic, and every record it returns must be
// valid.
func TestParquetTruncated(t *testing.T) {
	native := nativeParquet(t)
	for n := 0; n < len(native); n++ {
		checkParquetInvariants(t, native[:n])
	}
	step := 13
	if testing.Short() {
		step = 61
	}
	for i := 0; i < len(native); i += step {
		damaged := bytes.Clone(native)
		damaged[i] ^= 0xff
		checkParquetInvariants(t, damaged)
	}
}

// TestParquetConversions covers the types other writers use: numbers as
// text, integers in string fields, unsigned integers, TIMESTAMP columns.
func TestParquetConversions(t *testing.T) {
	type textNumbers struct {
		SrcPort   *string `parquet:"srcport,optional"`
		Packets   string  `parquet:"packets"`
		Start     string  `parquet:"start"`
		Action    string  `parquet:"action"`
		LogStatus string  `parquet:"log-status"`
	}
	type intStrings struct {
		AccountID   int64  `parquet:"account_id"`
		InterfaceID int32  `parquet:"interface_id"`
		Region      uint32 `parquet:"region,uint(32)"`
		Version     uint64 `parquet:"version,uint(64)"`
	}
	type timestamps struct {
		Start time.Time `parquet:"start,timestamp(millisecond)"`
		End   time.Time `parquet:"end_time,timestamp(microsecond)"`
	}
	type nanos struct {
		Start time.Time `parquet:"start,timestamp(nanosecond)"`
		End   int32     `parquet:"end"`
	}
	type unsigned struct {
		SrcPort uint32 `parquet:"srcport,uint(32)"`
		Bytes   uint64 `parquet:"bytes,uint(64)"`
	}
	type small struct {
		Protocol int8  `parquet:"protocol,int(8)"`
		DstPort  int16 `parquet:"dstport,int(16)"`
	}
	tests := []struct {
		name   string
		data   []byte
		want   []string // Record.Value of each decoded field, "line:field=value"
		errors []string // "line:field:sentinel"
	}{
		{
			name: "numbers as text",
			data: writeParquet(t, []textNumbers{
				{ptr("443"), "10", "1439387263", "ACCEPT", "OK"},
				{nil, "None", "-", "-", "NODATA"},
				{ptr(""), "12x", "1", "REJECT", "OK"},
				{ptr("70000"), "1", "1", "REJECT", "OK"},
				{ptr("-1"), "1", "1", "REJECT", "OK"},
			}),
			want: []string{
				"1:srcport=443", "1:packets=10", "1:start=1439387263", "1:action=ACCEPT", "1:log-status=OK",
				"2:log-status=NODATA",
			},
			errors: []string{"3:packets:" + ErrNumber.Error(), "4:srcport:" + ErrRange.Error(), "5:srcport:" + ErrNumber.Error()},
		},
		{
			name: "integers in string fields",
			data: writeParquet(t, []intStrings{{123456789012, 7, 4000000000, 5}, {0, -1, 0, math.MaxUint64}, {0, -1, 0, 2}}),
			want: []string{
				"1:account-id=123456789012", "1:interface-id=7", "1:region=4000000000", "1:version=5",
				"3:account-id=0", "3:interface-id=-1", "3:region=0", "3:version=2",
			},
			errors: []string{"2:version:" + ErrRange.Error()},
		},
		{
			name: "timestamps",
			data: writeParquet(t, []timestamps{
				{time.Unix(1616729292, 999e6), time.Unix(1616729349, 1e3)},
				{time.Unix(-1, 0), time.Unix(0, 0)},
			}),
			want:   []string{"1:start=1616729292", "1:end=1616729349"},
			errors: []string{"2:start:" + ErrRange.Error()},
		},
		{
			name:   "nanosecond timestamps and INT32 seconds",
			data:   writeParquet(t, []nanos{{time.Unix(1616729292, 1), 1616729349}, {time.Unix(0, -1), -5}}),
			want:   []string{"1:start=1616729292", "1:end=1616729349"},
			errors: []string{"2:start:" + ErrRange.Error()},
		},
		{
			name:   "unsigned",
			data:   writeParquet(t, []unsigned{{443, 1 << 62}, {65536, 1}, {1, math.MaxUint64}}),
			want:   []string{"1:srcport=443", "1:bytes=4611686018427387904"},
			errors: []string{"2:srcport:" + ErrRange.Error(), "3:bytes:" + ErrRange.Error()},
		},
		{
			name:   "narrow integers",
			data:   writeParquet(t, []small{{6, 443}, {-1, 0}}),
			want:   []string{"1:protocol=6", "1:dstport=443"},
			errors: []string{"2:protocol:" + ErrRange.Error()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeParquet(t, tt.data, ParquetOptions{File: "x.parquet"}, 0)
			if got.err != nil {
				t.Fatalf("decoding: %v", got.err)
			}
			var values, errs []string
			for i := range got.records {
				r := &got.records[i]
				for _, f := range got.format.Fields {
					if r.Has(f) {
						values = append(values, itoa(r.Line)+":"+f.String()+"="+r.Value(f))
					}
				}
			}
			for _, e := range got.errors {
				errs = append(errs, itoa(e.Line)+":"+e.Field+":"+sentinelOf(e).Error())
			}
			if diff := cmp.Diff(tt.want, values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errors, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, got.errors)
			}
		})
	}
}

var itoa = strconv.Itoa

// sentinelOf returns the package error e wraps.
func sentinelOf(e error) error {
	for _, s := range []error{ErrFieldCount, ErrNumber, ErrRange, ErrAddress, ErrEncoding, ErrLineLength,
		ErrNotFlowLog, ErrBinary, ErrEmpty, ErrType, ErrCorrupt} {
		if errors.Is(e, s) {
			return s
		}
	}
	return errors.New("(no sentinel)")
}

// TestParquetRowErrors checks the per-row checks on string columns: bad
// addresses and invalid UTF-8 reject the row, the next rows still decode.
func TestParquetRowErrors(t *testing.T) {
	type row struct {
		SrcAddr     string `parquet:"srcaddr"`
		InterfaceID string `parquet:"interface_id"`
		PktDstAddr  string `parquet:"pkt_dstaddr"`
	}
	data := writeParquet(t, []row{
		{"10.0.0.1", "eni-1", "-"},
		{"10.0.0.256", "eni-2", "10.0.0.1"},
		{"10.0.0.1", "eni-\xff", "10.0.0.1"},
		{"None", "eni-4", "::1"},
		{"10.0.0.1", "eni-5", "fe80::1::2"},
		{"2001:db8::1", "eni-6", "010.0.0.1"},
		{"192.0.2.1", "eni-7", ""},
	})
	got := decodeParquet(t, data, ParquetOptions{File: "x.parquet"}, 2)
	if got.err != nil {
		t.Fatalf("decoding: %v", got.err)
	}
	var lines []int
	for _, r := range got.records {
		lines = append(lines, r.Line)
	}
	if diff := cmp.Diff([]int{1, 4, 7}, lines); diff != "" {
		t.Errorf("lines of the decoded records (-want +got):\n%s", diff)
	}
	want := []struct {
		line  int
		field string
		err   error
	}{{2, "srcaddr", ErrAddress}, {3, "interface_id", ErrEncoding}, {5, "pkt_dstaddr", ErrAddress}, {6, "pkt_dstaddr", ErrAddress}}
	if len(got.errors) != len(want) {
		t.Fatalf("errors = %v; want %d", got.errors, len(want))
	}
	for i, w := range want {
		e := got.errors[i]
		if e.Line != w.line || e.Field != w.field || !errors.Is(e, w.err) || e.File != "x.parquet" {
			t.Errorf("error %d = %v (line %d, field %q); want %v at line %d, field %s", i, e, e.Line, e.Field, w.err, w.line, w.field)
		}
	}
	if r := got.records[1]; r.Has(SrcAddr) || r.Value(PktDstAddr) != "::1" {
		t.Errorf("row 4: srcaddr %q, pkt-dstaddr %q; want unset (None) and ::1", r.Value(SrcAddr), r.Value(PktDstAddr))
	}
}

// TestParquetColumns checks the column mapping: names with "-" or "_",
// unknown columns warned about and skipped, duplicates of a field ignored.
func TestParquetColumns(t *testing.T) {
	type row struct {
		Note      string `parquet:"note"`
		LogStatus string `parquet:"log-status"`
		Start     int64  `parquet:"start_time"`
		Extra     struct {
			A int32 `parquet:"a"`
			B string
		} `parquet:"extra"`
		Status2 string `parquet:"log_status"`
		SrcAddr string `parquet:"srcaddr"`
	}
	data := writeParquet(t, []row{{Note: "x", LogStatus: "OK", Start: 7, Status2: "NODATA", SrcAddr: "10.1.2.3"}})
	d, err := NewParquetDecoder(bytes.NewReader(data), int64(len(data)), ParquetOptions{File: "x.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.Format().String(), "${log-status} ${start} ${srcaddr}"; got != want {
		t.Errorf("Format() = %q; want %q", got, want)
	}
	warnings := strings.Join(d.Warnings(), "\n")
	for _, w := range []string{`column "note" is not a flow log field`, `column "extra" is not`, `column "log_status" holds field log-status like column "log-status"`} {
		if !strings.Contains(warnings, w) {
			t.Errorf("Warnings() = %q; want one containing %q", d.Warnings(), w)
		}
	}
	var b Batch
	if err := d.Next(&b); err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 1 {
		t.Fatalf("Next gave %d records, errors %v; want 1", len(b.Records), b.Errors)
	}
	r := &b.Records[0]
	if r.Value(LogStatus) != "OK" || r.Value(Start) != "7" || r.Value(SrcAddr) != "10.1.2.3" || r.Line != 1 {
		t.Errorf("record = line %d log-status %s start %s srcaddr %s; want 1 OK 7 10.1.2.3", r.Line, r.Value(LogStatus), r.Value(Start), r.Value(SrcAddr))
	}
	if err := d.Next(&b); err != io.EOF {
		t.Errorf("second Next = %v; want io.EOF", err)
	}
	if err := d.Next(&b); err != io.EOF {
		t.Errorf("third Next = %v; want io.EOF again", err)
	}
}

func TestParquetEmptyFile(t *testing.T) {
	data := writeParquet(t, []nativeRow{})
	d, err := NewParquetDecoder(bytes.NewReader(data), int64(len(data)), ParquetOptions{File: "x.parquet"})
	if err != nil {
		t.Fatal(err)
	}
	var b Batch
	if err := d.Next(&b); err != io.EOF || len(b.Records) != 0 {
		t.Errorf("Next on a file with no rows = %v with %d records; want io.EOF and none", err, len(b.Records))
	}
	if n := len(d.Format().Fields); n != 29 {
		t.Errorf("Format() has %d fields; want 29", n)
	}
}

// TestParquetManyRows crosses many pages and row groups with batches of
// awkward sizes and checks that row numbers and values survive.
func TestParquetManyRows(t *testing.T) {
	type row struct {
		SrcPort   int32  `parquet:"srcport"`
		AccountID int64  `parquet:"account_id"`
		Action    string `parquet:"action,dict"`
		SrcAddr   string `parquet:"srcaddr"`
	}
	const n = 10000
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{int32(i % 65536), int64(i), []string{"ACCEPT", "REJECT"}[i%2], "10.0." + itoa(i/256%256) + "." + itoa(i%256)}
	}
	rows[5000].SrcPort = 70000
	data := writeParquet(t, rows, parquet.MaxRowsPerRowGroup(1500), parquet.PageBufferSize(1024))
	for _, capacity := range []int{1, 3, 1000, 1024, 4096} {
		got := decodeParquet(t, data, ParquetOptions{File: "x.parquet"}, capacity)
		if got.err != nil || len(got.records) != n-1 || len(got.errors) != 1 || got.errors[0].Line != 5001 {
			t.Fatalf("capacity %d: %d records, errors %v, fatal %v; want %d records and one error at row 5001", capacity, len(got.records), got.errors, got.err, n-1)
		}
		for _, r := range got.records {
			i := r.Line - 1
			want := rows[i]
			if r.Int[SrcPort] != int64(want.SrcPort) || string(r.Str[AccountID]) != itoa(i) || string(r.Str[Action]) != want.Action || string(r.Str[SrcAddr]) != want.SrcAddr {
				t.Fatalf("capacity %d: row %d = %d %s %s %s; want %v", capacity, r.Line, r.Int[SrcPort], r.Str[AccountID], r.Str[Action], r.Str[SrcAddr], want)
			}
		}
	}
}

// BenchmarkParquetDecoder decodes an in-memory AWS-typed v5 file of 100,000
// rows, Snappy-compressed, in row groups of 25,000.
func BenchmarkParquetDecoder(b *testing.B) {
	const n = 100000
	base := nativeRows()
	rows := make([]nativeRow, n)
	for i := range rows {
		r := base[i%len(base)]
		src := "10." + itoa(i>>16&255) + "." + itoa(i>>8&255) + "." + itoa(i&255)
		port, start := int32(1024+i%60000), int64(1616729292+i/100)
		if r.SrcAddr != nil && r.Type != nil && *r.Type == "IPv4" {
			r.SrcAddr, r.PktSrcAddr = &src, &src
		}
		if r.SrcPort != nil {
			r.SrcPort = &port
		}
		r.Start = &start
		rows[i] = r
	}
	data := writeParquet(b, rows, parquet.MaxRowsPerRowGroup(25000), parquet.Compression(&parquet.Snappy))
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	batch := Batch{Records: make([]Record, 0, 1024)}
	for b.Loop() {
		d, err := NewParquetDecoder(bytes.NewReader(data), int64(len(data)), ParquetOptions{File: "bench.parquet"})
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for {
			err := d.Next(&batch)
			got += len(batch.Records)
			if err == io.EOF {
				break
			}
			if err != nil || len(batch.Errors) > 0 {
				b.Fatalf("Next = %v, errors %v", err, batch.Errors)
			}
		}
		if got != n {
			b.Fatalf("decoded %d records; want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// rewriteFooter returns data with its footer metadata changed by edit, to
// build files parquet-go would never write.
func rewriteFooter(t testing.TB, data []byte, edit func(*format.FileMetaData)) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	body, footer := data[:len(data)-8-n], data[len(data)-8-n:len(data)-8]
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, footer, &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	footer, err := thrift.Marshal(&thrift.CompactProtocol{}, &md)
	if err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(body)
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

// schemaElement returns the schema element of the named top-level column.
func schemaElement(t testing.TB, md *format.FileMetaData, name string) *format.SchemaElement {
	t.Helper()
	for i := range md.Schema {
		if md.Schema[i].Name == name {
			return &md.Schema[i]
		}
	}
	t.Fatalf("no column %q", name)
	return nil
}

// TestParquetMalformedMetadata feeds footers that contradict themselves or
// the file: some make parquet-go panic, which the decoder must turn into an
// error.
func TestParquetMalformedMetadata(t *testing.T) {
	type row struct {
		SrcAddr string `parquet:"srcaddr"`
		SrcPort int32  `parquet:"srcport"`
		Note    int32  `parquet:"note"`
	}
	rows := []row{{"10.0.0.1", 443, 1}, {"10.0.0.2", 80, 2}, {"10.0.0.3", 22, 3}}
	data := writeParquet(t, rows)
	tests := []struct {
		name      string
		edit      func(*format.FileMetaData)
		atOpen    bool   // the error comes from NewParquetDecoder, else from Next
		want      error  // nil: decodes
		msg       string // in the error, if set
		wantLines []int
	}{
		{
			// parquet-go panics: "DECIMAL using FIXED_LEN_BYTE_ARRAY must specify a length".
			name: "decimal without length",
			edit: func(md *format.FileMetaData) {
				el := schemaElement(t, md, "note")
				el.Type = thrift.New(format.FixedLenByteArray)
				el.TypeLength = thrift.Null[int32]{}
				el.ConvertedType = thrift.New(deprecated.Decimal)
				el.Scale, el.Precision = thrift.New[int32](0), thrift.New[int32](9)
				el.LogicalType = format.LogicalType{}
			},
			atOpen: true,
			want:   ErrCorrupt,
			msg:    "must specify a length",
		},
		{
			name: "string annotation on INT32",
			edit: func(md *format.FileMetaData) {
				schemaElement(t, md, "srcport").LogicalType = format.LogicalType{Value: &format.StringType{}}
			},
			atOpen: true,
			want:   ErrType,
		},
		{
			name: "64-bit annotation on INT32",
			edit: func(md *format.FileMetaData) {
				schemaElement(t, md, "srcport").LogicalType = format.LogicalType{Value: &format.IntType{BitWidth: 64, IsSigned: true}}
			},
			atOpen: true,
			want:   ErrType,
		},
		{
			name: "column chunk beyond the end",
			edit: func(md *format.FileMetaData) {
				md.RowGroups[0].Columns[0].MetaData.DataPageOffset = 1 << 40
			},
			want: ErrCorrupt,
		},
		{
			name: "column chunk size too large",
			edit: func(md *format.FileMetaData) {
				md.RowGroups[0].Columns[1].MetaData.TotalCompressedSize = 1 << 30
			},
			want: ErrCorrupt,
		},
		{
			name:      "fewer rows declared than stored",
			edit:      func(md *format.FileMetaData) { md.RowGroups[0].NumRows = 2 },
			wantLines: []int{1, 2},
		},
		{
			name:      "more rows declared than stored",
			edit:      func(md *format.FileMetaData) { md.RowGroups[0].NumRows = 1 << 40 },
			wantLines: []int{1, 2, 3},
		},
		{
			name:   "negative row count",
			edit:   func(md *format.FileMetaData) { md.RowGroups[0].NumRows = -1 },
			atOpen: true,
			want:   ErrCorrupt,
		},
		{
			name:      "no rows declared",
			edit:      func(md *format.FileMetaData) { md.RowGroups[0].NumRows = 0 },
			wantLines: nil,
		},
		{
			name: "schema children beyond the schema",
			edit: func(md *format.FileMetaData) {
				md.Schema[0].NumChildren = thrift.New[int32](9)
			},
			atOpen: true,
			want:   ErrCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := rewriteFooter(t, data, tt.edit)
			d, err := NewParquetDecoder(bytes.NewReader(bad), int64(len(bad)), ParquetOptions{File: "x.parquet"})
			if tt.atOpen {
				var perr *ParseError
				if !errors.Is(err, tt.want) || !errors.As(err, &perr) || perr.File != "x.parquet" {
					t.Fatalf("NewParquetDecoder = %v; want a *ParseError wrapping %v", err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("NewParquetDecoder = %v; want a message containing %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewParquetDecoder = %v", err)
			}
			var got decoded
			drain(t, d, 0, &got)
			if !errors.Is(got.err, tt.want) || (tt.want == nil) != (got.err == nil) {
				t.Fatalf("decoding ended with %v; want %v", got.err, tt.want)
			}
			var lines []int
			for _, r := range got.records {
				lines = append(lines, r.Line)
			}
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" {
				t.Errorf("decoded lines (-want +got):\n%s", diff)
			}
			// A fatal error sticks.
			if got.err != nil {
				var b Batch
				if err := d.Next(&b); err != got.err {
					t.Errorf("Next after %v = %v; want the same error", got.err, err)
				}
			}
		})
	}
}
