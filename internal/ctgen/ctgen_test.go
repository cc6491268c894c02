package ctgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
)

var keyPattern = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

// files returns the generated files, keyed by path relative to dir.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func gunzip(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not gzip: %v", name, err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: bad gzip stream: %v", name, err)
	}
	return text
}

// record is the part of an event the tests look at.
type record struct {
	EventVersion string `json:"eventVersion"`
	UserIdentity struct {
		Type           string `json:"type"`
		PrincipalID    string `json:"principalId"`
		AccessKeyID    string `json:"accessKeyId"`
		InvokedBy      string `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *struct {
				Arn string `json:"arn"`
			} `json:"sessionIssuer"`
			Attributes struct {
				CreationDate string `json:"creationDate"`
			} `json:"attributes"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	EventID            string          `json:"eventID"`
	ReadOnly           *bool           `json:"readOnly"`
	EventType          string          `json:"eventType"`
	ManagementEvent    *bool           `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	EventCategory      string          `json:"eventCategory"`
	TLSDetails         json.RawMessage `json:"tlsDetails"`
	Resources          json.RawMessage `json:"resources"`
}

// records decodes a file strictly: one object with a Records array and
// nothing else.
func records(t *testing.T, name string, text []byte) []record {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(text, &top); err != nil {
		t.Fatalf("%s: not JSON: %v", name, err)
	}
	if len(top) != 1 || top["Records"] == nil {
		t.Fatalf("%s: top-level members %v; want only Records", name, keys(top))
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(top["Records"], &raws); err != nil {
		t.Fatalf("%s: Records: %v", name, err)
	}
	out := make([]record, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatalf("%s: record %d: %v", name, i+1, err)
		}
	}
	return out
}

func keys(m map[string]json.RawMessage) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGenerate(t *testing.T) {
	cfg := Config{Events: 30_011, EventsPerFile: 1_000, Seed: 7, Regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}}
	dir := t.TempDir()
	st, err := Generate(dir, cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	written := files(t, dir)
	if st.Files != len(written) || st.Files != 31 {
		t.Errorf("Stats.Files = %d, %d files on disk; want 31", st.Files, len(written))
	}
	if st.Events != cfg.Events {
		t.Errorf("Stats.Events = %d; want %d", st.Events, cfg.Events)
	}

	var size, raw int64
	events := 0
	ids := map[string]string{}
	// The first and last eventTime of each file, by account, region and
	// delivery time.
	spans := map[string][2]string{}
	types := map[string]int{}
	failed, tls, data := 0, 0, 0
	keyOf := map[string]string{} // principal and session start → access key
	for name, b := range written {
		size += int64(len(b))
		m := keyPattern.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("key %q does not match the CloudTrail layout", name)
			continue
		}
		acct, region, yyyy, mm, dd, acct2, region2, stamp := m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8]
		if acct != acct2 || region != region2 {
			t.Errorf("%s: account or region differ between path and name", name)
		}
		delivered, err := time.Parse("20060102T1504Z", stamp)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := delivered.Format("2006/01/02"); got != yyyy+"/"+mm+"/"+dd {
			t.Errorf("%s: directory date %s/%s/%s; the name says %s", name, yyyy, mm, dd, got)
		}
		text := gunzip(t, name, b)
		raw += int64(len(text))
		if bytes.ContainsAny(text, "\n\t") {
			t.Errorf("%s: JSON not compact", name)
		}
		recs := records(t, name, text)
		events += len(recs)
		if len(recs) == 0 || len(recs) > cfg.EventsPerFile {
			t.Errorf("%s: %d records; want 1 to %d", name, len(recs), cfg.EventsPerFile)
		}
		spans[acct+"/"+region+"/"+stamp] = [2]string{recs[0].EventTime, recs[len(recs)-1].EventTime}
		for i, r := range recs {
			if prev, ok := ids[r.EventID]; ok {
				t.Errorf("%s: record %d: eventID %s also in %s", name, i+1, r.EventID, prev)
			}
			ids[r.EventID] = name
			if !uuidPattern.MatchString(r.EventID) {
				t.Errorf("%s: record %d: eventID %q is not a UUID", name, i+1, r.EventID)
			}
			at, err := time.Parse(time.RFC3339, r.EventTime)
			if err != nil || !strings.HasSuffix(r.EventTime, "Z") {
				t.Errorf("%s: record %d: eventTime %q: %v", name, i+1, r.EventTime, err)
			}
			if at.After(delivered) || delivered.Sub(at) > 5*time.Minute {
				t.Errorf("%s: record %d: eventTime %s outside the five minutes before delivery %s", name, i+1, r.EventTime, stamp)
			}
			if i > 0 && r.EventTime < recs[i-1].EventTime {
				t.Errorf("%s: record %d: eventTime %s before the previous %s", name, i+1, r.EventTime, recs[i-1].EventTime)
			}
			if r.RecipientAccountID != acct {
				t.Errorf("%s: record %d: recipientAccountId %s", name, i+1, r.RecipientAccountID)
			}
			if r.AWSRegion != region {
				// Global services only appear in us-east-1 files.
				t.Errorf("%s: record %d: %s %s in awsRegion %s", name, i+1, r.EventSource, r.EventName, r.AWSRegion)
			}
			if r.EventVersion == "" || r.EventSource == "" || r.EventName == "" || r.SourceIPAddress == "" || r.UserAgent == "" ||
				r.ReadOnly == nil || r.ManagementEvent == nil || r.RequestParameters == nil || r.ResponseElements == nil {
				t.Errorf("%s: record %d: a member every event has is missing: %+v", name, i+1, r)
			}
			switch r.EventType {
			case "AwsApiCall":
			case "AwsConsoleSignIn":
				if r.EventName != "ConsoleLogin" {
					t.Errorf("%s: record %d: %s is a sign-in", name, i+1, r.EventName)
				}
			default:
				t.Errorf("%s: record %d: eventType %q", name, i+1, r.EventType)
			}
			if (r.EventCategory == "Data") == *r.ManagementEvent {
				t.Errorf("%s: record %d: eventCategory %s, managementEvent %v", name, i+1, r.EventCategory, *r.ManagementEvent)
			}
			if r.EventCategory == "Data" {
				data++
			}
			types[r.UserIdentity.Type]++
			if r.ErrorCode != "" || r.ErrorMessage != "" {
				failed++
				if r.EventName != "ConsoleLogin" && string(r.ResponseElements) != "null" {
					t.Errorf("%s: record %d: failed call with responseElements %s", name, i+1, r.ResponseElements)
				}
			}
			if r.TLSDetails != nil {
				tls++
			}
			u := r.UserIdentity
			switch u.Type {
			case "AWSService":
				if u.InvokedBy == "" || r.SourceIPAddress != u.InvokedBy {
					t.Errorf("%s: record %d: AWSService invoked by %q from %q", name, i+1, u.InvokedBy, r.SourceIPAddress)
				}
			case "AssumedRole":
				if u.SessionContext == nil || u.SessionContext.SessionIssuer == nil || !strings.HasPrefix(u.AccessKeyID, "ASIA") {
					t.Errorf("%s: record %d: role session without issuer or temporary key: %+v", name, i+1, u)
				}
			}
			if u.SessionContext != nil && u.AccessKeyID != "" {
				// A session keeps its key for its lifetime.
				created := u.SessionContext.Attributes.CreationDate
				if created > r.EventTime {
					t.Errorf("%s: record %d: session created %s after the event", name, i+1, created)
				}
				k := u.PrincipalID + " " + created
				if prev, ok := keyOf[k]; ok && prev != u.AccessKeyID {
					t.Errorf("%s: record %d: session %s has keys %s and %s", name, i+1, k, prev, u.AccessKeyID)
				}
				keyOf[k] = u.AccessKeyID
			}
		}
	}
	if events != cfg.Events {
		t.Errorf("files hold %d events; want %d", events, cfg.Events)
	}
	// Time goes on from file to file of an account and region.
	streams := slices.Sorted(maps.Keys(spans))
	for i := 1; i < len(streams); i++ {
		prev, cur := streams[i-1], streams[i]
		if prev[:strings.LastIndexByte(prev, '/')] == cur[:strings.LastIndexByte(cur, '/')] && spans[cur][0] < spans[prev][1] {
			t.Errorf("file %s starts at %s, before %s ends at %s", cur, spans[cur][0], prev, spans[prev][1])
		}
	}
	if size != st.Bytes || raw != st.JSONBytes {
		t.Errorf("Stats sizes %d gzip, %d JSON; files hold %d and %d", st.Bytes, st.JSONBytes, size, raw)
	}
	if avg := raw / int64(events); avg < 1000 || avg > 1700 {
		t.Errorf("average event %d bytes; want about 1 to 1.5 KB", avg)
	}
	for _, typ := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "WebIdentityUser"} {
		if types[typ] == 0 {
			t.Errorf("no %s identities in %d events (%v)", typ, events, types)
		}
	}
	if p := float64(failed) / float64(events); p < 0.02 || p > 0.045 {
		t.Errorf("%.1f%% of events failed; want about 3%%", 100*p)
	}
	if tls == 0 || tls == events {
		t.Errorf("%d of %d events have tlsDetails; want some", tls, events)
	}
	if data == 0 || data == events {
		t.Errorf("%d of %d events are data events; want some", data, events)
	}
}

// TestGenerateDecodes checks every file with the project's own decoder.
func TestGenerateDecodes(t *testing.T) {
	cfg := Config{Events: 12_000, EventsPerFile: 1_500, Seed: 3}
	dir := t.TempDir()
	st, err := Generate(dir, cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	n := 0
	users := map[string]bool{}
	for name, b := range files(t, dir) {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := cloudtrail.NewDecoder(zr, cloudtrail.Options{File: name})
		var batch cloudtrail.Batch
		for {
			err := d.Next(&batch)
			for _, perr := range batch.Errors {
				t.Errorf("decode: %v", perr)
			}
			for _, ev := range batch.Events {
				n++
				if ev.EventID == "" || ev.EventTime.IsZero() || ev.EventSource == "" || ev.EventName == "" || ev.UserType == "" || ev.AccountID == "" {
					t.Errorf("%s: record %d decoded with empty fields: %+v", name, ev.Record, ev)
				}
				if ev.UserName != "" {
					users[ev.UserName] = true
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: Next: %v", name, err)
			}
		}
		if d.Shape() != "records" {
			t.Errorf("%s: Shape() = %q; want records", name, d.Shape())
		}
	}
	if n != st.Events {
		t.Errorf("decoded %d events; generated %d", n, st.Events)
	}
	for _, u := range []string{"alice", "app-server", "root"} {
		if !users[u] {
			t.Errorf("no events of user %q", u)
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Events: 9_000, EventsPerFile: 1_000, Seed: 42}
	a, b := t.TempDir(), t.TempDir()
	if _, err := Generate(a, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	// Whatever the number of goroutines.
	procs := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	if _, err := Generate(b, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	runtime.GOMAXPROCS(procs)
	fa, fb := files(t, a), files(t, b)
	if len(fa) != len(fb) || len(fa) == 0 {
		t.Fatalf("runs wrote %d and %d files", len(fa), len(fb))
	}
	for name, x := range fa {
		if !bytes.Equal(x, fb[name]) {
			t.Errorf("%s differs between runs with the same seed", name)
		}
	}

	cfg.Seed = 43
	c := t.TempDir()
	if _, err := Generate(c, cfg); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	for name := range files(t, c) {
		if _, ok := fa[name]; ok {
			t.Errorf("%s written with seeds 42 and 43", name)
		}
	}
}

func TestGenerateDefaults(t *testing.T) {
	dir := t.TempDir()
	st, err := Generate(dir, Config{Events: 4_001})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if st.Files != 3 {
		t.Errorf("Generate(4,001 events) wrote %d files; want 3 of at most %d", st.Files, DefaultEventsPerFile)
	}
	want := []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/05/111111111111_CloudTrail_us-east-1_20260105T0005Z_",
		"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/01/05/111111111111_CloudTrail_eu-west-1_20260105T0005Z_",
		"AWSLogs/222222222222/CloudTrail/us-east-1/2026/01/05/222222222222_CloudTrail_us-east-1_20260105T0005Z_",
	}
	got := files(t, dir)
	for _, prefix := range want {
		found := false
		for name := range got {
			found = found || strings.HasPrefix(name, prefix)
		}
		if !found {
			t.Errorf("no file named %s…", prefix)
		}
	}
	if st, err := Generate(t.TempDir(), Config{}); err != nil || st != (Stats{}) {
		t.Errorf("Generate(no events) = %+v, %v; want nothing", st, err)
	}
}

func TestGenerateConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Events: -1},
		{Events: 10, EventsPerFile: -1},
		{Events: 10, Accounts: []string{"12345"}},
		{Events: 10, Accounts: []string{"../etc/passwd"}},
		{Events: 10, Regions: []string{"us east 1"}},
		{Events: 10, Regions: []string{"US-EAST-1"}},
	} {
		if _, err := Generate(t.TempDir(), cfg); err == nil {
			t.Errorf("Generate(%+v) succeeded; want an error", cfg)
		}
	}
}

func TestCatalog(t *testing.T) {
	names := map[string]bool{}
	for _, a := range catalog {
		k := a.source + " " + a.name
		if names[k] {
			t.Errorf("%s listed twice", k)
		}
		names[k] = true
		if a.who[cService] > 0 && len(a.services) == 0 {
			t.Errorf("%s: called by services, but none named", k)
		}
		if a.who[cInvoked] > 0 && len(a.invokers) == 0 {
			t.Errorf("%s: called through services, but none named", k)
		}
		if a.weight <= 0 || a.version == "" || a.build == nil {
			t.Errorf("%s: weight %d, version %q, builder %v", k, a.weight, a.version, a.build != nil)
		}
	}
	if got, want := kebab("DescribeInstances"), "describe-instances"; got != want {
		t.Errorf("kebab(DescribeInstances) = %q; want %q", got, want)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	dir := b.TempDir()
	var st Stats
	for b.Loop() {
		var err error
		st, err = Generate(dir, Config{Events: 100_000})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(st.Events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.JSONBytes)/float64(st.Events), "B/event")
}
