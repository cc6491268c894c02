package cloudtrail

import (
	"net/netip"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Identifier is a value an analyst looks events up by (an address, access
// key, ARN, account, resource ID, bucket or principal name) and the
// top-level member of the event that holds it: "userIdentity",
// "requestParameters", "responseElements", "resources"...
type Identifier struct {
	Value  string
	Member string
}

// MaxIdentifiers bounds the identifiers taken from one event: a request
// naming thousands of resources indexes its first MaxIdentifiers.
const MaxIdentifiers = 256

// maxIdentifierLen bounds one identifier: longer strings are documents,
// policies or paths, not names.
const maxIdentifierLen = 256

// skippedMember tells the top-level members that never hold an identifier
// worth indexing: event metadata, the client's user agent, TLS details.
// Every other member (userIdentity, sourceIPAddress, requestParameters,
// responseElements, resources, additionalEventData, serviceEventDetails,
// recipientAccountId, vpcEndpointId, members added to CloudTrail later...)
// is searched.
func skippedMember(name string) bool {
	switch name {
	case "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "userAgent",
		"requestID", "eventID", "eventType", "eventCategory", "managementEvent", "readOnly",
		"errorCode", "errorMessage", "tlsDetails", "apiVersion", "sessionCredentialFromConsole",
		"sharedEventID", "insightDetails":
		return true
	}
	return false
}

// knownMembers spares an allocation for the names of common members.
var knownMembers = []string{
	"userIdentity", "sourceIPAddress", "requestParameters", "responseElements", "resources",
	"additionalEventData", "serviceEventDetails", "recipientAccountId", "vpcEndpointId",
	"vpcEndpointAccountId", "edgeDeviceDetails",
}

// AppendIdentifiers appends to dst the distinct identifiers of the event
// raw (a JSON object) and returns the extended slice. A string is an
// identifier when it looks like one whatever its member's name (an IP
// address or CIDR block, an ARN, an access key or principal ID, a
// 12-digit account ID, a resource ID such as i-0abc…, eni-…, vol-…), or
// when its member's name says it is one (…Id, …Arn, …Name, bucket,
// …Address, …Ip, host, domain), provided it holds no space and is at most
// 256 bytes. An ARN also yields its account ID and, for S3, its bucket; a
// principal ID of the form ID:session also yields ID. Values are kept as
// written: lookups match them exactly. Most share raw's memory: a caller
// that keeps them while dropping raw should clone them. Invalid JSON
// yields some of what it holds, never an error: the decoder has checked
// the events it returns.
func AppendIdentifiers(dst []Identifier, raw string) []Identifier {
	start := len(dst)
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return dst
	}
	// The scan keeps, for each open object or array, whether it is an
	// array and, for an array, whether its member's name says its
	// elements are identifiers; idKey says it of the member being read.
	type frame struct{ array, idKey bool }
	stack := make([]frame, 0, 16)
	var (
		member    string // the top-level member being read
		idKey     bool
		expectKey bool
		buf       []byte
	)
	for i < len(raw) {
		switch c := raw[i]; c {
		case ' ', '\t', '\n', '\r', ':':
			i++
		case '{', '[':
			inherit := idKey
			if len(stack) > 0 && stack[len(stack)-1].array {
				inherit = stack[len(stack)-1].idKey
			}
			stack = append(stack, frame{array: c == '[', idKey: inherit})
			expectKey = c == '{'
			i++
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1].array != (c == ']') {
				return dst
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return dst
			}
			i++
		case ',':
			expectKey = !stack[len(stack)-1].array
			i++
		case '"':
			end := stringEnd(raw, i)
			if end < 0 {
				return dst
			}
			text := raw[i+1 : end-1]
			if strings.IndexByte(text, '\\') >= 0 {
				var err error
				if buf, err = jsontext.AppendUnquote(buf[:0], raw[i:end]); err != nil {
					return dst
				}
				text = string(buf)
			}
			i = end
			top := stack[len(stack)-1]
			switch {
			case expectKey && !top.array:
				expectKey = false
				idKey = identifierKey(text)
				if len(stack) == 1 {
					if skippedMember(text) {
						if i = skipMember(raw, i); i < 0 {
							return dst
						}
						continue
					}
					member = memberName(text)
				}
			case top.array:
				dst = appendIfIdentifier(dst, start, member, top.idKey, text)
			default:
				dst = appendIfIdentifier(dst, start, member, idKey, text)
			}
		default:
			// A number, true, false or null.
			for i < len(raw) && !strings.ContainsRune(",}] \t\n\r", rune(raw[i])) {
				i++
			}
		}
	}
	return dst
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index past the string that starts at s[i], or -1
// when it does not end.
func stringEnd(s string, i int) int {
	for j := i + 1; ; {
		k := strings.IndexByte(s[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for s[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// skipMember returns the index past the value of the member whose name
// ends at s[i] (before its ':'), or -1 when the value does not end.
func skipMember(s string, i int) int {
	i = skipSpace(s, i)
	if i >= len(s) || s[i] != ':' {
		return -1
	}
	i = skipSpace(s, i+1)
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"':
			if i = stringEnd(s, i); i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the event: a scalar ended here
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return -1
}

func memberName(b string) string {
	for _, k := range knownMembers {
		if b == k {
			return k
		}
	}
	return strings.Clone(b)
}

// appendIfIdentifier appends s, and what it implies, when it is an
// identifier not yet in dst[start:].
func appendIfIdentifier(dst []Identifier, start int, member string, idKey bool, s string) []Identifier {
	if len(s) < 3 || len(s) > maxIdentifierLen || len(dst)-start >= MaxIdentifiers {
		return dst
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return dst
		}
	}
	shape := shapeOf(s)
	if shape == notShaped && !idKey {
		return dst
	}
	dst = appendUnique(dst, start, member, s)
	switch shape {
	case shapeARN:
		// arn:partition:service:region:account:resource
		parts := strings.SplitN(s, ":", 6)
		if len(parts) == 6 {
			if isAccountID(parts[4]) {
				dst = appendUnique(dst, start, member, parts[4])
			}
			if parts[2] == "s3" && parts[4] == "" {
				bucket, _, _ := strings.Cut(parts[5], "/")
				if len(bucket) >= 3 {
					dst = appendUnique(dst, start, member, bucket)
				}
			}
		}
	case shapeKey:
		if id, _, ok := strings.Cut(s, ":"); ok {
			dst = appendUnique(dst, start, member, id)
		}
	}
	return dst
}

func appendUnique(dst []Identifier, start int, member string, s string) []Identifier {
	if len(dst)-start >= MaxIdentifiers {
		return dst
	}
	for i := start; i < len(dst); i++ {
		if dst[i].Value == s {
			return dst
		}
	}
	return append(dst, Identifier{Value: s, Member: member})
}

type idShape uint8

const (
	notShaped idShape = iota
	shapeAddress
	shapeARN
	shapeKey     // access key or principal ID, maybe ID:session
	shapeAccount // 12 digits
	shapeResource
)

// shapeOf tells which kind of identifier s looks like, whatever its key.
func shapeOf(s string) idShape {
	switch {
	case len(s) > 4 && s[:4] == "arn:":
		return shapeARN
	case isAccountID(s):
		return shapeAccount
	case isKeyID(s):
		return shapeKey
	case isResourceID(s):
		return shapeResource
	case isAddress(s):
		return shapeAddress
	}
	return notShaped
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isKeyID matches AWS's unique IDs: four upper-case letters naming the
// kind (AKIA, ASIA, AIDA, AROA, AIPA, ANPA...) then at least 12 upper-case
// letters and digits, optionally followed by ":" and a session name.
func isKeyID(s string) bool {
	if len(s) < 16 || s[0] != 'A' {
		return false
	}
	i := 0
	for ; i < len(s) && s[i] != ':'; i++ {
		c := s[i]
		if i < 4 && (c < 'A' || c > 'Z') {
			return false
		}
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return i >= 16
}

// isResourceID matches EC2-style resource IDs: a lower-case prefix, a
// dash, then eight or more hexadecimal digits (i-0abc…, eni-…, vol-…,
// sg-…, subnet-…, vpc-…, ami-…, snap-…, eipalloc-…).
func isResourceID(s string) bool {
	dash := strings.IndexByte(s, '-')
	if dash < 1 || dash > 16 || len(s)-dash-1 < 8 || len(s)-dash-1 > 32 {
		return false
	}
	for i := 0; i < dash; i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	for i := dash + 1; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isAddress matches IP addresses and CIDR blocks.
func isAddress(s string) bool {
	if len(s) > 50 {
		return false
	}
	dots, colons := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c == ':':
			colons++
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '/', c == '%':
		default:
			return false
		}
	}
	if dots != 3 && colons < 2 {
		return false
	}
	if strings.IndexByte(s, '/') >= 0 {
		_, err := netip.ParsePrefix(s)
		return err == nil
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// identifierSuffixes are the ends of member names whose string values are
// identifiers whatever they look like: instanceId, roleArn, bucketName,
// userName, privateIpAddress, cidrIp, host...
var identifierSuffixes = []string{
	"id", "ids", "arn", "arns", "name", "names", "bucket", "address", "addresses",
	"ip", "ips", "host", "hostname", "domain", "target", "email", "cidr", "cidrs",
}

func identifierKey(key string) bool {
	for _, suf := range identifierSuffixes {
		if len(key) >= len(suf) && foldsTo(key[len(key)-len(suf):], suf) {
			return true
		}
	}
	return false
}

// foldsTo tells whether s, ASCII letters folded to lower case, is lower.
func foldsTo(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
