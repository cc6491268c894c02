package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
	"github.com/gumshoe-dev/gumshoe/internal/dnslog"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/guardduty"
	"github.com/gumshoe-dev/gumshoe/internal/source"
)

// small is a quick configuration: two days, modest volumes.
func small(seed int64) Config {
	return Config{Days: 2, Seed: seed, Flows: 60_000, CloudTrail: 6_000, DNS: 6_000}
}

func generate(t *testing.T, cfg Config) (string, *Stats) {
	t.Helper()
	dir := t.TempDir()
	st, err := Generate(context.Background(), dir, cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return dir, st
}

// objects lists the log objects under dir with their S3 layout.
func objects(t *testing.T, dir string) map[string]source.Layout {
	t.Helper()
	out := map[string]source.Layout{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".gz") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[path] = source.ParseKey(filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// decodeAll parses every object back with the project's decoders and
// returns the counts per kind and the CloudTrail events.
func decodeAll(t *testing.T, dir string) (counts map[string]int64, events []json.RawMessage, findings []guardduty.Finding) {
	t.Helper()
	counts = map[string]int64{}
	for path, l := range objects(t, dir) {
		data := gunzip(t, path)
		switch strings.ToLower(l.Service) {
		case "vpcflowlogs":
			if l.AccountID == "" || l.Region == "" || l.FlowLogID == "" || l.Date.IsZero() {
				t.Errorf("ParseKey(%s) = %+v; want account, region, flow log and date", path, l)
			}
			dec := flowlog.NewTextDecoder(bytes.NewReader(data), flowlog.TextOptions{File: path})
			b := &flowlog.Batch{}
			for {
				err := dec.Next(b)
				for _, pe := range b.Errors {
					t.Errorf("flow log rejected: %v", pe)
				}
				counts["flows"] += int64(len(b.Records))
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
			if w := dec.Warnings(); len(w) > 0 {
				t.Errorf("%s: warnings %v", path, w)
			}
		case "cloudtrail":
			if l.OrgID != OrgID || l.AccountID == "" || l.Region == "" {
				t.Errorf("ParseKey(%s) = %+v; want the organisation trail layout", path, l)
			}
			dec := cloudtrail.NewDecoder(bytes.NewReader(data), cloudtrail.Options{File: path})
			b := &cloudtrail.Batch{}
			for {
				err := dec.Next(b)
				for _, pe := range b.Errors {
					t.Errorf("CloudTrail event rejected: %v", pe)
				}
				for i := range b.Events {
					events = append(events, append(json.RawMessage(nil), b.Events[i].Raw...))
				}
				counts["cloudtrail"] += int64(len(b.Events))
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
		case "vpcdnsquerylogs":
			if l.VPCID == "" || l.AccountID == "" {
				t.Errorf("ParseKey(%s) = %+v; want account and VPC", path, l)
			}
			dec := dnslog.NewDecoder(bytes.NewReader(data), dnslog.Options{File: path})
			b := &dnslog.Batch{}
			for {
				err := dec.Next(b)
				for _, pe := range b.Errors {
					t.Errorf("DNS query rejected: %v", pe)
				}
				counts["dns"] += int64(len(b.Queries))
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
		case "guardduty":
			dec := guardduty.NewDecoder(bytes.NewReader(data), guardduty.Options{File: path})
			b := &guardduty.Batch{}
			for {
				err := dec.Next(b)
				for _, pe := range b.Errors {
					t.Errorf("finding rejected: %v", pe)
				}
				findings = append(findings, b.Findings...)
				counts["findings"] += int64(len(b.Findings))
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
		default:
			t.Errorf("ParseKey(%s): service %q; want one of the four", path, l.Service)
		}
	}
	return counts, events, findings
}

func TestGenerateDecodes(t *testing.T) {
	cfg := small(7)
	dir, st := generate(t, cfg)
	counts, events, findings := decodeAll(t, dir)
	for kind, want := range map[string]int64{"flows": st.FlowRecords, "cloudtrail": st.CloudTrailEvents, "dns": st.DNSQueries, "findings": st.Findings} {
		if counts[kind] != want {
			t.Errorf("%s decoded = %d; Stats says %d", kind, counts[kind], want)
		}
	}
	// Ordinary volumes are exact; the scenarios add theirs.
	if st.FlowRecords <= cfg.Flows || st.CloudTrailEvents <= cfg.CloudTrail || st.DNSQueries <= cfg.DNS {
		t.Errorf("Stats = %+v; want more than the ordinary %d/%d/%d", st, cfg.Flows, cfg.CloudTrail, cfg.DNS)
	}
	if int64(len(events)) != st.CloudTrailEvents {
		t.Fatalf("events = %d", len(events))
	}
	truth, err := ReadTruth(filepath.Join(dir, TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(truth.Scenarios) != 7 {
		t.Fatalf("truth has %d scenarios; want 7", len(truth.Scenarios))
	}
	gd := map[string]guardduty.Finding{}
	for _, f := range findings {
		gd[f.ID] = f
		if f.AccountID != ProdAccount {
			t.Errorf("finding %s in account %s; GuardDuty is on in production only", f.ID, f.AccountID)
		}
	}
	for _, s := range truth.Scenarios {
		if s.Benign != (len(s.ExpectedFindings) == 0) {
			t.Errorf("scenario %s: benign %v with expected findings %v", s.ID, s.Benign, s.ExpectedFindings)
		}
		if !s.Start.Before(s.End) || s.Start.Before(truth.Start) || s.End.After(truth.End) {
			t.Errorf("scenario %s: window %v-%v outside the period %v-%v", s.ID, s.Start, s.End, truth.Start, truth.End)
		}
		if len(s.Entities) == 0 {
			t.Errorf("scenario %s has no entities", s.ID)
		}
		for _, id := range s.GuardDutyFindings {
			f, ok := gd[id]
			if !ok {
				t.Errorf("scenario %s: finding %s not in the GuardDuty export", s.ID, id)
				continue
			}
			found := false
			for _, typ := range s.ExpectedFindings {
				found = found || typ == f.Type
			}
			if !found {
				t.Errorf("scenario %s: exported finding type %s not among expected %v", s.ID, f.Type, s.ExpectedFindings)
			}
			if f.RemoteIP == "" || (f.InstanceID == "" && f.AccessKeyID == "") {
				t.Errorf("scenario %s: finding %s lacks its remote address or resource: %+v", s.ID, id, f)
			}
		}
	}
	for _, name := range []string{CityDB, ASNDB} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	hashes := func(dir string) map[string][32]byte {
		out := map[string][32]byte{}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(path)
				rel, _ := filepath.Rel(dir, path)
				out[rel] = sha256.Sum256(b)
			}
			return err
		})
		return out
	}
	cfg := small(3)
	cfg.Flows, cfg.CloudTrail, cfg.DNS = 20_000, 2_000, 2_000
	cfg.Workers = 1
	a, _ := generate(t, cfg)
	cfg.Workers = 4
	b, _ := generate(t, cfg)
	ha, hb := hashes(a), hashes(b)
	if len(ha) != len(hb) {
		t.Fatalf("same seed: %d files, then %d", len(ha), len(hb))
	}
	for name, h := range ha {
		if hb[name] != h {
			t.Errorf("same seed, different workers: %s differs", name)
		}
	}
	cfg.Seed = 4
	c, _ := generate(t, cfg)
	hc := hashes(c)
	same := 0
	for name, h := range hc {
		if ha[name] == h {
			same++
		}
	}
	if same > 2 { // the GeoIP databases do not depend on the seed
		t.Errorf("another seed: %d of %d files identical", same, len(hc))
	}
}

// The field rules of real CloudTrail records, checked on the generator's
// events and, so that the rules themselves are right, on the real samples
// in ../shared/testdata.
var (
	uuidRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timeRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
	versionRE = regexp.MustCompile(`^1\.(0[5-9]|1[01])$`)
)

// checkEvent returns the ways ev breaks the rules of real events.
func checkEvent(raw json.RawMessage) []string {
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return []string{err.Error()}
	}
	var bad []string
	fail := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	for _, k := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "eventID", "eventType", "recipientAccountId", "eventCategory", "readOnly", "managementEvent"} {
		if _, ok := ev[k]; !ok {
			fail("missing %s", k)
		}
	}
	for _, k := range []string{"requestParameters", "responseElements"} {
		if _, ok := ev[k]; !ok {
			fail("missing %s (null when empty)", k)
		}
	}
	if !versionRE.MatchString(str(ev, "eventVersion")) {
		fail("eventVersion %q", ev["eventVersion"])
	}
	if !timeRE.MatchString(str(ev, "eventTime")) {
		fail("eventTime %q", ev["eventTime"])
	}
	if !uuidRE.MatchString(str(ev, "eventID")) {
		fail("eventID %q", ev["eventID"])
	}
	if !strings.HasSuffix(str(ev, "eventSource"), ".amazonaws.com") {
		fail("eventSource %q", ev["eventSource"])
	}
	if !accountRE.MatchString(str(ev, "recipientAccountId")) {
		fail("recipientAccountId %q", ev["recipientAccountId"])
	}
	et := str(ev, "eventType")
	switch et {
	case "AwsApiCall", "AwsServiceEvent", "AwsConsoleAction":
		if _, ok := ev["requestID"]; !ok && et == "AwsApiCall" {
			fail("API call without requestID")
		}
	case "AwsConsoleSignIn":
		if _, ok := ev["requestID"]; ok {
			fail("sign-in with a requestID")
		}
		if resp, _ := ev["responseElements"].(map[string]any); str(resp, str(ev, "eventName")) == "" {
			fail("sign-in without its outcome in responseElements")
		}
	default:
		fail("eventType %q", et)
	}
	if c := str(ev, "eventCategory"); c != "Management" && c != "Data" {
		fail("eventCategory %q", c)
	} else if (c == "Data") == ev["managementEvent"].(bool) {
		fail("eventCategory %s with managementEvent %v", c, ev["managementEvent"])
	}
	id, _ := ev["userIdentity"].(map[string]any)
	src := str(ev, "sourceIPAddress")
	key := str(id, "accessKeyId")
	switch typ := str(id, "type"); typ {
	case "IAMUser":
		if !strings.HasPrefix(str(id, "principalId"), "AIDA") || !strings.Contains(str(id, "arn"), ":user/") ||
			!accountRE.MatchString(str(id, "accountId")) || str(id, "userName") == "" {
			fail("IAMUser identity %v", id)
		}
		if !strings.HasSuffix(str(id, "arn"), "/"+str(id, "userName")) {
			fail("IAMUser arn %q does not end in its userName %q", id["arn"], id["userName"])
		}
	case "AssumedRole":
		sc, _ := id["sessionContext"].(map[string]any)
		iss, _ := sc["sessionIssuer"].(map[string]any)
		attrs, _ := sc["attributes"].(map[string]any)
		pid := str(id, "principalId")
		role, session, _ := strings.Cut(pid, ":")
		if str(iss, "type") != "Role" || role != str(iss, "principalId") || !strings.HasPrefix(role, "AROA") || session == "" {
			fail("AssumedRole principalId %q and issuer %v", pid, iss)
		}
		if want := ":assumed-role/" + str(iss, "userName") + "/" + session; !strings.HasSuffix(str(id, "arn"), want) || !strings.HasPrefix(str(id, "arn"), "arn:aws:sts::") {
			fail("AssumedRole arn %q; want …%s", id["arn"], want)
		}
		if !timeRE.MatchString(str(attrs, "creationDate")) || (str(attrs, "mfaAuthenticated") != "true" && str(attrs, "mfaAuthenticated") != "false") {
			fail("AssumedRole attributes %v", attrs)
		}
		if key != "" && !strings.HasPrefix(key, "ASIA") {
			fail("AssumedRole key %q", key)
		}
	case "Root":
		if str(id, "principalId") != str(id, "accountId") || !strings.HasSuffix(str(id, "arn"), ":root") {
			fail("Root identity %v", id)
		}
	case "AWSService":
		if str(id, "invokedBy") == "" || src != str(id, "invokedBy") {
			fail("AWSService identity %v from %q", id, src)
		}
	default:
		fail("userIdentity.type %q", typ)
	}
	if key != "" && !strings.HasPrefix(key, "AKIA") && !strings.HasPrefix(key, "ASIA") {
		fail("accessKeyId %q", key)
	}
	if _, ok := ev["sessionCredentialFromConsole"]; ok && !strings.HasPrefix(key, "ASIA") {
		fail("console session without temporary credentials")
	}
	if tls, ok := ev["tlsDetails"].(map[string]any); ok && str(tls, "clientProvidedHostHeader") == "" {
		fail("tlsDetails without host")
	}
	return bad
}

func TestCloudTrailFieldRules(t *testing.T) {
	// The rules hold for real events first.
	real := filepath.Join("..", "..", "..", "shared", "testdata", "cloudtrail", "cloud-snitch_s3_layout")
	nReal := 0
	filepath.WalkDir(real, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json.gz") {
			return nil
		}
		var file struct{ Records []json.RawMessage }
		if err := json.Unmarshal(gunzip(t, path), &file); err != nil {
			t.Fatal(err)
		}
		for _, ev := range file.Records {
			nReal++
			for _, b := range checkEvent(ev) {
				t.Errorf("real event breaks the rule: %s\n%s", b, ev)
			}
		}
		return nil
	})
	if nReal == 0 {
		t.Log("real samples not found; checking the generator's events only")
	}
	cfg := small(11)
	cfg.Flows, cfg.DNS = 2_000, 500 // the events are what matter here
	dir, _ := generate(t, cfg)
	_, events, _ := decodeAll(t, dir)
	seen := map[string]int{}
	ids := map[string]bool{}
	for _, ev := range events {
		for _, b := range checkEvent(ev) {
			t.Errorf("%s\n%s", b, ev)
			if t.Failed() && len(seen) > 50 {
				t.FailNow()
			}
		}
		var e struct {
			EventID      string
			UserIdentity struct{ Type string }
			EventType    string
		}
		json.Unmarshal(ev, &e)
		seen[e.UserIdentity.Type]++
		seen[e.EventType]++
		if ids[e.EventID] {
			t.Errorf("eventID %s repeated", e.EventID)
		}
		ids[e.EventID] = true
	}
	for _, want := range []string{"IAMUser", "AssumedRole", "Root", "AWSService", "AwsApiCall", "AwsConsoleSignIn"} {
		if seen[want] == 0 {
			t.Errorf("no %s event among %d: %v", want, len(events), seen)
		}
	}
}

func TestGeoIP(t *testing.T) {
	dir := t.TempDir()
	if err := writeGeoIP(dir, DefaultEnd); err != nil {
		t.Fatal(err)
	}
	// The project's resolver accepts them as a City and an ASN database.
	res, err := geoip.Open(geoip.Config{CityDB: filepath.Join(dir, CityDB), ASNDB: filepath.Join(dir, ASNDB)})
	if err != nil {
		t.Fatalf("geoip.Open: %v", err)
	}
	res.Close()
	city, err := maxminddb.Open(filepath.Join(dir, CityDB))
	if err != nil {
		t.Fatal(err)
	}
	defer city.Close()
	if !strings.Contains(city.Metadata.Description["en"], "SYNTHETIC") {
		t.Errorf("description %q does not say the data is synthetic", city.Metadata.Description["en"])
	}
	for _, a := range []uint32{addrBruteForcer, addrExfil, addrLeakedKey, addrRootLogin, addrPool1, addrProber1, addrBerlinOffice + 1, addrClients + 77} {
		var rec struct {
			Country struct {
				ISOCode string `maxminddb:"iso_code"`
			} `maxminddb:"country"`
		}
		ip := netip.MustParseAddr(ipString(a))
		if err := city.Lookup(ip).Decode(&rec); err != nil {
			t.Fatal(err)
		}
		if want := geoOf(a); want == nil || rec.Country.ISOCode != want.country {
			t.Errorf("synthetic city database places %s in %q; want %v", ip, rec.Country.ISOCode, want)
		}
	}
}

// TestAddressPlan checks the organisation's AWS addresses against AWS's
// published ranges, and the made-up internet against them too.
func TestAddressPlan(t *testing.T) {
	res, err := geoip.Open(geoip.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	check := func(what string, a uint32, wantService, wantRegion string) {
		t.Helper()
		svc, region, ok := res.AWS(netip.MustParseAddr(ipString(a)))
		if wantService == "" {
			if ok {
				t.Errorf("%s %s is in AWS's ranges (%s %s)", what, ipString(a), svc, region)
			}
			return
		}
		if !ok || svc != wantService || region != wantRegion {
			t.Errorf("%s %s: AWS range %q %q; want %s in %s", what, ipString(a), svc, region, wantService, wantRegion)
		}
		if got := awsService(a); got != wantService {
			t.Errorf("awsService(%s) = %q; want %q (flow logs' pkt-*-aws-service)", ipString(a), got, wantService)
		}
	}
	env := newEnvironment(1, 0)
	r := rand.New(rand.NewPCG(1, 2))
	for _, in := range env.Instances {
		if in.PublicIP != 0 {
			check(in.Name, in.PublicIP, "EC2", in.VPC.Region)
		}
	}
	for _, v := range env.VPCs {
		if v.NAT != nil {
			check(v.Name+" NAT gateway", v.NAT.PublicIP, "EC2", v.Region)
		}
	}
	for _, region := range Regions {
		for range 200 {
			check("S3 in "+region, s3Addr(region, r), "S3", region)
			check("API endpoint in "+region, apiAddr(region, r), "AMAZON", region)
		}
	}
	for _, b := range geoBlocks {
		p := netip.MustParsePrefix(b.prefix)
		a := p.Addr().As4()
		check(b.city, uint32(a[0])<<24|uint32(a[1])<<16|uint32(a[2])<<8|uint32(a[3])+1, "", "")
	}
}
