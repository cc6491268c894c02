package guardduty

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flat returns the findings as the golden files show them, without the
// record numbers, which differ between shapes that nest findings
// differently.
func flat(fs []Finding) []goldenFinding {
	out := make([]goldenFinding, len(fs))
	for i := range fs {
		out[i] = toGolden(&fs[i])
		out[i].Record = 0
	}
	return out
}

// pascalKeys turns every object key of v into PascalCase, the way the AWS
// CLI prints GetFindings output.
func pascalKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[strings.ToUpper(k[:1])+k[1:]] = pascalKeys(x)
		}
		return m
	case []any:
		for i := range v {
			v[i] = pascalKeys(v[i])
		}
	}
	return v
}

func mustJSON(t testing.TB, v any, indent bool) []byte {
	t.Helper()
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(v, "", "  ")
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestShapes decodes the same GuardDuty findings written in every shape the
// decoder accepts and checks that each gives the same flattened findings.
func TestShapes(t *testing.T) {
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(readTestdata(t, "get-findings-camelcase.json"), &doc); err != nil {
		t.Fatal(err)
	}
	want := flat(decodeBytes(t, readTestdata(t, "get-findings-camelcase.json"), "want", 0).findings)
	if len(want) != 2 {
		t.Fatalf("baseline has %d findings; want 2", len(want))
	}
	var pascal []any
	for _, f := range doc.Findings {
		var c any
		json.Unmarshal(mustJSON(t, f, false), &c)
		pascal = append(pascal, pascalKeys(c))
	}
	event := func(f any) map[string]any {
		return map[string]any{"version": "0", "id": "1", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
			"account": "111122223333", "time": "2024-03-02T00:00:00Z", "region": "us-east-1", "resources": []any{}, "detail": f}
	}
	lines := func(vs ...any) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, mustJSON(t, v, false)...)
			b = append(b, '\n')
		}
		return b
	}
	f0, f1 := doc.Findings[0], doc.Findings[1]
	shapes := map[string][]byte{
		"api camelCase, compact":         mustJSON(t, map[string]any{"findings": doc.Findings}, false),
		"cli PascalCase, pretty":         mustJSON(t, map[string]any{"Findings": pascal}, true),
		"cli PascalCase, compact":        mustJSON(t, map[string]any{"Findings": pascal}, false),
		"wrapper with other keys first":  []byte(`{"NextToken": "abc", "UnprocessedFindings": [], "Findings": ` + string(mustJSON(t, doc.Findings, true)) + `}`),
		"bare array, pretty":             mustJSON(t, doc.Findings, true),
		"bare array, compact":            mustJSON(t, doc.Findings, false),
		"ndjson":                         lines(f0, f1),
		"ndjson PascalCase":              lines(pascal[0], pascal[1]),
		"ndjson, blank lines, no final":  []byte("\n\n" + strings.TrimSuffix(string(lines(f0, nil, f1)), "\n")),
		"concatenated pretty values":     append(mustJSON(t, f0, true), mustJSON(t, f1, true)...),
		"eventbridge ndjson":             lines(event(f0), event(f1)),
		"eventbridge pretty array":       mustJSON(t, []any{event(f0), event(pascal[1])}, true),
		"eventbridge concatenated":       append(mustJSON(t, event(f0), false), mustJSON(t, event(f1), false)...),
		"array of get-findings pages":    mustJSON(t, []any{map[string]any{"Findings": []any{f0}}, map[string]any{"Findings": []any{f1}}}, true),
		"ndjson of get-findings pages":   lines(map[string]any{"findings": []any{f0}}, map[string]any{"Findings": []any{pascal[1]}}),
		"byte-order mark":                append([]byte("\xef\xbb\xbf"), lines(f0, f1)...),
		"crlf pretty":                    bytes.ReplaceAll(mustJSON(t, doc.Findings, true), []byte("\n"), []byte("\r\n")),
		"crlf ndjson":                    bytes.ReplaceAll(lines(f0, f1), []byte("\n"), []byte("\r\n")),
		"leading white space, pretty":    append([]byte(" \n\t\n"), mustJSON(t, map[string]any{"Findings": pascal}, true)...),
		"findings key in odd case":       mustJSON(t, map[string]any{"FINDINGS": doc.Findings}, true),
		"pretty single, then ndjson too": append(mustJSON(t, f0, true), lines(f1)...),
	}
	// "ndjson, blank lines" holds a null between the findings, rejected as
	// a record; every other shape decodes cleanly.
	for name, data := range shapes {
		t.Run(name, func(t *testing.T) {
			for _, capacity := range []int{0, 1} {
				d := decodeBytes(t, data, name, capacity)
				if d.err != nil {
					t.Fatalf("decoding ended with %v", d.err)
				}
				wantErrors := 0
				if strings.Contains(name, "blank lines") {
					wantErrors = 1
				}
				if len(d.errors) != wantErrors {
					t.Fatalf("errors %v; want %d", d.errors, wantErrors)
				}
				if diff := cmp.Diff(want, flat(d.findings)); diff != "" {
					t.Fatalf("findings differ from the camelCase document (-want +got):\n%s", diff)
				}
				for i, f := range d.findings {
					if i > 0 && f.Record <= d.findings[i-1].Record {
						t.Fatalf("record numbers %d then %d", d.findings[i-1].Record, f.Record)
					}
				}
			}
		})
	}
}

// TestRawCasing checks that Raw keeps the finding's own key casing and,
// for an EventBridge event, holds the finding without its envelope.
func TestRawCasing(t *testing.T) {
	d := decodeBytes(t, readTestdata(t, "get-findings-pascalcase.json"), "p.json", 0)
	if len(d.findings) == 0 || !bytes.HasPrefix(d.findings[0].Raw, []byte(`{"AccountId":"111122223333","Arn":`)) {
		t.Errorf("Raw of a PascalCase finding = %.60s…; want it to start with its own PascalCase keys", d.findings[0].Raw)
	}
	d = decodeBytes(t, readTestdata(t, "eventbridge-guardduty.json"), "e.json", 0)
	if len(d.findings) != 1 || !bytes.HasPrefix(d.findings[0].Raw, []byte(`{"accountId":"111122223333","arn":`)) {
		t.Errorf("Raw of an EventBridge finding = %.60s…; want the detail only", d.findings[0].Raw)
	}
}

// truncatedReader returns data, then err.
type truncatedReader struct {
	data []byte
	err  error
}

func (r *truncatedReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestTruncated(t *testing.T) {
	pretty := readTestdata(t, "get-findings-pascalcase.json")
	secondStart := bytes.Index(pretty, []byte(`"Id": "0c2a8f3e`))
	ndjson := readTestdata(t, "s3-export.jsonl")
	thirdLine := bytes.Index(ndjson, []byte(`f3a5b7c9d1e34a5b7c9d1e3f5a7b9c1d`))

	tests := []struct {
		name      string
		r         io.Reader
		findings  int
		errors    []error // rejected records, in order
		fatal     error   // nil when decoding ends at io.EOF
		record    int     // of the fatal error
		line      int
		inMessage string
	}{
		{
			name:     "document, reader fails mid-way",
			r:        &truncatedReader{pretty[:secondStart], io.ErrUnexpectedEOF},
			findings: 1, fatal: io.ErrUnexpectedEOF, record: 2, inMessage: "input ends after byte",
		},
		{
			name:     "document cut short",
			r:        bytes.NewReader(pretty[:secondStart]),
			findings: 1, fatal: io.ErrUnexpectedEOF, record: 2,
		},
		{
			name:     "document cut between findings",
			r:        bytes.NewReader(pretty[:bytes.LastIndex(pretty[:secondStart], []byte(","))+1]),
			findings: 1, fatal: io.ErrUnexpectedEOF, record: 2,
		},
		{
			name:     "document cut between members",
			r:        bytes.NewReader(pretty[:bytes.Index(pretty, []byte(`"Partition"`))]),
			findings: 0, fatal: io.ErrUnexpectedEOF, record: 1,
		},
		{
			name:     "document cut after the last finding",
			r:        bytes.NewReader(bytes.TrimRight(pretty, "}\n ")),
			findings: 2, fatal: io.ErrUnexpectedEOF, record: 3,
		},
		{
			name:     "document, gzip checksum error at the end",
			r:        &truncatedReader{pretty, gzip.ErrChecksum},
			findings: 2, fatal: gzip.ErrChecksum, record: 3, inMessage: "read failed",
		},
		{
			name:     "ndjson, reader fails mid-line",
			r:        &truncatedReader{ndjson[:thirdLine], io.ErrUnexpectedEOF},
			findings: 2, fatal: io.ErrUnexpectedEOF, record: 3, line: 3,
		},
		{
			name:     "ndjson cut short: the last line is rejected",
			r:        bytes.NewReader(ndjson[:thirdLine]),
			findings: 2, errors: []error{io.ErrUnexpectedEOF},
		},
		{
			name:     "reader fails at once",
			r:        &truncatedReader{nil, io.ErrUnexpectedEOF},
			findings: 0, fatal: io.ErrUnexpectedEOF, record: 0,
		},
		{
			name:     "reader fails inside the first line",
			r:        &truncatedReader{ndjson[:100], io.ErrUnexpectedEOF},
			findings: 0, fatal: io.ErrUnexpectedEOF, record: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := drain(t, NewDecoder(tt.r, Options{File: "s3://bucket/key.json"}), 0)
			if len(d.findings) != tt.findings {
				t.Errorf("%d findings; want %d", len(d.findings), tt.findings)
			}
			if len(d.errors) != len(tt.errors) {
				t.Fatalf("rejected records %v; want %d", d.errors, len(tt.errors))
			}
			for i, e := range d.errors {
				if !errors.Is(e, tt.errors[i]) {
					t.Errorf("rejected record %v; want one wrapping %v", e, tt.errors[i])
				}
			}
			if tt.fatal == nil {
				if d.err != nil {
					t.Fatalf("decoding ended with %v; want io.EOF", d.err)
				}
				return
			}
			var perr *ParseError
			if !errors.As(d.err, &perr) || !errors.Is(d.err, tt.fatal) {
				t.Fatalf("decoding ended with %v (%T); want a *ParseError wrapping %v", d.err, d.err, tt.fatal)
			}
			if perr.File != "s3://bucket/key.json" || perr.Record != tt.record || perr.Line != tt.line {
				t.Errorf("error %q at record %d, line %d; want %q, record %d, line %d",
					perr.File, perr.Record, perr.Line, "s3://bucket/key.json", tt.record, tt.line)
			}
			if !strings.Contains(d.err.Error(), tt.inMessage) {
				t.Errorf("error %q does not say %q", d.err, tt.inMessage)
			}
		})
	}
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// cloudTrailRecord is the example record of the CloudTrail user guide.
const cloudTrailRecord = `{
    "eventVersion": "1.0",
    "userIdentity": {"type": "IAMUser","principalId": "EX_PRINCIPAL_ID","arn": "arn:aws:iam::123456789012:user/Alice","accessKeyId": "EXAMPLE_KEY_ID","accountId": "123456789012","userName": "Alice"},
    "eventTime": "2014-03-06T21:22:54Z",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "StartInstances",
    "awsRegion": "us-east-2",
    "sourceIPAddress": "205.251.233.176",
    "userAgent": "ec2-api-tools 1.6.12.2",
    "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-ebeaf9e2"}]}},
    "responseElements": {"instancesSet": {"items": [{"instanceId": "i-ebeaf9e2","currentState": {"code": 0,"name": "pending"},"previousState": {"code": 80,"name": "stopped"}}]}}
}`

// TestNotFindings checks objects that are not findings at all: the whole
// object is refused, with one error that says what it looks like.
func TestNotFindings(t *testing.T) {
	compactTrail := string(compact([]byte(cloudTrailRecord)))
	tests := []struct {
		name  string
		input string
		err   error
		says  string
	}{
		{"empty", "", ErrEmpty, "empty object"},
		{"white space", " \r\n\t\n", ErrEmpty, "empty object"},
		{"gzip", string(gzipped(t, readTestdata(t, "s3-export.jsonl"))), ErrBinary, "gzip-compressed"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ErrBinary, "binary data"},
		{"zeros", "\x00\x00\x00\x00", ErrBinary, "binary data"},
		{"invalid UTF-8 text", "\xff\xfe\xfd hello", ErrBinary, "binary data"},
		{"flow log", "version account-id interface-id\n2 123456789010 eni-1235b8ca123456789\n", ErrSyntax, `not JSON findings, starts with "version account-id interface-id"`},
		{"csv", "id,type,severity\n1,Recon,5\n", ErrSyntax, "not JSON findings"},
		{"cloudtrail event", cloudTrailRecord, ErrNotFinding, "record 1: not a security finding: looks like a CloudTrail event"},
		{"cloudtrail event, compact", compactTrail, ErrNotFinding, "looks like a CloudTrail event"},
		{"cloudtrail events, ndjson", compactTrail + "\n" + compactTrail + "\n" + compactTrail + "\n", ErrNotFinding, "f.json:1: record 1: not a security finding: looks like a CloudTrail event"},
		{"cloudtrail events, array", "[" + cloudTrailRecord + "," + cloudTrailRecord + "]", ErrNotFinding, "looks like a CloudTrail event"},
		{"cloudtrail file", "{\n \"Records\": [" + cloudTrailRecord + "]}", ErrNotFinding, `record 1: not a security finding: looks like a CloudTrail log file ({"Records": [...]})`},
		{"cloudtrail file, compact", `{"Records":[` + compactTrail + `]}`, ErrNotFinding, "looks like a CloudTrail log file"},
		{"cloudtrail via eventbridge", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + compactTrail + "}", ErrNotFinding, `an EventBridge event of type "AWS API Call via CloudTrail" from "aws.ec2"`},
		{"macie finding", `{"schemaVersion":"1.0","id":"64b917aa3ed3b4be495d311d","accountId":"111122223333","arn":"arn:aws:macie2:us-east-1:111122223333:finding/64b917aa3ed3b4be495d311d","type":"SensitiveData:S3Object/Personal","severity":{"score":2,"description":"Medium"}}`, ErrNotFinding, `its arn is of service "macie2", not GuardDuty`},
		{"other object", `{"b": 1, "a": {"id": 2}}`, ErrNotFinding, `an object with keys "a", "b"`},
		{"empty object", "{}\n", ErrNotFinding, "an empty object"},
		{"string", `"GuardDuty"`, ErrSyntax, `not JSON findings, starts with "\"GuardDuty\""`},
		{"string in an array", `["GuardDuty"]`, ErrNotFinding, "record 1: not a security finding: a JSON string, not an object"},
		{"numbers", "[1, 2]", ErrNotFinding, "record 1: not a security finding: a JSON number"},
		{"findings not an array", "{\n \"Findings\": {}\n}", ErrNotFinding, `"Findings" is a JSON object or array, not an array of findings`},
		{"deep arrays", "[[[[{}]]]]", ErrNotFinding, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decodeBytes(t, []byte(tt.input), "f.json", 0)
			if len(d.findings) != 0 || len(d.errors) != 0 {
				t.Errorf("%d findings and rejected records %v; want none", len(d.findings), d.errors)
			}
			var perr *ParseError
			if !errors.As(d.err, &perr) || !errors.Is(d.err, tt.err) || perr.File != "f.json" {
				t.Fatalf("decoding ended with %v; want a *ParseError naming f.json, wrapping %v", d.err, tt.err)
			}
			if !strings.Contains(d.err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", d.err, tt.says)
			}
		})
	}
}

// TestRejectedRecords checks records rejected on their own, between good
// findings that are kept.
func TestRejectedRecords(t *testing.T) {
	good := string(compact(readTestdata(t, "single-finding.json")))
	asff := `{"SchemaVersion":"2018-10-08","Id":"x-1","ProductArn":"arn:aws:securityhub:us-east-1::product/aws/securityhub","AwsAccountId":"111122223333","Types":["A/B"],"Severity":{"Label":"LOW"},"Title":"t","CreatedAt":"2024-01-01T00:00:00Z","UpdatedAt":"2024-01-01T00:00:00Z"}`
	edit := func(base, from, to string) string {
		if !strings.Contains(base, from) {
			t.Fatalf("%q not in %.80s", from, base)
		}
		return strings.Replace(base, from, to, 1)
	}
	tests := []struct {
		name string
		bad  string
		err  error
		says string
	}{
		{"count is a string", edit(good, `"count":4`, `"count":"x"`), ErrType, `record 2: finding "b5c7d9e1f3a54c7d9e1f3a5b7c9d1e3f": wrong type: field service.count: got string, want integer`},
		{"count is a fraction", edit(good, `"count":4`, `"count":4.5`), ErrType, "field service.count: got number 4.5, want integer"},
		{"count is negative", edit(good, `"count":4`, `"count":-1`), ErrRange, "field service.count: -1 is negative"},
		{"severity is a string", edit(good, `"severity":5`, `"severity":"HIGH"`), ErrType, "field severity: got string, want number"},
		{"archived is a string", edit(good, `"archived":false`, `"archived":"false"`), ErrType, "field service.archived: got string, want boolean"},
		{"resource is an array", edit(good, `"resource":{`, `"resource":[],"x":{`), ErrType, "field resource: got array, want object"},
		{"port is a string", edit(edit(good, `"kubernetesApiCallAction"`, `"networkConnectionAction":{"localPortDetails":{"port":"22"}},"x"`), `"x":{`, `"x":{`), ErrType, "field service.action.networkConnectionAction.localPortDetails.port: got string, want 32-bit integer"},
		{"port overflows", edit(good, `"kubernetesApiCallAction"`, `"networkConnectionAction":{"remotePortDetails":{"port":4294967296}},"x"`), ErrType, "got number 4294967296, want 32-bit integer"},
		{"port is negative", edit(good, `"kubernetesApiCallAction"`, `"portProbeAction":{"portProbeDetails":[{"localPortDetails":{"port":-1}}]},"x"`), ErrRange, "field service.action.portProbeAction.portProbeDetails[0].localPortDetails.port: -1 is not in 0–65535"},
		{"timestamp is a number", edit(good, `"createdAt":"2024-03-05T11:30:00Z"`, `"createdAt":1709638200`), ErrType, "field createdAt: got number, want string"},
		{"timestamp is not one", edit(good, `"createdAt":"2024-03-05T11:30:00Z"`, `"createdAt":"5 March"`), ErrTime, `field createdAt: "5 March"`},
		{"timestamp out of range", edit(good, `"createdAt":"2024-03-05T11:30:00Z"`, `"createdAt":"2024-13-05T11:30:00Z"`), ErrTime, "field createdAt"},
		{"remote address is not one", edit(good, `"ipAddressV4":"203.0.113.140"`, `"ipAddressV4":"203.0.113.140\u003cscript\u003e"`), ErrAddress, `field service.action.kubernetesApiCallAction.remoteIpDetails: "203.0.113.140<script>"`},
		{"no id", edit(good, `"id":"b5c7d9e1f3a54c7d9e1f3a5b7c9d1e3f",`, ``), ErrMissing, "missing field: id"},
		{"invalid UTF-8", edit(good, `Custom`, "Cust\xc3\x28om"), ErrEncoding, "invalid UTF-8 at byte"},
		{"invalid JSON line", good[:len(good)-1] + `,,}`, ErrSyntax, "invalid JSON: invalid character ','"},
		{"asff Types is a string", edit(asff, `"Types":["A/B"]`, `"Types":"A/B"`), ErrType, `finding "x-1": wrong type: field Types: got string, want array`},
		{"asff Severity is a number", edit(asff, `"Severity":{"Label":"LOW"}`, `"Severity":20`), ErrType, "field Severity: got number, want object"},
		{"asff ProductFields is a list", edit(asff, `"Title"`, `"ProductFields":["a"],"Title"`), ErrType, "field ProductFields: got array, want object"},
		{"asff remote address", edit(asff, `"Title"`, `"Action":{"NetworkConnectionAction":{"RemoteIpDetails":{"IpAddressV4":"fe80::1%eth0"}}},"Title"`), ErrAddress, `field Action.NetworkConnectionAction.RemoteIpDetails: "fe80::1%eth0"`},
		{"asff no Id", edit(asff, `"Id":"x-1",`, ``), ErrMissing, "missing field: Id"},
		{"eventbridge detail is a string", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":"x"}`, ErrType, "field detail: got string, want object"},
		{"securityhub detail.findings is an object", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":{}}}`, ErrType, "field findings: got object, want array"},
		{"securityhub finding is a number", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[1]}}`, ErrType, "field detail.findings: got number, want object"},
		{"cloudtrail event", string(compact([]byte(cloudTrailRecord))), ErrNotFinding, "record 2: not a security finding: looks like a CloudTrail event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, input := range []string{
				good + "\n" + tt.bad + "\n" + good + "\n",            // line-delimited
				"[\n" + good + ",\n" + tt.bad + ",\n" + good + "\n]", // a document
			} {
				d := decodeBytes(t, []byte(input), "f.json", 0)
				if tt.name == "invalid JSON line" && input[0] == '[' {
					// In a document, invalid JSON ends decoding.
					if len(d.findings) != 1 || !errors.Is(d.err, ErrSyntax) {
						t.Errorf("document: %d findings, %v; want 1 and ErrSyntax", len(d.findings), d.err)
					}
					continue
				}
				if d.err != nil {
					t.Fatalf("decoding ended with %v", d.err)
				}
				if len(d.findings) != 2 || d.findings[0].Record != 1 || d.findings[1].Record != 3 {
					t.Errorf("kept %d findings; want records 1 and 3", len(d.findings))
				}
				if len(d.errors) != 1 {
					t.Fatalf("rejected records %v; want 1", d.errors)
				}
				e := d.errors[0]
				if !errors.Is(e, tt.err) || e.File != "f.json" || e.Record != 2 {
					t.Errorf("rejected record %v (file %q, record %d); want f.json, record 2, wrapping %v", e, e.File, e.Record, tt.err)
				}
				if !strings.Contains(e.Error(), tt.says) {
					t.Errorf("error %q does not say %q", e, tt.says)
				}
				if wantLine := 2; input[0] != '[' && e.Line != wantLine {
					t.Errorf("error at line %d; want %d", e.Line, wantLine)
				}
			}
		})
	}
}

func TestLineTooLong(t *testing.T) {
	good := string(compact(readTestdata(t, "single-finding.json")))
	long := `{"id":"` + strings.Repeat("a", maxLine) + `"}`
	d := decodeBytes(t, []byte(good+"\n"+long+"\n"+good+"\n"), "f.json", 0)
	if d.err != nil || len(d.findings) != 2 || len(d.errors) != 1 || !errors.Is(d.errors[0], ErrLineLength) || d.errors[0].Line != 2 {
		t.Errorf("got %d findings, rejected %v, %v; want 2 findings and line 2 too long", len(d.findings), d.errors, d.err)
	}
}

func TestSkippedEvents(t *testing.T) {
	scan := `{"version":"0","detail-type":"GuardDuty Malware Protection Object Scan Result","source":"aws.guardduty","detail":{"scanStatus":"COMPLETED"}}`
	insight := `{"version":"0","detail-type":"Security Hub Insight Results","source":"aws.securityhub","detail":{"insightName":"x"}}`
	good := string(compact(readTestdata(t, "single-finding.json")))
	d := decodeBytes(t, []byte(scan+"\n"+insight+"\n"+good+"\n"), "f.json", 0)
	if d.err != nil || len(d.errors) != 0 || len(d.findings) != 1 || d.findings[0].Record != 3 {
		t.Errorf("got %d findings, rejected %v, %v; want the finding, as record 3", len(d.findings), d.errors, d.err)
	}
}

func TestNewer(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		a, b Finding
		want bool
	}{
		{"higher count", Finding{Count: 5, UpdatedAt: t0}, Finding{Count: 4, UpdatedAt: t0}, true},
		{"lower count", Finding{Count: 4, UpdatedAt: t0}, Finding{Count: 5, UpdatedAt: t0}, false},
		{"higher count wins over older update", Finding{Count: 5, UpdatedAt: t0}, Finding{Count: 4, UpdatedAt: t0.Add(time.Hour)}, true},
		{"lower count loses despite newer update", Finding{Count: 4, UpdatedAt: t0.Add(time.Hour)}, Finding{Count: 5, UpdatedAt: t0}, false},
		{"same count, newer update", Finding{Count: 5, UpdatedAt: t0.Add(time.Millisecond)}, Finding{Count: 5, UpdatedAt: t0}, true},
		{"same count, older update", Finding{Count: 5, UpdatedAt: t0}, Finding{Count: 5, UpdatedAt: t0.Add(time.Millisecond)}, false},
		{"same count and update", Finding{Count: 5, UpdatedAt: t0}, Finding{Count: 5, UpdatedAt: t0}, false},
		{"same count, update unknown", Finding{Count: 1, UpdatedAt: t0}, Finding{Count: 1}, true},
	}
	for _, tt := range tests {
		if got := Newer(&tt.a, &tt.b); got != tt.want {
			t.Errorf("%s: Newer(count %d at %v, count %d at %v) = %v; want %v", tt.name,
				tt.a.Count, tt.a.UpdatedAt, tt.b.Count, tt.b.UpdatedAt, got, tt.want)
		}
	}
	// Two versions of the same finding as GuardDuty exports them.
	v1 := string(compact(readTestdata(t, "single-finding.json")))
	v2 := strings.Replace(strings.Replace(v1, `"count":4`, `"count":7`, 1), `"updatedAt":"2024-03-05T11:45:00Z"`, `"updatedAt":"2024-03-05T12:45:00Z"`, 1)
	d := decodeBytes(t, []byte(v1+"\n"+v2+"\n"), "f.json", 0)
	if len(d.findings) != 2 || d.findings[0].ID != d.findings[1].ID {
		t.Fatalf("decoded %d findings; want two versions of one", len(d.findings))
	}
	if !Newer(&d.findings[1], &d.findings[0]) || Newer(&d.findings[0], &d.findings[1]) {
		t.Errorf("Newer does not prefer the update (count %d at %v over count %d at %v)",
			d.findings[1].Count, d.findings[1].UpdatedAt, d.findings[0].Count, d.findings[0].UpdatedAt)
	}
}

func TestParseTime(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"2024-01-01T00:00:00.000Z", utc("2024-01-01T00:00:00Z"), true},
		{"2024-01-01T00:00:00Z", utc("2024-01-01T00:00:00Z"), true},
		{"2024-01-01T00:00:00.123456789Z", utc("2024-01-01T00:00:00.123456789Z"), true},
		{"2024-01-01T02:00:00+02:00", utc("2024-01-01T00:00:00Z"), true},
		{"2023-12-31T19:00:00.5-05:00", utc("2024-01-01T00:00:00.5Z"), true},
		{"2024-01-01T02:00:00+0200", utc("2024-01-01T00:00:00Z"), true},
		{"2024-01-01t00:00:00z", utc("2024-01-01T00:00:00Z"), true},
		{"2025-02-25 20:40:06.721", utc("2025-02-25T20:40:06.721Z"), true},   // Panther: UTC without zone
		{"2025-02-25 20:40:06.000000000", utc("2025-02-25T20:40:06Z"), true}, // ditto
		{"2024-01-01 00:00:00+00:00", utc("2024-01-01T00:00:00Z"), true},     // Python str(datetime)
		{"2024-01-01T00:00:00", utc("2024-01-01T00:00:00Z"), true},           // no zone
		{"1709638200", time.Time{}, false},                                   // epoch seconds as a string
		{"2024-01-01", time.Time{}, false},                                   // date only
		{"2024-02-30T00:00:00Z", time.Time{}, false},                         // no such day
		{"2024-01-01T25:00:00Z", time.Time{}, false},                         // no such hour
		{"2024-01-01T00:00:00ZZ", time.Time{}, false},                        // trailing junk
		{"2024-01-01T00:00:00 UTC", time.Time{}, false},                      // zone name
		{"Mon, 01 Jan 2024 00:00:00 GMT", time.Time{}, false},                // RFC 1123
		{" 2024-01-01T00:00:00Z", time.Time{}, false},                        // leading space
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) || (tt.ok && got.Location() != time.UTC) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestGuardDutyType(t *testing.T) {
	tests := []struct{ in, want string }{
		{"TTPs/Command and Control/Trojan:EC2-DGADomainRequest.B", "Trojan:EC2/DGADomainRequest.B"},
		{"TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce", "UnauthorizedAccess:EC2/SSHBruteForce"},
		{"TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS", "Backdoor:EC2/C&CActivity.B!DNS"},
		{"Effects/Data Exfiltration/Trojan:EC2-DNSDataExfiltration", "Trojan:EC2/DNSDataExfiltration"},
		{"TTPs/Discovery/Recon:IAMUser-MaliciousIPCaller.Custom", "Recon:IAMUser/MaliciousIPCaller.Custom"},
		{"Unusual Behaviors/User/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration.OutsideAWS", "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"},
		{"Software and Configuration Checks/Policy:S3-BucketBlockPublicAccessDisabled", "Policy:S3/BucketBlockPublicAccessDisabled"},
		{"Trojan:EC2-DropPoint!DNS", "Trojan:EC2/DropPoint!DNS"},
		{"TTPs/Execution/Execution:Runtime-NewBinaryExecuted", "Execution:Runtime/NewBinaryExecuted"},
		{"Unusual Behaviors", "Unusual Behaviors"},
		{"TTPs/Discovery/Discovery:S3", "Discovery:S3"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := guardDutyType(tt.in); got != tt.want {
			t.Errorf("guardDutyType(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestASFFSeverity(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name      string
		sev       *asffSeverity
		want      float64
		wantLabel string
	}{
		{"none", nil, 0, ""},
		{"empty", &asffSeverity{}, 0, ""},
		{"product wins", &asffSeverity{Product: f(8), Normalized: f(60), Label: "HIGH"}, 8, "High"},
		{"product 0.1", &asffSeverity{Product: f(0.1), Normalized: f(1), Label: "LOW"}, 0.1, "Low"},
		{"product on another scale", &asffSeverity{Product: f(75), Normalized: f(75), Label: "HIGH"}, 7.5, "High"},
		{"normalized", &asffSeverity{Normalized: f(45), Label: "MEDIUM"}, 4.5, "Medium"},
		{"normalized 0", &asffSeverity{Normalized: f(0), Label: "INFORMATIONAL"}, 0, "Informational"},
		{"normalized 100", &asffSeverity{Normalized: f(100), Label: "CRITICAL"}, 10, "Critical"},
		{"normalized out of range", &asffSeverity{Normalized: f(250), Label: "LOW"}, 2, "Low"},
		{"label low", &asffSeverity{Label: "LOW"}, 2, "Low"},
		{"label medium", &asffSeverity{Label: "MEDIUM"}, 5, "Medium"},
		{"label high", &asffSeverity{Label: "HIGH"}, 8, "High"},
		{"label critical", &asffSeverity{Label: "CRITICAL"}, 9, "Critical"},
		{"label informational", &asffSeverity{Label: "INFORMATIONAL"}, 0, "Informational"},
		{"label lower case", &asffSeverity{Label: "high"}, 8, "High"},
		{"label unknown", &asffSeverity{Label: "SEVERE"}, 0, ""},
	}
	for _, tt := range tests {
		s, ok := asffSeverityValue(tt.sev)
		label := ""
		if ok {
			label = severityLabel(s)
		}
		if s != tt.want || label != tt.wantLabel {
			t.Errorf("%s: severity %v %q; want %v %q", tt.name, s, label, tt.want, tt.wantLabel)
		}
	}
	for _, tt := range []struct {
		s    float64
		want string
	}{{0, "Informational"}, {0.1, "Low"}, {3.9, "Low"}, {4, "Medium"}, {6.9, "Medium"}, {7, "High"}, {8.9, "High"}, {9, "Critical"}, {10, "Critical"}} {
		if got := severityLabel(tt.s); got != tt.want {
			t.Errorf("severityLabel(%v) = %q; want %q", tt.s, got, tt.want)
		}
	}
}

func TestSniff(t *testing.T) {
	for name, data := range testdataFiles(t) {
		prefix := data[:min(len(data), 4096)]
		if !Sniff(prefix) {
			t.Errorf("Sniff(first 4 KiB of %s) = false; want true", name)
		}
	}
	createDetector := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole"},"eventTime":"2024-03-01T00:00:00Z","eventSource":"guardduty.amazonaws.com","eventName":"CreateDetector","awsRegion":"us-east-1","responseElements":{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"},"resources":[{"ARN":"arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0"}]}`
	for name, data := range map[string]string{
		"empty":                          "",
		"cloudtrail record":              cloudTrailRecord,
		"cloudtrail file":                `{"Records":[` + cloudTrailRecord + `]}`,
		"cloudtrail of a guardduty call": createDetector,
		"flow log":                       "version account-id interface-id srcaddr dstaddr\n2 123456789010 eni-1235b8ca123456789 - -\n",
		"gzip":                           string(gzipped(t, readTestdata(t, "s3-export.jsonl"))),
		"empty array":                    "[]",
		"access analyzer findings":       `{"findings":[{"id":"a1","resourceType":"AWS::S3::Bucket","status":"ACTIVE","principal":{"AWS":"*"}}]}`,
		"ocsf":                           `{"class_uid":4003,"class_name":"DNS Activity","metadata":{"product":{"name":"Route 53"}},"query":{"hostname":"example.com"}}`,
		"route 53 resolver log":          `{"version":"1.100000","account_id":"111122223333","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"2024-03-01T00:00:00Z","query_name":"example.com."}`,
	} {
		if Sniff([]byte(data)) {
			t.Errorf("Sniff(%s) = true; want false", name)
		}
	}
}

// TestFindingsOutliveBatches checks that findings stay intact after the
// decoder has moved on: nothing in a Finding points into its buffers.
func TestFindingsOutliveBatches(t *testing.T) {
	data := readTestdata(t, "s3-export.jsonl")
	d := NewDecoder(bytes.NewReader(data), Options{File: "f"})
	var kept []Finding
	b := Batch{Findings: make([]Finding, 0, 1)}
	for {
		err := d.Next(&b)
		kept = append(kept, b.Findings...)
		if err != nil {
			break
		}
	}
	again := decodeBytes(t, data, "f", 0)
	if diff := cmp.Diff(again.findings, kept); diff != "" {
		t.Errorf("findings kept across batches changed (-want +got):\n%s", diff)
	}
}

func BenchmarkDecoder(b *testing.B) {
	for _, name := range []string{"s3-export.jsonl", "get-findings-pascalcase.json", "eventbridge-securityhub.json"} {
		data := bytes.Repeat(readTestdata(b, name), 50)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			batch := Batch{Findings: make([]Finding, 0, 256)}
			for b.Loop() {
				d := NewDecoder(bytes.NewReader(data), Options{File: name})
				for d.Next(&batch) == nil {
				}
			}
		})
	}
}
