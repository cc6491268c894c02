package detect

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Investigations, as Amazon Detective runs them for IAM users and roles,
// for any entity gumshoe's graph knows: what the entity did in a scope
// time, reported as indicators of Detective's eight types with Detective's
// field names. Indicators of behaviour (new geolocations, networks and user
// agents, impossible travel) come from CloudTrail, so they exist for
// principals, access keys, addresses (the calls made from them) and
// instances (the calls made with their role's credentials); findings and
// finding groups relate to any entity.

// Indicator types, as Detective names them.
const (
	IndicatorTTP              = "TTP_OBSERVED"
	IndicatorImpossibleTravel = "IMPOSSIBLE_TRAVEL"
	IndicatorFlaggedIP        = "FLAGGED_IP_ADDRESS"
	IndicatorNewGeolocation   = "NEW_GEOLOCATION"
	IndicatorNewASO           = "NEW_ASO"
	IndicatorNewUserAgent     = "NEW_USER_AGENT"
	IndicatorRelatedFinding   = "RELATED_FINDING"
	IndicatorRelatedGroup     = "RELATED_FINDING_GROUP"
)

// IndicatorTypes lists the indicator types in Detective's order.
var IndicatorTypes = []string{IndicatorTTP, IndicatorImpossibleTravel, IndicatorFlaggedIP, IndicatorNewGeolocation,
	IndicatorNewASO, IndicatorNewUserAgent, IndicatorRelatedFinding, IndicatorRelatedGroup}

// Indicator is one indicator of compromise.
type Indicator struct {
	IndicatorType   string `json:"IndicatorType"`
	IndicatorDetail any    `json:"IndicatorDetail"`
}

// Detective's indicator details.
type (
	TTPsObservedDetail struct {
		Tactic          string `json:"Tactic"`
		Technique       string `json:"Technique"`
		Procedure       string `json:"Procedure"`
		IPAddress       string `json:"IpAddress,omitempty"`
		APIName         string `json:"APIName,omitempty"`
		APISuccessCount int64  `json:"APISuccessCount"`
		APIFailureCount int64  `json:"APIFailureCount"`
	}
	ImpossibleTravelDetail struct {
		StartingIPAddress string `json:"StartingIpAddress"`
		EndingIPAddress   string `json:"EndingIpAddress"`
		StartingLocation  string `json:"StartingLocation"`
		EndingLocation    string `json:"EndingLocation"`
		HourlyTimeDelta   int    `json:"HourlyTimeDelta"`
	}
	FlaggedIPAddressDetail struct {
		IPAddress string `json:"IpAddress"`
		Reason    string `json:"Reason"`
	}
	NewGeolocationDetail struct {
		Location              string `json:"Location"`
		IPAddress             string `json:"IpAddress"`
		IsNewForEntireAccount bool   `json:"IsNewForEntireAccount"`
	}
	NewAsoDetail struct {
		Aso                   string `json:"Aso"`
		IsNewForEntireAccount bool   `json:"IsNewForEntireAccount"`
	}
	NewUserAgentDetail struct {
		UserAgent             string `json:"UserAgent"`
		IsNewForEntireAccount bool   `json:"IsNewForEntireAccount"`
	}
	RelatedFindingDetail struct {
		Arn       string `json:"Arn"`
		Type      string `json:"Type"`
		IPAddress string `json:"IpAddress,omitempty"`
	}
	RelatedFindingGroupDetail struct {
		ID string `json:"Id"`
	}
)

// Investigation is an investigation report.
type Investigation struct {
	InvestigationID string      `json:"InvestigationId"`
	Entity          string      `json:"Entity"` // graph entity ID, "iam_user:arn:aws:iam::…"
	EntityArn       string      `json:"EntityArn,omitempty"`
	EntityType      string      `json:"EntityType"` // IAM_USER, IAM_ROLE, or gumshoe's entity type in upper case
	CreatedTime     time.Time   `json:"CreatedTime"`
	ScopeStartTime  time.Time   `json:"ScopeStartTime"`
	ScopeEndTime    time.Time   `json:"ScopeEndTime"`
	Status          string      `json:"Status"`   // RUNNING, FAILED, SUCCESSFUL
	Severity        string      `json:"Severity"` // INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL
	State           string      `json:"State"`    // ACTIVE, ARCHIVED
	Indicators      []Indicator `json:"Indicators"`
	// Notes say what could not be looked at, e.g. impossible travel
	// without GeoIP data.
	Notes []string `json:"Notes,omitempty"`
}

// ErrBadEntity is returned for an entity gumshoe cannot investigate.
var ErrBadEntity = errors.New("cannot investigate entity")

// InvestigateConfig configures an investigation.
type InvestigateConfig struct {
	// BaselineDays before the scope are compared with it (45).
	BaselineDays int
	// MaxSpeedKmh: two calls farther apart than this speed allows are
	// impossible travel (900 km/h, a airliner).
	MaxSpeedKmh float64
	// Intel flags addresses on the user's threat lists.
	Intel Intel
	Now   func() time.Time
}

// Investigate investigates an entity (a graph entity ID such as
// "iam_user:arn:aws:iam::111122223333:user/alice", "role_session:AROA…:name",
// "iam_role:arn:…", "root:111122223333", "access_key:AKIA…", "ip:198.51.100.7",
// "instance:i-…") over [start, end), stores the report and returns it.
func Investigate(ctx context.Context, st *store.Store, entity string, start, end time.Time, cfg InvestigateConfig) (*Investigation, error) {
	kind, key, ok := strings.Cut(entity, ":")
	if !ok || key == "" {
		return nil, fmt.Errorf("%w %q: want TYPE:KEY, e.g. iam_user:arn:aws:iam::111122223333:user/alice", ErrBadEntity, entity)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("%w %q: scope end %s is not after its start %s", ErrBadEntity, entity, end, start)
	}
	if cfg.BaselineDays == 0 {
		cfg.BaselineDays = 45
	}
	if cfg.MaxSpeedKmh == 0 {
		cfg.MaxSpeedKmh = 900
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	inv := &Investigation{Entity: entity, EntityType: strings.ToUpper(kind), CreatedTime: cfg.Now().UTC(),
		ScopeStartTime: start.UTC(), ScopeEndTime: end.UTC(), Status: "SUCCESSFUL", State: "ACTIVE", Indicators: []Indicator{}}
	switch kind {
	case "iam_user":
		inv.EntityType, inv.EntityArn = "IAM_USER", key
	case "iam_role":
		inv.EntityType, inv.EntityArn = "IAM_ROLE", key
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%d", entity, start, end, inv.CreatedTime.UnixNano())))
	inv.InvestigationID = fmt.Sprintf("%021d", binary.BigEndian.Uint64(sum[:8])%1e18*1000+uint64(sum[8])%1000)

	activity, actErr := st.EntityActivity(ctx, kind, key, start, end)
	if actErr != nil && !errors.Is(actErr, store.ErrUnknownKind) {
		return nil, actErr
	}
	findings, err := st.InvestigationFindings(ctx, kind, key, start, end)
	if err != nil && !errors.Is(err, store.ErrUnknownKind) {
		return nil, err
	}
	if errors.Is(actErr, store.ErrUnknownKind) && errors.Is(err, store.ErrUnknownKind) {
		return nil, fmt.Errorf("%w %q: unknown entity type %q", ErrBadEntity, entity, kind)
	}
	if errors.Is(actErr, store.ErrUnknownKind) {
		inv.Notes = append(inv.Notes, "no CloudTrail activity is tied to entities of type "+kind+": behaviour indicators are not computed")
	}
	if len(activity) > 0 {
		if err := behaviour(ctx, st, inv, kind, key, activity, start, cfg); err != nil {
			return nil, err
		}
	}
	related(ctx, st, inv, findings, activity)
	inv.Severity = investigationSeverity(inv, findings)
	b, err := json.Marshal(inv)
	if err != nil {
		return nil, err
	}
	if err := st.SaveInvestigation(ctx, store.InvestigationRow{ID: inv.InvestigationID, Entity: entity, EntityType: inv.EntityType,
		Created: inv.CreatedTime, ScopeStart: inv.ScopeStartTime, ScopeEnd: inv.ScopeEndTime,
		Status: inv.Status, Severity: inv.Severity, State: inv.State, Report: string(b)}); err != nil {
		return nil, err
	}
	return inv, nil
}

// behaviour adds the indicators read from the entity's CloudTrail calls.
func behaviour(ctx context.Context, st *store.Store, inv *Investigation, kind, key string, activity []store.EntityActivity, start time.Time, cfg InvestigateConfig) error {
	accounts := map[string]bool{}
	for _, a := range activity {
		if a.AccountID != "" {
			accounts[a.AccountID] = true
		}
	}
	seen, err := st.BaselineSeen(ctx, kind, key, keysBool(accounts), start.AddDate(0, 0, -cfg.BaselineDays), start)
	if err != nil {
		return err
	}
	geo := false
	newLoc, newASO, newUA, flagged := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, a := range activity {
		if a.Country != "" {
			geo = true
			loc := a.Country + "/" + a.City
			if !seen.Locations[loc] && !newLoc[loc+a.SourceIP] {
				newLoc[loc+a.SourceIP] = true
				inv.add(IndicatorNewGeolocation, NewGeolocationDetail{Location: location(a), IPAddress: a.SourceIP, IsNewForEntireAccount: !seen.AccountLocations[loc]})
			}
		}
		if a.ASN != 0 {
			asn := fmt.Sprint(a.ASN)
			if !seen.ASNs[asn] && !newASO[asn] {
				newASO[asn] = true
				name := asn
				if a.ASOrg != "" {
					name = a.ASOrg + " (AS" + asn + ")"
				}
				inv.add(IndicatorNewASO, NewAsoDetail{Aso: name, IsNewForEntireAccount: !seen.AccountASNs[asn]})
			}
		}
		if a.UserAgent != "" && !seen.UserAgents[a.UserAgent] && !newUA[a.UserAgent] {
			newUA[a.UserAgent] = true
			inv.add(IndicatorNewUserAgent, NewUserAgentDetail{UserAgent: a.UserAgent, IsNewForEntireAccount: !seen.AccountUserAgents[a.UserAgent]})
		}
		if list, _ := cfg.Intel.matchIP(a.SourceIP); list != "" && !flagged[a.SourceIP] {
			flagged[a.SourceIP] = true
			inv.add(IndicatorFlaggedIP, FlaggedIPAddressDetail{IPAddress: a.SourceIP, Reason: "CUSTOM_THREAT_LIST"})
		}
	}
	if !geo {
		inv.Notes = append(inv.Notes, "IMPOSSIBLE_TRAVEL and NEW_GEOLOCATION need GeoIP: ingest with --geoip-city (and --geoip-asn for NEW_ASO)")
		return nil
	}
	impossibleTravel(inv, activity, cfg.MaxSpeedKmh)
	return nil
}

func location(a store.EntityActivity) string {
	if a.City != "" {
		return a.City + ", " + a.Country
	}
	return a.Country
}

// impossibleTravel finds consecutive calls (in time) from two places
// farther apart than MaxSpeedKmh allows.
func impossibleTravel(inv *Investigation, activity []store.EntityActivity, maxKmh float64) {
	type hop struct {
		ip    string
		a     store.EntityActivity
		first time.Time
		last  time.Time
	}
	byIP := map[string]*hop{}
	for _, a := range activity {
		if !a.HasGeo || a.SourceIP == "" {
			continue
		}
		h := byIP[a.SourceIP]
		if h == nil {
			h = &hop{ip: a.SourceIP, a: a, first: a.First, last: a.Last}
			byIP[a.SourceIP] = h
		}
		h.first, h.last = minTime(h.first, a.First), maxTime(h.last, a.Last)
	}
	var hops []*hop
	for _, h := range byIP {
		hops = append(hops, h)
	}
	sort.Slice(hops, func(i, j int) bool { return hops[i].first.Before(hops[j].first) })
	for i := 1; i < len(hops); i++ {
		p, c := hops[i-1], hops[i]
		km := haversine(p.a.Latitude, p.a.Longitude, c.a.Latitude, c.a.Longitude)
		gap := c.first.Sub(p.last)
		if km < 500 {
			continue
		}
		if gap <= 0 || km/gap.Hours() > maxKmh {
			inv.add(IndicatorImpossibleTravel, ImpossibleTravelDetail{StartingIPAddress: p.ip, EndingIPAddress: c.ip,
				StartingLocation: location(p.a), EndingLocation: location(c.a), HourlyTimeDelta: int(math.Max(0, gap.Hours()))})
		}
	}
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// related adds TTPs observed, related findings and related groups.
func related(ctx context.Context, st *store.Store, inv *Investigation, findings []store.RelatedFinding, activity []store.EntityActivity) {
	calls := map[string][2]int64{} // api name|ip → successes, failures
	for _, a := range activity {
		k := a.EventName + "|" + a.SourceIP
		c := calls[k]
		calls[k] = [2]int64{c[0] + a.Successes, c[1] + a.Failures}
	}
	ids := map[string]bool{}
	for _, f := range findings {
		ids[f.ID] = true
		inv.add(IndicatorRelatedFinding, RelatedFindingDetail{Arn: f.Arn, Type: f.Type, IPAddress: f.RemoteIP})
		tactic, technique := f.Tactic, f.Technique
		if info, ok := types[f.Type]; ok && tactic == "" {
			tactic, technique = info.mitre.Tactic, info.mitre.TechniqueID
		}
		if tactic == "" {
			continue
		}
		c := calls[f.API+"|"+f.RemoteIP]
		inv.add(IndicatorTTP, TTPsObservedDetail{Tactic: tactic, Technique: technique, Procedure: f.Type, IPAddress: f.RemoteIP,
			APIName: f.API, APISuccessCount: c[0], APIFailureCount: c[1]})
	}
	gs, err := st.FindingGroups(ctx, false)
	if err != nil {
		inv.Notes = append(inv.Notes, "finding groups could not be read: "+err.Error())
		return
	}
	for _, g := range gs {
		for _, m := range g.Members {
			if ids[m] {
				inv.add(IndicatorRelatedGroup, RelatedFindingGroupDetail{ID: g.ID})
				break
			}
		}
	}
}

func (inv *Investigation) add(typ string, detail any) {
	inv.Indicators = append(inv.Indicators, Indicator{IndicatorType: typ, IndicatorDetail: detail})
}

// investigationSeverity rates an investigation by its indicators:
// the highest related finding's severity, raised to HIGH by impossible
// travel from or to a flagged address, and at least MEDIUM when the entity
// came from a new place, network and user agent at once.
func investigationSeverity(inv *Investigation, findings []store.RelatedFinding) string {
	count := map[string]int{}
	for _, in := range inv.Indicators {
		count[in.IndicatorType]++
	}
	rank := 0 // 0 informational … 4 critical
	for _, f := range findings {
		switch {
		case f.Severity >= 9:
			rank = max(rank, 4)
		case f.Severity >= 7:
			rank = max(rank, 3)
		case f.Severity >= 4:
			rank = max(rank, 2)
		case f.Severity > 0:
			rank = max(rank, 1)
		}
	}
	if count[IndicatorImpossibleTravel] > 0 && count[IndicatorFlaggedIP] > 0 {
		rank = max(rank, 3)
	}
	if count[IndicatorNewGeolocation] > 0 && count[IndicatorNewASO] > 0 && count[IndicatorNewUserAgent] > 0 {
		rank = max(rank, 2)
	}
	if rank == 0 && len(inv.Indicators) > 0 {
		rank = 1
	}
	return []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}[rank]
}

// Investigations lists the stored investigations, newest first.
func Investigations(ctx context.Context, st *store.Store) ([]Investigation, error) {
	rows, err := st.Investigations(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]Investigation, 0, len(rows))
	for _, r := range rows {
		var inv Investigation
		if err := json.Unmarshal([]byte(r.Report), &inv); err != nil {
			return nil, fmt.Errorf("investigation %s: %w", r.ID, err)
		}
		inv.State, inv.Status, inv.Severity = r.State, r.Status, r.Severity
		out = append(out, inv)
	}
	return out, nil
}

// GetInvestigation returns one stored investigation (store.ErrNoInvestigation
// when there is none with the ID).
func GetInvestigation(ctx context.Context, st *store.Store, id string) (*Investigation, error) {
	rows, err := st.Investigations(ctx, id)
	if err != nil {
		return nil, err
	}
	var inv Investigation
	if err := json.Unmarshal([]byte(rows[0].Report), &inv); err != nil {
		return nil, fmt.Errorf("investigation %s: %w", id, err)
	}
	inv.State = rows[0].State
	return &inv, nil
}

// ListIndicators returns a page of an investigation's indicators, of one
// type when typ is set: those from offset on, at most max (0: all), and
// the offset of the next page (0 when there is none).
func ListIndicators(ctx context.Context, st *store.Store, id, typ string, offset, max int) ([]Indicator, int, error) {
	inv, err := GetInvestigation(ctx, st, id)
	if err != nil {
		return nil, 0, err
	}
	var list []Indicator
	for _, in := range inv.Indicators {
		if typ == "" || in.IndicatorType == typ {
			list = append(list, in)
		}
	}
	if offset > len(list) {
		offset = len(list)
	}
	list = list[offset:]
	next := 0
	if max > 0 && len(list) > max {
		list, next = list[:max], offset+max
	}
	return list, next, nil
}

// SetInvestigationState archives (ARCHIVED) or reactivates (ACTIVE) an
// investigation.
func SetInvestigationState(ctx context.Context, st *store.Store, id, state string) error {
	if state != "ACTIVE" && state != "ARCHIVED" {
		return fmt.Errorf("state %q: want ACTIVE or ARCHIVED", state)
	}
	rows, err := st.Investigations(ctx, id)
	if err != nil {
		return err
	}
	r := rows[0]
	var inv Investigation
	if err := json.Unmarshal([]byte(r.Report), &inv); err != nil {
		return err
	}
	inv.State = state
	b, _ := json.Marshal(inv)
	r.State, r.Report = state, string(b)
	return st.SaveInvestigation(ctx, r)
}
