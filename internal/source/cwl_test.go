package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/google/go-cmp/cmp"
)

// fakeCWL speaks the CloudWatch Logs JSON 1.1 protocol for the two
// operations List and Open use, with small pages so that paging is
// exercised, and answers the first requests of an operation with
// ThrottlingException when told to.
type fakeCWL struct {
	t     *testing.T
	group string

	mu       sync.Mutex
	streams  []fakeStream // in name order, as CloudWatch Logs lists them
	throttle map[string]int
	calls    map[string]int
	filters  []fakeFilter // FilterLogEvents requests that got events
}

type fakeStream struct {
	name                    string
	first, last, lastIngest int64 // Unix ms; 0 for absent
	events                  []fakeEvent
}

type fakeEvent struct {
	ts  int64
	msg string
}

type fakeFilter struct {
	Stream     string
	Start, End int64
}

func (f *fakeCWL) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.Errorf("request %s %s; want POST /", r.Method, r.URL.Path)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type = %q; want application/x-amz-json-1.1", ct)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		t.Errorf("request not signed with SigV4: Authorization = %q", r.Header.Get("Authorization"))
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.")
	body, err := io.ReadAll(r.Body)
	if err != nil || !ok {
		t.Errorf("X-Amz-Target = %q, body error %v", r.Header.Get("X-Amz-Target"), err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if f.throttle[op] > 0 {
		f.throttle[op]--
		// AWS sends 400; some proxies and newer front ends send 429. Both
		// carry the code the retryer keys on.
		status := http.StatusBadRequest
		if f.calls[op]%2 == 0 {
			status = http.StatusTooManyRequests
		}
		writeCWLError(w, status, "ThrottlingException", "Rate exceeded")
		return
	}
	switch op {
	case "DescribeLogStreams":
		f.describe(w, body)
	case "FilterLogEvents":
		f.filter(w, body)
	default:
		t.Errorf("unexpected operation %q", op)
		writeCWLError(w, http.StatusBadRequest, "UnknownOperationException", op)
	}
}

func writeCWLError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func writeCWL(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

// describe pages one stream at a time; its last page has no nextToken.
func (f *fakeCWL) describe(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupName        string `json:"logGroupName"`
		LogStreamNamePrefix string `json:"logStreamNamePrefix"`
		NextToken           string `json:"nextToken"`
		OrderBy             string `json:"orderBy"`
		Descending          bool   `json:"descending"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("DescribeLogStreams body %s: %v", body, err)
	}
	if in.LogGroupName != f.group {
		writeCWLError(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	if in.OrderBy != "" && in.OrderBy != "LogStreamName" || in.Descending {
		f.t.Errorf("DescribeLogStreams orderBy %q descending %v; want name order", in.OrderBy, in.Descending)
	}
	var match []fakeStream
	for _, s := range f.streams {
		if strings.HasPrefix(s.name, in.LogStreamNamePrefix) {
			match = append(match, s)
		}
	}
	i := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "ds-"))
		if err != nil {
			f.t.Errorf("DescribeLogStreams nextToken %q", in.NextToken)
		}
		i = n
	}
	out := map[string]any{"logStreams": []any{}}
	if i < len(match) {
		s := match[i]
		m := map[string]any{"logStreamName": s.name, "creationTime": 1, "storedBytes": 0,
			"arn": "arn:aws:logs:us-east-1:123456789012:log-group:" + f.group + ":log-stream:" + s.name}
		for k, v := range map[string]int64{"firstEventTimestamp": s.first, "lastEventTimestamp": s.last, "lastIngestionTime": s.lastIngest} {
			if v != 0 {
				m[k] = v
			}
		}
		out["logStreams"] = []any{m}
	}
	if i+1 < len(match) {
		out["nextToken"] = fmt.Sprintf("ds-%d", i+1)
	}
	writeCWL(w, out)
}

// filter answers like AWS does: an empty first page with a token, then
// two events a page, the last page with an empty nextToken.
func (f *fakeCWL) filter(w http.ResponseWriter, body []byte) {
	var in struct {
		LogGroupName   string   `json:"logGroupName"`
		LogStreamNames []string `json:"logStreamNames"`
		StartTime      int64    `json:"startTime"`
		EndTime        int64    `json:"endTime"`
		NextToken      string   `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		f.t.Errorf("FilterLogEvents body %s: %v", body, err)
	}
	if in.LogGroupName != f.group {
		writeCWLError(w, http.StatusBadRequest, "ResourceNotFoundException", "The specified log group does not exist.")
		return
	}
	if len(in.LogStreamNames) != 1 {
		f.t.Errorf("FilterLogEvents logStreamNames = %q; want one stream", in.LogStreamNames)
		writeCWLError(w, http.StatusBadRequest, "InvalidParameterException", "streams")
		return
	}
	var events []map[string]any
	for _, s := range f.streams {
		if s.name != in.LogStreamNames[0] {
			continue
		}
		for i, e := range s.events {
			// startTime and endTime are both inclusive.
			if e.ts >= in.StartTime && e.ts <= in.EndTime {
				events = append(events, map[string]any{
					"logStreamName": s.name, "timestamp": e.ts, "message": e.msg,
					"ingestionTime": e.ts + 60000, "eventId": fmt.Sprintf("%s-%d", s.name, i),
				})
			}
		}
	}
	if in.NextToken == "" {
		f.filters = append(f.filters, fakeFilter{in.LogStreamNames[0], in.StartTime, in.EndTime})
		writeCWL(w, map[string]any{"events": []any{}, "nextToken": "fe-0"})
		return
	}
	i, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "fe-"))
	if err != nil {
		f.t.Errorf("FilterLogEvents nextToken %q", in.NextToken)
	}
	j := min(i+2, len(events))
	out := map[string]any{"events": events[i:j], "nextToken": ""}
	if j < len(events) {
		out["nextToken"] = fmt.Sprintf("fe-%d", j)
	}
	writeCWL(w, out)
}

func ms(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixMilli()
}

const testGroup = "/aws/vpc/flowlogs"

// newFakeCWL serves two ENIs' flow logs over three hours, plus streams
// that must not be listed: outside the window, empty, or outside the
// prefix.
func newFakeCWL(t *testing.T) (*fakeCWL, string) {
	t.Helper()
	f := &fakeCWL{
		t:        t,
		group:    testGroup,
		throttle: map[string]int{},
		calls:    map[string]int{},
		streams: []fakeStream{
			{
				name:  "eni-0aaa-all",
				first: ms("2026-01-05T11:59:59.999Z"), last: ms("2026-01-05T15:00:00Z"), lastIngest: ms("2026-01-05T15:05:00Z"),
				events: []fakeEvent{
					{ms("2026-01-05T11:59:59.999Z"), "2 123456789010 eni-0aaa 10.0.0.1 10.0.0.2 1 2 6 1 40 1767614340 1767614399 ACCEPT OK"},
					{ms("2026-01-05T12:00:00Z"), "2 123456789010 eni-0aaa 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1767614400 1767614460 ACCEPT OK"},
					{ms("2026-01-05T12:10:00Z"), "2 123456789010 eni-0aaa 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1767615000 1767615060 REJECT OK"},
					{ms("2026-01-05T13:00:00Z"), "2 123456789010 eni-0aaa - - - - - - - 1767618000 1767618060 - NODATA"},
					{ms("2026-01-05T13:59:59.999Z"), "2 123456789010 eni-0aaa - - - - - - - 1767621540 1767621599 - SKIPDATA"},
					{ms("2026-01-05T14:30:00Z"), "2 123456789010 eni-0aaa 203.0.113.12\n172.31.16.139 0 0 1 4 336 1767623400 1767623460 ACCEPT OK\r\n"},
					{ms("2026-01-05T15:00:00Z"), "2 123456789010 eni-0aaa 172.31.16.139 203.0.113.12 0 0 1 4 336 1767625200 1767625260 REJECT OK"},
				},
			},
			{
				name:  "eni-0bbb-all",
				first: ms("2026-01-05T13:15:00Z"), last: ms("2026-01-05T13:17:00Z"), lastIngest: ms("2026-01-05T13:27:00Z"),
				events: []fakeEvent{
					{ms("2026-01-05T13:15:00Z"), "2 123456789010 eni-0bbb 10.0.1.5 203.0.113.5 40000 443 6 10 840 1767618900 1767618960 ACCEPT OK"},
					{ms("2026-01-05T13:16:00Z"), "2 123456789010 eni-0bbb 203.0.113.5 10.0.1.5 443 40000 6 12 9000 1767618960 1767619020 ACCEPT OK"},
					{ms("2026-01-05T13:17:00Z"), "2 123456789010 eni-0bbb 10.0.1.5 203.0.113.5 40000 443 6 2 80 1767619020 1767619080 ACCEPT OK"},
				},
			},
			{ // ended long before the window
				name:  "eni-0ccc-all",
				first: ms("2026-01-05T09:00:00Z"), last: ms("2026-01-05T09:00:00Z"), lastIngest: ms("2026-01-05T09:10:00Z"),
				events: []fakeEvent{{ms("2026-01-05T09:00:00Z"), "old"}},
			},
			{ // starts after the window
				name:  "eni-0ddd-all",
				first: ms("2026-01-05T16:00:00Z"), last: ms("2026-01-05T16:00:00Z"), lastIngest: ms("2026-01-05T16:10:00Z"),
				events: []fakeEvent{{ms("2026-01-05T16:00:00Z"), "new"}},
			},
			{name: "eni-0eee-all"}, // never written to
			{ // a name that needs escaping in a URI
				name:  "eni-0zzz/odd?#",
				first: ms("2026-01-05T12:05:00Z"), last: ms("2026-01-05T12:05:00Z"), lastIngest: ms("2026-01-05T12:10:00Z"),
				events: []fakeEvent{{ms("2026-01-05T12:05:00Z"), "2 123456789010 eni-0zzz - - - - - - - 1767615900 1767615960 - NODATA"}},
			},
			{ // outside the prefix
				name:  "other-stream",
				first: ms("2026-01-05T13:00:00Z"), last: ms("2026-01-05T13:00:00Z"), lastIngest: ms("2026-01-05T13:00:00Z"),
				events: []fakeEvent{{ms("2026-01-05T13:00:00Z"), "not a flow log"}},
			},
		},
	}
	srv := httptest.NewServer(f) // 127.0.0.1
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// cwlEnv is awsEnv plus the CloudWatch Logs endpoint variable.
func cwlEnv(t *testing.T, endpoint, region string) {
	t.Helper()
	awsEnv(t, endpoint, region)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "")
	os.Unsetenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS")
	t.Setenv("AWS_MAX_ATTEMPTS", "")
	os.Unsetenv("AWS_MAX_ATTEMPTS")
}

var noBackoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })

func newTestCWLClient(t *testing.T) *cloudwatchlogs.Client {
	t.Helper()
	c, err := newCWLClient(context.Background(), noBackoff)
	if err != nil {
		t.Fatalf("newCWLClient() error = %v", err)
	}
	return c
}

// listed is the public identity of an object and what Open returned.
type listed struct {
	URI      string
	Size     int64
	ETag     string
	Modified time.Time
	Layout   Layout
	Body     string
	Flat     int
}

func listAndRead(t *testing.T, uri string, cfg Config) []listed {
	t.Helper()
	ctx := context.Background()
	var got []listed
	err := List(ctx, uri, cfg, func(o Object) error {
		if !o.IsCWL() || o.IsS3() {
			t.Errorf("%s: IsCWL() = %v, IsS3() = %v; want true, false", o.URI, o.IsCWL(), o.IsS3())
		}
		rc, err := o.Open(ctx)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		fl, ok := rc.(Flattener)
		if !ok {
			t.Fatalf("%s: Open's reader %T is not a Flattener", o.URI, rc)
		}
		got = append(got, listed{o.URI, o.Size, o.ETag, o.Modified, o.Layout, string(b), fl.Flattened()})
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q) error = %v", uri, err)
	}
	return got
}

func hourOf(s string) time.Time {
	t, err := time.Parse(cwlHourFormat, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestListCWL(t *testing.T) {
	f, url := newFakeCWL(t)
	cwlEnv(t, url, "us-east-1")
	// The first DescribeLogStreams and the first four FilterLogEvents
	// are throttled: more than the SDK's default three attempts allow.
	f.throttle["DescribeLogStreams"] = 1
	f.throttle["FilterLogEvents"] = 4
	cfg := Config{CWL: newTestCWLClient(t)}
	uri := "cwl://" + testGroup + "?stream=eni-&start=2026-01-05T12:30:00Z&end=2026-01-05T15:10:00Z"

	got := listAndRead(t, uri, cfg)

	layout := Layout{Region: "us-east-1"}
	obj := func(stream, hour, body string, flat int) listed {
		return listed{
			URI:  "cwl://" + testGroup + "/" + stream + "?hour=" + hour + "&region=us-east-1",
			Size: -1, Modified: hourOf(hour), Layout: layout, Body: body, Flat: flat,
		}
	}
	want := []listed{
		obj("eni-0aaa-all", "2026-01-05T12",
			"2 123456789010 eni-0aaa 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1767614400 1767614460 ACCEPT OK\n"+
				"2 123456789010 eni-0aaa 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1767615000 1767615060 REJECT OK\n", 0),
		obj("eni-0aaa-all", "2026-01-05T13",
			"2 123456789010 eni-0aaa - - - - - - - 1767618000 1767618060 - NODATA\n"+
				"2 123456789010 eni-0aaa - - - - - - - 1767621540 1767621599 - SKIPDATA\n", 0),
		obj("eni-0aaa-all", "2026-01-05T14",
			"2 123456789010 eni-0aaa 203.0.113.12 172.31.16.139 0 0 1 4 336 1767623400 1767623460 ACCEPT OK\n", 1),
		obj("eni-0bbb-all", "2026-01-05T13",
			"2 123456789010 eni-0bbb 10.0.1.5 203.0.113.5 40000 443 6 10 840 1767618900 1767618960 ACCEPT OK\n"+
				"2 123456789010 eni-0bbb 203.0.113.5 10.0.1.5 443 40000 6 12 9000 1767618960 1767619020 ACCEPT OK\n"+
				"2 123456789010 eni-0bbb 10.0.1.5 203.0.113.5 40000 443 6 2 80 1767619020 1767619080 ACCEPT OK\n", 0),
		// lastEventTimestamp lags, so the hour after a stream's last event
		// is listed too.
		obj("eni-0bbb-all", "2026-01-05T14", "", 0),
		obj("eni-0zzz%2Fodd%3F%23", "2026-01-05T12",
			"2 123456789010 eni-0zzz - - - - - - - 1767615900 1767615960 - NODATA\n", 0),
		obj("eni-0zzz%2Fodd%3F%23", "2026-01-05T13", "", 0),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("List+Open mismatch (-want +got):\n%s", diff)
	}

	f.mu.Lock()
	// 6 streams under "eni-", one a page, plus one throttled attempt.
	if n := f.calls["DescribeLogStreams"]; n != 6+1 {
		t.Errorf("DescribeLogStreams calls = %d; want 7 (6 pages + 1 throttled)", n)
	}
	if f.throttle["FilterLogEvents"] != 0 {
		t.Errorf("FilterLogEvents throttles left = %d; want all retried", f.throttle["FilterLogEvents"])
	}
	for _, q := range f.filters {
		if q.End-q.Start != 3600000-1 || q.Start%3600000 != 0 {
			t.Errorf("FilterLogEvents(%s) time range [%d, %d]; want one hour, endTime inclusive", q.Stream, q.Start, q.End)
		}
	}
	f.filters = nil
	f.mu.Unlock()

	// The objects are immutable: a second run lists and reads the same.
	if diff := cmp.Diff(got, listAndRead(t, uri, cfg)); diff != "" {
		t.Errorf("second List+Open differs (-first +second):\n%s", diff)
	}
}

// TestListCWLEnvironment builds the client the way the CLI does, from the
// environment, with the service-specific endpoint variable.
func TestListCWLEnvironment(t *testing.T) {
	_, url := newFakeCWL(t)
	cwlEnv(t, "http://127.0.0.1:1", "eu-west-1") // the generic endpoint must lose
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", url)
	got := listAndRead(t, "cwl://"+testGroup+"?stream=eni-0bbb&start=1767621600&end=1767625200", Config{})
	want := []listed{{
		URI:  "cwl://" + testGroup + "/eni-0bbb-all?hour=2026-01-05T14&region=eu-west-1",
		Size: -1, Modified: hourOf("2026-01-05T14"), Layout: Layout{Region: "eu-west-1"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List+Open mismatch (-want +got):\n%s", diff)
	}
}

func TestListCWLRegionParameter(t *testing.T) {
	_, url := newFakeCWL(t)
	cwlEnv(t, url, "")
	cfg := Config{CWL: newTestCWLClient(t)}
	uri := "cwl://" + testGroup + "?stream=eni-0bbb&start=2026-01-05T13:00:00Z&end=2026-01-05T14:00:00Z"
	err := List(context.Background(), uri, cfg, func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Errorf("List without a region: error = %v; want one asking for a region", err)
	}
	got := listAndRead(t, uri+"&region=ap-southeast-2", cfg)
	if len(got) != 1 || got[0].Layout.Region != "ap-southeast-2" || !strings.HasSuffix(got[0].URI, "&region=ap-southeast-2") || got[0].Body == "" {
		t.Errorf("List with &region= = %+v; want one object of ap-southeast-2 with events", got)
	}
}

func TestListCWLErrors(t *testing.T) {
	_, url := newFakeCWL(t)
	cwlEnv(t, url, "us-east-1")
	cfg := Config{CWL: newTestCWLClient(t)}
	ctx := context.Background()

	err := List(ctx, "cwl://no-such-group?start=2026-01-05T12:00:00Z&end=2026-01-05T14:00:00Z", cfg, func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("List(missing group) error = %v; want one saying it does not exist", err)
	}

	stop := errors.New("stop")
	n := 0
	err = List(ctx, "cwl://"+testGroup+"?start=2026-01-05T12:00:00Z&end=2026-01-05T15:00:00Z", cfg, func(Object) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("List with failing fn: error = %v after %d calls; want fn's error after 1", err, n)
	}

	// Open of an object whose group went away fails at Open.
	var first Object
	List(ctx, "cwl://"+testGroup+"?start=2026-01-05T12:00:00Z&end=2026-01-05T13:00:00Z", cfg, func(o Object) error {
		first = o
		return stop
	})
	first.cwl.group = "gone"
	if _, err := first.Open(ctx); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open(deleted group) error = %v; want one saying it does not exist", err)
	}
	if _, err := first.OpenReaderAt(ctx); err == nil {
		t.Errorf("OpenReaderAt(cwl object) error = nil; want an error")
	}
}

func TestParseCWLURI(t *testing.T) {
	now := time.Date(2026, 1, 5, 16, 20, 0, 0, time.UTC)
	settled := now.Add(-cwlSettle)
	tests := []struct {
		uri     string
		want    cwlQuery
		wantErr string
	}{
		{uri: "cwl://my-group", want: cwlQuery{group: "my-group", start: settled.Add(-24 * time.Hour), end: settled}},
		{uri: "CWL:///aws/vpc/flow#1?stream=eni-", want: cwlQuery{group: "/aws/vpc/flow#1", streamPrefix: "eni-", start: settled.Add(-24 * time.Hour), end: settled}},
		{
			uri:  "cwl://g?start=2026-01-05T13:00:00%2B01:00&end=1767621600",
			want: cwlQuery{group: "g", start: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), end: time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)},
		},
		{
			// An unescaped "+" is an offset's sign, not a space.
			uri:  "cwl://g?start=2026-01-05T13:00:00+01:00&end=2026-01-05T15:00:00.5Z&region=eu-west-1",
			want: cwlQuery{group: "g", region: "eu-west-1", start: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), end: time.Date(2026, 1, 5, 15, 0, 0, 5e8, time.UTC)},
		},
		{
			// An end later than now − 15 min is clamped.
			uri:  "cwl://g?start=2026-01-05T10:00:00Z&end=2026-01-06T00:00:00Z",
			want: cwlQuery{group: "g", start: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), end: settled},
		},
		{uri: "cwl://", wantErr: "missing log group"},
		{uri: "cwl://?stream=x", wantErr: "missing log group"},
		{uri: "cwl://g?strem=x", wantErr: `unknown parameter "strem"`},
		{uri: "cwl://g?stream=a&stream=b", wantErr: "given twice"},
		{uri: "cwl://g?start=yesterday", wantErr: "neither an RFC 3339 time nor Unix seconds"},
		{uri: "cwl://g?start=-5", wantErr: "out of range"},
		{uri: "cwl://g?start=1900-01-01T00:00:00Z", wantErr: "before 1970"},
		{uri: "cwl://g?start=1970-01-01T00:30:00%2B01:00", wantErr: "before 1970"},
		{uri: "cwl://g?start=2026-01-05T12:00:00Z&end=2026-01-05T12:00:00Z", wantErr: "not before end"},
		{uri: "cwl://g?start=2026-01-05T16:10:00Z", wantErr: "not before end"},
		{uri: "cwl://g?region=mars", wantErr: "not an AWS region"},
		{uri: "cwl://g?start=%zz", wantErr: "invalid URL escape"},
	}
	for _, tt := range tests {
		got, err := parseCWLURI(tt.uri, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseCWLURI(%q) error = %v; want one containing %q", tt.uri, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseCWLURI(%q) error = %v", tt.uri, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(cwlQuery{})); diff != "" {
			t.Errorf("parseCWLURI(%q) mismatch (-want +got):\n%s", tt.uri, diff)
		}
	}
}

func TestCWLHours(t *testing.T) {
	h := func(s string) time.Time { return hourOf(s) }
	q := cwlQuery{start: time.Date(2026, 1, 5, 12, 30, 0, 0, time.UTC), end: time.Date(2026, 1, 5, 15, 10, 0, 0, time.UTC)}
	first, last := q.hours()
	if !first.Equal(h("2026-01-05T12")) || !last.Equal(h("2026-01-05T15")) {
		t.Errorf("hours() = [%v, %v); want [12:00, 15:00)", first, last)
	}
	q.start = time.Date(2026, 1, 5, 15, 1, 0, 0, time.UTC)
	if first, last := q.hours(); first.Before(last) {
		t.Errorf("hours() of a window inside one hour = [%v, %v); want empty", first, last)
	}
}
