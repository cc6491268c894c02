package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// kind is what a record turned out to be.
type kind int

const (
	kindNone        kind = iota
	kindEvent            // a CloudTrail event
	kindEventBridge      // an EventBridge envelope around one
	kindLookup           // a lookup-events record, the event as a JSON string
	kindDigest           // a digest file
)

// The members the decoder looks at, at each level of an event.
const (
	// Top level of a record.
	fEventID = iota
	fEventTime
	fEventSource
	fEventName
	fEventVersion
	fAWSRegion
	fSourceIP
	fUserAgent
	fErrorCode
	fErrorMessage
	fReadOnly
	fRecipientAccountID
	fResources
	fUserIdentity
	fEventType
	fInsightDetails
	fDetailType
	fDetail
	fCloudTrailEvent
	fAWSAccountID
	fDigestStartTime
	fDigestEndTime
	numTop
)

const (
	// userIdentity, and the sessionIssuer and insightDetails objects.
	uType = iota
	uARN
	uPrincipalID
	uAccountID
	uAccessKeyID
	uUserName
	uSessionContext
	uEventName
	uEventSource
	numUser
)

var topNames = [numTop]string{
	"eventID", "eventTime", "eventSource", "eventName", "eventVersion", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "readOnly",
	"recipientAccountId", "resources", "userIdentity", "eventType", "insightDetails",
	"detail-type", "detail", "CloudTrailEvent", "awsAccountId", "digestStartTime", "digestEndTime",
}

var userNames = [numUser]string{
	"type", "arn", "principalId", "accountId", "accessKeyId", "userName", "sessionContext",
	"eventName", "eventSource",
}

func topIndex(key []byte) int {
	switch string(key) {
	case "eventID":
		return fEventID
	case "eventTime":
		return fEventTime
	case "eventSource":
		return fEventSource
	case "eventName":
		return fEventName
	case "eventVersion":
		return fEventVersion
	case "awsRegion":
		return fAWSRegion
	case "sourceIPAddress":
		return fSourceIP
	case "userAgent":
		return fUserAgent
	case "errorCode":
		return fErrorCode
	case "errorMessage":
		return fErrorMessage
	case "readOnly":
		return fReadOnly
	case "recipientAccountId":
		return fRecipientAccountID
	case "resources":
		return fResources
	case "userIdentity":
		return fUserIdentity
	case "eventType":
		return fEventType
	case "insightDetails":
		return fInsightDetails
	case "detail-type":
		return fDetailType
	case "detail":
		return fDetail
	case "CloudTrailEvent":
		return fCloudTrailEvent
	case "awsAccountId":
		return fAWSAccountID
	case "digestStartTime":
		return fDigestStartTime
	case "digestEndTime":
		return fDigestEndTime
	}
	return -1
}

func userIndex(key []byte) int {
	switch string(key) {
	case "type":
		return uType
	case "arn":
		return uARN
	case "principalId":
		return uPrincipalID
	case "accountId":
		return uAccountID
	case "accessKeyId":
		return uAccessKeyID
	case "userName":
		return uUserName
	case "sessionContext":
		return uSessionContext
	case "eventName":
		return uEventName
	case "eventSource":
		return uEventSource
	}
	return -1
}

// span locates a member's value in a record: b[lo:hi]; hi is 0 when the
// member is absent.
type span struct{ lo, hi int }

func (s span) ok() bool { return s.hi > 0 }

// scanObject records in v the members of the object at b[i] that index
// knows, and rejects duplicates of them: tools disagree about which of two
// values counts, and the flattened columns must say what the raw event
// says. b is valid compact JSON. path names the object in errors.
func scanObject(b []byte, i int, v []span, index func([]byte) int, names []string, path string) error {
	i++ // '{'
	if b[i] == '}' {
		return nil
	}
	for {
		ke := skipString(b, i)
		key := b[i+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = unescapeKey(b[i:ke])
		}
		lo := ke + 1 // past ':'
		hi := skip(b, lo)
		if f := index(key); f >= 0 {
			if v[f].ok() {
				return fmt.Errorf("%w %s%s", ErrDuplicateKey, path, names[f])
			}
			v[f] = span{lo, hi}
		}
		if b[hi] == '}' {
			return nil
		}
		i = hi + 1 // past ','
	}
}

// objectKeys returns the names of the members of the object at b[0], for
// error messages.
func objectKeys(b []byte) []string {
	var keys []string
	if len(b) < 2 || b[1] == '}' {
		return nil
	}
	for i := 1; ; {
		ke := skipString(b, i)
		key := b[i+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = unescapeKey(b[i:ke])
		}
		keys = append(keys, string(key))
		hi := skip(b, ke+1)
		if b[hi] == '}' {
			return keys
		}
		i = hi + 1
	}
}

// unescapeKey decodes a member name written with escapes.
func unescapeKey(quoted []byte) []byte {
	var s string
	if json.Unmarshal(quoted, &s) != nil {
		return quoted
	}
	return []byte(s)
}

// skipString returns the index past the string that starts at b[i]; b is
// valid JSON.
func skipString(b []byte, i int) int {
	i++
	for {
		q := i + bytes.IndexByte(b[i:], '"')
		n := 0
		for b[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		i = q + 1
	}
}

// skip returns the index past the value that starts at b[i]; b is valid
// compact JSON.
func skip(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

// jsonType names the type of the JSON value that starts with c.
func jsonType(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// decode turns one record into an event, or reports why it cannot. The
// kind is known even when the record is rejected, except for records that
// are not CloudTrail.
func (d *Decoder) decode(src []byte, ev *Event) (kind, error) {
	if len(src) == 0 {
		return kindNone, fmt.Errorf("%w: expected a record", ErrSyntax)
	}
	if src[0] != '{' {
		return kindNone, fmt.Errorf("%w: a JSON %s", ErrNotObject, jsonType(src[0]))
	}
	// Compacted into memory of its own, which becomes Raw when the record
	// is an event: S3 log files are compact already, so it fits exactly.
	b, err := compact(make([]byte, 0, len(src)), src)
	if err != nil {
		return kindNone, err
	}
	if err := checkText(b); err != nil {
		return kindNone, err
	}
	var top [numTop]span
	if err := scanObject(b, 0, top[:], topIndex, topNames[:], ""); err != nil {
		return kindNone, err
	}
	switch {
	case top[fCloudTrailEvent].ok():
		return kindLookup, d.decodeLookup(b, top[fCloudTrailEvent], ev)
	case top[fDetailType].ok() && top[fDetail].ok():
		return kindEventBridge, d.decodeEventBridge(b, top[fDetailType], top[fDetail], ev)
	case top[fAWSAccountID].ok() && top[fDigestStartTime].ok() && top[fDigestEndTime].ok() && !top[fEventTime].ok():
		return kindDigest, nil
	case !isEvent(&top):
		return kindNone, notEvent(b)
	}
	return kindEvent, d.flatten(b, &top, true, ev)
}

// isEvent reports whether a record has any of the members every CloudTrail
// event has.
func isEvent(top *[numTop]span) bool {
	for _, f := range []int{fEventTime, fEventName, fEventSource, fEventVersion, fEventID, fUserIdentity} {
		if top[f].ok() {
			return true
		}
	}
	return false
}

func notEvent(b []byte) error {
	keys := objectKeys(b)
	if len(keys) == 0 {
		return fmt.Errorf("%w: an empty object", ErrNotCloudTrail)
	}
	var folded, q []string
	for _, k := range keys {
		for _, m := range []string{"eventTime", "eventName", "eventSource", "eventVersion", "eventID", "userIdentity"} {
			if strings.EqualFold(k, m) {
				folded = append(folded, quote(k))
			}
		}
		if len(q) < 6 {
			q = append(q, quote(k))
		} else if len(q) == 6 {
			q = append(q, "…")
		}
	}
	if len(folded) > 0 {
		return fmt.Errorf("%w: none of eventTime, eventName, eventSource, eventVersion, eventID, userIdentity; found %s instead (member names are case-sensitive)",
			ErrNotCloudTrail, strings.Join(folded, ", "))
	}
	return fmt.Errorf("%w: none of eventTime, eventName, eventSource, eventVersion, eventID, userIdentity (members: %s)",
		ErrNotCloudTrail, strings.Join(q, ", "))
}

// decodeLookup decodes a record of aws cloudtrail lookup-events output,
// whose CloudTrailEvent member holds the event as a JSON string.
func (d *Decoder) decodeLookup(b []byte, v span, ev *Event) error {
	if b[v.lo] != '"' {
		return fmt.Errorf("%w: CloudTrailEvent is a %s, want a string", ErrFieldType, jsonType(b[v.lo]))
	}
	var s string
	if err := json.Unmarshal(b[v.lo:v.hi], &s); err != nil {
		return fmt.Errorf("%w: CloudTrailEvent: %v", ErrSyntax, err)
	}
	inner := strings.TrimLeft(s, " \t\r\n")
	if inner == "" || inner[0] != '{' {
		if inner == "" {
			return fmt.Errorf("%w: CloudTrailEvent is empty", ErrNotObject)
		}
		return fmt.Errorf("%w: CloudTrailEvent holds a JSON %s", ErrNotObject, jsonType(inner[0]))
	}
	e, err := compact(make([]byte, 0, len(inner)), []byte(inner))
	if err != nil {
		return fmt.Errorf("CloudTrailEvent: %w", err)
	}
	if err := checkText(e); err != nil {
		return fmt.Errorf("CloudTrailEvent: %w", err)
	}
	return d.flattenObject(e, "CloudTrailEvent", ev)
}

// decodeEventBridge decodes an EventBridge envelope around a CloudTrail
// event, such as {"detail-type":"AWS API Call via CloudTrail","detail":{...}}.
func (d *Decoder) decodeEventBridge(b []byte, dt, detail span, ev *Event) error {
	if b[dt.lo] != '"' {
		return fmt.Errorf("%w: detail-type is a %s, want a string", ErrFieldType, jsonType(b[dt.lo]))
	}
	typ, err := stringValue(b[dt.lo:dt.hi])
	if err != nil {
		return err
	}
	if !strings.HasSuffix(string(typ), "via CloudTrail") {
		return fmt.Errorf("%w: an EventBridge event of type %s", ErrNotCloudTrail, quote(typ))
	}
	if b[detail.lo] != '{' {
		return fmt.Errorf("%w: detail is a %s, want an object", ErrFieldType, jsonType(b[detail.lo]))
	}
	return d.flattenObject(b[detail.lo:detail.hi], "detail", ev)
}

// flattenObject flattens the event in e, the content of an envelope's
// member named path.
func (d *Decoder) flattenObject(e []byte, path string, ev *Event) error {
	var top [numTop]span
	if err := scanObject(e, 0, top[:], topIndex, topNames[:], path+"."); err != nil {
		return err
	}
	if !isEvent(&top) {
		return fmt.Errorf("%s: %w", path, notEvent(e))
	}
	return d.flatten(e, &top, false, ev)
}

// flatten fills ev from the event in b, whose members of interest are in
// top. Raw is b itself when owned (and not much larger than its content),
// else a copy.
func (d *Decoder) flatten(b []byte, top *[numTop]span, owned bool, ev *Event) error {
	if v := top[fEventSource]; v.ok() && v.hi-v.lo > 5 && string(b[v.lo:v.lo+5]) == `"aws:` {
		return fmt.Errorf("%w: eventSource %s is that of a Lambda event record (an S3, SQS, SNS or DynamoDB notification)",
			ErrNotCloudTrail, quote(b[v.lo+1:v.hi-1]))
	}

	// The two members every event has, checked first.
	tv := top[fEventTime]
	if !tv.ok() || b[tv.lo] == 'n' {
		return missing(b, "eventTime")
	}
	if b[tv.lo] != '"' {
		return fmt.Errorf("%w: eventTime is a %s, want a string", ErrFieldType, jsonType(b[tv.lo]))
	}
	ts, err := stringValue(b[tv.lo:tv.hi])
	if err != nil {
		return err
	}
	t, ok := parseTime(ts)
	if !ok {
		return fmt.Errorf("%w %s", ErrTime, quote(ts))
	}
	name, source := top[fEventName], top[fEventSource]
	var insight [numUser]span
	if !name.ok() && isInsight(b, top[fEventType]) {
		// Insight events name the API they are about in insightDetails.
		if err := object(b, top[fInsightDetails], insight[:], userIndex, userNames[:], "insightDetails"); err != nil {
			return err
		}
		name = insight[uEventName]
		if !source.ok() {
			source = insight[uEventSource]
		}
	}
	if !name.ok() || b[name.lo] == 'n' || string(b[name.lo:name.hi]) == `""` {
		return missing(b, "eventName")
	}

	var user, issuer [numUser]span
	var session [1]span
	if err := object(b, top[fUserIdentity], user[:], userIndex, userNames[:], "userIdentity"); err != nil {
		return err
	}
	if err := object(b, user[uSessionContext], session[:], sessionIndex, sessionNames, "userIdentity.sessionContext"); err != nil {
		return err
	}
	if err := object(b, session[0], issuer[:], userIndex, userNames[:], "userIdentity.sessionContext.sessionIssuer"); err != nil {
		return err
	}

	// The strings, gathered in one allocation.
	d.strs = d.strs[:0]
	var errs error
	str := func(v span, name string) span {
		if !v.ok() || b[v.lo] == 'n' {
			return span{}
		}
		if b[v.lo] != '"' {
			if errs == nil {
				errs = fmt.Errorf("%w: %s is a %s, want a string", ErrFieldType, name, jsonType(b[v.lo]))
			}
			return span{}
		}
		s, err := stringValue(b[v.lo:v.hi])
		if err != nil && errs == nil {
			errs = err
		}
		lo := len(d.strs)
		d.strs = append(d.strs, s...)
		return span{lo, len(d.strs)}
	}
	var s [numFlat]span
	s[sEventName] = str(name, "eventName")
	s[sEventID] = str(top[fEventID], "eventID")
	s[sEventSource] = str(source, "eventSource")
	s[sAWSRegion] = str(top[fAWSRegion], "awsRegion")
	s[sSourceIP] = str(top[fSourceIP], "sourceIPAddress")
	s[sUserAgent] = str(top[fUserAgent], "userAgent")
	s[sErrorCode] = str(top[fErrorCode], "errorCode")
	s[sErrorMessage] = str(top[fErrorMessage], "errorMessage")
	s[sRecipient] = str(top[fRecipientAccountID], "recipientAccountId")
	s[sUserType] = str(user[uType], "userIdentity.type")
	s[sUserARN] = str(user[uARN], "userIdentity.arn")
	s[sPrincipalID] = str(user[uPrincipalID], "userIdentity.principalId")
	s[sAccountID] = str(user[uAccountID], "userIdentity.accountId")
	s[sAccessKeyID] = str(user[uAccessKeyID], "userIdentity.accessKeyId")
	s[sUserName] = str(user[uUserName], "userIdentity.userName")
	s[sIssuerARN] = str(issuer[uARN], "userIdentity.sessionContext.sessionIssuer.arn")
	s[sIssuerName] = str(issuer[uUserName], "userIdentity.sessionContext.sessionIssuer.userName")
	s[sIssuerType] = str(issuer[uType], "userIdentity.sessionContext.sessionIssuer.type")
	if errs != nil {
		return errs
	}

	var readOnly *bool
	if v := top[fReadOnly]; v.ok() {
		// lookup-events and some exports write it as a string.
		switch val := string(b[v.lo:v.hi]); {
		case val == "true" || strings.EqualFold(val, `"true"`):
			readOnly = new(true)
		case val == "false" || strings.EqualFold(val, `"false"`):
			readOnly = new(false)
		case val == "null":
		default:
			return fmt.Errorf("%w: readOnly is %s, want true or false", ErrFieldType, quote(val))
		}
	}
	res := top[fResources]
	if res.ok() {
		switch b[res.lo] {
		case 'n':
			res = span{}
		case '[':
		default:
			return fmt.Errorf("%w: resources is a %s, want an array", ErrFieldType, jsonType(b[res.lo]))
		}
	}

	all := string(d.strs)
	get := func(i int) string { return all[s[i].lo:s[i].hi] }
	raw := b
	if !owned || cap(b)-len(b) > len(b)/4 {
		raw = bytes.Clone(b)
	}
	*ev = Event{
		EventID:            get(sEventID),
		EventTime:          t,
		EventSource:        get(sEventSource),
		EventName:          get(sEventName),
		AWSRegion:          get(sAWSRegion),
		SourceIP:           get(sSourceIP),
		UserAgent:          get(sUserAgent),
		UserType:           get(sUserType),
		UserARN:            get(sUserARN),
		PrincipalID:        get(sPrincipalID),
		AccountID:          get(sAccountID),
		AccessKeyID:        get(sAccessKeyID),
		UserName:           get(sUserName),
		SessionIssuerARN:   get(sIssuerARN),
		ErrorCode:          get(sErrorCode),
		ErrorMessage:       get(sErrorMessage),
		ReadOnly:           readOnly,
		RecipientAccountID: get(sRecipient),
		Raw:                raw,
	}
	if res.ok() {
		ev.Resources = raw[res.lo:res.hi:res.hi]
	}
	if ev.AccountID == "" {
		ev.AccountID = ev.RecipientAccountID
	}
	if ev.UserName == "" {
		ev.UserName = userName(ev.UserType, get(sIssuerType), get(sIssuerName), ev.UserARN)
	}
	return nil
}

// The flattened strings, in the order they are gathered.
const (
	sEventID = iota
	sEventSource
	sEventName
	sAWSRegion
	sSourceIP
	sUserAgent
	sErrorCode
	sErrorMessage
	sRecipient
	sUserType
	sUserARN
	sPrincipalID
	sAccountID
	sAccessKeyID
	sUserName
	sIssuerARN
	sIssuerName
	sIssuerType
	numFlat
)

// userName names the identity of an event that has no userIdentity.userName:
// a role session by its role, as the session issuer names it; anything
// else with an ARN by the ARN's last part (a federated user's name,
// "root").
func userName(userType, issuerType, issuerName, arn string) string {
	role := userType == "AssumedRole" || userType == "Role" || issuerType == "Role"
	if role && issuerName != "" {
		return issuerName
	}
	// arn:partition:service:region:account:resource
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	resource := parts[5]
	if rest, ok := strings.CutPrefix(resource, "assumed-role/"); ok {
		// assumed-role/ROLE/SESSION: the role, as the issuer would say.
		roleName, _, _ := strings.Cut(rest, "/")
		return roleName
	}
	if i := strings.LastIndexByte(resource, '/'); i >= 0 {
		return resource[i+1:]
	}
	return resource
}

// isInsight reports whether the eventType member v says
// AwsCloudTrailInsight.
func isInsight(b []byte, v span) bool {
	return v.ok() && string(b[v.lo:v.hi]) == `"AwsCloudTrailInsight"`
}

// object records in u the members of the object at v that index knows;
// a null or absent object has none.
func object(b []byte, v span, u []span, index func([]byte) int, names []string, path string) error {
	if !v.ok() || b[v.lo] == 'n' {
		return nil
	}
	if b[v.lo] != '{' {
		return fmt.Errorf("%w: %s is a %s, want an object", ErrFieldType, path, jsonType(b[v.lo]))
	}
	return scanObject(b, v.lo, u, index, names, path+".")
}

var sessionNames = []string{"sessionIssuer"}

func sessionIndex(key []byte) int {
	if string(key) == "sessionIssuer" {
		return 0
	}
	return -1
}

// missing reports a missing member, hinting at a member that differs
// only in case (some tools lower-case keys).
func missing(b []byte, name string) error {
	for _, k := range objectKeys(b) {
		if strings.EqualFold(k, name) {
			return fmt.Errorf("%w %s (found %s instead; member names are case-sensitive)", ErrMissingField, name, quote(k))
		}
	}
	return fmt.Errorf("%w %s", ErrMissingField, name)
}

// stringValue returns the content of the JSON string q, decoding escapes
// when there are any.
func stringValue(q []byte) ([]byte, error) {
	s := q[1 : len(q)-1]
	if bytes.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var v string
	if err := json.Unmarshal(q, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return []byte(v), nil
}

// compact appends src, compacted, to dst, and checks that it is valid
// JSON. Strings are kept as written (escapes included) and duplicate member
// names are allowed, as encoding/json.Compact does; jsontext does the same
// several times faster, which mattered: compaction was the largest part of
// decoding a CloudTrail log file.
func compact(dst, src []byte) ([]byte, error) {
	out, err := jsontext.AppendFormat(dst, src,
		jsontext.AllowDuplicateNames(true),
		jsontext.AllowInvalidUTF8(true), // checkText reports it, with the byte
		jsontext.PreserveRawStrings(true),
		jsontext.CanonicalizeRawInts(false),
		jsontext.CanonicalizeRawFloats(false),
		jsontext.EscapeForHTML(false),
		jsontext.EscapeForJS(false))
	if err != nil {
		var serr *jsontext.SyntacticError
		if errors.As(err, &serr) {
			return out, fmt.Errorf("%w at byte %d of the record: %v", ErrSyntax, serr.ByteOffset, serr.Err)
		}
		return out, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	return out, nil
}

// checkText rejects what the store, strict UTF-8, would: bytes that are
// not UTF-8, and \u escapes of unpaired UTF-16 surrogates, which stand
// for no character. b is valid JSON, so backslashes are escapes.
func checkText(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return fmt.Errorf("%w at byte %d of the record", ErrEncoding, i)
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\\')
		if j < 0 {
			return nil
		}
		i += j
		if b[i+1] != 'u' {
			i += 2
			continue
		}
		r := hex4(b[i+2 : i+6])
		if !utf16.IsSurrogate(r) {
			i += 6
			continue
		}
		if r < 0xdc00 && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if r2 := hex4(b[i+8 : i+12]); r2 >= 0xdc00 && r2 < 0xe000 {
				i += 12
				continue
			}
		}
		return fmt.Errorf("%w: unpaired surrogate %s at byte %d of the record", ErrEncoding, b[i:i+6], i)
	}
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// parseTime parses an eventTime: CloudTrail writes 2006-01-02T15:04:05Z;
// other RFC 3339 forms are accepted, and so are the forms tools that
// re-export CloudTrail write (Panther, Athena): a space for the T, and no
// zone, which means UTC there.
func parseTime(s []byte) (time.Time, bool) {
	if len(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z' {
		y, ok1 := digits(s[0:4])
		mo, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		h, ok4 := digits(s[11:13])
		mi, ok5 := digits(s[14:16])
		sec, ok6 := digits(s[17:19])
		if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
			return time.Time{}, false
		}
		t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
		if t.Day() != d {
			return time.Time{}, false // February 30th
		}
		return t, true
	}
	if len(s) < 19 || len(s) > 40 {
		return time.Time{}, false
	}
	var buf [41]byte
	n := copy(buf[:], s)
	if buf[10] == ' ' {
		buf[10] = 'T'
	}
	if c := buf[n-1]; c >= '0' && c <= '9' && !hasZone(buf[19:n]) {
		buf[n] = 'Z'
		n++
	}
	t, err := time.Parse(time.RFC3339Nano, string(buf[:n]))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// hasZone reports whether the part of a time after the seconds ends with
// a numeric zone (+hh:mm).
func hasZone(b []byte) bool {
	return bytes.ContainsAny(b, "+-")
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
