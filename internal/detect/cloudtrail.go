package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// cloudTrail runs the detectors that read CloudTrail events.
func (r *run) cloudTrail(ctx context.Context) error {
	if len(r.sc.CloudTrail) == 0 {
		return nil
	}
	start := time.Now()
	var listed store.AddrSet
	if !r.cfg.Intel.Empty() {
		var err error
		if listed, err = r.listedAddrs(ctx); err != nil {
			return err
		}
	}
	// A week of events at a time: the store returns only those some
	// detector below may report, but a first run over months of a noisy
	// account's CloudTrail could still be many.
	for _, chunk := range chunkRanges(r.sc.CloudTrail, 7*24*time.Hour) {
		events, err := r.st.DetectCloudTrailEvents(ctx, chunk, listed)
		if err != nil {
			return err
		}
		for i := range events {
			e := &events[i]
			r.credentialExfiltration(e)
			r.loggingDisabled(e)
			r.rootUsage(e)
			r.pentest(e)
			r.threatCaller(e)
		}
	}
	r.cfg.Logger.Debug("detector ran", "detector", "cloudtrail-events", "seconds", time.Since(start).Seconds())
	start = time.Now()
	if err := r.consoleLogins(ctx); err != nil {
		return err
	}
	r.cfg.Logger.Debug("detector ran", "detector", "console-logins", "seconds", time.Since(start).Seconds())
	start = time.Now()
	err := r.anomalous(ctx)
	r.cfg.Logger.Debug("detector ran", "detector", "anomalous-behavior", "seconds", time.Since(start).Seconds())
	return err
}

var instanceSession = regexp.MustCompile(`^[A-Z0-9]+:i-[0-9a-fA-F]{8,17}$`)

// identity sets an access-key resource from an event and returns the
// principal's display name.
func identity(f *Finding, e *store.CTEvent) string {
	name := e.UserName
	switch {
	case e.UserType == "Root":
		name = "Root"
	case name == "" && e.UserARN != "":
		name = e.UserARN[strings.LastIndexAny(e.UserARN, "/:")+1:]
	case name == "":
		name = e.PrincipalID
	}
	f.Resource = Resource{ResourceType: "AccessKey", AccessKeyDetails: &AccessKeyDetails{
		AccessKeyID: e.AccessKeyID, PrincipalID: e.PrincipalID, UserName: name, UserType: e.UserType}}
	return name
}

func apiCall(e *store.CTEvent) Action {
	caller := "Domain" // an AWS service's name, such as ec2.amazonaws.com
	var rip *RemoteIPDetails
	if _, err := netip.ParseAddr(e.SourceIP); err == nil {
		caller = "Remote IP"
		rip = remoteIP(e.SourceIP)
		if e.Country != "" {
			rip.Country = &Country{CountryCode: e.Country}
		}
		if e.ASN != 0 || e.ASOrg != "" {
			rip.Organization = &Organization{Asn: fmt.Sprint(e.ASN), AsnOrg: e.ASOrg}
		}
	}
	return Action{ActionType: "AWS_API_CALL", AwsAPICallAction: &AwsAPICallAction{
		API: e.EventName, CallerType: caller, ErrorCode: e.ErrorCode, UserAgent: e.UserAgent,
		RemoteIPDetails: rip, ServiceName: e.EventSource}}
}

func ctEvidence(e *store.CTEvent, extra map[string]any) map[string]any {
	ev := map[string]any{"event_id": e.EventID, "event_name": e.EventName, "event_source": e.EventSource,
		"source_ip": e.SourceIP, "user_agent": e.UserAgent, "principal": e.Principal}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

// apiFinding records one event as an occurrence of a finding about the
// event's identity.
func (r *run) apiFinding(typ, detector string, e *store.CTEvent, resource, counterpart, title, desc string, extra map[string]any) *Finding {
	f := newFinding(typ, detector, e.AccountID, e.Region)
	name := identity(f, e)
	f.Service.ResourceRole = "ACTOR"
	f.Service.Action = apiCall(e)
	f.Title = strings.ReplaceAll(title, "{name}", name)
	f.Description = strings.ReplaceAll(desc, "{name}", name)
	f.Gumshoe.Evidence = ctEvidence(e, extra)
	r.add(occurrence{f: f, resource: resource, counterpart: counterpart, window: e.Time, n: 1, first: e.Time, last: e.Time})
	return f
}

// credentialExfiltration: an instance role's session credentials (the
// session is named after the instance, or CloudTrail says they were
// delivered by the instance metadata service) used from an address outside
// AWS.
func (r *run) credentialExfiltration(e *store.CTEvent) {
	if e.UserType != "AssumedRole" || e.InvokedBy != "" || !external(e.SourceIP) {
		return
	}
	if e.EC2RoleDelivery == "" && !instanceSession.MatchString(e.PrincipalID) {
		return
	}
	if r.inAWS(e.SourceIP, e.AWSService) {
		return
	}
	r.apiFinding(TypeCredExfiltration, "instance-credential-exfiltration", e, e.PrincipalID, e.SourceIP,
		"Credentials for instance role {name} used from external IP address.",
		fmt.Sprintf("Credentials created exclusively for an EC2 instance using instance role {name} (session %s) have been used from external IP address %s, outside AWS.", e.PrincipalID, e.SourceIP),
		map[string]any{"session": e.PrincipalID, "role": e.SessionIssuerARN})
}

// loggingDisabled: a trail stopped or deleted, or its event selectors set
// to record no management events.
func (r *run) loggingDisabled(e *store.CTEvent) {
	if e.EventSource != "cloudtrail.amazonaws.com" || e.ErrorCode != "" {
		return
	}
	var req struct {
		Name           string `json:"name"`
		TrailName      string `json:"trailName"`
		EventSelectors []struct {
			IncludeManagementEvents *bool  `json:"includeManagementEvents"`
			ReadWriteType           string `json:"readWriteType"`
		} `json:"eventSelectors"`
	}
	if e.Request != "" {
		json.Unmarshal([]byte(e.Request), &req)
	}
	trail := req.Name
	if trail == "" {
		trail = req.TrailName
	}
	what := ""
	switch e.EventName {
	case "StopLogging":
		what = "stopped"
	case "DeleteTrail":
		what = "deleted"
	case "PutEventSelectors":
		if len(req.EventSelectors) == 0 {
			return
		}
		for _, s := range req.EventSelectors {
			if s.IncludeManagementEvents == nil || *s.IncludeManagementEvents {
				if s.ReadWriteType != "None" {
					return
				}
			}
		}
		what = "set to record no management events"
	default:
		return
	}
	r.apiFinding(TypeCloudTrailDisabled, "cloudtrail-logging-disabled", e, e.Principal, trail,
		"CloudTrail trail "+trailName(trail)+" was "+what+".",
		"{name} called "+e.EventName+" from "+e.SourceIP+": the trail "+trailName(trail)+" was "+what+", so API activity may go unrecorded.",
		map[string]any{"trail": trail})
}

func trailName(t string) string {
	if t == "" {
		return "(unnamed)"
	}
	return t[strings.LastIndex(t, "/")+1:]
}

// rootUsage: any API call made with the root user's credentials, other
// than by an AWS service on its behalf.
func (r *run) rootUsage(e *store.CTEvent) {
	if e.UserType != "Root" || e.InvokedBy != "" || e.EventType == "AwsServiceEvent" {
		return
	}
	r.apiFinding(TypeRootUsage, "root-credential-usage", e, "root:"+e.AccountID, "",
		"API "+e.EventName+" was invoked using root credentials.",
		"API "+e.EventName+" was invoked using root credentials from IP address "+e.SourceIP+" in account "+e.AccountID+".", nil)
}

var pentestDistros = []struct{ marker, typ, name string }{
	{"kali", TypeKali, "Kali Linux"},
	{"parrot", TypeParrot, "Parrot Security Linux"},
	{"pentoo", TypePentoo, "Pentoo Linux"},
}

// pentest: API calls from a penetration-testing distribution, as its user
// agent names it (e.g. "Linux/6.6.9-amd64-kali" or "...-parrot...").
func (r *run) pentest(e *store.CTEvent) {
	ua := strings.ToLower(e.UserAgent)
	for _, d := range pentestDistros {
		if strings.Contains(ua, d.marker) {
			r.apiFinding(d.typ, "pentest-user-agent", e, e.Principal, "",
				"API "+e.EventName+" was invoked from a "+d.name+" computer.",
				"API "+e.EventName+" was invoked by {name} from a computer running "+d.name+" ("+e.SourceIP+"), a distribution of penetration-testing tools.",
				map[string]any{"distribution": d.name})
			return
		}
	}
}

// threatCaller: API calls from an address on a threat list.
func (r *run) threatCaller(e *store.CTEvent) {
	if r.cfg.Intel.Empty() {
		return
	}
	list, entry := r.cfg.Intel.matchIP(e.SourceIP)
	if list == "" {
		return
	}
	f := r.apiFinding(TypeMaliciousIPIAM, "threat-list", e, e.Principal, e.SourceIP,
		"API "+e.EventName+" was invoked from an IP address on a custom threat list.",
		"API "+e.EventName+" was invoked by {name} from "+e.SourceIP+", which matches "+entry+" on the custom threat list "+list+".",
		map[string]any{"threat_list": list, "entry": entry})
	f.Service.Evidence = &Evidence{ThreatIntelligenceDetails: []ThreatIntelligenceDetail{{ThreatListName: list, ThreatNames: []string{entry}}}}
}

func inRanges(t time.Time, rs []store.TimeRange) bool {
	for _, rg := range rs {
		if !t.Before(rg.Start) && t.Before(rg.End) {
			return true
		}
	}
	return false
}

// consoleLogins: successful console sign-ins of one principal from
// several countries within the window.
func (r *run) consoleLogins(ctx context.Context) error {
	first := r.sc.CloudTrail[0].Start.AddDate(0, 0, -r.cfg.BaselineDays)
	last := r.sc.CloudTrail[len(r.sc.CloudTrail)-1].End
	logins, err := r.st.DetectConsoleLogins(ctx, first, last, r.sc.CloudTrail)
	if err != nil {
		return err
	}
	byPrincipal := map[string][]*store.CTEvent{}
	for i := range logins {
		e := &logins[i]
		byPrincipal[e.Principal] = append(byPrincipal[e.Principal], e)
	}
	for _, list := range byPrincipal {
		for i, e := range list {
			if !inRanges(e.Time, r.sc.CloudTrail) || e.Country == "" {
				continue
			}
			countries, usual := map[string]bool{}, map[string]bool{}
			var addrs []string
			since := time.Time{}
			for _, p := range list[:i+1] {
				if !p.Time.Before(e.Time.AddDate(0, 0, -r.cfg.BaselineDays)) {
					since = minTime(since, p.Time)
				}
				switch {
				case p.Country == "" || p.Time.Before(e.Time.AddDate(0, 0, -r.cfg.BaselineDays)):
				case p.Time.Before(e.Time.Add(-r.cfg.ConsoleWindow)):
					usual[p.Country] = true
				default:
					countries[p.Country] = true
					addrs = append(addrs, p.SourceIP+" ("+p.Country+")")
				}
			}
			// A principal that signs in from these countries anyway
			// (people who live in one and work in another) is not news.
			fresh := false
			for c := range countries {
				fresh = fresh || !usual[c]
			}
			// Nor is a principal whose habits are not known yet.
			known := !since.IsZero() && !since.After(e.Time.Add(-r.cfg.MinBaseline))
			if len(countries) < r.cfg.ConsoleMinCountries || !fresh || !known {
				continue
			}
			// Where coordinates are known, the sign-ins must also be too
			// far apart for one person to travel between them.
			if !r.impossibleHop(list[:i+1], e.Time.Add(-r.cfg.ConsoleWindow)) {
				continue
			}
			cs := keysBool(countries)
			r.apiFinding(TypeConsoleLogin, "console-login-worldwide", e, e.Principal, "",
				"Multiple worldwide successful console logins for {name}.",
				fmt.Sprintf("{name} signed in to the console successfully from %d countries (%s) within %s: %s.",
					len(cs), strings.Join(cs, ", "), r.cfg.ConsoleWindow, strings.Join(addrs, ", ")),
				map[string]any{"countries": cs, "window": r.cfg.ConsoleWindow.String()})
		}
	}
	return nil
}

// impossibleHop reports whether two consecutive sign-ins from from on are
// in different countries and farther apart than ConsoleMaxSpeedKmh allows;
// a pair without coordinates counts as impossible (the countries alone
// decide).
func (r *run) impossibleHop(logins []*store.CTEvent, from time.Time) bool {
	var prev *store.CTEvent
	for _, p := range logins {
		if p.Country == "" || p.Time.Before(from) {
			continue
		}
		if prev != nil && prev.Country != p.Country {
			if !prev.HasGeo || !p.HasGeo {
				return true
			}
			km := haversine(prev.Latitude, prev.Longitude, p.Latitude, p.Longitude)
			hours := p.Time.Sub(prev.Time).Hours()
			if km > 500 && (hours <= 0 || km/hours > r.cfg.ConsoleMaxSpeedKmh) {
				return true
			}
		}
		prev = p
	}
	return false
}

func keysBool(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// persistenceAPIs are calls that give an identity lasting access.
var persistenceAPIs = map[string]bool{
	"iam:CreateAccessKey": true, "iam:CreateUser": true, "iam:CreateLoginProfile": true, "iam:UpdateLoginProfile": true,
	"iam:AttachUserPolicy": true, "iam:PutUserPolicy": true, "iam:AttachRolePolicy": true, "iam:PutRolePolicy": true,
	"iam:CreateRole": true, "iam:UpdateAssumeRolePolicy": true, "iam:AddUserToGroup": true, "iam:AttachGroupPolicy": true,
	"iam:PutGroupPolicy": true, "iam:CreatePolicyVersion": true, "iam:SetDefaultPolicyVersion": true,
	"iam:CreateSAMLProvider": true, "iam:CreateOpenIDConnectProvider": true, "iam:CreateServiceSpecificCredential": true,
	"sts:GetFederationToken": true, "ec2:ImportKeyPair": true, "ec2:CreateKeyPair": true,
	"lambda:AddPermission": true, "lambda:CreateFunction": true, "lambda:UpdateFunctionCode": true,
	"rolesanywhere:CreateTrustAnchor": true,
}

// notDiscovery are read calls that fetch secrets or data rather than
// describe the environment.
var notDiscovery = map[string]bool{
	"s3:GetObject": true, "s3:GetObjectVersion": true, "secretsmanager:GetSecretValue": true, "secretsmanager:BatchGetSecretValue": true,
	"ssm:GetParameter": true, "ssm:GetParameters": true, "ssm:GetParametersByPath": true, "ec2:GetPasswordData": true,
	"sts:GetSessionToken": true, "sts:GetFederationToken": true, "kms:GetPublicKey": true, "signin:GetSigninToken": true,
}

// apiName is "service:Operation" ("iam:CreateAccessKey").
func apiName(e *store.CTEvent) string {
	return strings.TrimSuffix(e.EventSource, ".amazonaws.com") + ":" + e.EventName
}

func isDiscovery(api string) bool {
	if notDiscovery[api] {
		return false
	}
	_, op, _ := strings.Cut(api, ":")
	for _, p := range []string{"List", "Describe", "Get", "Search", "Lookup", "BatchGet"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// anomalous: APIs a principal had not called in its baseline, from an
// address it had not used either.
func (r *run) anomalous(ctx context.Context) error {
	if err := r.st.DetectSyncAPIHours(ctx, r.sc.ToSegment); err != nil {
		return err
	}
	events, err := r.st.DetectNewAPICalls(ctx, r.sc.CloudTrail, r.cfg.BaselineDays, r.cfg.MinBaseline)
	if err != nil {
		return err
	}
	type key struct {
		principal string
		hour      time.Time
	}
	disc := map[key][]*store.CTEvent{}
	pers := map[key][]*store.CTEvent{}
	var order []key
	seen := map[key]bool{}
	for i := range events {
		e := &events[i]
		k := key{e.Principal, e.Time.Truncate(time.Hour)}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
		switch api := apiName(e); {
		case persistenceAPIs[api]:
			pers[k] = append(pers[k], e)
		case isDiscovery(api):
			disc[k] = append(disc[k], e)
		}
	}
	emit := func(typ string, evs []*store.CTEvent, min int, what string) {
		apis := map[string]bool{}
		for _, e := range evs {
			apis[apiName(e)] = true
		}
		if len(apis) < min {
			return
		}
		list := keysBool(apis)
		for _, e := range evs {
			r.apiFinding(typ, "anomalous-behavior", e, e.Principal, "",
				"Unusual "+what+" APIs were invoked by {name}.",
				fmt.Sprintf("{name} invoked %s APIs it had not called in the previous %d days (%s), from %s, an address it had not used in that time either.",
					what, r.cfg.BaselineDays, strings.Join(list, ", "), e.SourceIP),
				map[string]any{"new_apis": list, "baseline_days": r.cfg.BaselineDays})
		}
	}
	for _, k := range order {
		emit(TypeDiscoveryAnomalous, disc[k], r.cfg.DiscoveryMinAPIs, "discovery")
		emit(TypePersistAnomalous, pers[k], r.cfg.PersistenceMinAPIs, "persistence")
	}
	return nil
}

// chunkRanges splits ranges of whole hours into groups spanning at most d
// each (a range longer than d is cut).
func chunkRanges(rs []store.TimeRange, d time.Duration) [][]store.TimeRange {
	var out [][]store.TimeRange
	var cur []store.TimeRange
	var start time.Time
	for _, r := range rs {
		for r.Start.Before(r.End) {
			if len(cur) == 0 {
				start = r.Start
			}
			end := r.End
			if limit := start.Add(d); end.After(limit) {
				end = limit
			}
			if !end.After(r.Start) {
				out, cur = append(out, cur), nil
				continue
			}
			cur = append(cur, store.TimeRange{Start: r.Start, End: end})
			r.Start = end
			if !r.Start.Before(start.Add(d)) {
				out, cur = append(out, cur), nil
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
