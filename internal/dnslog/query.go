// Package dnslog decodes Amazon Route 53 Resolver query logs (the
// "vpcdnsquerylogs" that Resolver query logging delivers to S3, CloudWatch
// Logs and Firehose) into flat queries for the dns_queries table.
//
// A log is JSON: one record per line as AWS writes it, a JSON array of
// records, or pretty-printed records one after another. Records are never
// trusted: query names and answers are attacker-controlled, and every
// malformed record is an error value naming the object and the record.
package dnslog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Query is one DNS query, flattened for the dns_queries table. A string
// field that the record does not have is empty.
type Query struct {
	// QueryTime is query_timestamp in UTC.
	QueryTime time.Time
	// QueryName is the name as logged, e.g. "pool.supportxmr.com." (AWS
	// writes the trailing dot; normalised copies may lack it).
	QueryName  string
	QueryType  string // "A", "AAAA", "TXT", ...
	QueryClass string // "IN", ...
	RCode      string // "NOERROR", "NXDOMAIN", ...
	// Answers is the answers as a compact JSON array of
	// {"Rdata": .., "Type": .., "Class": ..} objects, as written (a single
	// object is made a one-element array). Nil when the record has none.
	Answers   json.RawMessage
	SrcAddr   string
	SrcPort   *int32 // nil when absent
	Transport string // "UDP", "TCP", ...
	// InstanceID is srcids.instance: the EC2 instance that asked.
	InstanceID string
	// ResolverEndpoint is srcids.resolver_endpoint: the inbound Resolver
	// endpoint an on-premises client asked through.
	ResolverEndpoint string
	VPCID            string
	// FirewallAction is firewall_rule_action (ALLOW, BLOCK, ALERT) when a
	// DNS Firewall rule matched.
	FirewallAction       string
	FirewallRuleGroupID  string
	FirewallDomainListID string
	AccountID            string
	Region               string
	Version              string // the log format version, e.g. "1.100000"
	// Raw is the whole record as compact JSON, unknown fields included.
	Raw json.RawMessage
	// Record is the record's 1-based line number when records are one per
	// line, else its 1-based position in the object (JSON array element,
	// or pretty-printed record).
	Record int
}

// Errors that describe why a record or an object was rejected. They are
// wrapped in a *ParseError naming the object and the record.
var (
	ErrSyntax    = errors.New("invalid JSON")
	ErrNotObject = errors.New("record is not a JSON object")
	ErrMissing   = errors.New("missing field")
	ErrType      = errors.New("wrong type")
	ErrTimestamp = errors.New("invalid timestamp")
	ErrNumber    = errors.New("invalid number")
	ErrRange     = errors.New("number out of range")
	ErrEncoding  = errors.New("invalid UTF-8")
	ErrTooLong   = errors.New("record too long")
	ErrNotJSON   = errors.New("not JSON, not a Route 53 resolver query log")
	ErrBinary    = errors.New("binary data, not a JSON resolver query log")
	ErrEmpty     = errors.New("empty object")
)

// ParseError reports a record (or a whole object, when Record is 0) that
// could not be decoded.
type ParseError struct {
	File   string // the object's name: a path or an s3:// URI
	Record int    // numbered as Query.Record; 0 when the error concerns the whole object
	Field  string // the field at fault, if any, e.g. "srcids.instance"
	Text   string // the start of the offending record, made printable
	Err    error
}

func (e *ParseError) Error() string {
	loc := e.File
	if e.Record > 0 {
		loc = fmt.Sprintf("%s: record %d", e.File, e.Record)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: field %s: %v", loc, e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxRecordSize bounds one record. Real records are well under 4 KiB; a
// bigger one is rejected like any bad record.
const maxRecordSize = 1 << 20

// record is a resolver query log record as AWS writes it. Fields whose
// JSON type varies between AWS and normalised copies are kept raw.
type record struct {
	Version        string          `json:"version"`
	AccountID      string          `json:"account_id"`
	Region         string          `json:"region"`
	VPCID          string          `json:"vpc_id"`
	QueryTimestamp string          `json:"query_timestamp"`
	QueryName      string          `json:"query_name"`
	QueryType      string          `json:"query_type"`
	QueryClass     string          `json:"query_class"`
	RCode          string          `json:"rcode"`
	Answers        json.RawMessage `json:"answers"`
	SrcAddr        string          `json:"srcaddr"`
	SrcPort        json.RawMessage `json:"srcport"` // "56067" from AWS, sometimes a number
	Transport      string          `json:"transport"`
	SrcIDs         struct {
		Instance         string `json:"instance"`
		ResolverEndpoint string `json:"resolver_endpoint"`
	} `json:"srcids"`
	FirewallRuleAction   string `json:"firewall_rule_action"`
	FirewallRuleGroupID  string `json:"firewall_rule_group_id"`
	FirewallDomainListID string `json:"firewall_domain_list_id"`
}

// answer is one element of answers, decoded only to check its types.
type answer struct {
	Rdata string `json:"Rdata"`
	Type  string `json:"Type"`
	Class string `json:"Class"`
}

// parse decodes one record, numbered num, into q; q is left alone when the
// record is rejected.
func (d *Decoder) parse(raw []byte, num int, q *Query) *ParseError {
	fail := func(field string, err error) *ParseError {
		return &ParseError{File: d.opts.File, Record: num, Field: field, Text: printable(raw), Err: err}
	}
	if len(raw) > maxRecordSize {
		return fail("", fmt.Errorf("%w (over %d bytes)", ErrTooLong, maxRecordSize))
	}
	if !utf8.Valid(raw) {
		return fail("", ErrEncoding)
	}
	if raw[0] != '{' {
		if !json.Valid(raw) {
			return fail("", syntaxError(raw))
		}
		return fail("", ErrNotObject)
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		var terr *json.UnmarshalTypeError
		if errors.As(err, &terr) {
			return fail(terr.Field, fmt.Errorf("%w: %s, want %s", ErrType, terr.Value, jsonKind(terr.Type.String())))
		}
		return fail("", syntaxError(raw))
	}
	if r.QueryTimestamp == "" {
		return fail("query_timestamp", ErrMissing)
	}
	if r.QueryName == "" {
		return fail("query_name", ErrMissing)
	}
	t, err := parseTime(r.QueryTimestamp)
	if err != nil {
		return fail("query_timestamp", err)
	}
	port, err := parsePort(r.SrcPort)
	if err != nil {
		return fail("srcport", err)
	}
	answers, field, err := normaliseAnswers(r.Answers)
	if err != nil {
		return fail(field, err)
	}
	compact, err := compactJSON(nil, raw)
	if err != nil {
		return fail("", fmt.Errorf("%w: %w", ErrSyntax, err))
	}
	*q = Query{
		QueryTime:            t,
		QueryName:            r.QueryName,
		QueryType:            r.QueryType,
		QueryClass:           r.QueryClass,
		RCode:                r.RCode,
		Answers:              answers,
		SrcAddr:              r.SrcAddr,
		SrcPort:              port,
		Transport:            r.Transport,
		InstanceID:           r.SrcIDs.Instance,
		ResolverEndpoint:     r.SrcIDs.ResolverEndpoint,
		VPCID:                r.VPCID,
		FirewallAction:       r.FirewallRuleAction,
		FirewallRuleGroupID:  r.FirewallRuleGroupID,
		FirewallDomainListID: r.FirewallDomainListID,
		AccountID:            r.AccountID,
		Region:               r.Region,
		Version:              r.Version,
		Raw:                  compact,
		Record:               num,
	}
	return nil
}

// syntaxError describes why raw is not valid JSON, wrapping ErrSyntax and,
// for a record cut short, io.ErrUnexpectedEOF.
func syntaxError(raw []byte) error {
	var v json.RawMessage
	err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v)
	if err == nil {
		// One valid value followed by something else.
		return fmt.Errorf("%w: data after the end of the record", ErrSyntax)
	}
	return fmt.Errorf("%w: %w", ErrSyntax, err)
}

// jsonKind names the JSON type a Go type decodes from, for error messages
// that should not leak Go type names.
func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "string"
	case "[]*dnslog.answer":
		return "array"
	default:
		return "object"
	}
}

// parseTime accepts the RFC 3339 timestamps AWS writes
// ("2021-02-04T17:51:55Z", fractional seconds and offsets allowed) and the
// "2022-06-25 00:27:53" form of normalised copies, which is taken as UTC,
// like a "T" form without offset.
func parseTime(s string) (time.Time, error) {
	v := s
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + v[11:]
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999Z07:00", v)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05.999999999", v)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf(`%w: "%s"`, ErrTimestamp, printable([]byte(s)))
	}
	return t.UTC(), nil
}

// parsePort accepts srcport as a string of digits (as AWS writes it) or as
// a JSON integer; null, "" and "-" mean no port.
func parsePort(raw json.RawMessage) (*int32, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
		}
		if s == "" || s == "-" {
			return nil, nil
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		s = string(raw)
	default:
		return nil, fmt.Errorf("%w: %s, want string or number", ErrType, kindOf(raw))
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf(`%w: "%s" not in 0..65535`, ErrRange, printable([]byte(s)))
		}
		return nil, fmt.Errorf(`%w: "%s"`, ErrNumber, printable([]byte(s)))
	}
	if n < 0 || n > 65535 {
		return nil, fmt.Errorf("%w: %d not in 0..65535", ErrRange, n)
	}
	p := int32(n)
	return &p, nil
}

// normaliseAnswers checks answers and returns it as a compact JSON array,
// making a single object a one-element array. It returns nil for absent or
// null answers, and the field at fault with any error.
func normaliseAnswers(raw json.RawMessage) (json.RawMessage, string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, "", nil
	}
	typeErr := func(err error) (json.RawMessage, string, error) {
		var terr *json.UnmarshalTypeError
		if errors.As(err, &terr) {
			field := "answers"
			if terr.Field != "" {
				field += "." + terr.Field
			}
			return nil, field, fmt.Errorf("%w: %s, want %s", ErrType, terr.Value, jsonKind(terr.Type.String()))
		}
		return nil, "answers", fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	var out []byte
	switch raw[0] {
	case '[':
		var list []*answer
		if err := json.Unmarshal(raw, &list); err != nil {
			return typeErr(err)
		}
		for _, a := range list {
			if a == nil { // a null element decodes without error
				return nil, "answers", fmt.Errorf("%w: array holding null, want array of object", ErrType)
			}
		}
		var err error
		if out, err = compactJSON(nil, raw); err != nil {
			return typeErr(err)
		}
	case '{':
		var one answer
		if err := json.Unmarshal(raw, &one); err != nil {
			return typeErr(err)
		}
		out = make([]byte, 1, len(raw)+2)
		out[0] = '['
		var err error
		if out, err = compactJSON(out, raw); err != nil {
			return typeErr(err)
		}
		out = append(out, ']')
	default:
		return nil, "answers", fmt.Errorf("%w: %s, want array", ErrType, kindOf(raw))
	}
	return out, "", nil
}

// compactJSON appends valid JSON raw to dst without insignificant white
// space. Records as AWS writes them are compact already, and are copied
// without a second scan.
func compactJSON(dst, raw []byte) ([]byte, error) {
	spaced := false
	for _, c := range raw {
		if c <= ' ' {
			spaced = true
			break
		}
	}
	if !spaced {
		return append(dst, raw...), nil
	}
	b := bytes.NewBuffer(dst)
	b.Grow(len(raw))
	if err := json.Compact(b, raw); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// kindOf names the JSON type of a valid value.
func kindOf(raw []byte) string {
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// maxErrorText bounds how much of a bad record an error quotes.
const maxErrorText = 120

// printable returns a short, printable rendering of b for error messages;
// log records are untrusted, so control characters and invalid UTF-8 are
// escaped.
func printable(b []byte) string {
	truncated := false
	if len(b) > maxErrorText {
		b = b[:maxErrorText]
		truncated = true
	}
	s := strconv.Quote(string(b))
	s = s[1 : len(s)-1]
	if truncated {
		s += "…"
	}
	return s
}
