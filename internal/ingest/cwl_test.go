package ingest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIngestFromCloudWatchLogs runs the whole ingest against an in-process
// server speaking the CloudWatch Logs JSON protocol (the two operations the
// source uses), through the AWS SDK configured from the environment: a flow
// log group with one ENI stream, its messages headerless in the default
// format, as CloudWatch Logs delivers them.
func TestIngestFromCloudWatchLogs(t *testing.T) {
	hour := time.Date(2014, 12, 14, 4, 0, 0, 0, time.UTC)
	srv := fakeLogGroup(hour, "eni-1235b8ca123456789-all", []string{
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
	})
	defer srv.Close()
	awsTestEnv(t, srv.URL)
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	uri := "cwl://flows?start=2014-12-14T00:00:00Z&end=2014-12-15T00:00:00Z"
	sum, err := Run(context.Background(), st, Config{Sources: []string{uri}})
	if err != nil {
		t.Fatalf("Run: %v (summary %+v)", err, sum)
	}
	if sum.ObjectsRead != 1 || sum.RecordsIngested != 2 || sum.LinesRejected != 0 {
		t.Fatalf("summary = %+v; want 1 object (the stream's hour), 2 records", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM flow_logs WHERE interface_id = 'eni-1235b8ca123456789' AND dstport IN (22, 3389)"); n != 2 {
		t.Errorf("flow_logs = %d matching rows; want 2", n)
	}
	if n := count(t, st, "SELECT count(*) FROM ingested_objects WHERE uri LIKE 'cwl://flows/%'"); n != 1 {
		t.Errorf("ledger has %d cwl objects; want 1", n)
	}
	// The same hour again adds nothing.
	sum, err = Run(context.Background(), st, Config{Sources: []string{uri}})
	if err != nil || sum.ObjectsSkipped != 1 || sum.RecordsIngested != 0 {
		t.Errorf("second run = %+v, %v; want the hour skipped", sum, err)
	}
}

// fakeLogGroup is an in-process server speaking the CloudWatch Logs JSON
// protocol for the two operations the source uses: one stream whose
// messages are logged a minute apart from ten minutes past hour.
func fakeLogGroup(hour time.Time, stream string, messages []string) *httptest.Server {
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		switch strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "Logs_20140328.") {
		case "DescribeLogStreams":
			json.NewEncoder(w).Encode(map[string]any{"logStreams": []map[string]any{{
				"logStreamName": stream, "firstEventTimestamp": ms(hour.Add(10 * time.Minute)),
				"lastEventTimestamp": ms(hour.Add(time.Duration(10+len(messages)) * time.Minute)), "lastIngestionTime": ms(hour.Add(50 * time.Minute)),
			}}})
		case "FilterLogEvents":
			var events []map[string]any
			start, end := int64(body["startTime"].(float64)), int64(body["endTime"].(float64))
			for i, m := range messages {
				ts := ms(hour.Add(time.Duration(10+i) * time.Minute))
				if ts >= start && ts < end {
					events = append(events, map[string]any{"logStreamName": stream, "timestamp": ts,
						"message": m, "ingestionTime": ts + 1000, "eventId": string(rune('a' + i))})
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"events": events})
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"UnknownOperationException"}`))
		}
	}))
}

// TestIngestCloudTrailFromCloudWatchLogs reads a trail delivered to
// CloudWatch Logs, where each log event is one CloudTrail event: the
// events land in cloudtrail_events and the graph, as from S3.
func TestIngestCloudTrailFromCloudWatchLogs(t *testing.T) {
	hour := time.Date(2025, 3, 6, 2, 0, 0, 0, time.UTC)
	event := func(id, name string) string {
		return `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111111111111:user/alice",` +
			`"accountId":"111111111111","accessKeyId":"AKIAEXAMPLE","userName":"alice"},"eventTime":"2025-03-06T02:1` + id + `:00Z",` +
			`"eventSource":"iam.amazonaws.com","eventName":"` + name + `","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7",` +
			`"userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"eventID":"cwl-` + id + `",` +
			`"eventType":"AwsApiCall","readOnly":true,"recipientAccountId":"111111111111"}`
	}
	srv := fakeLogGroup(hour, "111111111111_CloudTrail_us-east-1", []string{event("1", "ListUsers"), event("2", "GetUser")})
	defer srv.Close()
	awsTestEnv(t, srv.URL)
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	uri := "cwl://trail?start=2025-03-06T00:00:00Z&end=2025-03-07T00:00:00Z"
	sum, err := Run(context.Background(), st, Config{Sources: []string{uri}})
	if err != nil {
		t.Fatalf("Run: %v (summary %+v)", err, sum)
	}
	if k := sum.Kinds["cloudtrail"]; k == nil || k.Records != 2 || sum.LinesRejected != 0 {
		t.Fatalf("summary = %+v; want 2 CloudTrail events", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM cloudtrail_events WHERE event_id IN ('cwl-1', 'cwl-2') AND user_name = 'alice' AND source_ip = '198.51.100.7'"); n != 2 {
		t.Errorf("cloudtrail_events = %d matching rows; want 2", n)
	}
	if n := count(t, st, "SELECT count(*) FROM relationships WHERE from_id = 'iam_user:arn:aws:iam::111111111111:user/alice' AND to_id = 'ip:198.51.100.7' AND type = 'api_call_from'"); n != 2 {
		t.Errorf("graph: %d api_call_from edges of alice; want 2 (one per operation)", n)
	}
}
