package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Events written the way CloudTrail writes them (from the CloudTrail User
// Guide's examples, identifiers changed).
const (
	iamUserEvent = `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/Alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"Alice"},"eventTime":"2024-03-06T21:22:54Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.0","requestParameters":{"userName":"Bob"},"responseElements":null,"requestID":"r-1","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`
	roleEvent    = `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:session-1","arn":"arn:aws:sts::111122223333:assumed-role/Admin/session-1","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},"attributes":{"creationDate":"2024-03-06T20:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-03-06T21:23:00Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"Boto3/1.34","errorCode":"AccessDenied","errorMessage":"Access Denied","requestParameters":{"bucketName":"b"},"responseElements":null,"eventID":"e-2","readOnly":false,"resources":[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}],"eventType":"AwsApiCall","recipientAccountId":"111122223333"}`
	rootEvent    = `{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":""},"eventTime":"2024-03-06T21:24:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userAgent":"Mozilla/5.0","requestParameters":null,"responseElements":{"ConsoleLogin":"Success"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e-3","readOnly":false,"eventType":"AwsConsoleSignIn","recipientAccountId":"111122223333"}`
	serviceEvent = `{"eventVersion":"1.08","userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"},"eventTime":"2024-03-06T21:25:00Z","eventSource":"s3.amazonaws.com","eventName":"GetBucketAcl","awsRegion":"us-east-1","sourceIPAddress":"cloudtrail.amazonaws.com","userAgent":"cloudtrail.amazonaws.com","eventID":"e-4","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"444455556666"}`
)

// unitInputs are the inputs of the unit tests, also fuzz seeds.
var unitInputs = []string{
	`{"Records":[` + iamUserEvent + `,` + roleEvent + `,` + rootEvent + `,` + serviceEvent + `]}`,
	iamUserEvent,
	"[" + iamUserEvent + ",\n" + roleEvent + "]",
	iamUserEvent + "\n" + roleEvent + "\r\n" + rootEvent + "\n",
	eventBridge("AWS API Call via CloudTrail", iamUserEvent),
	eventBridge("AWS Console Sign In via CloudTrail", rootEvent) + "\n" + eventBridge("AWS API Call via CloudTrail", roleEvent),
	lookupEvents(iamUserEvent, roleEvent),
	lookupRecord(iamUserEvent) + "\n" + lookupRecord(rootEvent) + "\n",
	digestFile,
	guardDutyFinding,
	`{"Records":[{"eventTime":5,"eventName":"X"},` + iamUserEvent + `]}`,
	"[" + iamUserEvent + ",{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"bad \xff\"}]",
	`[{"eventTime":"2024-01-01T00:00:00Z","eventName":"\ud800"},{"eventTime":"2024-01-01T00:00:00Z","eventName":"\ud83d\ude00"}]`,
	iamUserEvent + "\nnot json\n" + roleEvent,
	insightEvent,
}

func eventBridge(detailType, event string) string {
	return `{"version":"0","id":"6f87d04b-9f74-4f04-a780-7acf4b0a9b38","detail-type":"` + detailType +
		`","source":"aws.iam","account":"111122223333","time":"2024-03-06T21:22:54Z","region":"us-east-1","resources":[],"detail":` + event + `}`
}

func lookupRecord(event string) string {
	s, _ := json.Marshal(event)
	return `{"EventId":"x","EventName":"CreateUser","ReadOnly":"false","EventTime":"2024-03-07 08:22:54+11:00","EventSource":"iam.amazonaws.com","Username":"Alice","Resources":[],"CloudTrailEvent":` + string(s) + `}`
}

func lookupEvents(events ...string) string {
	var recs []string
	for _, e := range events {
		recs = append(recs, lookupRecord(e))
	}
	return "{\n  \"Events\": [\n    " + strings.Join(recs, ",\n    ") + "\n  ],\n  \"NextToken\": \"abc\"\n}\n"
}

const digestFile = `{"awsAccountId":"111122223333","digestStartTime":"2024-03-06T20:00:00Z","digestEndTime":"2024-03-06T21:00:00Z","digestS3Bucket":"trail-bucket","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/06/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240306T210000Z.json.gz","digestPublicKeyFingerprint":"abc","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2024-03-06T20:59:00Z","oldestEventTime":"2024-03-06T20:00:01Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{"s3Bucket":"trail-bucket","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/06/f.json.gz","hashValue":"00","hashAlgorithm":"SHA-256","newestEventTime":"2024-03-06T20:59:00Z","oldestEventTime":"2024-03-06T20:00:01Z"}]}`

const guardDutyFinding = `{"schemaVersion":"2.0","accountId":"111122223333","region":"us-east-1","partition":"aws","id":"16afba5c5c43e07c9e3e5e2e544e95df","arn":"arn:aws:guardduty:us-east-1:111122223333:detector/123/finding/16af","type":"Recon:EC2/PortProbeUnprotectedPort","resource":{"resourceType":"Instance"},"service":{"serviceName":"guardduty","action":{"actionType":"PORT_PROBE"}},"severity":2,"createdAt":"2024-03-06T21:22:54.000Z","updatedAt":"2024-03-06T21:22:54.000Z","title":"Unprotected port on EC2 instance is being probed.","description":"..."}`

const insightEvent = `{"eventVersion":"1.08","eventTime":"2024-03-06T21:00:00Z","awsRegion":"us-east-1","eventID":"i-1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"s-1","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{}},"eventCategory":"Insight"}`

// decodeString decodes s as the object "test.json" in batches of 3.
func decodeString(t *testing.T, s string) decoded {
	t.Helper()
	d := decodeBytes(t, []byte(s), "test.json", 3)
	checkDecoded(t, "test.json", d)
	return d
}

func names(d decoded) []string {
	var n []string
	for _, e := range d.events {
		n = append(n, strconv.Itoa(e.Record)+":"+e.EventName)
	}
	return n
}

func errorStrings(d decoded) []string {
	var s []string
	for _, e := range d.errors {
		s = append(s, e.Error())
	}
	if d.err != nil {
		s = append(s, "fatal: "+d.err.Error())
	}
	return s
}

func compactString(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestShapes(t *testing.T) {
	pretty := func(s string) string {
		var b bytes.Buffer
		json.Indent(&b, []byte(s), "", "    ")
		return b.String()
	}
	for _, tc := range []struct {
		name, input, shape string
		want               []string
	}{
		{"records", unitInputs[0], "records", []string{"1:CreateUser", "2:DeleteBucket", "3:ConsoleLogin", "4:GetBucketAcl"}},
		{"records pretty with BOM", "\xef\xbb\xbf" + pretty(unitInputs[0]), "records", []string{"1:CreateUser", "2:DeleteBucket", "3:ConsoleLogin", "4:GetBucketAcl"}},
		{"records with other members", `{"x":{"Records":[1]},"Records":[` + iamUserEvent + `],"y":[],"Records":[` + rootEvent + `]}`, "records", []string{"1:CreateUser", "2:ConsoleLogin"}},
		{"records empty", `{"Records":[]}`, "records", nil},
		{"single", iamUserEvent, "single", []string{"1:CreateUser"}},
		{"single pretty", pretty(roleEvent), "single", []string{"1:DeleteBucket"}},
		{"array", unitInputs[2], "array", []string{"1:CreateUser", "2:DeleteBucket"}},
		{"array empty", " [ ] ", "array", nil},
		{"ndjson", unitInputs[3], "ndjson", []string{"1:CreateUser", "2:DeleteBucket", "3:ConsoleLogin"}},
		{"concatenated pretty", pretty(iamUserEvent) + "\n" + pretty(rootEvent), "ndjson", []string{"1:CreateUser", "2:ConsoleLogin"}},
		{"eventbridge", unitInputs[4], "eventbridge", []string{"1:CreateUser"}},
		{"eventbridge ndjson", unitInputs[5], "eventbridge", []string{"1:ConsoleLogin", "2:DeleteBucket"}},
		{"eventbridge array", "[" + eventBridge("AWS API Call via CloudTrail", roleEvent) + "," + eventBridge("AWS Service Event via CloudTrail", serviceEvent) + "]", "eventbridge", []string{"1:DeleteBucket", "2:GetBucketAcl"}},
		{"eventbridge pretty", pretty(eventBridge("AWS API Call via CloudTrail", roleEvent)), "eventbridge", []string{"1:DeleteBucket"}},
		{"lookup-events", unitInputs[6], "lookup-events", []string{"1:CreateUser", "2:DeleteBucket"}},
		{"lookup-events ndjson", unitInputs[7], "lookup-events", []string{"1:CreateUser", "2:ConsoleLogin"}},
		{"lookup-events array", "[" + lookupRecord(serviceEvent) + "]", "lookup-events", []string{"1:GetBucketAcl"}},
		{"insight", insightEvent, "single", []string{"1:RunInstances"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decodeString(t, tc.input)
			if d.err != nil || len(d.errors) > 0 {
				t.Fatalf("decoding gave errors %q", errorStrings(d))
			}
			if diff := cmp.Diff(tc.want, names(d)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if d.shape != tc.shape || d.digests != 0 {
				t.Errorf("Shape() = %q, Digests() = %d; want %q, 0", d.shape, d.digests, tc.shape)
			}
		})
	}
}

func TestFlatten(t *testing.T) {
	d := decodeString(t, unitInputs[0])
	if len(d.events) != 4 {
		t.Fatalf("decoded %d events; want 4 (errors %q)", len(d.events), errorStrings(d))
	}
	tr, fa := true, false
	want := []Event{{
		EventID: "e-1", EventTime: time.Date(2024, 3, 6, 21, 22, 54, 0, time.UTC), EventSource: "iam.amazonaws.com",
		EventName: "CreateUser", AWSRegion: "us-east-1", SourceIP: "192.0.2.10", UserAgent: "aws-cli/2.15.0",
		UserType: "IAMUser", UserARN: "arn:aws:iam::111122223333:user/Alice", PrincipalID: "AIDAEXAMPLE",
		AccountID: "111122223333", AccessKeyID: "AKIAEXAMPLE", UserName: "Alice", ReadOnly: &fa,
		RecipientAccountID: "111122223333", Raw: json.RawMessage(iamUserEvent), Record: 1,
	}, {
		EventID: "e-2", EventTime: time.Date(2024, 3, 6, 21, 23, 0, 0, time.UTC), EventSource: "s3.amazonaws.com",
		EventName: "DeleteBucket", AWSRegion: "eu-west-1", SourceIP: "198.51.100.7", UserAgent: "Boto3/1.34",
		UserType: "AssumedRole", UserARN: "arn:aws:sts::111122223333:assumed-role/Admin/session-1",
		PrincipalID: "AROAEXAMPLE:session-1", AccountID: "111122223333", AccessKeyID: "ASIAEXAMPLE",
		UserName: "Admin", SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin",
		ErrorCode: "AccessDenied", ErrorMessage: "Access Denied", ReadOnly: &fa, RecipientAccountID: "111122223333",
		Resources: json.RawMessage(`[{"type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}]`),
		Raw:       json.RawMessage(roleEvent), Record: 2,
	}, {
		EventID: "e-3", EventTime: time.Date(2024, 3, 6, 21, 24, 0, 0, time.UTC), EventSource: "signin.amazonaws.com",
		EventName: "ConsoleLogin", AWSRegion: "us-east-1", SourceIP: "203.0.113.5", UserAgent: "Mozilla/5.0",
		UserType: "Root", UserARN: "arn:aws:iam::111122223333:root", PrincipalID: "111122223333",
		AccountID: "111122223333", UserName: "root", ReadOnly: &fa, RecipientAccountID: "111122223333",
		Raw: json.RawMessage(rootEvent), Record: 3,
	}, {
		EventID: "e-4", EventTime: time.Date(2024, 3, 6, 21, 25, 0, 0, time.UTC), EventSource: "s3.amazonaws.com",
		EventName: "GetBucketAcl", AWSRegion: "us-east-1", SourceIP: "cloudtrail.amazonaws.com",
		UserAgent: "cloudtrail.amazonaws.com", UserType: "AWSService", AccountID: "444455556666", ReadOnly: &tr,
		RecipientAccountID: "444455556666", Raw: json.RawMessage(serviceEvent), Record: 4,
	}}
	if diff := cmp.Diff(want, d.events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEnvelopes checks that an envelope's event is the event itself: the
// same flattened fields and the same Raw as the bare event.
func TestEnvelopes(t *testing.T) {
	bare := decodeString(t, "["+iamUserEvent+","+roleEvent+"]").events
	pretty, _ := json.MarshalIndent(json.RawMessage(roleEvent), "", "  ")
	for name, input := range map[string]string{
		"eventbridge":          eventBridge("AWS API Call via CloudTrail", iamUserEvent) + eventBridge("AWS API Call via CloudTrail", string(pretty)),
		"lookup-events":        lookupEvents(iamUserEvent, string(pretty)),
		"lookup-events ndjson": lookupRecord(iamUserEvent) + "\n" + lookupRecord(roleEvent),
	} {
		got := decodeString(t, input)
		if diff := cmp.Diff(bare, got.events); diff != "" || got.err != nil || len(got.errors) > 0 {
			t.Errorf("%s: events differ from the bare events (-bare +%s):\n%s\nerrors: %q", name, name, diff, errorStrings(got))
		}
	}
}

func TestDigest(t *testing.T) {
	d := NewDecoder(strings.NewReader(digestFile), Options{File: "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240306T210000Z.json.gz"})
	var b Batch
	if err := d.Next(&b); err != io.EOF || len(b.Events) > 0 || len(b.Errors) > 0 {
		t.Fatalf("Next = %v, %d events, errors %v; want io.EOF and nothing", err, len(b.Events), b.Errors)
	}
	if d.Digests() != 1 || d.Shape() != "digest" {
		t.Errorf("Digests() = %d, Shape() = %q; want 1, digest", d.Digests(), d.Shape())
	}
	// A starting digest, whose previous-digest members are null, pretty.
	var v bytes.Buffer
	json.Indent(&v, []byte(digestFile), "", "  ")
	if got := decodeString(t, v.String()); got.digests != 1 || len(got.events)+len(got.errors) > 0 || got.err != nil {
		t.Errorf("pretty digest: %d digests, %d events, errors %q", got.digests, len(got.events), errorStrings(got))
	}
}

func TestRecordErrors(t *testing.T) {
	ev := func(members string) string {
		return `{"eventVersion":"1.08","eventID":"x",` + members + `}`
	}
	const ok = `"eventTime":"2024-01-01T00:00:00Z","eventName":"N"`
	for _, tc := range []struct {
		name, record string
		want         error
		text         string
	}{
		{"eventTime number", ev(`"eventTime":5,"eventName":"N"`), ErrFieldType, "eventTime is a number, want a string"},
		{"no eventTime", ev(`"eventName":"N"`), ErrMissingField, "missing field eventTime"},
		{"null eventTime", ev(`"eventTime":null,"eventName":"N"`), ErrMissingField, "missing field eventTime"},
		{"lower-case eventTime", ev(`"eventtime":"2024-01-01T00:00:00Z","eventName":"N"`), ErrMissingField, `missing field eventTime (found "eventtime" instead`},
		{"no eventName", ev(`"eventTime":"2024-01-01T00:00:00Z"`), ErrMissingField, "missing field eventName"},
		{"empty eventName", ev(`"eventTime":"2024-01-01T00:00:00Z","eventName":""`), ErrMissingField, "missing field eventName"},
		{"bad eventTime", ev(`"eventTime":"yesterday","eventName":"N"`), ErrTime, `invalid eventTime "yesterday"`},
		{"eventTime February 30", ev(`"eventTime":"2024-02-30T00:00:00Z","eventName":"N"`), ErrTime, `invalid eventTime "2024-02-30T00:00:00Z"`},
		{"eventName number", ev(`"eventTime":"2024-01-01T00:00:00Z","eventName":1`), ErrFieldType, "eventName is a number, want a string"},
		{"userIdentity string", ev(ok + `,"userIdentity":"root"`), ErrFieldType, "userIdentity is a string, want an object"},
		{"userIdentity.arn object", ev(ok + `,"userIdentity":{"arn":{}}`), ErrFieldType, "userIdentity.arn is a object, want a string"},
		{"sessionIssuer array", ev(ok + `,"userIdentity":{"sessionContext":{"sessionIssuer":[]}}`), ErrFieldType, "userIdentity.sessionContext.sessionIssuer is a array"},
		{"readOnly string", ev(ok + `,"readOnly":"maybe"`), ErrFieldType, `readOnly is "\"maybe\"", want true or false`},
		{"resources object", ev(ok + `,"resources":{}`), ErrFieldType, "resources is a object, want an array"},
		{"duplicate eventName", ev(ok + `,"eventName":"M"`), ErrDuplicateKey, "duplicate key eventName"},
		{"duplicate userIdentity.arn", ev(ok + `,"userIdentity":{"arn":"a","arn":"b"}`), ErrDuplicateKey, "duplicate key userIdentity.arn"},
		{"not an object", `"CreateUser"`, ErrNotObject, "a JSON string"},
		{"broken JSON", ev(ok + `,"x":tru`), ErrSyntax, "invalid JSON at byte"},
		{"invalid UTF-8", ev(ok + ",\"userAgent\":\"a\xc3\x28b\""), ErrEncoding, "invalid UTF-8 at byte"},
		{"unpaired surrogate", ev(ok + `,"userAgent":"\udc00"`), ErrEncoding, `unpaired surrogate \udc00`},
		{"reversed surrogates", ev(ok + `,"userAgent":"\ude00\ud83d"`), ErrEncoding, `unpaired surrogate \ude00`},
		{"escaped unpaired surrogate in lookup-events", lookupRecord(ev(ok + `,"userAgent":"\ud800"`)), ErrEncoding, `CloudTrailEvent: invalid UTF-8: unpaired surrogate \ud800`},
		{"not CloudTrail", `{"id":"1","severity":5}`, ErrNotCloudTrail, `(members: "id", "severity")`},
		{"S3 notification", `{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put"}`, ErrNotCloudTrail, `eventSource "aws:s3"`},
		{"lookup-events not a string", `{"EventId":"1","CloudTrailEvent":{}}`, ErrFieldType, "CloudTrailEvent is a object, want a string"},
		{"lookup-events not JSON", `{"EventId":"1","CloudTrailEvent":"{oops"}`, ErrSyntax, "CloudTrailEvent: invalid JSON"},
		{"eventbridge detail string", `{"detail-type":"AWS API Call via CloudTrail","detail":"x"}`, ErrFieldType, "detail is a string, want an object"},
		{"eventbridge GuardDuty", eventBridge("GuardDuty Finding", guardDutyFinding), ErrNotCloudTrail, `an EventBridge event of type "GuardDuty Finding"`},
		{"eventbridge detail without eventTime", eventBridge("AWS API Call via CloudTrail", ev(`"eventName":"N"`)), ErrMissingField, "missing field eventTime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The bad record between two good ones: it is rejected alone.
			input := "[" + iamUserEvent + ",\n" + tc.record + ",\n" + rootEvent + "]"
			d := decodeString(t, input)
			if d.err != nil || len(d.errors) != 1 {
				t.Fatalf("errors %q; want one", errorStrings(d))
			}
			if diff := cmp.Diff([]string{"1:CreateUser", "3:ConsoleLogin"}, names(d)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			e := d.errors[0]
			if !errors.Is(e, tc.want) || e.Record != 2 || !strings.Contains(e.Error(), "test.json: record 2: ") || !strings.Contains(e.Error(), tc.text) {
				t.Errorf("error %q (record %d); want record 2, %v, containing %q", e, e.Record, tc.want, tc.text)
			}
		})
	}
}

func TestValidText(t *testing.T) {
	d := decodeString(t, `{"eventTime":"2024-01-01T00:00:00Z","eventName":"\ud83d\ude00 caf\u00e9 \"q\" \\ud800","userAgent":"日本語"}`)
	if len(d.events) != 1 {
		t.Fatalf("errors %q", errorStrings(d))
	}
	if e := d.events[0]; e.EventName != "😀 café \"q\" \\ud800" || e.UserAgent != "日本語" {
		t.Errorf("EventName %q, UserAgent %q", e.EventName, e.UserAgent)
	}
}

func TestEventTime(t *testing.T) {
	for in, want := range map[string]string{
		"2024-03-06T21:22:54Z":          "2024-03-06T21:22:54Z",
		"2024-03-06T21:22:54.123Z":      "2024-03-06T21:22:54.123Z",
		"2024-03-07T08:22:54+11:00":     "2024-03-06T21:22:54Z",
		"2024-03-06 21:22:54":           "2024-03-06T21:22:54Z",
		"2024-03-06 21:22:54.000000000": "2024-03-06T21:22:54Z",
		"2024-03-06 21:22:54.5":         "2024-03-06T21:22:54.5Z",
		"2024-03-06 21:22:54Z":          "2024-03-06T21:22:54Z",
		"2024-02-29T00:00:00Z":          "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z":          "",
		"2024-03-06T24:00:00Z":          "",
		"2024-03-06T21:22:54":           "2024-03-06T21:22:54Z",
		"2024-03-06":                    "",
		"2024-03-06T21:22:5xZ":          "",
		"":                              "",
		"...":                           "",
	} {
		got := ""
		if tm, ok := parseTime([]byte(in)); ok {
			if tm.Location() != time.UTC {
				t.Errorf("parseTime(%q) is in %v; want UTC", in, tm.Location())
			}
			got = tm.Format(time.RFC3339Nano)
		}
		if got != want {
			t.Errorf("parseTime(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestUserName(t *testing.T) {
	for _, tc := range []struct{ userType, issuerType, issuerName, arn, want string }{
		{"AssumedRole", "Role", "Admin", "arn:aws:sts::1:assumed-role/Admin/s", "Admin"},
		{"AssumedRole", "", "", "arn:aws:sts::1:assumed-role/Admin/s", "Admin"},
		{"AssumedRole", "", "", "", ""},
		{"IAMUser", "", "", "arn:aws:iam::1:user/path/to/Alice", "Alice"},
		{"Root", "", "", "arn:aws:iam::1:root", "root"},
		{"FederatedUser", "IAMUser", "Alice", "arn:aws:sts::1:federated-user/Bob", "Bob"},
		{"AWSService", "", "", "", ""},
		{"AWSAccount", "", "", "", ""},
		{"Unknown", "", "", "not-an-arn", ""},
	} {
		if got := userName(tc.userType, tc.issuerType, tc.issuerName, tc.arn); got != tc.want {
			t.Errorf("userName(%q, %q, %q, %q) = %q; want %q", tc.userType, tc.issuerType, tc.issuerName, tc.arn, got, tc.want)
		}
	}
}

// TestFatal covers objects that are not CloudTrail logs at all: one error
// for the object.
func TestFatal(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(unitInputs[0]))
	zw.Close()
	for _, tc := range []struct {
		name, input string
		want        error
		text        string
	}{
		{"empty", "", ErrEmpty, "test.json: empty object"},
		{"blank", " \n\r\n\t", ErrEmpty, "test.json: empty object"},
		{"gzip", gz.String(), ErrBinary, "test.json: binary data, not JSON (gzip-compressed; decompress it first)"},
		{"binary", "\x00\x01\x02\x03garbage\xff\xfe", ErrBinary, "test.json: binary data, not JSON"},
		{"text", "2 111122223333 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1 2 ACCEPT OK\n", ErrNotJSON, `test.json: not JSON: it starts with "2 111122223333 eni-1`},
		{"GuardDuty finding", guardDutyFinding, ErrNotCloudTrail, `test.json: not a CloudTrail log: record 1: not a CloudTrail event: none of eventTime, eventName, eventSource, eventVersion, eventID, userIdentity (members: "schemaVersion", "accountId", "region", "partition", "id", "arn", …)`},
		{"GuardDuty findings ndjson", guardDutyFinding + "\n" + iamUserEvent, ErrNotCloudTrail, "test.json: not a CloudTrail log: record 1: "},
		{"GuardDuty EventBridge", eventBridge("GuardDuty Finding", guardDutyFinding), ErrNotCloudTrail, `test.json: not a CloudTrail log: record 1: not a CloudTrail event: an EventBridge event of type "GuardDuty Finding"`},
		{"S3 notification", `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{}}]}`, ErrNotCloudTrail, `test.json: not a CloudTrail log: record 1: not a CloudTrail event: eventSource "aws:s3"`},
		{"numbers", "[1,2,3]", ErrNotObject, "test.json: not a CloudTrail log: record 1: not a JSON object: a JSON number"},
		{"other Events", `{"Events":[{"SourceIdentifier":"db-1","Message":"rebooted"}]}`, ErrNotCloudTrail, "test.json: not a CloudTrail log: record 1: not a CloudTrail event"},
		{"missing comma", "[" + iamUserEvent + " " + rootEvent + "]", ErrSyntax, fmt.Sprintf("test.json: record 2: invalid JSON at byte %d: expected ',' or ']' after record 1, found '{'", len(iamUserEvent)+2)},
		{"trailing comma", "[" + iamUserEvent + ",]", ErrSyntax, fmt.Sprintf("test.json: record 2: invalid JSON at byte %d: expected a record, found ']'", len(iamUserEvent)+2)},
		{"unclosed array", "[" + iamUserEvent, ErrTruncated, fmt.Sprintf("test.json: record 2: unexpected end of input at byte %d (truncated object?)", len(iamUserEvent)+1)},
		{"unclosed record", `{"Records":[` + iamUserEvent + "," + rootEvent[:100], ErrTruncated, fmt.Sprintf("test.json: record 2: unexpected end of input at byte %d", len(`{"Records":[`)+len(iamUserEvent)+101)},
		{"unclosed Records object", `{"Records":[` + iamUserEvent + "]", ErrTruncated, "test.json: record 2: unexpected end of input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := decodeString(t, tc.input)
			var perr *ParseError
			if !errors.As(d.err, &perr) || !errors.Is(d.err, tc.want) || !strings.HasPrefix(d.err.Error(), tc.text) {
				t.Fatalf("decoding ended with %v; want a *ParseError for %v starting %q", d.err, tc.want, tc.text)
			}
			if len(d.errors) > 0 {
				t.Errorf("record errors %q besides the fatal one", errorStrings(d))
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestTruncated(t *testing.T) {
	input := unitInputs[0]
	cut := strings.Index(input, `"eventID":"e-3"`) // inside record 3
	for _, capacity := range []int{1, 2, 1024} {
		d := drain(t, NewDecoder(&failingReader{data: []byte(input[:cut]), err: io.ErrUnexpectedEOF}, Options{File: "s3://b/k.json.gz"}), capacity)
		checkDecoded(t, "s3://b/k.json.gz", d)
		if diff := cmp.Diff([]string{"1:CreateUser", "2:DeleteBucket"}, names(d)); diff != "" {
			t.Errorf("capacity %d: events before the cut (-want +got):\n%s", capacity, diff)
		}
		var perr *ParseError
		if !errors.As(d.err, &perr) || perr.Record != 3 || !errors.Is(d.err, io.ErrUnexpectedEOF) || !errors.Is(d.err, ErrRead) ||
			d.err.Error() != fmt.Sprintf("s3://b/k.json.gz: record 3: read failed at byte %d: unexpected EOF", cut) {
			t.Errorf("capacity %d: decoding ended with %v; want a read error in record 3 at byte %d", capacity, d.err, cut)
		}
	}

	// The same through a real gzip stream cut short.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat(iamUserEvent+"\n", 2000)))
	zw.Close()
	zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()[:gz.Len()/2]))
	if err != nil {
		t.Fatal(err)
	}
	d := drain(t, NewDecoder(zr, Options{File: "k.json.gz"}), 100)
	var perr *ParseError
	if len(d.events) == 0 || !errors.As(d.err, &perr) || perr.Record != len(d.events)+1 || !errors.Is(d.err, io.ErrUnexpectedEOF) {
		t.Errorf("cut gzip: %d events, then %v; want events, then the read error in the next record", len(d.events), d.err)
	}
}

// TestNDJSONResync checks that a broken line of NDJSON costs that line
// only.
func TestNDJSONResync(t *testing.T) {
	input := iamUserEvent + "\nnot json\n" + roleEvent + "\n{\"eventTime\" 5}\n" + rootEvent + "\n" + `{"a":"unterminated` + "\n" + serviceEvent + "\n"
	d := decodeString(t, input)
	if diff := cmp.Diff([]string{"1:CreateUser", "3:DeleteBucket", "5:ConsoleLogin", "7:GetBucketAcl"}, names(d)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	line2 := len(iamUserEvent) + 1
	line4 := line2 + len("not json\n") + len(roleEvent) + 1
	line6 := line4 + len("{\"eventTime\" 5}\n") + len(rootEvent) + 1
	want := []string{
		fmt.Sprintf("test.json: record 2: invalid JSON at byte %d: expected '{' or '[' at the start of a record, found 'n'", line2),
		fmt.Sprintf("test.json: record 4: invalid JSON at byte %d: expected ':' after a member name, found '5'", line4+len(`{"eventTime" `)),
		// The string runs on into the next line, which is decoded all the same.
		fmt.Sprintf("test.json: record 6: invalid JSON at byte %d: expected ',' or '}' after a member, found 'e'", line6+len(`{"a":"unterminated`+"\n"+`{"`)),
	}
	if diff := cmp.Diff(want, errorStrings(d)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

// TestHugeField decodes an event with a 5 MB requestParameters: it must
// cost a small multiple of the event's size.
func TestHugeField(t *testing.T) {
	big := strings.Repeat("A", 5<<20)
	event := strings.Replace(iamUserEvent, `"requestParameters":{"userName":"Bob"}`, `"requestParameters":{"policyDocument":"`+big+`"}`, 1)
	input := []byte(`{"Records":[` + iamUserEvent + "," + event + "," + rootEvent + `]}`)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := decodeBytes(t, input, "big.json", 0)
	runtime.ReadMemStats(&after)
	if diff := cmp.Diff([]string{"1:CreateUser", "2:CreateUser", "3:ConsoleLogin"}, names(d)); diff != "" || d.err != nil || len(d.errors) > 0 {
		t.Fatalf("events (-want +got):\n%s\nerrors %q", diff, errorStrings(d))
	}
	if string(d.events[1].Raw) != event {
		t.Errorf("the big event's Raw differs from the event")
	}
	t.Logf("decoding a %d-byte event allocated %d bytes", len(event), after.TotalAlloc-before.TotalAlloc)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 6*uint64(len(event)) {
		t.Errorf("decoding a %d-byte event allocated %d bytes; want at most 6 times the event", len(event), alloc)
	}
}

// TestTooLarge checks that a record over the limit is skipped and reported,
// and the records after it decoded.
func TestTooLarge(t *testing.T) {
	defer func(n int) { maxRecordSize = n }(maxRecordSize)
	maxRecordSize = 1 << 20
	big := strings.Replace(iamUserEvent, `"requestParameters":{"userName":"Bob"}`, `"requestParameters":{"p":"`+strings.Repeat("x", 3<<20)+`"}`, 1)
	for name, input := range map[string]string{
		"records": `{"Records":[` + iamUserEvent + "," + big + "," + rootEvent + `]}`,
		"ndjson":  iamUserEvent + "\n" + big + "\n" + rootEvent,
	} {
		d := decodeString(t, input)
		if diff := cmp.Diff([]string{"1:CreateUser", "3:ConsoleLogin"}, names(d)); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", name, diff)
		}
		if len(d.errors) != 1 || !errors.Is(d.errors[0], ErrTooLarge) || d.errors[0].Error() != "test.json: record 2: record too large (over 1 MiB), skipped" {
			t.Errorf("%s: errors %q; want record 2 too large", name, errorStrings(d))
		}
	}
}

// TestStreaming checks that a large Records object is decoded with a
// buffer the size of an event, not of the object.
func TestStreaming(t *testing.T) {
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"Records":[`))
		for i := range n {
			if i > 0 {
				pw.Write([]byte(","))
			}
			pw.Write([]byte(strings.Replace(roleEvent, `"eventID":"e-2"`, `"eventID":"e-`+strconv.Itoa(i)+`"`, 1)))
		}
		pw.Write([]byte(`]}`))
		pw.Close()
	}()
	dec := NewDecoder(pr, Options{File: "big.json"})
	b := Batch{Events: make([]Event, 0, 100)}
	count := 0
	for {
		err := dec.Next(&b)
		count += len(b.Events)
		if len(dec.r.buf) > initialBufferSize {
			t.Fatalf("buffer grew to %d bytes after %d events", len(dec.r.buf), count)
		}
		if err == io.EOF {
			break
		}
		if err != nil || len(b.Errors) > 0 {
			t.Fatalf("Next = %v, errors %v", err, b.Errors)
		}
	}
	if count != n {
		t.Errorf("decoded %d events; want %d", count, n)
	}
}

// TestErrorsBounded checks that rejected records count towards the batch.
func TestErrorsBounded(t *testing.T) {
	input := strings.Repeat(`{"eventTime":5,"eventName":"x"}`+"\n", 10) + iamUserEvent
	dec := NewDecoder(strings.NewReader(iamUserEvent+"\n"+input), Options{File: "x"})
	b := Batch{Events: make([]Event, 0, 4)}
	for {
		err := dec.Next(&b)
		if len(b.Events)+len(b.Errors) > 4 {
			t.Fatalf("batch of 4 holds %d events and %d errors", len(b.Events), len(b.Errors))
		}
		if err != nil {
			break
		}
	}
}

func TestEventsOwnMemory(t *testing.T) {
	dec := NewDecoder(strings.NewReader(unitInputs[3]), Options{File: "x"})
	b := Batch{Events: make([]Event, 0, 1)}
	var kept []Event
	for dec.Next(&b) == nil {
		kept = append(kept, b.Events...)
	}
	want := decodeString(t, unitInputs[3]).events
	if diff := cmp.Diff(want, kept, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("events kept across batches changed (-want +got):\n%s", diff)
	}
	if string(kept[0].Raw) != compactString(t, iamUserEvent) {
		t.Errorf("Raw = %s", kept[0].Raw)
	}
}

func TestSniff(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(unitInputs[0]))
	zw.Close()
	for _, name := range goldenInputs(t) {
		data := readTestdata(t, name)
		if !Sniff(data[:min(len(data), 4096)]) {
			t.Errorf("Sniff(first 4 KiB of %s) = false; want true", name)
		}
	}
	for _, tc := range []struct {
		name, prefix string
		want         bool
	}{
		{"records", unitInputs[0][:200], true},
		{"eventbridge", eventBridge("AWS API Call via CloudTrail", iamUserEvent)[:300], true},
		{"lookup-events", lookupRecord(iamUserEvent), true},
		{"digest", digestFile[:120], true},
		{"GuardDuty finding", guardDutyFinding, false},
		{"GuardDuty EventBridge", eventBridge("GuardDuty Finding", guardDutyFinding), false},
		{"S3 notification", `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put"`, false},
		{"member names in a string", `{"message":"\"eventName\": \"eventTime\": x"}`, false},
		{"flow log", "version account-id interface-id srcaddr dstaddr\n", false},
		{"gzip", gz.String(), false},
		{"empty", "", false},
	} {
		if got := Sniff([]byte(tc.prefix)); got != tc.want {
			t.Errorf("Sniff(%s) = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// TestResyncLinear decodes lines that each start a record running into
// the last line: restarting every record from the line after its start
// would scan the input once per line (minutes here); the decoder restarts
// only after records of one or two lines.
func TestResyncLinear(t *testing.T) {
	const k = 100000
	input := iamUserEvent + "\n" + strings.Repeat("{\"a\":[\n", k) + strings.Repeat("]", 2*k+5) + " x\n" + rootEvent + "\n"
	d := decodeString(t, input)
	if diff := cmp.Diff([]string{"1:CreateUser", "3:ConsoleLogin"}, names(d)); diff != "" || len(d.errors) != 1 {
		t.Errorf("events (-want +got):\n%s\nerrors %q", diff, errorStrings(d))
	}
}
