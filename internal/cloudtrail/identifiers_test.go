package cloudtrail

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestAppendIdentifiers(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      []Identifier
	}{
		{
			name: "ssm session",
			raw: `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDANPEOBJUKBE7IXT5NG","arn":"arn:aws:iam::777788889999:user/erin","accountId":"777788889999","accessKeyId":"AKIABLDFJT6CBP3AV7AC","userName":"erin"},` +
				`"eventTime":"2026-11-03T17:13:11Z","eventSource":"ssm.amazonaws.com","eventName":"StartSession","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.3","userAgent":"aws-cli/2.18.10 md/awscrt#0.22.0",` +
				`"requestParameters":{"target":"i-0e8902b45f03fee46"},"responseElements":{"sessionId":"erin-0b3e04b77fc571801","tokenValue":"Value hidden due to security reasons.","streamUrl":"wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/erin-0b3e04b77fc571801?role=publish_subscribe"},` +
				`"requestID":"bd7d08f6-a123-45df-8b62-f06dd010c627","eventID":"c731a5e0-0e77-473d-8bd8-b76b4c103e7a","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"777788889999","tlsDetails":{"clientProvidedHostHeader":"ssm.eu-west-1.amazonaws.com"}}`,
			want: []Identifier{
				{"AIDANPEOBJUKBE7IXT5NG", "userIdentity"},
				{"arn:aws:iam::777788889999:user/erin", "userIdentity"},
				{"777788889999", "userIdentity"},
				{"AKIABLDFJT6CBP3AV7AC", "userIdentity"},
				{"erin", "userIdentity"},
				{"192.0.2.3", "sourceIPAddress"},
				{"i-0e8902b45f03fee46", "requestParameters"},
				{"erin-0b3e04b77fc571801", "responseElements"},
			},
		},
		{
			name: "nested lists, escapes, derived ids",
			raw: `{"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID1234567:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice"},` +
				`"requestParameters":{"instancesSet":{"items":[{"instanceId":"i-1234567890abcdef0"},{"instanceId":"i-1234567890abcdef0"}]},"bucketName":"my\u002dbucket","key":"a b/c.txt",` +
				`"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"203.0.113.0/24"}]},"ipv6Ranges":{"items":[{"cidrIpv6":"2001:db8::/32"}]}}]},"description":"i-00000000 is not an id here: spaces"},` +
				`"resources":[{"ARN":"arn:aws:s3:::logs-bucket/AWSLogs/x","type":"AWS::S3::Object"}],"additionalEventData":{"x-amz-id-2":"abc=="},` +
				`"sourceIPAddress":"ec2.amazonaws.com","privateIpAddress":"10.0.0.12","count":5,"flag":true,"none":null}`,
			want: []Identifier{
				{"AROAEXAMPLEID1234567:alice", "userIdentity"},
				{"AROAEXAMPLEID1234567", "userIdentity"},
				{"arn:aws:sts::111122223333:assumed-role/Admin/alice", "userIdentity"},
				{"111122223333", "userIdentity"},
				{"i-1234567890abcdef0", "requestParameters"},
				{"my-bucket", "requestParameters"},
				{"203.0.113.0/24", "requestParameters"},
				{"2001:db8::/32", "requestParameters"},
				{"arn:aws:s3:::logs-bucket/AWSLogs/x", "resources"},
				{"logs-bucket", "resources"},
				{"ec2.amazonaws.com", "sourceIPAddress"},
				{"10.0.0.12", "privateIpAddress"},
			},
		},
		{name: "not an object", raw: `["i-1234567890abcdef0"]`},
		{name: "truncated", raw: `{"sourceIPAddress":"192.0.2.1","requestParameters":{"instanceId":"i-12345678`,
			want: []Identifier{{"192.0.2.1", "sourceIPAddress"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AppendIdentifiers(nil, tc.raw)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("AppendIdentifiers differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendIdentifiersBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"requestParameters":{"instanceIds":[`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"i-` + strings.Repeat("0", 9) + string(rune('a'+i%6)) + strings.Repeat("f", 4) + `"`)
		b.WriteString(`,"i-` + strings.Repeat("1", 5) + strings.Repeat("abcdef0123"[i%10:i%10+1], 3) + strings.Repeat("0", 1+i%7) + `"`)
	}
	b.WriteString(`]}}`)
	got := AppendIdentifiers([]Identifier{{"x", "y"}}, b.String())
	if len(got) > 1+MaxIdentifiers {
		t.Errorf("AppendIdentifiers appended %d identifiers; want at most %d", len(got)-1, MaxIdentifiers)
	}
	if got[0] != (Identifier{"x", "y"}) {
		t.Errorf("AppendIdentifiers changed dst[0] to %v", got[0])
	}
}

// FuzzIdentifiers checks that any input is safe: no panic, and what comes
// out is distinct, bounded and free of spaces.
func FuzzIdentifiers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(string(b))
		}
	}
	f.Add(`{"requestParameters":{"instanceId":"i-1234567890abcdef0","cidrIp":"10.0.0.0/8"}}`)
	if b, err := os.ReadFile(filepath.Join("testdata", "panther-analysis_cloudtrail_test_events.ndjson")); err == nil {
		for i, line := range strings.Split(string(b), "\n") {
			if i%10 == 0 && line != "" {
				f.Add(line)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		ids := AppendIdentifiers(nil, raw)
		if json.Valid([]byte(raw)) && utf8.ValidString(raw) {
			if diff := cmp.Diff(appendIdentifiersRef(nil, raw), ids); diff != "" {
				t.Fatalf("AppendIdentifiers(%q) differs from the jsontext walk (-walk +scan):\n%s", raw, diff)
			}
		}
		if len(ids) > MaxIdentifiers {
			t.Fatalf("%d identifiers; want at most %d", len(ids), MaxIdentifiers)
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id.Value] || len(id.Value) < 3 || len(id.Value) > maxIdentifierLen ||
				bytes.ContainsAny([]byte(id.Value), " \t\r\n") {
				t.Fatalf("bad identifier %q (member %q) in %q", id.Value, id.Member, raw)
			}
			seen[id.Value] = true
		}
	})
}

var benchEvent = `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","principalId":"AIDANPEOBJUKBE7IXT5NG","arn":"arn:aws:iam::777788889999:user/erin","accountId":"777788889999","accessKeyId":"AKIABLDFJT6CBP3AV7AC","userName":"erin"},` +
	`"eventTime":"2026-11-03T17:13:11Z","eventSource":"ssm.amazonaws.com","eventName":"StartSession","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.3","userAgent":"aws-cli/2.18.10 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6",` +
	`"requestParameters":{"target":"i-0e8902b45f03fee46"},"responseElements":{"sessionId":"erin-0b3e04b77fc571801","tokenValue":"Value hidden due to security reasons.","streamUrl":"wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/erin-0b3e04b77fc571801?role=publish_subscribe"},` +
	`"requestID":"bd7d08f6-a123-45df-8b62-f06dd010c627","eventID":"c731a5e0-0e77-473d-8bd8-b76b4c103e7a","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"777788889999","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ssm.eu-west-1.amazonaws.com"}}`

func BenchmarkAppendIdentifiers(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchEvent)))
	var ids []Identifier
	for b.Loop() {
		ids = AppendIdentifiers(ids[:0], benchEvent)
	}
}
