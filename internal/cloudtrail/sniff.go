package cloudtrail

import (
	"bytes"
	"strings"
)

// sniffKeys are members of CloudTrail events; two of them in the first
// bytes of an object make it CloudTrail.
var sniffKeys = []string{
	"eventVersion", "eventTime", "eventName", "eventSource", "eventID", "eventType",
	"eventCategory", "userIdentity", "awsRegion", "sourceIPAddress", "recipientAccountId",
	"requestParameters", "responseElements", "additionalEventData", "errorCode",
	"managementEvent", "tlsDetails", "sessionCredentialFromConsole", "vpcEndpointId",
}

// Sniff reports whether prefix, the first bytes of an object once
// decompressed (4 KiB is enough for every shape the Decoder reads), looks
// like CloudTrail: JSON holding CloudTrail event members, a lookup-events
// record, an EventBridge envelope of a CloudTrail event, or a digest file.
// It tells S3, SQS and other Lambda event records, which share many member
// names, from CloudTrail events by their eventSource ("aws:s3"), and
// GuardDuty findings and OCSF records by their members.
func Sniff(prefix []byte) bool {
	b := bytes.TrimPrefix(prefix, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	if keyAt(b, "CloudTrailEvent") >= 0 || keyAt(b, "digestPublicKeyFingerprint") >= 0 ||
		(keyAt(b, "digestStartTime") >= 0 && keyAt(b, "awsAccountId") >= 0) {
		return true
	}
	if v, ok := stringMember(b, "detail-type"); ok {
		return strings.HasSuffix(v, "via CloudTrail")
	}
	if v, ok := stringMember(b, "eventSource"); ok && strings.HasPrefix(v, "aws:") {
		return false
	}
	n := 0
	for _, k := range sniffKeys {
		if keyAt(b, k) >= 0 {
			n++
		}
	}
	return n >= 2
}

// keyAt returns the index just past the ':' that follows the first
// "name" in b written as a member name, or -1.
func keyAt(b []byte, name string) int {
	quoted := `"` + name + `"`
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(quoted))
		if i < 0 {
			return -1
		}
		i += off
		off = i + len(quoted)
		if i > 0 && b[i-1] == '\\' {
			continue // inside a string
		}
		j := off
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
			j++
		}
		if j < len(b) && b[j] == ':' {
			return j + 1
		}
	}
}

// stringMember returns the value of the first member name in b when it is
// a string without escapes, whole in b.
func stringMember(b []byte, name string) (string, bool) {
	i := keyAt(b, name)
	if i < 0 {
		return "", false
	}
	v := bytes.TrimLeft(b[i:], " \t\r\n")
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	end := bytes.IndexByte(v[1:], '"')
	if end < 0 || bytes.IndexByte(v[1:1+end], '\\') >= 0 {
		return "", false
	}
	return string(v[1 : 1+end]), true
}
