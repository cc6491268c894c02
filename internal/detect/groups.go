package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Finding groups, as Amazon Detective makes them: findings (of every
// source: GuardDuty, Security Hub and gumshoe) that share an entity — an
// instance, a role session, a principal, an access key, an external
// address, a domain — within GroupWindow of each other belong to one
// group. Entities too common to tell anything are ignored: private
// addresses and addresses in AWS's ranges (the services, your NAT
// gateways' and instances' public addresses), and any entity that more than
// GroupMaxShare of all findings name. A group needs two findings.
//
// Groups persist between runs. A group whose findings gain a new member
// keeps its ID; when a finding ties two or more active groups together,
// they become INACTIVE and an ACTIVE child holding all their findings takes
// their place, naming them as its parents.

// GroupConfig configures grouping.
type GroupConfig struct {
	// Window is how far apart (between one finding's last sighting and the
	// other's first) two findings sharing an entity may be; default 48 h.
	Window time.Duration
	// MaxShare: an entity named by more than this fraction of all findings
	// (and by more than 10) is too common to group by; default 0.2.
	MaxShare float64
	Now      func() time.Time
}

// Group statuses.
const (
	GroupActive   = "ACTIVE"
	GroupInactive = "INACTIVE"
)

// tacticOrder is Detective's tactics chain, from early stage to most
// severe.
var tacticOrder = []string{"Initial Access", "Execution", "Persistence", "Privilege Escalation", "Defense Evasion",
	"Credential Access", "Discovery", "Lateral Movement", "Collection", "Command and Control", "Exfiltration", "Impact", "Other"}

// purposeTactic maps GuardDuty's threat purposes to tactics, for findings
// that do not name their tactic.
var purposeTactic = map[string]string{
	"Backdoor": "Command and Control", "CryptoCurrency": "Impact", "Cryptocurrency": "Impact", "Discovery": "Discovery",
	"Exfiltration": "Exfiltration", "Impact": "Impact", "InitialAccess": "Initial Access", "Persistence": "Persistence",
	"PrivilegeEscalation": "Privilege Escalation", "Recon": "Discovery", "Stealth": "Defense Evasion", "Trojan": "Command and Control",
	"UnauthorizedAccess": "Initial Access", "CredentialAccess": "Credential Access", "DefenseEvasion": "Defense Evasion",
	"Execution": "Execution", "PenTest": "Initial Access", "Policy": "Other", "Behavior": "Other",
}

// chainTactic maps the ATT&CK tactics that Detective's chain lacks to
// the place it gives such findings: reconnaissance is where GuardDuty's
// Recon findings go, Discovery.
var chainTactic = map[string]string{"Reconnaissance": "Discovery"}

// tacticOf returns a finding's tactic in Detective's chain.
func tacticOf(f *store.GroupInput) string {
	tactic := f.Tactic
	if t, ok := chainTactic[tactic]; ok {
		tactic = t
	}
	for _, t := range tacticOrder {
		if tactic == t {
			return t
		}
	}
	if info, ok := types[f.Type]; ok {
		// GuardDuty's findings of a type gumshoe also raises get
		// gumshoe's tactic for it, so both sources chain alike.
		tactic = info.mitre.Tactic
		if t, ok := chainTactic[tactic]; ok {
			tactic = t
		}
		for _, t := range tacticOrder {
			if tactic == t {
				return t
			}
		}
		return "Other"
	}
	if strings.Contains(f.Type, "/") && !strings.Contains(f.Type, ":") {
		// ASFF type namespaces: "TTPs/Discovery/...".
		parts := strings.Split(f.Type, "/")
		if len(parts) > 1 {
			for _, t := range tacticOrder {
				if parts[1] == t {
					return t
				}
			}
		}
		return "Other"
	}
	purpose, _, _ := strings.Cut(f.Type, ":")
	if t, ok := purposeTactic[purpose]; ok {
		return t
	}
	return "Other"
}

// categoryOf names a finding's ASFF type namespace as Detective's group
// titles count them.
func categoryOf(typ string) string {
	switch {
	case strings.HasPrefix(typ, "TTPs"):
		return "TTP"
	case strings.HasPrefix(typ, "Effects"):
		return "Effect"
	case strings.HasPrefix(typ, "Unusual Behaviors"):
		return "Unusual behavior"
	case strings.HasPrefix(typ, "Software and Configuration Checks"):
		return "Software and configuration check"
	case strings.HasPrefix(typ, "Sensitive Data Identifications"):
		return "Sensitive data identification"
	}
	purpose, _, _ := strings.Cut(typ, ":")
	switch purpose {
	case "Behavior":
		return "Unusual behavior"
	case "CryptoCurrency", "Cryptocurrency", "Impact":
		return "Effect"
	case "Policy":
		return "Software and configuration check"
	}
	if strings.HasPrefix(typ, "Trojan:EC2/DNSDataExfiltration") {
		return "Effect"
	}
	return "TTP"
}

var categoryOrder = []string{"TTP", "Effect", "Unusual behavior", "Software and configuration check", "Sensitive data identification"}

// groupEntity is an entity a finding names, with its category.
type groupEntity struct {
	Key      string `json:"entity_id"`
	Category string `json:"category"`
}

func (r *grouper) entitiesOf(f *store.GroupInput) []groupEntity {
	var out []groupEntity
	add := func(key, cat string) { out = append(out, groupEntity{key, cat}) }
	if f.InstanceID != "" {
		add("instance:"+f.InstanceID, "Compute")
	}
	if f.AccessKeyID != "" {
		add("access_key:"+f.AccessKeyID, "Identity")
	}
	if strings.Contains(f.PrincipalID, ":") {
		add("role_session:"+f.PrincipalID, "Identity")
	} else if f.Principal != "" && f.AccountID != "" {
		add("principal:"+f.AccountID+"/"+f.Principal, "Identity")
	}
	if f.RemoteIP != "" && r.meaningfulAddress(f.RemoteIP, f.RemoteAWSService) {
		add("ip:"+f.RemoteIP, "Network")
	}
	if f.Domain != "" {
		add("domain:"+strings.TrimSuffix(strings.ToLower(f.Domain), "."), "Network")
	}
	return out
}

func (r *grouper) meaningfulAddress(addr, awsService string) bool {
	if awsService != "" || !external(addr) {
		return false
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	_, _, inAWS := r.aws(a)
	return !inAWS
}

type grouper struct {
	aws func(netip.Addr) (string, string, bool)
}

// GroupSummary reports a grouping run.
type GroupSummary struct {
	Active   int `json:"active"`
	Created  int `json:"created"`
	Updated  int `json:"updated"`
	Inactive int `json:"made_inactive"`
}

// Group recomputes the finding groups from the stored findings.
func Group(ctx context.Context, st *store.Store, cfg GroupConfig) (GroupSummary, error) {
	if cfg.Window == 0 {
		cfg.Window = 48 * time.Hour
	}
	if cfg.MaxShare == 0 {
		cfg.MaxShare = 0.2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var sum GroupSummary
	res, err := awsResolver()
	if err != nil {
		return sum, err
	}
	g := &grouper{aws: res}
	inputs, err := st.GroupInputs(ctx)
	if err != nil {
		return sum, err
	}
	existing, err := st.FindingGroups(ctx, false)
	if err != nil {
		return sum, err
	}
	comps := g.components(inputs, cfg)
	byID := map[string]*store.GroupInput{}
	for i := range inputs {
		byID[inputs[i].ID] = &inputs[i]
	}
	memberOf := map[string][]*store.FindingGroup{} // finding → active groups
	for i := range existing {
		eg := &existing[i]
		if eg.Status != GroupActive {
			continue
		}
		for _, m := range eg.Members {
			memberOf[m] = append(memberOf[m], eg)
		}
	}
	now := cfg.Now().UTC()
	var save []store.FindingGroup
	claimed := map[string]bool{}
	for _, comp := range comps {
		if len(comp) < 2 {
			continue
		}
		parents := map[string]*store.FindingGroup{}
		for _, id := range comp {
			for _, eg := range memberOf[id] {
				parents[eg.ID] = eg
			}
		}
		var ng store.FindingGroup
		switch len(parents) {
		case 0:
			ng = store.FindingGroup{ID: groupID(comp), Status: GroupActive, Parents: "[]", Created: now}
			sum.Created++
		case 1:
			var p *store.FindingGroup
			for _, v := range parents {
				p = v
			}
			if claimed[p.ID] {
				// The group's findings no longer hang together (an
				// entity became too common): this part starts anew.
				pj, _ := json.Marshal([]string{p.ID})
				ng = store.FindingGroup{ID: groupID(comp), Status: GroupActive, Parents: string(pj), Created: now}
				sum.Created++
				break
			}
			claimed[p.ID] = true
			ng = *p
			if sameMembers(ng.Members, comp) {
				sum.Active++
				continue
			}
			sum.Updated++
		default:
			var pids []string
			for id, p := range parents {
				pids = append(pids, id)
				inactive := *p
				inactive.Status, inactive.Updated = GroupInactive, now
				save = append(save, inactive)
				sum.Inactive++
			}
			sort.Strings(pids)
			pj, _ := json.Marshal(pids)
			ng = store.FindingGroup{ID: groupID(comp), Status: GroupActive, Parents: string(pj), Created: now}
			sum.Created++
		}
		ng.Members = comp
		ng.Updated = now
		describeGroup(&ng, comp, byID, g)
		save = append(save, ng)
		sum.Active++
	}
	return sum, st.SaveFindingGroups(ctx, save)
}

func awsResolver() (func(netip.Addr) (string, string, bool), error) {
	r, err := geoip.Open(geoip.Config{})
	if err != nil {
		return nil, err
	}
	return r.AWS, nil
}

func sameMembers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func groupID(members []string) string {
	sum := sha256.Sum256([]byte(strings.Join(members, ",")))
	return "group-" + hex.EncodeToString(sum[:10])
}

// components links findings that share a meaningful entity within the
// window; each component's finding IDs are sorted.
func (g *grouper) components(inputs []store.GroupInput, cfg GroupConfig) [][]string {
	parent := make([]int, len(inputs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	byEntity := map[string][]int{}
	for i := range inputs {
		seen := map[string]bool{}
		for _, e := range g.entitiesOf(&inputs[i]) {
			if !seen[e.Key] {
				seen[e.Key] = true
				byEntity[e.Key] = append(byEntity[e.Key], i)
			}
		}
	}
	limit := int(cfg.MaxShare * float64(len(inputs)))
	for _, idx := range byEntity {
		if len(idx) > 10 && len(idx) > limit {
			continue // too common
		}
		sort.Slice(idx, func(a, b int) bool { return inputs[idx[a]].First.Before(inputs[idx[b]].First) })
		// Sweep in order of first sighting: a finding joins the previous
		// ones if it starts within the window of the latest end so far.
		end := time.Time{}
		prev := -1
		for _, i := range idx {
			if prev >= 0 && !inputs[i].First.After(end.Add(cfg.Window)) {
				a, b := find(prev), find(i)
				if a != b {
					parent[a] = b
				}
			}
			if inputs[i].Last.After(end) {
				end = inputs[i].Last
			}
			prev = i
		}
	}
	groups := map[int][]string{}
	for i := range inputs {
		r := find(i)
		groups[r] = append(groups[r], inputs[i].ID)
	}
	var out [][]string
	for _, ids := range groups {
		sort.Strings(ids)
		out = append(out, ids)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// describeGroup fills a group's title, severity, tactics, entities,
// accounts and counts from its findings.
func describeGroup(ng *store.FindingGroup, members []string, byID map[string]*store.GroupInput, g *grouper) {
	cats := map[string]int{}
	tactics := map[string]bool{}
	accounts := map[string]bool{}
	bySeverity := map[string]int{}
	entities := map[string]string{}
	ng.Severity = 0
	ng.First, ng.Last = time.Time{}, time.Time{}
	for _, id := range members {
		f := byID[id]
		if f == nil {
			continue
		}
		cats[categoryOf(f.Type)]++
		tactics[tacticOf(f)] = true
		if f.AccountID != "" {
			accounts[f.AccountID] = true
		}
		bySeverity[severityLabel(f.Severity)]++
		ng.Severity = max(ng.Severity, f.Severity)
		ng.First, ng.Last = minTime(ng.First, f.First), maxTime(ng.Last, f.Last)
		for _, e := range g.entitiesOf(f) {
			entities[e.Key] = e.Category
		}
	}
	ng.SeverityLabel = severityLabel(ng.Severity)
	var parts []string
	for _, c := range categoryOrder {
		if n := cats[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s (%d)", c, n))
		}
	}
	switch len(parts) {
	case 0:
	case 1:
		ng.Title = "Group with: " + parts[0]
	default:
		ng.Title = "Group with: " + strings.Join(parts[:len(parts)-1], ", ") + ", and " + parts[len(parts)-1]
	}
	var chain []string
	for _, t := range tacticOrder {
		if tactics[t] {
			chain = append(chain, t)
		}
	}
	byCat := map[string][]string{"Identity": {}, "Network": {}, "Storage": {}, "Compute": {}}
	for k, c := range entities {
		byCat[c] = append(byCat[c], k)
	}
	for _, v := range byCat {
		sort.Strings(v)
	}
	js := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	ng.Tactics = js(chain)
	ng.Entities = js(byCat)
	ng.Accounts = js(keysBool(accounts))
	ng.FindingCounts = js(bySeverity)
}

// severityLabel names a severity on the GuardDuty scale as Detective's
// group list does.
func severityLabel(s float64) string {
	switch {
	case s >= 9:
		return "Critical"
	case s >= 7:
		return "High"
	case s >= 4:
		return "Medium"
	case s > 0:
		return "Low"
	}
	return "Informational"
}

// GroupNode is a node of a group's graph: one of its findings or one of
// the entities they name.
type GroupNode struct {
	ID       string  `json:"id"`   // "finding:<id>" or the entity ID ("instance:i-…")
	Kind     string  `json:"kind"` // "finding" or the entity's category: Identity, Network, Storage, Compute
	Label    string  `json:"label"`
	Type     string  `json:"type,omitempty"` // findings: the finding type
	Severity float64 `json:"severity,omitempty"`
	Source   string  `json:"source,omitempty"`
}

// GroupEdge ties a finding to an entity it involves.
type GroupEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// GroupView is a finding group as the API shows it.
type GroupView struct {
	ID            string              `json:"id"`
	Status        string              `json:"status"` // ACTIVE or INACTIVE
	Parents       []string            `json:"parents"`
	Title         string              `json:"title"`
	Severity      float64             `json:"severity"`
	SeverityLabel string              `json:"severityLabel"`
	Tactics       []string            `json:"tactics"`
	Entities      map[string][]string `json:"entities"` // by category: Identity, Network, Storage, Compute
	Accounts      []string            `json:"accounts"`
	FindingCounts map[string]int      `json:"findingCounts"` // by severity label
	FirstSeen     time.Time           `json:"firstSeen"`
	LastSeen      time.Time           `json:"lastSeen"`
	CreatedAt     time.Time           `json:"createdAt"`
	UpdatedAt     time.Time           `json:"updatedAt"`
	Findings      []string            `json:"findings"`
}

func viewOf(g store.FindingGroup) GroupView {
	v := GroupView{ID: g.ID, Status: g.Status, Title: g.Title, Severity: g.Severity, SeverityLabel: g.SeverityLabel,
		FirstSeen: g.First, LastSeen: g.Last, CreatedAt: g.Created, UpdatedAt: g.Updated, Findings: g.Members}
	json.Unmarshal([]byte(g.Parents), &v.Parents)
	json.Unmarshal([]byte(g.Tactics), &v.Tactics)
	json.Unmarshal([]byte(g.Entities), &v.Entities)
	json.Unmarshal([]byte(g.Accounts), &v.Accounts)
	json.Unmarshal([]byte(g.FindingCounts), &v.FindingCounts)
	if v.Parents == nil {
		v.Parents = []string{}
	}
	return v
}

// Groups lists the finding groups (only the active ones with active set),
// active first, then by severity and last update.
func Groups(ctx context.Context, st *store.Store, active bool) ([]GroupView, error) {
	gs, err := st.FindingGroups(ctx, active)
	if err != nil {
		return nil, err
	}
	out := make([]GroupView, 0, len(gs))
	for _, g := range gs {
		out = append(out, viewOf(g))
	}
	return out, nil
}

// GroupDetail is a group with its findings and entities as a graph.
type GroupDetail struct {
	GroupView
	Nodes []GroupNode `json:"nodes"`
	Edges []GroupEdge `json:"edges"`
}

// ErrNoGroup is returned by GroupGraph for an unknown group ID.
var ErrNoGroup = errors.New("no such finding group")

// GroupGraph returns a group with the graph of its findings and the
// entities they name (as Detective's visualization panel draws it).
func GroupGraph(ctx context.Context, st *store.Store, id string) (*GroupDetail, error) {
	gs, err := st.FindingGroups(ctx, false)
	if err != nil {
		return nil, err
	}
	var d *GroupDetail
	for _, g := range gs {
		if g.ID == id {
			d = &GroupDetail{GroupView: viewOf(g)}
		}
	}
	if d == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoGroup, id)
	}
	inputs, err := st.GroupInputs(ctx)
	if err != nil {
		return nil, err
	}
	res, err := awsResolver()
	if err != nil {
		return nil, err
	}
	g := &grouper{aws: res}
	members := map[string]bool{}
	for _, m := range d.Findings {
		members[m] = true
	}
	seen := map[string]bool{}
	for i := range inputs {
		f := &inputs[i]
		if !members[f.ID] {
			continue
		}
		fid := "finding:" + f.ID
		d.Nodes = append(d.Nodes, GroupNode{ID: fid, Kind: "finding", Label: f.Title, Type: f.Type, Severity: f.Severity, Source: f.Source})
		for _, e := range g.entitiesOf(f) {
			if !seen[e.Key] {
				seen[e.Key] = true
				_, label, _ := strings.Cut(e.Key, ":")
				d.Nodes = append(d.Nodes, GroupNode{ID: e.Key, Kind: e.Category, Label: label})
			}
			d.Edges = append(d.Edges, GroupEdge{From: fid, To: e.Key})
		}
	}
	return d, nil
}
