// Package guardduty decodes security findings — Amazon GuardDuty findings and
// AWS Security Hub findings in the AWS Security Finding Format (ASFF) — into
// one flattened shape for the findings table.
//
// The decoder reads every shape these findings are commonly saved in and
// detects it from the content: `aws guardduty get-findings` and
// `aws securityhub get-findings` output ({"Findings": [...]}, with keys in
// the API's camelCase or the CLI's PascalCase), a bare array, a single
// finding, line-delimited JSON such as the GuardDuty S3 export, and
// EventBridge events ("GuardDuty Finding", "Security Hub Findings - ...").
// Input must already be decompressed.
package guardduty

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Values of Finding.Source.
const (
	SourceGuardDuty   = "guardduty"
	SourceSecurityHub = "securityhub"
)

// Finding is one security finding, flattened for the findings table. A
// field the finding does not carry is left at its zero value (nil for the
// ports). Findings share no memory with the decoder.
type Finding struct {
	ID      string
	Source  string // SourceGuardDuty or SourceSecurityHub
	Product string // "GuardDuty" for GuardDuty; for ASFF the product name ("GuardDuty", "Inspector", ...)
	// Type is the GuardDuty finding type, "UnauthorizedAccess:EC2/SSHBruteForce".
	// For ASFF it is the first of Types, except for findings of the
	// GuardDuty product, whose GuardDuty type is recovered from Types.
	Type string
	// Severity is on the GuardDuty scale, 0–10. For ASFF it is
	// Severity.Product when that is on the same scale, else
	// Severity.Normalized/10, else derived from Severity.Label.
	Severity float64
	// SeverityLabel is derived from Severity: Low below 4, Medium below 7,
	// High below 9, Critical from 9; Informational for a severity of 0, and
	// empty when the finding states no severity at all.
	SeverityLabel string
	Title         string
	Description   string
	AccountID     string
	Region        string
	ResourceType  string // "Instance", "AccessKey", "S3Bucket", ...; for ASFF the first resource's Type
	InstanceID    string
	AccessKeyID   string
	Principal     string // IAM user name, else principal ID, role name or ARN involved
	RemoteIP      string
	LocalPort     *int32
	RemotePort    *int32
	Domain        string // the DNS name queried, for DNS request findings

	// FirstSeen and LastSeen bound the activity (GuardDuty
	// service.eventFirstSeen/eventLastSeen, ASFF
	// FirstObservedAt/LastObservedAt); UpdatedAt and CreatedAt are the
	// finding's own. All are UTC.
	FirstSeen, LastSeen, UpdatedAt, CreatedAt time.Time

	Count    int64 // occurrences aggregated into the finding; 1 when not stated
	Archived bool

	Raw    json.RawMessage // the finding, compact JSON, in its original casing
	Record int             // 1-based position of the finding in its object
}

// Newer reports whether finding a should replace finding b, an earlier
// version of the same finding (same ID): GuardDuty updates a finding in
// place, incrementing its count, so the higher Count wins, then the newer
// UpdatedAt.
func Newer(a, b *Finding) bool {
	if a.Count != b.Count {
		return a.Count > b.Count
	}
	return a.UpdatedAt.After(b.UpdatedAt)
}

// severityLabel names a severity on the GuardDuty scale.
func severityLabel(s float64) string {
	switch {
	case s <= 0:
		return "Informational"
	case s < 4:
		return "Low"
	case s < 7:
		return "Medium"
	case s < 9:
		return "High"
	default:
		return "Critical"
	}
}

// Errors that describe why a record or an object was rejected. They are
// wrapped in a *ParseError naming the file and record.
var (
	ErrEmpty      = errors.New("empty object")
	ErrBinary     = errors.New("binary data, not JSON")
	ErrSyntax     = errors.New("invalid JSON")
	ErrNotFinding = errors.New("not a security finding")
	ErrType       = errors.New("wrong type")
	ErrMissing    = errors.New("missing field")
	ErrTime       = errors.New("invalid timestamp")
	ErrRange      = errors.New("value out of range")
	ErrAddress    = errors.New("invalid IP address")
	ErrEncoding   = errors.New("invalid UTF-8")
	ErrLineLength = errors.New("line too long")
)

// ParseError reports a record that could not be decoded, or, returned by
// Decoder.Next, an error that ended decoding of the object.
type ParseError struct {
	File string // the object's name: a path or an s3:// URI
	// Record is the 1-based position of the rejected record, or of the
	// record being read when decoding stopped; 0 when the error concerns
	// the object before its first record.
	Record int
	// Line is the 1-based line of the record in line-delimited input
	// (NDJSON, the S3 export); 0 otherwise.
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
	}
	if e.Record > 0 {
		return fmt.Sprintf("%s: record %d: %v", loc, e.Record, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxQuoted bounds how much of an input value an error message quotes.
const maxQuoted = 120

// quote renders an input value for an error message: findings are
// attacker-influenced, so control characters and invalid UTF-8 are escaped
// and long values cut.
func quote(s string) string {
	cut := false
	if len(s) > maxQuoted {
		s, cut = s[:maxQuoted], true
	}
	q := strconv.Quote(s)
	if cut {
		q += "…"
	}
	return q
}
