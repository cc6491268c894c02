package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// The fixture: account 111111111111, two instances with ten days of
// ordinary traffic and API calls, then one day (day0) of attacks.
const (
	acct  = "111111111111"
	instA = "i-0aaaaaaaaaaaaaaa1"
	instB = "i-0bbbbbbbbbbbbbbb2"
	eniA  = "eni-0aaaaaaaaaaaaaaa1"
	eniB  = "eni-0bbbbbbbbbbbbbbb2"
	ipA   = "10.0.0.10"
	ipB   = "10.0.0.20"
)

var (
	base = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	day0 = base.AddDate(0, 0, 10) // the attack day
	at   = day0.Add(10 * time.Hour)
)

const flowHeader = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status instance-id flow-direction\n"

type flowLog struct{ b strings.Builder }

// rec adds a record captured on the instance's interface; dir is
// "ingress" or "egress".
func (f *flowLog) rec(inst, src, dst string, sport, dport int, packets, bytes int64, t time.Time, action, dir string) {
	if f.b.Len() == 0 {
		f.b.WriteString(flowHeader)
	}
	eni := eniA
	if inst == instB {
		eni = eniB
	}
	fmt.Fprintf(&f.b, "5 %s %s %s %s %d %d 6 %d %d %d %d %s OK %s %s\n", acct, eni, src, dst, sport, dport, packets, bytes,
		t.Unix(), t.Add(30*time.Second).Unix(), action, inst, dir)
}

type ctLog struct{ events []string }

func (c *ctLog) event(t time.Time, identity, source, name, ip, ua, extra string) {
	id := fmt.Sprintf("ev-%d", len(c.events)+1)
	e := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":%s,"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","userAgent":"%s","eventID":"%s","eventType":"AwsApiCall","recipientAccountId":"%s"%s}`,
		identity, t.Format(time.RFC3339), source, name, ip, ua, id, acct, extra)
	c.events = append(c.events, e)
}

func (c *ctLog) bytes() []byte { return []byte(`{"Records":[` + strings.Join(c.events, ",") + `]}`) }

func user(name string) string {
	return fmt.Sprintf(`{"type":"IAMUser","principalId":"AIDA%s","arn":"arn:aws:iam::%s:user/%s","accountId":"%s","accessKeyId":"AKIA%s","userName":"%s"}`,
		strings.ToUpper(name), acct, name, acct, strings.ToUpper(name), name)
}

const root = `{"type":"Root","principalId":"` + acct + `","arn":"arn:aws:iam::` + acct + `:root","accountId":"` + acct + `","accessKeyId":"ASIAROOT"}`

func instanceRole(inst string) string {
	return fmt.Sprintf(`{"type":"AssumedRole","principalId":"AROAWEBROLE:%s","arn":"arn:aws:sts::%s:assumed-role/web/%s","accountId":"%s","accessKeyId":"ASIAWEB",`+
		`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAWEBROLE","arn":"arn:aws:iam::%s:role/web","accountId":"%s","userName":"web"},"ec2RoleDelivery":"2.0"}}`,
		inst, acct, inst, acct, acct, acct)
}

type dnsLog struct{ b strings.Builder }

func (d *dnsLog) query(inst, src, name string, t time.Time, answers ...string) {
	var as []string
	for _, a := range answers {
		as = append(as, fmt.Sprintf(`{"Rdata":"%s","Type":"A","Class":"IN"}`, a))
	}
	fmt.Fprintf(&d.b, `{"version":"1.100000","account_id":"%s","region":"us-east-1","vpc_id":"vpc-1","query_timestamp":"%s","query_name":"%s.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[%s],"srcaddr":"%s","srcport":"53123","transport":"UDP","srcids":{"instance":"%s"}}`+"\n",
		acct, t.Format(time.RFC3339), name, strings.Join(as, ","), src, inst)
}

// baseline writes ten days of ordinary behaviour.
func baseline(fl *flowLog, ct *ctLog) {
	for t := base; t.Before(day0); t = t.Add(time.Hour) {
		for _, in := range []struct{ inst, ip string }{{instA, ipA}, {instB, ipB}} {
			fl.rec(in.inst, in.ip, "198.51.100.10", 40000, 443, 40, 50_000, t.Add(5*time.Minute), "ACCEPT", "egress")
			fl.rec(in.inst, "198.51.100.10", in.ip, 443, 40000, 60, 80_000, t.Add(5*time.Minute), "ACCEPT", "ingress")
		}
		if t.Hour() == 9 {
			ct.event(t.Add(time.Minute), user("alice"), "s3.amazonaws.com", "ListBuckets", "192.0.2.200", "aws-cli/2.15.0", "")
			ct.event(t.Add(2*time.Minute), user("alice"), "ec2.amazonaws.com", "DescribeInstances", "192.0.2.200", "aws-cli/2.15.0", "")
			ct.event(t.Add(3*time.Minute), user("carol"), "ec2.amazonaws.com", "DescribeInstances", "192.0.2.201", "aws-cli/2.15.0", "")
		}
	}
}

// attacks writes the attack day.
func attacks(fl *flowLog, ct *ctLog, dns *dnsLog) {
	// SSH brute force on A: 30 attempts from one address; 5 from another
	// (below the threshold).
	for i := 0; i < 30; i++ {
		action := "REJECT"
		if i%3 == 0 {
			action = "ACCEPT"
		}
		fl.rec(instA, "203.0.113.5", ipA, 50000+i, 22, 3, 180, at.Add(time.Duration(i)*time.Minute), action, "ingress")
	}
	for i := 0; i < 5; i++ {
		fl.rec(instA, "203.0.113.6", ipA, 51000+i, 22, 3, 180, at.Add(time.Duration(i)*time.Minute), "REJECT", "ingress")
	}
	// An office signs in to A forty times in the hour: sessions that
	// carry tens of kilobytes, not attempts.
	for i := 0; i < 40; i++ {
		fl.rec(instA, "198.51.100.201", ipA, 53000+i, 22, 200, 60_000, at.Add(time.Duration(i)*time.Minute), "ACCEPT", "ingress")
	}
	// B talks to an address in a listed IPv6 network, written in full
	// and in upper case as some tools do.
	fl.rec(instB, ipB, "2001:DB8:BAD:0:0:0:0:7", 47000, 443, 4, 900, at.Add(3*time.Minute), "ACCEPT", "egress")
	// RDP brute force on B.
	for i := 0; i < 25; i++ {
		fl.rec(instB, "203.0.113.7", ipB, 52000+i, 3389, 3, 180, at.Add(time.Duration(i)*time.Minute), "REJECT", "ingress")
	}
	// B scans 40 ports of one host, and sweeps port 445 of 30 hosts.
	for p := 1; p <= 40; p++ {
		fl.rec(instB, ipB, "198.51.100.77", 45000, p, 1, 44, at.Add(time.Duration(p)*time.Second), "ACCEPT", "egress")
	}
	for h := 1; h <= 30; h++ {
		fl.rec(instB, ipB, fmt.Sprintf("10.1.0.%d", h), 46000, 445, 1, 44, at.Add(time.Duration(h)*time.Second), "ACCEPT", "egress")
	}
	// A public prober tries six ports of A: Redis and HTTP answer.
	for i, p := range []int{23, 6379, 1433, 3306, 5432, 80} {
		action := "REJECT"
		if p == 6379 || p == 80 {
			action = "ACCEPT"
		}
		fl.rec(instA, "203.0.113.9", ipA, 53000+i, p, 2, 120, at.Add(time.Duration(i)*time.Minute), action, "ingress")
	}
	// A sends 500 MB to one address (its baseline: 50 kB an hour).
	fl.rec(instA, ipA, "198.51.100.50", 41000, 443, 400_000, 500_000_000, at.Add(20*time.Minute), "ACCEPT", "egress")
	// A mines: resolves the pool, talks Stratum to it.
	dns.query(instA, ipA, "pool.supportxmr.com", at.Add(-time.Minute), "198.51.100.23")
	fl.rec(instA, ipA, "198.51.100.23", 42000, 3333, 30, 3_000, at.Add(time.Minute), "ACCEPT", "egress")
	// B is contacted by an address on the threat list.
	fl.rec(instB, "192.0.2.5", ipB, 54000, 8080, 5, 400, at, "ACCEPT", "ingress")

	// DNS: 25 long random names under one domain (exfiltration), 25 long
	// but repetitive ones (not), and a listed domain.
	for i := 0; i < 25; i++ {
		dns.query(instB, ipB, fmt.Sprintf("%s.exfil.example.net", randomLabel(i)), at.Add(time.Duration(i)*time.Second))
		dns.query(instB, ipB, fmt.Sprintf("%s%02d.cdn.example.org", strings.Repeat("ab", 16), i), at.Add(time.Duration(i)*time.Second))
		// Random, long, but under a cloud provider's zone: ignored.
		dns.query(instB, ipB, fmt.Sprintf("%s.s3.amazonaws.com", randomLabel(i+100)), at.Add(time.Duration(i)*time.Second))
	}
	dns.query(instB, ipB, "www.evil.example.com", at)

	// CloudTrail: alice's key used from a Kali box, a new address, for new
	// discovery calls, a new access key and stopping the trail.
	kali := "aws-cli/2.15.0 Python/3.11.6 Linux/6.6.9-amd64-kali botocore/2.0"
	for i, name := range []string{"ListUsers", "ListRoles", "ListAccessKeys", "GetAccountAuthorizationDetails", "CreateAccessKey"} {
		ct.event(at.Add(time.Duration(i)*time.Minute), user("alice"), "iam.amazonaws.com", name, "203.0.113.66", kali, "")
	}
	ct.event(at.Add(6*time.Minute), user("alice"), "cloudtrail.amazonaws.com", "StopLogging", "203.0.113.66", kali,
		`,"requestParameters":{"name":"arn:aws:cloudtrail:us-east-1:`+acct+`:trail/main"}`)
	// A failed StopLogging and a StartLogging raise nothing.
	ct.event(at.Add(7*time.Minute), user("carol"), "cloudtrail.amazonaws.com", "StopLogging", "192.0.2.201", "aws-cli/2.15.0",
		`,"requestParameters":{"name":"other"},"errorCode":"AccessDenied"`)
	ct.event(at.Add(8*time.Minute), user("carol"), "cloudtrail.amazonaws.com", "StartLogging", "192.0.2.201", "aws-cli/2.15.0",
		`,"requestParameters":{"name":"main"}`)
	// The root user signs in and looks around.
	ct.event(at.Add(20*time.Minute), root, "signin.amazonaws.com", "ConsoleLogin", "203.0.113.70", "Mozilla/5.0", `,"responseElements":{"ConsoleLogin":"Success"}`)
	ct.event(at.Add(21*time.Minute), root, "iam.amazonaws.com", "ListUsers", "203.0.113.70", "Mozilla/5.0", "")
	// A's role credentials used from outside AWS; B's from inside AWS
	// (an EC2 address) and from its private address: only A's count.
	ct.event(at.Add(30*time.Minute), instanceRole(instA), "sts.amazonaws.com", "GetCallerIdentity", "203.0.113.80", "aws-cli/2.15.0", "")
	ct.event(at.Add(31*time.Minute), instanceRole(instA), "s3.amazonaws.com", "ListBuckets", "203.0.113.80", "aws-cli/2.15.0", "")
	ct.event(at.Add(32*time.Minute), instanceRole(instB), "s3.amazonaws.com", "ListBuckets", "52.4.1.10", "aws-sdk-go", "")
	ct.event(at.Add(33*time.Minute), instanceRole(instB), "s3.amazonaws.com", "ListBuckets", ipB, "aws-sdk-go", "")
	// carol calls from an address on the threat list.
	ct.event(at.Add(40*time.Minute), user("carol"), "ec2.amazonaws.com", "DescribeInstances", "192.0.2.5", "aws-cli/2.15.0", "")
}

// randomLabel is a fixed pseudo-random 40-character label.
func randomLabel(i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	x := uint32(i*2654435761 + 12345)
	b := make([]byte, 40)
	for j := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[j] = alphabet[x%uint32(len(alphabet))]
	}
	return string(b)
}

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ingestFiles(t testing.TB, st *store.Store, paths ...string) {
	t.Helper()
	sum, err := ingest.Run(context.Background(), st, ingest.Config{Sources: paths})
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	if sum.LinesRejected > 0 || sum.ObjectsFailed > 0 {
		t.Fatalf("ingest rejected %d lines, %d objects: %+v %+v", sum.LinesRejected, sum.ObjectsFailed, sum.RejectedLines, sum.ObjectErrors)
	}
}

type storedFinding struct {
	ID, Type, Instance, RemoteIP, Domain, Principal, AccessKey string
	LocalPort                                                  int64
	Count                                                      int64
	Severity                                                   float64
	First, Last, Updated                                       time.Time
	Raw                                                        string
}

func findings(t testing.TB, st *store.Store) []storedFinding {
	t.Helper()
	res, err := st.Query(context.Background(), `SELECT id, type, coalesce(instance_id, ''), coalesce(remote_ip, ''), coalesce(domain, ''),
		coalesce(principal, ''), coalesce(access_key_id, ''), coalesce(local_port, -1)::BIGINT, count, severity, first_seen, last_seen, updated_at, raw::VARCHAR
		FROM findings WHERE source = 'gumshoe' ORDER BY type, id`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []storedFinding
	for _, r := range res.Rows {
		out = append(out, storedFinding{ID: r[0].(string), Type: r[1].(string), Instance: r[2].(string), RemoteIP: r[3].(string),
			Domain: r[4].(string), Principal: r[5].(string), AccessKey: r[6].(string), LocalPort: r[7].(int64), Count: r[8].(int64),
			Severity: r[9].(float64), First: r[10].(time.Time), Last: r[11].(time.Time), Updated: r[12].(time.Time), Raw: r[13].(string)})
	}
	return out
}

func setup(t testing.TB) (*store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	var fl flowLog
	var ct ctLog
	var dns dnsLog
	baseline(&fl, &ct)
	attacks(&fl, &ct, &dns)
	st := openStore(t)
	ingestFiles(t, st,
		writeFile(t, dir, "flows.log", []byte(fl.b.String())),
		writeFile(t, dir, "cloudtrail.json", ct.bytes()),
		writeFile(t, dir, "dns.log", []byte(dns.b.String())))
	list := writeFile(t, dir, "intel.txt", []byte("# test list\n198.51.100.99\n192.0.2.0/28 scanners\nevil.example.com\n2001:db8:bad::/48 v6 network\n"))
	return st, list
}

func TestDetectors(t *testing.T) {
	st, list := setup(t)
	var cfg detect.Config
	if err := cfg.Intel.ReadThreatList(list); err != nil {
		t.Fatal(err)
	}
	sum, err := detect.Run(context.Background(), st, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := findings(t, st)
	if sum.New != len(got) {
		t.Errorf("Run says %d new findings; the table holds %d", sum.New, len(got))
	}
	type want struct {
		typ   string
		match func(f storedFinding) bool
		count int64 // 0: any
	}
	wants := []want{
		{detect.TypeSSHBruteForce, func(f storedFinding) bool {
			return f.Instance == instA && f.RemoteIP == "203.0.113.5" && f.LocalPort == 22
		}, 30},
		{detect.TypeRDPBruteForce, func(f storedFinding) bool { return f.Instance == instB && f.RemoteIP == "203.0.113.7" }, 25},
		{detect.TypePortscan, func(f storedFinding) bool { return f.Instance == instB && f.RemoteIP == "198.51.100.77" }, 40},
		{detect.TypePortSweep, func(f storedFinding) bool { return f.Instance == instB && strings.Contains(f.Raw, `"port":445`) }, 30},
		{detect.TypePortProbe, func(f storedFinding) bool {
			return f.Instance == instA && f.LocalPort == 6379 && f.RemoteIP == "203.0.113.9"
		}, 1},
		{detect.TypeTrafficVolume, func(f storedFinding) bool { return f.Instance == instA && f.RemoteIP == "198.51.100.50" }, 0},
		{detect.TypeNetworkPortUnusual, func(f storedFinding) bool { return f.Instance == instA && strings.Contains(f.Raw, `"port":3333`) }, 0},
		{detect.TypeBitcoinTool, func(f storedFinding) bool { return f.Instance == instA && f.RemoteIP == "198.51.100.23" }, 1},
		{detect.TypeBitcoinToolDNS, func(f storedFinding) bool { return f.Instance == instA && f.Domain == "pool.supportxmr.com" }, 1},
		{detect.TypeDNSExfiltration, func(f storedFinding) bool { return f.Instance == instB && f.Domain == "example.net" }, 25},
		{detect.TypeMaliciousDomainEC2, func(f storedFinding) bool { return f.Instance == instB && f.Domain == "www.evil.example.com" }, 1},
		{detect.TypeMaliciousIPEC2, func(f storedFinding) bool {
			return f.Instance == instB && f.RemoteIP == "192.0.2.5" && strings.Contains(f.Raw, `"resourceRole":"TARGET"`)
		}, 1},
		{detect.TypeMaliciousIPEC2, func(f storedFinding) bool {
			return f.Instance == instB && f.RemoteIP == "2001:DB8:BAD:0:0:0:0:7" && strings.Contains(f.Raw, `"2001:db8:bad::/48"`)
		}, 1},
		{detect.TypeMaliciousIPIAM, func(f storedFinding) bool { return f.Principal == "carol" && f.RemoteIP == "192.0.2.5" }, 1},
		{detect.TypeCredExfiltration, func(f storedFinding) bool {
			return f.RemoteIP == "203.0.113.80" && strings.Contains(f.Raw, "AROAWEBROLE:"+instA)
		}, 2},
		{detect.TypeCloudTrailDisabled, func(f storedFinding) bool { return f.Principal == "alice" && strings.Contains(f.Raw, "trail/main") }, 1},
		{detect.TypeRootUsage, func(f storedFinding) bool { return f.Principal == "Root" }, 2},
		{detect.TypeKali, func(f storedFinding) bool { return f.Principal == "alice" }, 6},
		{detect.TypeDiscoveryAnomalous, func(f storedFinding) bool { return f.Principal == "alice" }, 4},
		{detect.TypePersistAnomalous, func(f storedFinding) bool { return f.Principal == "alice" }, 1},
	}
	matched := make([]bool, len(got))
	for _, w := range wants {
		n := 0
		for i, f := range got {
			if f.Type == w.typ && w.match(f) {
				n++
				matched[i] = true
				if w.count != 0 && f.Count != w.count {
					t.Errorf("%s: count = %d; want %d", w.typ, f.Count, w.count)
				}
				checkShape(t, f)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d matching findings; want 1", w.typ, n)
		}
	}
	for i, f := range got {
		if !matched[i] {
			t.Errorf("unexpected finding %s on %s/%s/%s/%s", f.Type, f.Instance, f.RemoteIP, f.Domain, f.Principal)
		}
	}
}

// checkShape checks a stored finding's JSON against the GuardDuty shape
// and gumshoe's additions.
func checkShape(t *testing.T, f storedFinding) {
	t.Helper()
	var g struct {
		SchemaVersion, AccountID, ID, Arn, Type, CreatedAt, UpdatedAt string
		Severity                                                      float64
		Resource                                                      struct{ ResourceType string }
		Service                                                       struct {
			ServiceName, ResourceRole, EventFirstSeen, EventLastSeen string
			Count                                                    int64
			Archived                                                 bool
			Action                                                   struct{ ActionType string }
			AdditionalInfo                                           struct{ Value, Type string }
		}
		Gumshoe struct{ MITRE detect.MITRE }
	}
	if err := json.Unmarshal([]byte(f.Raw), &g); err != nil {
		t.Fatalf("%s: raw is not JSON: %v", f.Type, err)
	}
	if g.ID != f.ID || g.Type != f.Type || g.AccountID != acct || g.Service.ServiceName != "gumshoe" || g.Service.Count != f.Count {
		t.Errorf("%s: id/type/account/service/count = %s/%s/%s/%s/%d", f.Type, g.ID, g.Type, g.AccountID, g.Service.ServiceName, g.Service.Count)
	}
	if !strings.HasSuffix(g.Arn, "/finding/"+f.ID) || g.SchemaVersion == "" || g.Resource.ResourceType == "" || g.Service.Action.ActionType == "" {
		t.Errorf("%s: arn %q schemaVersion %q resourceType %q actionType %q", f.Type, g.Arn, g.SchemaVersion, g.Resource.ResourceType, g.Service.Action.ActionType)
	}
	if g.Service.ResourceRole != "TARGET" && g.Service.ResourceRole != "ACTOR" {
		t.Errorf("%s: resourceRole %q", f.Type, g.Service.ResourceRole)
	}
	if g.Severity != f.Severity || g.Severity < 1 || g.Severity > 8.9 {
		t.Errorf("%s: severity %v (column %v)", f.Type, g.Severity, f.Severity)
	}
	if g.Gumshoe.MITRE.TacticID == "" || g.Gumshoe.MITRE.TechniqueID == "" || !strings.Contains(g.Service.AdditionalInfo.Value, g.Gumshoe.MITRE.TechniqueID) {
		t.Errorf("%s: MITRE %+v, additionalInfo %q", f.Type, g.Gumshoe.MITRE, g.Service.AdditionalInfo.Value)
	}
	if g.Service.EventFirstSeen == "" || g.Service.EventLastSeen == "" || g.CreatedAt == "" || g.UpdatedAt == "" {
		t.Errorf("%s: times %q %q %q %q", f.Type, g.Service.EventFirstSeen, g.Service.EventLastSeen, g.CreatedAt, g.UpdatedAt)
	}
}

// TestIncremental: a second run changes nothing; new data about a known
// finding grows its count, last seen and updatedAt under the same ID; a
// re-evaluation with Since changes nothing either.
func TestIncremental(t *testing.T) {
	st, _ := setup(t)
	ctx := context.Background()
	clock := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	if _, err := detect.Run(ctx, st, detect.Config{Now: now}); err != nil {
		t.Fatal(err)
	}
	before := findings(t, st)
	clock = clock.Add(time.Hour)
	sum, err := detect.Run(ctx, st, detect.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 0 || sum.Updated != 0 || sum.FlowHours != 0 {
		t.Errorf("second run: %+v; want nothing evaluated or written", sum)
	}
	sum, err = detect.Run(ctx, st, detect.Config{Now: now, Since: base})
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 0 || sum.Updated != 0 || sum.FlowHours == 0 {
		t.Errorf("run with Since: %d new, %d updated, %d flow hours; want 0, 0 and every hour", sum.New, sum.Updated, sum.FlowHours)
	}
	if after := findings(t, st); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("findings changed without new data:\n%v\n%v", before, after)
	}

	// The brute forcer comes back the next hour.
	var fl flowLog
	for i := 0; i < 30; i++ {
		fl.rec(instA, "203.0.113.5", ipA, 60000+i, 22, 3, 180, at.Add(time.Hour+time.Duration(i)*time.Minute), "REJECT", "ingress")
	}
	ingestFiles(t, st, writeFile(t, t.TempDir(), "more.log", []byte(fl.b.String())))
	clock = clock.Add(time.Hour)
	sum, err = detect.Run(ctx, st, detect.Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != 0 || sum.Updated != 1 || sum.ByType[detect.TypeSSHBruteForce] != 1 {
		t.Errorf("after new attempts: %+v; want one SSH brute force finding updated", sum)
	}
	var old, upd storedFinding
	for _, f := range before {
		if f.Type == detect.TypeSSHBruteForce {
			old = f
		}
	}
	for _, f := range findings(t, st) {
		if f.Type == detect.TypeSSHBruteForce {
			upd = f
		}
	}
	if upd.ID != old.ID || upd.Count != old.Count+30 || !upd.Last.After(old.Last) || !upd.Updated.After(old.Updated) || !upd.First.Equal(old.First) {
		t.Errorf("SSH brute force after new attempts: id %s→%s count %d→%d last %s→%s updated %s→%s first %s→%s",
			old.ID, upd.ID, old.Count, upd.Count, old.Last, upd.Last, old.Updated, upd.Updated, old.First, upd.First)
	}
	if n := queryInt(t, st, `SELECT count(*) FROM findings WHERE source = 'gumshoe' AND type = '`+detect.TypeSSHBruteForce+`'`); n != 1 {
		t.Errorf("%d SSH brute force findings; want the one, updated", n)
	}
	// The graph knows what the finding involves.
	if n := queryInt(t, st, `SELECT count(*) FROM relationships WHERE from_id = 'finding:`+old.ID+`' AND to_id = 'instance:`+instA+`' AND type = 'involves'`); n == 0 {
		t.Error("no involves edge from the finding to its instance")
	}

	// Port history is kept between runs (detect_port_hours): a later
	// batch in which B talks to its usual port 443 and, for the first
	// time, to port 6697 raises one NetworkPortUnusual, for 6697.
	var more flowLog
	more.rec(instB, ipB, "198.51.100.10", 47100, 443, 20, 4000, at.Add(3*time.Hour), "ACCEPT", "egress")
	more.rec(instB, "198.51.100.10", ipB, 443, 47100, 20, 9000, at.Add(3*time.Hour), "ACCEPT", "ingress")
	more.rec(instB, ipB, "198.51.100.60", 47200, 6697, 20, 4000, at.Add(3*time.Hour), "ACCEPT", "egress")
	more.rec(instB, "198.51.100.60", ipB, 6697, 47200, 20, 9000, at.Add(3*time.Hour), "ACCEPT", "ingress")
	ingestFiles(t, st, writeFile(t, t.TempDir(), "ports.log", []byte(more.b.String())))
	clock = clock.Add(time.Hour)
	if sum, err = detect.Run(ctx, st, detect.Config{Now: now}); err != nil {
		t.Fatal(err)
	}
	if sum.New != 1 || sum.ByType[detect.TypeNetworkPortUnusual] != 1 || len(sum.Findings) != 1 || !strings.Contains(sum.Findings[0].Title, "port 6697") {
		t.Errorf("after a batch with a new port: %+v; want one NetworkPortUnusual for port 6697", sum)
	}
}

func TestThreatListErrors(t *testing.T) {
	var in detect.Intel
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{"198.51.100.1\n10.0.0.0/8\n# comment\n\nexample.com trailing comment\n2001:db8::1\n", true},
		{"not a domain!\n", false},
		{"2001:db8::/32\n", true},
		{"2001:db8::/129\n", false},
	} {
		err := in.Read("t", "t.txt", strings.NewReader(tc.text))
		if (err == nil) != tc.ok {
			t.Errorf("Read(%q) = %v; want ok=%v", tc.text, err, tc.ok)
		}
		var le *detect.ThreatListError
		if err != nil && !errorsAs(err, &le) {
			t.Errorf("Read(%q) = %T; want *ThreatListError", tc.text, err)
		}
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// TestConsoleLogins: bob, who signs in from Germany every day, signs in
// from Germany and then from the United States four hours later (a
// finding); carol twice from Germany, erin from her two usual countries,
// frank after a flight (none).
func TestConsoleLogins(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	w, err := st.NewIPInfoWriter()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]store.IPInfoRow{
		{IP: "198.51.100.1", Country: "DE", Latitude: 52.5, Longitude: 13.4, HasGeo: true},
		{IP: "198.51.100.2", Country: "US", Latitude: 40.7, Longitude: -74.0, HasGeo: true},
		{IP: "198.51.100.3", Country: "US", Latitude: 40.7, Longitude: -74.0, HasGeo: true},
	}); err != nil {
		t.Fatal(err)
	}
	sf, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, store.Segment{Files: []store.StagedFile{sf}}); err != nil {
		t.Fatal(err)
	}
	var ct ctLog
	ok := `,"responseElements":{"ConsoleLogin":"Success"}`
	for d := 1; d <= 14; d++ {
		ct.event(at.AddDate(0, 0, -d), user("bob"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	}
	ct.event(at, user("bob"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	ct.event(at.Add(4*time.Hour), user("bob"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.2", "Mozilla/5.0", ok)
	// frank, also at home in Germany, flies to New York: 6,400 km in 10
	// hours is travel, not a second person.
	for d := 1; d <= 14; d++ {
		ct.event(at.AddDate(0, 0, -d), user("frank"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	}
	ct.event(at, user("frank"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	ct.event(at.Add(10*time.Hour), user("frank"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.3", "Mozilla/5.0", ok)
	ct.event(at, user("carol"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	ct.event(at.Add(time.Hour), user("carol"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	// erin signs in from both countries every week: not news.
	for d := 1; d <= 14; d++ {
		ct.event(at.AddDate(0, 0, -d), user("erin"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
		ct.event(at.AddDate(0, 0, -d).Add(6*time.Hour), user("erin"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.2", "Mozilla/5.0", ok)
	}
	// A failed sign-in from a third country does not count; nor does
	// dave's failed one from the United States two hours after he
	// signed in at home (as a success it would be impossible travel).
	failed := `,"errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}`
	ct.event(at.Add(2*time.Hour), user("carol"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.2", "Mozilla/5.0", failed)
	for d := 1; d <= 14; d++ {
		ct.event(at.AddDate(0, 0, -d), user("dave"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	}
	ct.event(at, user("dave"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.1", "Mozilla/5.0", ok)
	ct.event(at.Add(2*time.Hour), user("dave"), "signin.amazonaws.com", "ConsoleLogin", "198.51.100.2", "Mozilla/5.0", failed)
	ingestFiles(t, st, writeFile(t, t.TempDir(), "ct.json", ct.bytes()))
	if _, err := detect.Run(ctx, st, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings(t, st) {
		got = append(got, f.Type+" "+f.Principal)
	}
	if want := detect.TypeConsoleLogin + " bob"; fmt.Sprint(got) != "["+want+"]" {
		t.Errorf("findings %v; want [%s]", got, want)
	}
}

// TestPentestDistributions: each distribution by its user agent, one
// finding per principal and type; an ordinary agent raises nothing.
func TestPentestDistributions(t *testing.T) {
	st := openStore(t)
	var ct ctLog
	for i, ua := range []string{
		"aws-cli/2.13.0 Python/3.11.4 Linux/6.5.0-parrot-amd64 exe/x86_64.parrot.6 prompt/off",
		"Boto3/1.28.0 Python/3.11 Linux/6.1.31-pentoo botocore/1.31.0",
		"aws-cli/2.15.0 Python/3.11.6 Linux/6.6.9-amd64-kali botocore/2.0",
		"aws-cli/2.15.0 Python/3.11.6 Linux/6.6.9-amd64-kali botocore/2.0",
		"aws-cli/2.15.0 Python/3.11.6 Linux/5.15.0-1051-aws botocore/2.0",
	} {
		ct.event(at.Add(time.Duration(i)*time.Minute), user("dave"), "sts.amazonaws.com", "GetCallerIdentity", "203.0.113.30", ua, "")
	}
	ingestFiles(t, st, writeFile(t, t.TempDir(), "ct.json", ct.bytes()))
	if _, err := detect.Run(context.Background(), st, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range findings(t, st) {
		got = append(got, fmt.Sprintf("%s×%d", f.Type, f.Count))
	}
	want := []string{detect.TypeKali + "×2", detect.TypeParrot + "×1", detect.TypePentoo + "×1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %v; want %v", got, want)
	}
}
