package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// oracle reads members of a raw event with encoding/json alone, matching
// names exactly (as the decoder does, unlike encoding/json's struct
// decoding).
type oracle map[string]any

func (o oracle) str(path ...string) string {
	var v any = map[string]any(o)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// checkDecoded checks what a decoder produced against rules stated
// independently of it: raw events that are compact, valid JSON and UTF-8;
// flattened fields that say what encoding/json reads in the raw event;
// errors that say where they are.
func checkDecoded(t testing.TB, file string, d decoded) {
	t.Helper()
	last := 0
	for i := range d.events {
		e := &d.events[i]
		if e.Record <= last {
			t.Fatalf("event %d has record %d after record %d", i, e.Record, last)
		}
		last = e.Record
		var c bytes.Buffer
		if err := json.Compact(&c, e.Raw); err != nil || !bytes.Equal(c.Bytes(), e.Raw) {
			t.Fatalf("record %d: Raw is not compact JSON (%v): %q", e.Record, err, e.Raw)
		}
		if !utf8.Valid(e.Raw) || e.Raw[0] != '{' {
			t.Fatalf("record %d: Raw is not a UTF-8 JSON object: %q", e.Record, e.Raw)
		}
		if e.EventTime.IsZero() || e.EventTime.Location() != time.UTC || e.EventName == "" {
			t.Fatalf("record %d: EventTime %v, EventName %q; want a UTC time and a name", e.Record, e.EventTime, e.EventName)
		}
		for _, s := range []string{e.EventID, e.EventSource, e.EventName, e.AWSRegion, e.SourceIP, e.UserAgent,
			e.UserType, e.UserARN, e.PrincipalID, e.AccountID, e.AccessKeyID, e.UserName, e.SessionIssuerARN,
			e.ErrorCode, e.ErrorMessage, e.RecipientAccountID} {
			if !utf8.ValidString(s) {
				t.Fatalf("record %d: field %q is not UTF-8", e.Record, s)
			}
		}
		var o oracle
		if err := json.Unmarshal(e.Raw, &o); err != nil {
			t.Fatalf("record %d: encoding/json cannot read Raw: %v", e.Record, err)
		}
		want := map[string]string{
			"eventID": o.str("eventID"), "awsRegion": o.str("awsRegion"),
			"sourceIPAddress": o.str("sourceIPAddress"), "userAgent": o.str("userAgent"),
			"errorCode": o.str("errorCode"), "errorMessage": o.str("errorMessage"),
			"recipientAccountId": o.str("recipientAccountId"),
			"type":               o.str("userIdentity", "type"), "arn": o.str("userIdentity", "arn"),
			"principalId": o.str("userIdentity", "principalId"), "accessKeyId": o.str("userIdentity", "accessKeyId"),
			"issuer":    o.str("userIdentity", "sessionContext", "sessionIssuer", "arn"),
			"accountId": o.str("userIdentity", "accountId"),
		}
		got := map[string]string{
			"eventID": e.EventID, "awsRegion": e.AWSRegion, "sourceIPAddress": e.SourceIP,
			"userAgent": e.UserAgent, "errorCode": e.ErrorCode, "errorMessage": e.ErrorMessage,
			"recipientAccountId": e.RecipientAccountID, "type": e.UserType, "arn": e.UserARN,
			"principalId": e.PrincipalID, "accessKeyId": e.AccessKeyID, "issuer": e.SessionIssuerARN,
			"accountId": e.AccountID,
		}
		if want["accountId"] == "" {
			want["accountId"] = want["recipientAccountId"]
		}
		if n := o.str("userIdentity", "userName"); n != "" {
			want["userName"], got["userName"] = n, e.UserName
		}
		if o.str("eventType") != "AwsCloudTrailInsight" {
			want["eventName"], got["eventName"] = o.str("eventName"), e.EventName
			want["eventSource"], got["eventSource"] = o.str("eventSource"), e.EventSource
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("record %d: flattened fields differ from encoding/json's reading of Raw (-json +decoder):\n%s\nRaw: %s", e.Record, diff, e.Raw)
		}
		res, _ := json.Marshal(o["resources"])
		if e.Resources != nil {
			var r []any
			if json.Unmarshal(e.Resources, &r) != nil || !jsonEqual(e.Resources, res) {
				t.Fatalf("record %d: Resources %s; want the resources array %s", e.Record, e.Resources, res)
			}
		} else if string(res) != "null" {
			t.Fatalf("record %d: no Resources; Raw has %s", e.Record, res)
		}
		if e.ReadOnly != nil && !bytes.Contains(e.Raw, []byte(`"readOnly":`)) {
			t.Fatalf("record %d: ReadOnly set without readOnly in Raw", e.Record)
		}
	}
	for _, e := range d.errors {
		if e == nil || e.Err == nil || e.File != file || e.Record <= 0 {
			t.Fatalf("rejected-record error %#v; want one with File %q, a record and a cause", e, file)
		}
		if !utf8.ValidString(e.Error()) || !strings.HasPrefix(e.Error(), file+": record ") {
			t.Fatalf("error message %q; want UTF-8 starting with %q", e.Error(), file+": record ")
		}
	}
	if d.err != nil {
		var perr *ParseError
		if !errors.As(d.err, &perr) || perr.File != file {
			t.Fatalf("decoding ended with %v (%T); want a *ParseError naming %q", d.err, d.err, file)
		}
		if !utf8.ValidString(d.err.Error()) {
			t.Fatalf("error message %q is not valid UTF-8", d.err.Error())
		}
	}
}

// checkInvariants decodes data in batches of two sizes and in reads of a
// few bytes, and checks both the invariants and that none of this changes
// the result.
func checkInvariants(t testing.TB, data []byte) {
	t.Helper()
	const file = "fuzz.json"
	big := decodeBytes(t, data, file, 128)
	checkDecoded(t, file, big)
	if diff := diffDecoded(big, decodeBytes(t, data, file, 1)); diff != "" {
		t.Fatalf("batches of 1 differ from batches of 128: %s", diff)
	}
	chunked := drain(t, NewDecoder(&chunkReader{data: data, n: 3}, Options{File: file}), 128)
	if diff := diffDecoded(big, chunked); diff != "" {
		t.Fatalf("reads of 3 bytes differ from one read: %s", diff)
	}
	Sniff(data)
}

// diffDecoded describes the first difference between a and b, or returns
// "". It is a cheaper goldenJSON comparison, for fuzzing.
func diffDecoded(a, b decoded) string {
	if a.shape != b.shape || a.digests != b.digests {
		return fmt.Sprintf("shape %q, %d digests; then %q, %d", a.shape, a.digests, b.shape, b.digests)
	}
	if len(a.events) != len(b.events) || len(a.errors) != len(b.errors) {
		return fmt.Sprintf("%d events, %d errors; then %d, %d", len(a.events), len(a.errors), len(b.events), len(b.errors))
	}
	for i := range a.events {
		x, y := a.events[i], b.events[i]
		if !bytes.Equal(x.Raw, y.Raw) || !bytes.Equal(x.Resources, y.Resources) || (x.ReadOnly == nil) != (y.ReadOnly == nil) ||
			(x.ReadOnly != nil && *x.ReadOnly != *y.ReadOnly) {
			return fmt.Sprintf("event %d: %s; then %s", i, x.Raw, y.Raw)
		}
		x.Raw, x.Resources, x.ReadOnly = nil, nil, nil
		y.Raw, y.Resources, y.ReadOnly = nil, nil, nil
		if !reflect.DeepEqual(x, y) {
			return fmt.Sprintf("event %d: %+v; then %+v", i, x, y)
		}
	}
	for i := range a.errors {
		if a.errors[i].Error() != b.errors[i].Error() {
			return fmt.Sprintf("error %d: %v; then %v", i, a.errors[i], b.errors[i])
		}
	}
	if (a.err == nil) != (b.err == nil) || (a.err != nil && a.err.Error() != b.err.Error()) {
		return fmt.Sprintf("ended with %v; then %v", a.err, b.err)
	}
	return ""
}

func FuzzDecoder(f *testing.F) {
	// Large seeds make slow executions and slower minimizing: the start of
	// each file is seed enough (and a truncated object besides).
	const maxSeed = 4 << 10
	for _, name := range goldenInputs(f) {
		data := readTestdata(f, name)
		f.Add(data[:min(len(data), maxSeed)])
	}
	for _, s := range unitInputs {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256<<10 {
			return
		}
		checkInvariants(t, data)
	})
}

// TestFuzzSeeds keeps the seed corpus valid without -fuzz.
func TestFuzzSeeds(t *testing.T) {
	for _, name := range goldenInputs(t) {
		t.Run(name, func(t *testing.T) { checkInvariants(t, readTestdata(t, name)) })
	}
	for i, s := range unitInputs {
		checkInvariants(t, []byte(s))
		_ = i
	}
}

// jsonEqual reports whether a and b hold the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && cmp.Equal(x, y)
}

// FuzzCompact checks compact against encoding/json.Compact: the same
// verdict on every input, and the same bytes for valid ones.
func FuzzCompact(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `{ "a" : [ 1 , 2.50e+3, "x\u00e9\n" ] , "a": null }`, `[`, `{"a":}`,
		"{\"k\": \"\xff\"}", `"\ud800"`, `  true `, `{"eventID":"x","requestParameters":{"a":{"b":[{}]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, err := compact(nil, src)
		var want bytes.Buffer
		werr := json.Compact(&want, src)
		if (err == nil) != (werr == nil) {
			t.Fatalf("compact(%q): error %v; encoding/json says %v", src, err, werr)
		}
		if err == nil && !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("compact(%q) = %q; encoding/json gives %q", src, got, want.Bytes())
		}
	})
}
