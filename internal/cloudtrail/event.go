// Package cloudtrail decodes CloudTrail events from every shape they come
// in: S3 log files ({"Records":[...]}, streamed), single events, JSON
// arrays and NDJSON of events, EventBridge envelopes and the output of
// aws cloudtrail lookup-events. Digest files are recognised and skipped.
//
// The decoder flattens the fields investigations filter on and keeps each
// event's JSON, compacted, for the store. It does not deduplicate: the same
// eventID can appear in several objects (and, rarely, twice in one), and the
// store keeps one.
package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Event is one CloudTrail event with the fields investigations filter on,
// flattened. A field absent from the event, or null, is empty.
type Event struct {
	EventID     string
	EventTime   time.Time // UTC
	EventSource string    // "iam.amazonaws.com"
	EventName   string
	AWSRegion   string
	// SourceIP is sourceIPAddress as written; it may be a service name
	// such as "ec2.amazonaws.com".
	SourceIP    string
	UserAgent   string
	UserType    string // userIdentity.type
	UserARN     string // userIdentity.arn
	PrincipalID string // userIdentity.principalId
	// AccountID is userIdentity.accountId, else recipientAccountId.
	AccountID   string
	AccessKeyID string // userIdentity.accessKeyId
	// UserName is userIdentity.userName; else, for a role session, the
	// role's name (sessionContext.sessionIssuer.userName, or the role part
	// of an assumed-role ARN); else the last part of userIdentity.arn
	// ("root" for the root user). AWSService and AWSAccount identities,
	// which have no ARN, have none.
	UserName           string
	SessionIssuerARN   string // userIdentity.sessionContext.sessionIssuer.arn
	ErrorCode          string
	ErrorMessage       string
	ReadOnly           *bool // readOnly; nil when absent
	RecipientAccountID string
	// Resources is the "resources" array as JSON, or nil. It shares Raw's
	// memory.
	Resources json.RawMessage
	// Raw is the whole event as compact JSON: the event's own content,
	// without the envelope of an EventBridge or lookup-events record.
	Raw json.RawMessage
	// Record is the 1-based position of the event in its object: its
	// index in the Records or Events array or top-level array, or the
	// number of the top-level JSON value in NDJSON.
	Record int
}

// Options configures a Decoder.
type Options struct {
	// File names the object in errors: a path or an s3:// URI.
	File string
}

// Batch receives decoded events and the records rejected while decoding
// them.
type Batch struct {
	Events []Event // filled up to len; capacity sets the batch size
	Errors []*ParseError
}

// Errors that describe why a record or an object was rejected. They are
// wrapped in a *ParseError naming the file and record.
var (
	ErrEmpty         = errors.New("empty object")
	ErrBinary        = errors.New("binary data, not JSON")
	ErrNotJSON       = errors.New("not JSON")
	ErrSyntax        = errors.New("invalid JSON")
	ErrTruncated     = errors.New("unexpected end of input")
	ErrRead          = errors.New("read failed")
	ErrTooLarge      = errors.New("record too large")
	ErrNotObject     = errors.New("not a JSON object")
	ErrNotCloudTrail = errors.New("not a CloudTrail event")
	ErrEncoding      = errors.New("invalid UTF-8")
	ErrMissingField  = errors.New("missing field")
	ErrFieldType     = errors.New("wrong type")
	ErrDuplicateKey  = errors.New("duplicate key")
	ErrTime          = errors.New("invalid eventTime")
)

// ParseError reports a record (or a whole object, when Record is 0) that
// could not be decoded.
type ParseError struct {
	File   string // the object's name: a path or an s3:// URI
	Record int    // 1-based position of the record; 0 for the whole object
	Err    error
}

func (e *ParseError) Error() string {
	if e.Record > 0 {
		return fmt.Sprintf("%s: record %d: %v", e.File, e.Record, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxErrorText bounds how much of a value an error quotes.
const maxErrorText = 80

// quote renders untrusted text for an error message: quoted, escaped,
// cut short.
func quote[T string | []byte](b T) string {
	s := string(b)
	cut := false
	if len(s) > maxErrorText {
		s, cut = s[:maxErrorText], true
	}
	q := strconv.Quote(s)
	if cut {
		q += "…"
	}
	return q
}
