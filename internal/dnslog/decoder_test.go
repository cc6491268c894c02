package dnslog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// good is a complete record in the AWS layout.
const good = `{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"2021-02-04T17:51:55Z","query_name":"example.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"192.0.2.1","Type":"A","Class":"IN"}],"srcaddr":"10.0.0.1","srcport":"56067","transport":"UDP","srcids":{"instance":"i-1"}}`

// with returns good with field set to the JSON value v, or removed when v
// is empty.
func with(field, v string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(good), &m); err != nil {
		panic(err)
	}
	if v == "" {
		delete(m, field)
	} else {
		m[field] = json.RawMessage(v)
	}
	return marshal(m)
}

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		name   string
		record string
		want   error
		field  string
	}{
		{"number", `42`, ErrNotObject, ""},
		{"string", `"example.com."`, ErrNotObject, ""},
		{"array", `[` + good + `]`, ErrNotObject, ""},
		{"null", `null`, ErrNotObject, ""},
		{"syntax", `{"query_name": "a.", "query_timestamp": }`, ErrSyntax, ""},
		{"cut short", `{"query_name": "a.", "query_timestamp": "2021-02-04T17:51:55Z"`, ErrSyntax, ""},
		{"two objects", good + good, ErrSyntax, ""},
		{"not JSON", `query_name=example.com.`, ErrSyntax, ""},
		{"missing query_timestamp", with("query_timestamp", ""), ErrMissing, "query_timestamp"},
		{"null query_timestamp", with("query_timestamp", "null"), ErrMissing, "query_timestamp"},
		{"empty query_timestamp", with("query_timestamp", `""`), ErrMissing, "query_timestamp"},
		{"missing query_name", with("query_name", ""), ErrMissing, "query_name"},
		{"empty query_name", with("query_name", `""`), ErrMissing, "query_name"},
		{"bad timestamp", with("query_timestamp", `"2021-02-30T17:51:55Z"`), ErrTimestamp, "query_timestamp"},
		{"timestamp typo of the AWS docs", with("query_timestamp", `"2017-03-16T19:20:177Z"`), ErrTimestamp, "query_timestamp"},
		{"unix timestamp", with("query_timestamp", `"1612461115"`), ErrTimestamp, "query_timestamp"},
		{"numeric timestamp", with("query_timestamp", `1612461115`), ErrType, "query_timestamp"},
		{"numeric query_name", with("query_name", `42`), ErrType, "query_name"},
		{"numeric version", with("version", `1.1`), ErrType, "version"},
		{"srcids string", with("srcids", `"i-1"`), ErrType, "srcids"},
		{"srcids.instance number", with("srcids", `{"instance":1}`), ErrType, "srcids.instance"},
		{"answers string", with("answers", `"192.0.2.1"`), ErrType, "answers"},
		{"answers of numbers", with("answers", `[1]`), ErrType, "answers"},
		{"answers holding null", with("answers", `[null]`), ErrType, "answers"},
		{"answer Rdata number", with("answers", `[{"Rdata":1}]`), ErrType, "answers.Rdata"},
		{"srcport too big", with("srcport", `"65536"`), ErrRange, "srcport"},
		{"srcport huge", with("srcport", `"99999999999999999999"`), ErrRange, "srcport"},
		{"srcport negative", with("srcport", `-1`), ErrRange, "srcport"},
		{"srcport number too big", with("srcport", `70000`), ErrRange, "srcport"},
		{"srcport not a number", with("srcport", `"dns"`), ErrNumber, "srcport"},
		{"srcport fraction", with("srcport", `53.5`), ErrNumber, "srcport"},
		{"srcport exponent", with("srcport", `5e3`), ErrNumber, "srcport"},
		{"srcport bool", with("srcport", `true`), ErrType, "srcport"},
		{"srcport object", with("srcport", `{}`), ErrType, "srcport"},
		{"invalid UTF-8", strings.Replace(good, "example.com.", "ex\xffample.com.", 1), ErrEncoding, ""},
		{"too long", with("query_name", `"`+strings.Repeat("a", maxRecordSize)+`"`), ErrTooLong, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The bad record is line 2, between good ones: it is rejected,
			// the others decoded.
			in := good + "\n" + tt.record + "\n" + good + "\n"
			d := decode(t, []byte(in), "x.log", 0)
			if d.err != nil {
				t.Fatalf("decoding ended with %v; want per-record errors only", d.err)
			}
			if len(d.queries) != 2 || d.queries[0].Record != 1 || d.queries[1].Record != 3 {
				t.Errorf("got %d queries %v; want records 1 and 3", len(d.queries), records(d.queries))
			}
			if len(d.errors) != 1 {
				t.Fatalf("got errors %v; want one", d.errors)
			}
			e := d.errors[0]
			if !errors.Is(e, tt.want) || e.File != "x.log" || e.Record != 2 || e.Field != tt.field {
				t.Errorf("error %q (record %d, field %q); want %v at x.log record 2, field %q",
					e, e.Record, e.Field, tt.want, tt.field)
			}
			if len(e.Text) > 4*maxErrorText+8 {
				t.Errorf("error quotes %d bytes of the record; want at most about %d", len(e.Text), maxErrorText)
			}
		})
	}
}

func records(qs []Query) []int {
	var n []int
	for _, q := range qs {
		n = append(n, q.Record)
	}
	return n
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestFatalErrors(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.String()
	}
	tests := []struct {
		name    string
		in      string
		want    error
		queries int // decoded before the error
		record  int
	}{
		{"empty", "", ErrEmpty, 0, 0},
		{"white space", " \n\r\n\t\n", ErrEmpty, 0, 0},
		{"gzip", gz(good + "\n"), ErrBinary, 0, 0},
		{"binary", "\x00\x01\x02\x03garbage\xff\n" + good + "\n", ErrBinary, 0, 0},
		{"text", "version account-id interface-id\n2 123 eni-1\n", ErrNotJSON, 0, 0},
		{"CSV", "query_timestamp,query_name\n2021-02-04T17:51:55Z,example.com.\n", ErrNotJSON, 0, 0},
		{"last line cut short", good + "\n" + good + "\n" + good[:100], io.ErrUnexpectedEOF, 2, 3},
		{"array cut short", "[" + good + "," + good[:100], io.ErrUnexpectedEOF, 1, 2},
		{"array without end", "[" + good + "," + good, io.ErrUnexpectedEOF, 2, 3},
		{"array syntax error", "[" + good + "," + good + ",{]", ErrSyntax, 2, 3},
		{"array then garbage", "[" + good + "]\nnot json", ErrSyntax, 1, 2},
		{"pretty-printed cut short", "{\n  \"query_name\": \"a.\",\n", io.ErrUnexpectedEOF, 0, 1},
		{"stray bracket", "[" + good + "]]", ErrSyntax, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, []byte(tt.in), "x.log", 0)
			var perr *ParseError
			if !errors.As(d.err, &perr) || !errors.Is(d.err, tt.want) || perr.File != "x.log" || perr.Record != tt.record {
				t.Fatalf("decoding ended with %v (%#v); want a *ParseError for x.log record %d wrapping %v", d.err, d.err, tt.record, tt.want)
			}
			if len(d.queries) != tt.queries {
				t.Errorf("got %d queries before the error; want %d", len(d.queries), tt.queries)
			}
		})
	}
}

func TestReadError(t *testing.T) {
	// A gzip stream cut short: the reader fails with io.ErrUnexpectedEOF
	// in the middle of the third line, which is not decoded.
	in := good + "\n" + good + "\n" + good[:50]
	for _, cut := range []string{in, "[" + strings.ReplaceAll(in, "\n", ",")} {
		d := drain(t, NewDecoder(&failingReader{data: []byte(cut), err: io.ErrUnexpectedEOF}, Options{File: "x.log.gz"}), 0)
		var perr *ParseError
		if !errors.As(d.err, &perr) || !errors.Is(d.err, io.ErrUnexpectedEOF) || perr.Record != 3 {
			t.Errorf("decoding %.20q… ended with %v; want a *ParseError at record 3 wrapping io.ErrUnexpectedEOF", cut, d.err)
		}
		if len(d.queries) != 2 || len(d.errors) != 0 {
			t.Errorf("decoding %.20q… = %d queries, errors %v; want 2 queries and no rejected record", cut, len(d.queries), d.errors)
		}
	}
	other := errors.New("connection reset")
	d := drain(t, NewDecoder(&failingReader{data: []byte(good + "\n"), err: other}, Options{File: "x.log"}), 0)
	if !errors.Is(d.err, other) || len(d.queries) != 1 {
		t.Errorf("decoding = %d queries, %v; want 1 query, then the read error", len(d.queries), d.err)
	}
}

func TestShapes(t *testing.T) {
	pretty := func(s string) string {
		var b bytes.Buffer
		json.Indent(&b, []byte(s), "", "    ")
		return b.String()
	}
	tests := []struct {
		name    string
		in      string
		records []int
	}{
		{"JSON Lines", good + "\n" + good + "\n", []int{1, 2}},
		{"no final line ending", good + "\n" + good, []int{1, 2}},
		{"CRLF and blank lines", "\r\n" + good + "\r\n\r\n  " + good + "  \r\n\r\n", []int{2, 4}},
		{"byte order mark", "\xef\xbb\xbf" + good + "\n" + good + "\n", []int{1, 2}},
		{"array", "[" + good + "," + good + "]", []int{1, 2}},
		{"array, one per line", "[\n" + good + ",\n" + good + "\n]\n", []int{1, 2}},
		{"empty array", "[]", nil},
		{"arrays one after another", "[" + good + "][" + good + "]", []int{1, 2}},
		{"pretty-printed array", pretty("["+good+","+good+"]") + "\n", []int{1, 2}},
		{"pretty-printed records", pretty(good) + "\n" + pretty(good) + "\n", []int{1, 2}},
		{"pretty-printed records, CRLF", strings.ReplaceAll(pretty(good)+"\n"+pretty(good), "\n", "\r\n"), []int{1, 2}},
		{"Panther enrichment", strings.Replace(good, `{`, `{"p_log_type":"AWS.VPCDns","p_any_ip_addresses":["10.0.0.1"],`, 1), []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decode(t, []byte(tt.in), "x", 0)
			if d.err != nil || len(d.errors) > 0 {
				t.Fatalf("decoding ended with %v, errors %v; want none", d.err, d.errors)
			}
			if got := records(d.queries); !cmp.Equal(got, tt.records) {
				t.Errorf("decoded records %v; want %v", got, tt.records)
			}
			for _, q := range d.queries {
				if q.QueryName != "example.com." || q.InstanceID != "i-1" || q.SrcPort == nil || *q.SrcPort != 56067 {
					t.Errorf("record %d = %+v; want the good record", q.Record, q)
				}
			}
		})
	}
}

func TestFields(t *testing.T) {
	in := `{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-7example",` +
		`"query_timestamp":"2022-10-13T21:02:36Z","query_name":"ip-127-0-0-62.alert.firewall.canary.",` +
		`"query_type":"A","query_class":"IN","rcode":"NOERROR",` +
		`"answers":[{"Rdata":"127.0.0.62","Type":"A","Class":"IN"}],"srcaddr":"10.200.21.100",` +
		`"srcport":"15083","transport":"UDP",` +
		`"srcids":{"resolver_endpoint":"rslvr-in-1","resolver_network_interface":"rni-1"},` +
		`"firewall_rule_action":"ALERT","firewall_rule_group_id":"rslvr-frg-1","firewall_domain_list_id":"rslvr-fdl-1"}`
	d := decode(t, []byte(in+"\n"), "x", 0)
	if len(d.queries) != 1 {
		t.Fatalf("decoded %d queries, errors %v, %v; want 1", len(d.queries), d.errors, d.err)
	}
	port := int32(15083)
	want := Query{
		QueryTime:            time.Date(2022, 10, 13, 21, 2, 36, 0, time.UTC),
		QueryName:            "ip-127-0-0-62.alert.firewall.canary.",
		QueryType:            "A",
		QueryClass:           "IN",
		RCode:                "NOERROR",
		Answers:              json.RawMessage(`[{"Rdata":"127.0.0.62","Type":"A","Class":"IN"}]`),
		SrcAddr:              "10.200.21.100",
		SrcPort:              &port,
		Transport:            "UDP",
		ResolverEndpoint:     "rslvr-in-1",
		VPCID:                "vpc-7example",
		FirewallAction:       "ALERT",
		FirewallRuleGroupID:  "rslvr-frg-1",
		FirewallDomainListID: "rslvr-fdl-1",
		AccountID:            "111122223333",
		Region:               "us-east-1",
		Version:              "1.100000",
		Raw:                  json.RawMessage(in),
		Record:               1,
	}
	if diff := cmp.Diff(want, d.queries[0]); diff != "" {
		t.Errorf("decoded query differs (-want +got):\n%s", diff)
	}
	if d.queries[0].QueryTime.Location() != time.UTC {
		t.Errorf("QueryTime in %v; want UTC", d.queries[0].QueryTime.Location())
	}
}

func TestRawIsCompact(t *testing.T) {
	in := "{ \"query_name\" : \"a.\",\t\"query_timestamp\": \"2021-02-04T17:51:55Z\", \"x\": [1, 2] }\n"
	d := decode(t, []byte(in), "x", 0)
	if len(d.queries) != 1 {
		t.Fatalf("decoded %d queries, errors %v; want 1", len(d.queries), d.errors)
	}
	if got, want := string(d.queries[0].Raw), `{"query_name":"a.","query_timestamp":"2021-02-04T17:51:55Z","x":[1,2]}`; got != want {
		t.Errorf("Raw = %s; want %s", got, want)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		answers string // JSON value; empty for absent
		want    string // Query.Answers; empty for nil
	}{
		{`{"Class":"IN","Rdata":"1.2.3.4","Type":"A"}`, `[{"Class":"IN","Rdata":"1.2.3.4","Type":"A"}]`},
		{` { "Rdata" : "1.2.3.4" } `, `[{"Rdata":"1.2.3.4"}]`},
		{`[{"Rdata":"a.example.","Type":"CNAME","Class":"IN"}, {"Rdata":"1.2.3.4","Type":"A","Class":"IN"}]`,
			`[{"Rdata":"a.example.","Type":"CNAME","Class":"IN"},{"Rdata":"1.2.3.4","Type":"A","Class":"IN"}]`},
		{`[]`, `[]`},
		{`{}`, `[{}]`},
		{`[{"Rdata":"\"v=spf1 -all\"","Type":"TXT","Class":"IN"}]`, `[{"Rdata":"\"v=spf1 -all\"","Type":"TXT","Class":"IN"}]`},
		{`[{"Rdata":"<script>","Type":"TXT","Class":"IN"}]`, `[{"Rdata":"<script>","Type":"TXT","Class":"IN"}]`},
		{`null`, ``},
		{``, ``},
	}
	for _, tt := range tests {
		d := decode(t, []byte(with("answers", tt.answers)), "x", 0)
		if len(d.queries) != 1 {
			t.Errorf("answers %s: errors %v; want a query", tt.answers, d.errors)
			continue
		}
		got := d.queries[0].Answers
		if string(got) != tt.want || (tt.want == "") != (got == nil) {
			t.Errorf("answers %s: Answers = %#q; want %#q", tt.answers, got, tt.want)
		}
		if got != nil && !json.Valid(got) {
			t.Errorf("answers %s: Answers %s is not valid JSON", tt.answers, got)
		}
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2021-02-04T17:51:55Z", time.Date(2021, 2, 4, 17, 51, 55, 0, time.UTC)},
		{"2022-06-25 00:27:53", time.Date(2022, 6, 25, 0, 27, 53, 0, time.UTC)},
		{"2022-06-25 00:27:53.000000000", time.Date(2022, 6, 25, 0, 27, 53, 0, time.UTC)},
		{"2022-06-25 00:27:53.123Z", time.Date(2022, 6, 25, 0, 27, 53, 123e6, time.UTC)},
		{"2021-02-04T17:51:55.5Z", time.Date(2021, 2, 4, 17, 51, 55, 5e8, time.UTC)},
		{"2021-02-04T19:51:55+02:00", time.Date(2021, 2, 4, 17, 51, 55, 0, time.UTC)},
		{"2021-02-04T17:51:55", time.Date(2021, 2, 4, 17, 51, 55, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "2021-02-04", "2021-02-04T17:51Z", "2021-13-04T17:51:55Z", "04/02/2021 17:51:55", "2021-02-04T17:51:55Zjunk", "2021-02-04x17:51:55Z"} {
		if got, err := parseTime(in); !errors.Is(err, ErrTimestamp) {
			t.Errorf("parseTime(%q) = %v, %v; want ErrTimestamp", in, got, err)
		}
	}
}

func TestSrcPort(t *testing.T) {
	tests := []struct {
		in   string // JSON value; empty for absent
		want int32  // -1 for nil
	}{
		{`"56067"`, 56067}, {`"0"`, 0}, {`"65535"`, 65535}, {`53`, 53},
		{`""`, -1}, {`"-"`, -1}, {`null`, -1}, {``, -1},
	}
	for _, tt := range tests {
		d := decode(t, []byte(with("srcport", tt.in)), "x", 0)
		if len(d.queries) != 1 {
			t.Errorf("srcport %s: errors %v; want a query", tt.in, d.errors)
			continue
		}
		p := d.queries[0].SrcPort
		if (p == nil) != (tt.want < 0) || p != nil && *p != tt.want {
			t.Errorf("srcport %s: SrcPort = %v; want %d", tt.in, p, tt.want)
		}
	}
}

// TestBatchSizes checks that the batch size changes nothing but how the
// output is cut.
func TestBatchSizes(t *testing.T) {
	inputs := testdataInputs(t)
	inputs["mixed"] = []byte(strings.Join([]string{good, "42", with("srcport", `"70000"`), "", good, "{", with("query_name", ""), good, good[:20]}, "\n"))
	inputs["array"] = []byte("[" + strings.Repeat(good+",", 6) + "7]")
	inputs["errors only"] = []byte(strings.Repeat("{}\n", 10))
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want := goldenJSON(decode(t, data, name, 1024))
			for _, size := range []int{1, 2, 3} {
				got := goldenJSON(decode(t, data, name, size))
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("batches of %d differ from batches of 1024 (-1024 +%d):\n%s", size, size, diff)
				}
			}
		})
	}
}

func TestNextDefaultCapacity(t *testing.T) {
	d := NewDecoder(strings.NewReader(strings.Repeat(good+"\n", 1500)), Options{})
	var b Batch
	if err := d.Next(&b); err != nil || len(b.Queries) != 1024 || cap(b.Queries) != 1024 {
		t.Fatalf("Next = %d queries (cap %d), %v; want 1024 (cap 1024), nil", len(b.Queries), cap(b.Queries), err)
	}
	if err := d.Next(&b); err != nil || len(b.Queries) != 476 {
		t.Fatalf("second Next = %d queries, %v; want 476, nil", len(b.Queries), err)
	}
	for range 2 {
		if err := d.Next(&b); err != io.EOF || len(b.Queries) != 0 {
			t.Fatalf("Next at the end = %d queries, %v; want 0, io.EOF", len(b.Queries), err)
		}
	}
}

func TestQueriesOutliveBatch(t *testing.T) {
	in := good + "\n" + strings.Replace(good, "example.com.", "other.example.", 1) + "\n"
	d := NewDecoder(strings.NewReader(in), Options{})
	b := Batch{Queries: make([]Query, 0, 1)}
	if err := d.Next(&b); err != nil {
		t.Fatal(err)
	}
	first := b.Queries[0]
	if err := d.Next(&b); err != nil {
		t.Fatal(err)
	}
	if first.QueryName != "example.com." || !bytes.Contains(first.Raw, []byte(`"example.com."`)) ||
		!bytes.Contains(first.Answers, []byte("192.0.2.1")) {
		t.Errorf("a Query copied from the first batch changed: %+v", first)
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{File: "a.log", Record: 3, Field: "srcport", Err: ErrRange}, "a.log: record 3: field srcport: number out of range"},
		{&ParseError{File: "a.log", Record: 3, Err: ErrNotObject}, "a.log: record 3: record is not a JSON object"},
		{&ParseError{File: "a.log", Err: ErrEmpty}, "a.log: empty object"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
	// Untrusted bytes are quoted, not printed raw.
	d := decode(t, []byte(good+"\n"+"\x1b[31m{\"query_name\":\n"), "x", 0)
	if len(d.errors) != 1 || strings.ContainsRune(d.errors[0].Error(), 0x1b) {
		t.Errorf("errors %q; want one, without the escape character", d.errors)
	}
}

func TestSniff(t *testing.T) {
	inputs := testdataInputs(t)
	for name, data := range inputs {
		if !Sniff(data[:min(len(data), 4096)]) {
			t.Errorf("Sniff(%s) = false; want true", name)
		}
	}
	for _, in := range []string{
		"", "[]", "{}", "2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 49152 6 20 4249 1418530010 1418530070 ACCEPT OK",
		`{"Records":[{"eventVersion":"1.08","eventName":"GetBucketAcl"}]}`,
		`{"class_uid":4003,"query":{"hostname":"example.com","type":"A"}}`,
		`{"query_name":"a."}`,
		"\x1f\x8b\x08\x00",
	} {
		if Sniff([]byte(in)) {
			t.Errorf("Sniff(%q) = true; want false", in)
		}
	}
	for _, in := range []string{good, "\xef\xbb\xbf" + good, " [\n  " + good, "{\n  \"query_name\": \"a.\",\n  \"rcode\": \"NOERROR\""} {
		if !Sniff([]byte(in)) {
			t.Errorf("Sniff(%q) = false; want true", in)
		}
	}
}

func BenchmarkDecoder(b *testing.B) {
	inputs := testdataInputs(b)
	var lines bytes.Buffer
	for lines.Len() < 4<<20 {
		lines.Write(inputs["aws-native.log"])
	}
	data := lines.Bytes()
	n := bytes.Count(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data), Options{File: "bench.log"})
		var batch Batch
		got := 0
		for {
			err := d.Next(&batch)
			got += len(batch.Queries)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if got != n {
			b.Fatalf("decoded %d queries; want %d", got, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/query")
}

func ExampleDecoder() {
	in := `{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"2021-02-04T17:51:55Z","query_name":"pool.supportxmr.com.","query_type":"A","query_class":"IN","rcode":"NXDOMAIN","answers":[],"srcaddr":"10.0.0.1","srcport":"56067","transport":"UDP","srcids":{"instance":"i-1"},"firewall_rule_action":"BLOCK"}
not json
`
	d := NewDecoder(strings.NewReader(in), Options{File: "vpc-1.log"})
	var b Batch
	for {
		err := d.Next(&b)
		for _, q := range b.Queries {
			fmt.Println(q.QueryTime, q.InstanceID, q.QueryName, q.RCode, q.FirewallAction, string(q.Answers))
		}
		for _, e := range b.Errors {
			fmt.Println(e)
		}
		if err != nil {
			break
		}
	}
	// Output:
	// 2021-02-04 17:51:55 +0000 UTC i-1 pool.supportxmr.com. NXDOMAIN BLOCK []
	// vpc-1.log: record 2: invalid JSON: invalid character 'o' in literal null (expecting 'u')
}
