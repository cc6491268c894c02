package source

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// Flow log records from AWS's documentation (reference §8.5), as
// CloudWatch Logs delivers them: one record per event message.
var awslogsFlows = []string{
	"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
	"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
}

// envelope renders a subscription filter message as CloudWatch Logs does.
func envelope(t testing.TB, messageType, owner string, messages ...string) []byte {
	t.Helper()
	type event struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	env := struct {
		MessageType         string   `json:"messageType"`
		Owner               string   `json:"owner"`
		LogGroup            string   `json:"logGroup"`
		LogStream           string   `json:"logStream"`
		SubscriptionFilters []string `json:"subscriptionFilters"`
		LogEvents           []event  `json:"logEvents"`
	}{
		MessageType: messageType, Owner: owner, LogGroup: "/aws/vpc/flowlogs",
		LogStream: "eni-1235b8ca123456789-all", SubscriptionFilters: []string{"to-firehose"},
		LogEvents: []event{},
	}
	for i, m := range messages {
		env.LogEvents = append(env.LogEvents, event{ID: strings.Repeat("3", 50) + string(rune('0'+i%10)), Timestamp: 1432826855000, Message: m})
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func controlMessage(t testing.TB) []byte {
	return envelope(t, "CONTROL_MESSAGE", "CloudwatchLogs", "CWL CONTROL MESSAGE: Checking health of destination Firehose.")
}

// gzb is gz (gzip_test.go) for bytes.
func gzb(t testing.TB, b []byte) []byte {
	t.Helper()
	return gz(t, string(b))
}

func b64(b []byte) []byte { return []byte(base64.StdEncoding.EncodeToString(b)) }

// wrap76 breaks base64 into lines the way base64(1) does.
func wrap76(b []byte) []byte {
	var out []byte
	for len(b) > 76 {
		out = append(append(out, b[:76]...), '\n')
		b = b[76:]
	}
	return append(append(out, b...), '\n')
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// unwrapAll calls unwrap the way ingest does, with a peek of the stream,
// and reads everything.
func unwrapAll(t testing.TB, data []byte, limit int64) (out string, owner string, ok bool, flat int, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), 64<<10)
	prefix, _ := br.Peek(4096)
	r, owner, ok, err := unwrap(prefix, br, limit)
	if !ok || err != nil {
		if r != nil {
			t.Errorf("unwrap() = %T reader with ok %v, error %v; want nil", r, ok, err)
		}
		return "", owner, ok, 0, err
	}
	b, err := io.ReadAll(r)
	if fl, isFl := r.(Flattener); isFl {
		flat = fl.Flattened()
	} else {
		t.Errorf("unwrap() reader %T is not a Flattener", r)
	}
	return string(b), owner, ok, flat, err
}

func TestUnwrap(t *testing.T) {
	flows := strings.Join(awslogsFlows, "\n") + "\n"
	env := envelope(t, "DATA_MESSAGE", "123456789010", awslogsFlows...)
	env2 := envelope(t, "DATA_MESSAGE", "123456789010", "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA")
	lambda := func(b []byte) []byte { return []byte(`{"awslogs":{"data":"` + string(b64(gzb(t, b))) + `"}}`) }
	tests := []struct {
		name      string
		data      []byte
		wantOK    bool
		wantOwner string
		wantOut   string
		wantFlat  int
		wantErr   string // substring; "" for none
	}{
		{name: "single envelope", data: env, wantOK: true, wantOwner: "123456789010", wantOut: flows},
		{
			name:   "concatenated, as Firehose writes them",
			data:   join(controlMessage(t), env, env2, []byte("\n"), env),
			wantOK: true, wantOwner: "123456789010",
			wantOut: flows + "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA\n" + flows,
		},
		{name: "control message only", data: controlMessage(t), wantOK: true},
		{name: "base64 of gzip", data: b64(gzb(t, env)), wantOK: true, wantOwner: "123456789010", wantOut: flows},
		{
			name:   "base64 records one per line",
			data:   join(b64(gzb(t, controlMessage(t))), []byte("\n"), b64(gzb(t, env)), []byte("\r\n"), b64(gzb(t, env2)), []byte("\n")),
			wantOK: true, wantOwner: "123456789010",
			wantOut: flows + "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA\n",
		},
		{name: "base64 wrapped at 76 columns", data: wrap76(b64(gzb(t, join(env, env)))), wantOK: true, wantOwner: "123456789010", wantOut: flows + flows},
		{
			name:   "unpadded URL-safe base64 records",
			data:   []byte(base64.RawURLEncoding.EncodeToString(gzb(t, env)) + "\n" + base64.RawURLEncoding.EncodeToString(gzb(t, env2)) + "\n"),
			wantOK: true, wantOwner: "123456789010",
			wantOut: flows + "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA\n",
		},
		{name: "base64 of plain JSON", data: b64(env), wantOK: true, wantOwner: "123456789010", wantOut: flows},
		{name: "gzipped twice by Firehose", data: gzb(t, join(gzb(t, env), gzb(t, env2))), wantOK: true, wantOwner: "123456789010", wantOut: flows + "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA\n"},
		{name: "Lambda events", data: join(lambda(env), []byte("\n"), lambda(env2)), wantOK: true, wantOwner: "123456789010", wantOut: flows + "2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - NODATA\n"},
		{name: "BOM and whitespace first", data: join([]byte("\ufeff\n  "), env), wantOK: true, wantOwner: "123456789010", wantOut: flows},
		{
			name:   "keys in another order",
			data:   []byte(`{"logEvents":[{"id":"1","timestamp":1,"message":"a"}],"messageType":"DATA_MESSAGE","owner":"111122223333"}`),
			wantOK: true, wantOwner: "111122223333", wantOut: "a\n",
		},
		{
			name:   "multi-line messages flattened",
			data:   envelope(t, "DATA_MESSAGE", "123456789010", "line one\nline two", "ends in a newline\n", "crlf\r\ninside\r\n", ""),
			wantOK: true, wantOwner: "123456789010", wantOut: "line one line two\nends in a newline\ncrlf  inside\n\n", wantFlat: 2,
		},
		{
			name: "export task lines",
			data: []byte("2026-01-05T13:00:01.000Z " + awslogsFlows[0] + "\n" +
				"2026-01-05T13:00:02.123Z " + awslogsFlows[1] + "\r\n" +
				"\n" +
				`2026-01-05T14:00:02+01:00 {"eventVersion":"1.08","eventName":"GetBucketAcl"}` + "\n" +
				"2026-01-05T13:00:03Z first line\n" +
				"  continued\n" +
				"2026-01-05T13:00:04.5-05:30 " + awslogsFlows[2]),
			wantOK:   true,
			wantOut:  awslogsFlows[0] + "\n" + awslogsFlows[1] + "\n" + `{"eventVersion":"1.08","eventName":"GetBucketAcl"}` + "\n" + "first line   continued\n" + awslogsFlows[2] + "\n",
			wantFlat: 1,
		},
		{name: "plain flow log text", data: []byte(flows)},
		{name: "flow log text with header", data: []byte("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" + flows)},
		{name: "CloudTrail file", data: []byte(`{"Records":[{"eventVersion":"1.08","messageType":"DATA_MESSAGE","eventName":"GetBucketAcl"}]}`)},
		{name: "CloudTrail event", data: []byte(`{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetBucketAcl"}` + "\n")},
		{name: "GuardDuty finding", data: []byte(`{"schemaVersion":"2.0","accountId":"123456789012","type":"Recon:EC2/PortProbeUnprotectedPort"}`)},
		{name: "base64 of something else", data: []byte("SGVsbG8gd29ybGQ=\n")},
		{name: "base64 of gzip of something else", data: b64(gzb(t, []byte(flows)))},
		{name: "gzip of something else", data: gzb(t, []byte(`{"Records":[]}`))},
		{name: "timestamp without message separator", data: []byte("2026-01-05T13:00:01.000Z\n")},
		{name: "empty", data: nil},
		{name: "truncated envelope", data: env[:len(env)-10], wantOK: true, wantErr: "awslogs envelope 1 (byte 0): unexpected EOF"},
		{name: "truncated second envelope", data: join(env, env[:len(env)/2]), wantOK: true, wantOwner: "123456789010", wantOut: flows, wantErr: "awslogs envelope 2"},
		{name: "truncated gzip in base64", data: b64(gzb(t, env))[:400], wantOK: true, wantErr: "unexpected EOF"},
		{name: "garbage after envelope", data: join(env, []byte("\n2 1234 eni-x\n")), wantOK: true, wantOwner: "123456789010", wantOut: flows, wantErr: "awslogs envelope 2 (byte 784): a JSON number, not an object"},
		{name: "garbage inside envelope", data: join(env, []byte(`{"messageType":"DATA_MESSAGE",x}`)), wantOK: true, wantOwner: "123456789010", wantOut: flows, wantErr: "invalid character 'x'"},
		{name: "mistyped field", data: []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":5}]}`), wantOK: true, wantErr: "field logEvents.message is a JSON number"},
		{name: "unknown messageType", data: envelope(t, "DATA_MESSAGE_V2", "1"), wantOK: true, wantErr: `unknown messageType "DATA_MESSAGE_V2"`},
		{name: "no messageType", data: []byte(`{"owner":"123456789012","logEvents":[]}`), wantOK: true, wantErr: "no messageType"},
		{name: "not an object", data: join(env, []byte(`["x"]`)), wantOK: true, wantOwner: "123456789010", wantOut: flows, wantErr: "a JSON array, not an object"},
		{name: "bad Lambda data", data: []byte(`{"awslogs":{"data":"H4sI!!!!"}}`), wantOK: true, wantErr: "awslogs.data: base64: invalid byte"},
		{name: "Lambda in Lambda", data: lambda([]byte(`{"awslogs":{"data":""}}`)), wantOK: true, wantErr: "Lambda event inside a Lambda event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, owner, ok, flat, err := unwrapAll(t, tt.data, maxEnvelope)
			if ok != tt.wantOK {
				t.Fatalf("Unwrap(%.60q) ok = %v; want %v", tt.data, ok, tt.wantOK)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Unwrap(%.60q) error = %v; want none", tt.data, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Unwrap(%.60q) error = %v; want one containing %q", tt.data, err, tt.wantErr)
			}
			if out != tt.wantOut || owner != tt.wantOwner || flat != tt.wantFlat {
				t.Errorf("Unwrap(%.60q) = %q, owner %q, %d flattened; want %q, owner %q, %d flattened",
					tt.data, out, owner, flat, tt.wantOut, tt.wantOwner, tt.wantFlat)
			}
		})
	}
}

func TestUnwrapHuge(t *testing.T) {
	huge := strings.Repeat("0123456789abcdef", 1<<20) // 16 MiB, far past the peeked prefix
	env := envelope(t, "DATA_MESSAGE", "123456789010", awslogsFlows[0], huge, awslogsFlows[1])
	want := awslogsFlows[0] + "\n" + huge + "\n" + awslogsFlows[1] + "\n"
	for name, data := range map[string][]byte{"json": env, "base64": b64(gzb(t, env)), "export": []byte("2026-01-05T13:00:01.000Z " + huge + "\n")} {
		out, _, ok, _, err := unwrapAll(t, data, maxEnvelope)
		want := want // per case: map order is random
		if name == "export" {
			want = huge + "\n"
		}
		if !ok || err != nil || out != want {
			t.Errorf("Unwrap(%s with a 16 MiB message) = %d bytes, ok %v, error %v; want %d bytes", name, len(out), ok, err, len(want))
		}
	}

	// Past the limit, the envelope is refused with a clear error rather
	// than held in memory.
	const limit = 1 << 20
	big := strings.Repeat("x", 2*limit)
	for name, data := range map[string][]byte{
		"first":  envelope(t, "DATA_MESSAGE", "1", big),
		"second": join(envelope(t, "DATA_MESSAGE", "1", "small"), envelope(t, "DATA_MESSAGE", "1", big)),
		"gzip":   gzb(t, gzb(t, envelope(t, "DATA_MESSAGE", "1", big))),
		"lambda": []byte(`{"awslogs":{"data":"` + string(b64(gzb(t, envelope(t, "DATA_MESSAGE", "1", big)))) + `"}}`),
		"export": []byte("2026-01-05T13:00:01.000Z small\n2026-01-05T13:00:01.000Z " + big + "\n"),
		"joined": []byte("2026-01-05T13:00:01.000Z small\n" + strings.Repeat(strings.Repeat("y", 1000)+"\n", 2000)),
	} {
		_, _, ok, _, err := unwrapAll(t, data, limit)
		if !ok || !errors.Is(err, errTooLarge) || !strings.Contains(err.Error(), "larger than 1 MiB") && !strings.Contains(err.Error(), "longer than 1 MiB") {
			t.Errorf("Unwrap(%s, over the limit) ok %v, error %v; want errTooLarge naming 1 MiB", name, ok, err)
		}
	}
	// Exactly at the limit is fine.
	exact := envelope(t, "DATA_MESSAGE", "1", "")
	exact = envelope(t, "DATA_MESSAGE", "1", strings.Repeat("z", limit-len(exact)))
	if len(exact) != limit {
		t.Fatalf("test envelope is %d bytes; want %d", len(exact), limit)
	}
	if out, _, _, _, err := unwrapAll(t, join(exact, exact), limit); err != nil || len(out) != 2*(limit-len(envelope(t, "DATA_MESSAGE", "1", ""))+1) {
		t.Errorf("Unwrap(two envelopes of exactly the limit) = %d bytes, error %v", len(out), err)
	}
}

func TestB64Reader(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "", want: ""},
		{in: "YQ==", want: "a"},
		{in: "YQ==YWI=YWJj", want: "aababc"},
		{in: "YQ\nYWI\n", want: "aab"},
		{in: "Y W\tJ j", want: "abc"},
		{in: "-_-_", want: "\xfb\xff\xbf"},
		{in: "YQ=", want: "a"},
		{in: "Y", wantErr: "truncated group"},
		{in: "Y=", wantErr: "misplaced padding"},
		{in: "YWJj*", want: "abc", wantErr: "invalid byte '*'"},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(&b64Reader{r: bufio.NewReader(strings.NewReader(tt.in))})
		if string(got) != tt.want || (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("b64Reader(%q) = %q, %v; want %q, error containing %q", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCutExportTime(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"2026-01-05T13:00:01.000Z msg", "msg", true},
		{"2026-01-05T13:00:01Z  two spaces", " two spaces", true},
		{"2026-01-05T13:00:01.123456789+05:30 x", "x", true},
		{"2026-01-05T13:00:01-08:00 ", "", true},
		{"2026-01-05T13:00:01.Z x", "", false},
		{"2026-01-05T13:00:01 x", "", false},
		{"2026-01-05 13:00:01Z x", "", false},
		{"2026-01-05T13:00:01+0530 x", "", false},
		{"2026-01-05T13:00:01Zx", "", false},
		{"2026-01-05T13:00:01Z", "", false},
		{"2 123456789010 eni-1", "", false},
	}
	for _, tt := range tests {
		got, ok := cutExportTime([]byte(tt.line))
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("cutExportTime(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// BenchmarkUnwrap reads a Firehose object's worth of envelopes: 100
// envelopes of 100 flow records each.
func BenchmarkUnwrap(b *testing.B) {
	msgs := make([]string, 100)
	for i := range msgs {
		msgs[i] = awslogsFlows[i%len(awslogsFlows)]
	}
	var data []byte
	for range 100 {
		data = append(data, envelope(b, "DATA_MESSAGE", "123456789010", msgs...)...)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, _, ok, err := Unwrap(data[:4096], bytes.NewReader(data))
		if !ok || err != nil {
			b.Fatalf("Unwrap() ok %v, error %v", ok, err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzUnwrap(f *testing.F) {
	env := envelope(f, "DATA_MESSAGE", "123456789010", awslogsFlows...)
	for _, seed := range [][]byte{
		env,
		join(controlMessage(f), env, env),
		b64(gzb(f, env)),
		wrap76(b64(gzb(f, env))),
		gzb(f, env),
		[]byte(`{"awslogs":{"data":"` + string(b64(gzb(f, env))) + `"}}`),
		[]byte("2026-01-05T13:00:01.000Z " + awslogsFlows[0] + "\ncontinued\r\n2026-01-05T13:00:02+01:00 x\n"),
		[]byte(strings.Join(awslogsFlows, "\n")),
		[]byte(`{"Records":[]}`),
		env[:len(env)/2],
		envelope(f, "DATA_MESSAGE", "1", "a\nb\r", ""),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 20
		prefix := data[:min(len(data), 4096)]
		r, owner, ok, err := unwrap(prefix, bytes.NewReader(data), limit)
		if !ok {
			if r != nil || owner != "" || err != nil {
				t.Fatalf("unwrap() = %v, %q, false, %v; want nil, \"\", false, nil", r, owner, err)
			}
			return
		}
		if err != nil {
			if r != nil {
				t.Fatalf("unwrap() returned a reader with error %v", err)
			}
			return
		}
		// Gzip inside may expand; reading is bounded by the envelope limit
		// only per envelope, so cap what the fuzzer reads.
		out, _ := io.ReadAll(io.LimitReader(r, 64<<20))
		if bytes.ContainsRune(out, '\r') {
			t.Fatalf("output holds a carriage return: %q", out)
		}
		if len(out) > 0 && out[len(out)-1] != '\n' && len(out) < 64<<20 {
			t.Fatalf("output does not end in a line feed: %q", out)
		}
	})
}
