package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// gdFinding is a GuardDuty finding about an instance, with a remote
// address and a domain when given.
func gdFinding(id, typ string, sev float64, inst, remote, domain string, at time.Time) string {
	action := `{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"remoteIpDetails":{"ipAddressV4":"` + remote + `"}}}`
	if domain != "" {
		action = `{"actionType":"DNS_REQUEST","dnsRequestAction":{"domain":"` + domain + `"}}`
	}
	ts := at.Format(time.RFC3339)
	return fmt.Sprintf(`{"schemaVersion":"2.0","accountId":"%s","region":"us-east-1","id":"%s","arn":"arn:aws:guardduty:us-east-1:%s:detector/d/finding/%s",`+
		`"type":"%s","severity":%v,"createdAt":"%s","updatedAt":"%s","title":"%s","description":"",`+
		`"resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"%s"}},`+
		`"service":{"serviceName":"guardduty","count":1,"eventFirstSeen":"%s","eventLastSeen":"%s","archived":false,"action":%s}}`,
		acct, id, acct, id, typ, sev, ts, ts, typ, inst, ts, ts, action)
}

func ingestFindings(t *testing.T, st *store.Store, findings ...string) {
	t.Helper()
	ingestFiles(t, st, writeFile(t, t.TempDir(), "findings.json", []byte(`{"Findings":[`+strings.Join(findings, ",")+`]}`)))
}

func groups(t *testing.T, st *store.Store) map[string]store.FindingGroup {
	t.Helper()
	gs, err := st.FindingGroups(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.FindingGroup{}
	for _, g := range gs {
		out[g.ID] = g
	}
	return out
}

// TestGroupsParentChild: findings sharing an instance or an external
// address group together; a finding that ties two groups makes them
// inactive parents of an active child; AWS and private addresses tie
// nothing; grouping again changes nothing.
func TestGroupsParentChild(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	ingestFindings(t, st,
		gdFinding("a1", "UnauthorizedAccess:EC2/SSHBruteForce", 2, "i-0000000000000000a", "203.0.113.1", "", t0),
		gdFinding("a2", "CryptoCurrency:EC2/BitcoinTool.B!DNS", 8, "i-0000000000000000a", "", "pool.example.com", t0.Add(time.Hour)),
		gdFinding("b1", "Recon:EC2/Portscan", 5, "i-0000000000000000b", "203.0.113.2", "", t0),
		gdFinding("b2", "Behavior:EC2/NetworkPortUnusual", 5, "i-0000000000000000c", "203.0.113.2", "", t0.Add(2*time.Hour)),
		// Same S3 address (AWS) and same private address: no tie.
		gdFinding("c1", "Behavior:EC2/TrafficVolumeUnusual", 5, "i-0000000000000000d", "52.216.1.1", "", t0),
		gdFinding("c2", "Behavior:EC2/TrafficVolumeUnusual", 5, "i-0000000000000000e", "52.216.1.1", "", t0),
		gdFinding("c3", "Behavior:EC2/TrafficVolumeUnusual", 5, "i-0000000000000000f", "10.0.0.9", "", t0),
		gdFinding("c4", "Behavior:EC2/TrafficVolumeUnusual", 5, "i-00000000000000010", "10.0.0.9", "", t0),
		// Same address as a1, three weeks later: too far apart.
		gdFinding("d1", "Recon:EC2/Portscan", 5, "i-00000000000000011", "203.0.113.1", "", t0.AddDate(0, 0, 21)),
	)
	clock := t0.AddDate(0, 1, 0)
	cfg := detect.GroupConfig{Now: func() time.Time { return clock }}
	sum, err := detect.Group(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 2 || sum.Active != 2 {
		t.Fatalf("first grouping: %+v; want 2 groups created", sum)
	}
	first := groups(t, st)
	var ga, gb store.FindingGroup
	for _, g := range first {
		switch strings.Join(g.Members, ",") {
		case "a1,a2":
			ga = g
		case "b1,b2":
			gb = g
		default:
			t.Errorf("unexpected group %v", g.Members)
		}
	}
	if ga.ID == "" || gb.ID == "" {
		t.Fatalf("groups: %+v", first)
	}
	if ga.Title != "Group with: TTP (1), and Effect (1)" || ga.SeverityLabel != "High" || ga.Severity != 8 {
		t.Errorf("group a: title %q severity %v %s", ga.Title, ga.Severity, ga.SeverityLabel)
	}
	if ga.Tactics != `["Credential Access","Impact"]` {
		t.Errorf("group a tactics %s; want Credential Access then Impact", ga.Tactics)
	}
	var ents map[string][]string
	if err := json.Unmarshal([]byte(ga.Entities), &ents); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ents["Compute"]) != "[instance:i-0000000000000000a]" || fmt.Sprint(ents["Network"]) != "[domain:pool.example.com ip:203.0.113.1]" {
		t.Errorf("group a entities %v", ents)
	}
	if sum, _ := detect.Group(ctx, st, cfg); sum.Created+sum.Updated+sum.Inactive != 0 {
		t.Errorf("grouping again: %+v; want no change", sum)
	}

	// A finding on instance a with b's address ties both groups.
	ingestFindings(t, st, gdFinding("x1", "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom", 5, "i-0000000000000000a", "203.0.113.2", "", t0.Add(3*time.Hour)))
	clock = clock.Add(time.Hour)
	sum, err = detect.Group(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 1 || sum.Inactive != 2 {
		t.Errorf("after the tying finding: %+v; want one child and two inactive parents", sum)
	}
	after := groups(t, st)
	for _, id := range []string{ga.ID, gb.ID} {
		if after[id].Status != detect.GroupInactive {
			t.Errorf("parent %s is %s; want INACTIVE", id, after[id].Status)
		}
	}
	var child store.FindingGroup
	for _, g := range after {
		if g.Status == detect.GroupActive {
			child = g
		}
	}
	if strings.Join(child.Members, ",") != "a1,a2,b1,b2,x1" {
		t.Errorf("child members %v", child.Members)
	}
	var parents []string
	json.Unmarshal([]byte(child.Parents), &parents)
	if len(parents) != 2 || !contains(parents, ga.ID) || !contains(parents, gb.ID) {
		t.Errorf("child parents %v; want %s and %s", parents, ga.ID, gb.ID)
	}
	if !child.Updated.Equal(clock) {
		t.Errorf("child updated %s; want %s", child.Updated, clock)
	}
}

func TestGroupGraph(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	ingestFindings(t, st,
		gdFinding("a1", "UnauthorizedAccess:EC2/SSHBruteForce", 2, "i-0000000000000000a", "203.0.113.1", "", t0),
		gdFinding("a2", "Recon:EC2/Portscan", 5, "i-0000000000000000b", "203.0.113.1", "", t0))
	if _, err := detect.Group(ctx, st, detect.GroupConfig{}); err != nil {
		t.Fatal(err)
	}
	gs, _ := st.FindingGroups(ctx, true)
	if len(gs) != 1 {
		t.Fatalf("%d groups; want 1", len(gs))
	}
	d, err := detect.GroupGraph(ctx, st, gs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for _, n := range d.Nodes {
		nodes = append(nodes, n.Kind+"/"+n.ID)
	}
	want := "finding/finding:a1 Compute/instance:i-0000000000000000a Network/ip:203.0.113.1 finding/finding:a2 Compute/instance:i-0000000000000000b"
	if strings.Join(nodes, " ") != want {
		t.Errorf("nodes %v; want %s", nodes, want)
	}
	if d.Status != detect.GroupActive || len(d.Findings) != 2 || len(d.Parents) != 0 || d.SeverityLabel != "Medium" {
		t.Errorf("detail %+v", d.GroupView)
	}
	if len(d.Edges) != 4 {
		t.Errorf("%d edges; want 4: %v", len(d.Edges), d.Edges)
	}
	if _, err := detect.GroupGraph(ctx, st, "group-none"); !errors.Is(err, detect.ErrNoGroup) {
		t.Errorf("unknown group: %v; want ErrNoGroup", err)
	}
}
