package cloudtrail

import (
	"net/netip"
	"strings"
	"sync"

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

// skippedMembers are the top-level members that never hold an identifier
// worth indexing: event metadata, the client's user agent, TLS details.
// Every other member (userIdentity, sourceIPAddress, requestParameters,
// responseElements, resources, additionalEventData, serviceEventDetails,
// recipientAccountId, vpcEndpointId, members added to CloudTrail later...)
// is searched.
var skippedMembers = map[string]bool{
	"eventVersion": true, "eventTime": true, "eventSource": true, "eventName": true,
	"awsRegion": true, "userAgent": true, "requestID": true, "eventID": true,
	"eventType": true, "eventCategory": true, "managementEvent": true, "readOnly": true,
	"errorCode": true, "errorMessage": true, "tlsDetails": true, "apiVersion": true,
	"sessionCredentialFromConsole": true, "sharedEventID": true, "insightDetails": true,
}

// knownMembers spares an allocation for the names of common members.
var knownMembers = []string{
	"userIdentity", "sourceIPAddress", "requestParameters", "responseElements", "resources",
	"additionalEventData", "serviceEventDetails", "recipientAccountId", "vpcEndpointId",
	"vpcEndpointAccountId", "edgeDeviceDetails",
}

type idWalker struct {
	r   strings.Reader
	d   jsontext.Decoder
	buf []byte
}

var walkers = sync.Pool{New: func() any { return new(idWalker) }}

// AppendIdentifiers appends to dst the distinct identifiers of the event
// raw (a JSON object) and returns the extended slice. A string is an
// identifier when it looks like one whatever its member's name (an IP
// address or CIDR block, an ARN, an access key or principal ID, a
// 12-digit account ID, a resource ID such as i-0abc…, eni-…, vol-…), or
// when its member's name says it is one (…Id, …Arn, …Name, bucket,
// …Address, …Ip, host, domain), provided it holds no space and is at most
// 256 bytes. An ARN also yields its account ID and, for S3, its bucket; a
// principal ID of the form ID:session also yields ID. Values are kept as
// written: lookups match them exactly. Invalid JSON yields what was read
// before the error.
func AppendIdentifiers(dst []Identifier, raw string) []Identifier {
	w := walkers.Get().(*idWalker)
	defer walkers.Put(w)
	w.r.Reset(raw)
	w.d.Reset(&w.r)
	start := len(dst)
	if tok, err := w.d.ReadToken(); err != nil || tok.Kind() != '{' {
		return dst
	}
	for w.d.PeekKind() == '"' {
		name, err := w.d.ReadValue()
		if err != nil {
			return dst
		}
		member := w.unquote(name)
		if skippedMembers[string(member)] {
			if w.d.SkipValue() != nil {
				return dst
			}
			continue
		}
		m := memberName(member)
		var ok bool
		if dst, ok = w.walk(dst, start, m, identifierKey(member)); !ok {
			return dst
		}
	}
	return dst
}

func memberName(b []byte) string {
	for _, k := range knownMembers {
		if string(b) == k {
			return k
		}
	}
	return string(b)
}

// unquote returns the content of a JSON string token, in w.buf when it
// has escapes. The result is valid until the next call.
func (w *idWalker) unquote(tok jsontext.Value) []byte {
	if len(tok) < 2 {
		return nil
	}
	if strings.IndexByte(string(tok), '\\') < 0 {
		return tok[1 : len(tok)-1]
	}
	var err error
	w.buf, err = jsontext.AppendUnquote(w.buf[:0], tok)
	if err != nil {
		return nil
	}
	return w.buf
}

// walk reads the next value, appending the identifiers it holds; idKey
// tells whether the name of the member holding it says it is an
// identifier (an array's elements inherit the array's). It returns false
// on invalid JSON.
func (w *idWalker) walk(dst []Identifier, start int, member string, idKey bool) ([]Identifier, bool) {
	switch w.d.PeekKind() {
	case '"':
		tok, err := w.d.ReadValue()
		if err != nil {
			return dst, false
		}
		return appendIfIdentifier(dst, start, member, idKey, w.unquote(tok)), true
	case '{':
		if _, err := w.d.ReadToken(); err != nil {
			return dst, false
		}
		for w.d.PeekKind() == '"' {
			name, err := w.d.ReadValue()
			if err != nil {
				return dst, false
			}
			var ok bool
			if dst, ok = w.walk(dst, start, member, identifierKey(w.unquote(name))); !ok {
				return dst, false
			}
		}
		_, err := w.d.ReadToken() // '}'
		return dst, err == nil
	case '[':
		if _, err := w.d.ReadToken(); err != nil {
			return dst, false
		}
		for k := w.d.PeekKind(); k != ']' && k != 0; k = w.d.PeekKind() {
			var ok bool
			if dst, ok = w.walk(dst, start, member, idKey); !ok {
				return dst, false
			}
		}
		_, err := w.d.ReadToken() // ']'
		return dst, err == nil
	case 0:
		return dst, false
	}
	return dst, w.d.SkipValue() == nil
}

// appendIfIdentifier appends s, and what it implies, when it is an
// identifier not yet in dst[start:].
func appendIfIdentifier(dst []Identifier, start int, member string, idKey bool, s []byte) []Identifier {
	if len(s) < 3 || len(s) > maxIdentifierLen || len(dst)-start >= MaxIdentifiers {
		return dst
	}
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
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
		parts := strings.SplitN(string(s), ":", 6)
		if len(parts) == 6 {
			if isAccountID([]byte(parts[4])) {
				dst = appendUnique(dst, start, member, []byte(parts[4]))
			}
			if parts[2] == "s3" && parts[4] == "" {
				bucket, _, _ := strings.Cut(parts[5], "/")
				if len(bucket) >= 3 {
					dst = appendUnique(dst, start, member, []byte(bucket))
				}
			}
		}
	case shapeKey:
		if id, _, ok := strings.Cut(string(s), ":"); ok {
			dst = appendUnique(dst, start, member, []byte(id))
		}
	}
	return dst
}

func appendUnique(dst []Identifier, start int, member string, s []byte) []Identifier {
	if len(dst)-start >= MaxIdentifiers {
		return dst
	}
	for i := start; i < len(dst); i++ {
		if dst[i].Value == string(s) {
			return dst
		}
	}
	return append(dst, Identifier{Value: string(s), Member: member})
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
func shapeOf(s []byte) idShape {
	switch {
	case len(s) > 4 && string(s[:4]) == "arn:":
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

func isAccountID(s []byte) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// isKeyID matches AWS's unique IDs: four upper-case letters naming the
// kind (AKIA, ASIA, AIDA, AROA, AIPA, ANPA...) then at least 12 upper-case
// letters and digits, optionally followed by ":" and a session name.
func isKeyID(s []byte) bool {
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
func isResourceID(s []byte) bool {
	dash := strings.IndexByte(string(s), '-')
	if dash < 1 || dash > 16 || len(s)-dash-1 < 8 || len(s)-dash-1 > 32 {
		return false
	}
	for _, c := range s[:dash] {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	for _, c := range s[dash+1:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isAddress matches IP addresses and CIDR blocks.
func isAddress(s []byte) bool {
	if len(s) > 50 {
		return false
	}
	dots, colons := 0, 0
	for _, c := range s {
		switch {
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
	if strings.IndexByte(string(s), '/') >= 0 {
		_, err := netip.ParsePrefix(string(s))
		return err == nil
	}
	_, err := netip.ParseAddr(string(s))
	return err == nil
}

// identifierSuffixes are the ends of member names whose string values are
// identifiers whatever they look like: instanceId, roleArn, bucketName,
// userName, privateIpAddress, cidrIp, host...
var identifierSuffixes = []string{
	"id", "ids", "arn", "arns", "name", "names", "bucket", "address", "addresses",
	"ip", "ips", "host", "hostname", "domain", "target", "email", "cidr", "cidrs",
}

func identifierKey(key []byte) bool {
	for _, suf := range identifierSuffixes {
		if len(key) >= len(suf) && strings.EqualFold(string(key[len(key)-len(suf):]), suf) {
			return true
		}
	}
	return false
}
