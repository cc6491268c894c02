package ocsf

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/guardduty"
)

// finding maps a Security Finding (OCSF 1.0.0-rc.2) or Detection Finding
// (1.1.0) record made from a Security Hub finding back to the flattened
// finding.
func (d *Decoder) finding(v *value) (guardduty.Finding, *ParseError) {
	x := extractor{d: d}
	// rc.2 groups the finding's own attributes under "finding", 1.1.0
	// under "finding_info".
	info, infoName := v.get("finding_info"), "finding_info"
	if info == nil {
		info, infoName = v.get("finding"), "finding"
	}
	id := x.str(info, "uid")
	if x.err != nil {
		return guardduty.Finding{}, x.err
	}
	if id == "" {
		return guardduty.Finding{}, d.recordError(infoName+".uid", ErrMissing)
	}
	unmapped := v.get("unmapped")
	product := v.get("metadata", "product")
	f := guardduty.Finding{
		ID:          id,
		Source:      guardduty.SourceSecurityHub,
		Product:     firstOf(x.str(product, "name"), x.str(product, "feature", "name"), lastSegment(x.str(product, "uid"))),
		Title:       x.str(info, "title"),
		Description: x.str(info, "desc"),
		AccountID:   firstOf(x.str(v, "cloud", "account", "uid"), x.str(v, "cloud", "account_uid")),
		Region:      x.str(v, "cloud", "region"),
		Count:       1,
		Record:      d.cur,
	}
	isGuardDuty := strings.EqualFold(f.Product, "GuardDuty") || strings.HasSuffix(x.str(product, "uid"), "/aws/guardduty")

	if types := v.get(infoName, "types"); types != nil && types.kind == vList && len(types.list) > 0 {
		f.Type = x.str(&types.list[0])
		if isGuardDuty {
			f.Type = guardDutyType(f.Type)
		}
	}

	if s, ok := x.severity(v, unmapped, isGuardDuty); ok {
		f.Severity, f.SeverityLabel = s, severityLabel(s)
	}

	f.FirstSeen = x.infoTime(info, "first_seen_time")
	f.LastSeen = x.infoTime(info, "last_seen_time")
	f.CreatedAt = x.infoTime(info, "created_time")
	f.UpdatedAt = x.infoTime(info, "modified_time")
	if f.LastSeen.IsZero() {
		f.LastSeen = x.time(v, "time")
	}

	if rs := v.get("resources"); rs != nil && rs.kind == vList && len(rs.list) > 0 {
		f.ResourceType = x.str(&rs.list[0], "type")
		if f.Region == "" {
			f.Region = x.str(&rs.list[0], "region")
		}
		f.InstanceID, f.AccessKeyID, f.Principal = x.findingResources(rs.list)
	}

	f.RemoteIP = firstAddress(append(x.evidence(v, "src_endpoint", "ip"), unmappedFirst(&x, unmapped, remoteIPKeys)...)...)
	f.LocalPort = unmappedPort(&x, unmapped, localPortKeys)
	f.RemotePort = unmappedPort(&x, unmapped, remotePortKeys)
	f.Domain = firstOf(append(x.evidence(v, "query", "hostname"), unmappedFirst(&x, unmapped, domainKeys)...)...)
	if isGuardDuty {
		if n, err := strconv.ParseInt(x.str(unmapped, "ProductFields.aws/guardduty/service/count"), 10, 64); err == nil && n >= 0 {
			f.Count = n
		}
	}
	// Security Lake writes RecordState to unmapped and folds an archived
	// record into the Suppressed state (state_id in rc.2, status_id in
	// 1.1.0), as it does Workflow.Status SUPPRESSED.
	f.Archived = strings.EqualFold(x.str(unmapped, "RecordState"), "ARCHIVED") ||
		strings.EqualFold(x.str(v, "state"), "Suppressed")
	if id, ok := x.integer(v, "state_id"); ok && id == 3 {
		f.Archived = true
	}
	if id, ok := x.integer(v, "status_id"); ok && id == 3 && v.get("finding_info") != nil {
		f.Archived = true
	}
	if x.err != nil {
		return guardduty.Finding{}, x.err
	}
	f.Raw = d.rawJSON(v)
	return f, nil
}

// infoTime reads a time of the finding: milliseconds in name, or the
// datetime profile's name_dt.
func (x *extractor) infoTime(info *value, name string) time.Time {
	if t := x.time(info, name); !t.IsZero() {
		return t
	}
	return x.time(info, name+"_dt")
}

// severityByID places OCSF's severity_id (1 Informational to 6 Fatal) on
// the GuardDuty scale, the way internal/guardduty places ASFF's labels.
var severityByID = [7]float64{1: 0, 2: 2, 3: 5, 4: 8, 5: 9, 6: 10}

// severity returns the finding's severity on the GuardDuty scale, 0–10.
// GuardDuty's own score, which Security Lake keeps in unmapped as
// Severity.Product, is on that scale and finer than the label, so it comes
// first for GuardDuty findings; other products' scores are not on it
// (Security Hub controls write 0 for every label), so for them OCSF's
// severity_id counts. ASFF's Normalized (0–100) and Label come last.
func (x *extractor) severity(v, unmapped *value, isGuardDuty bool) (float64, bool) {
	if isGuardDuty {
		if p, err := strconv.ParseFloat(x.str(unmapped, "Severity.Product"), 64); err == nil && p >= 0 && p <= 10 {
			return p, true
		}
	}
	if id, ok := x.integer(v, "severity_id"); ok && id >= 1 && id <= 6 {
		return severityByID[id], true
	}
	if n, err := strconv.ParseFloat(x.str(unmapped, "Severity.Normalized"), 64); err == nil && n >= 0 && n <= 100 {
		return n / 10, true
	}
	s, ok := labelSeverity[strings.ToUpper(x.str(unmapped, "Severity.Label"))]
	return s, ok
}

var labelSeverity = map[string]float64{"INFORMATIONAL": 0, "LOW": 2, "MEDIUM": 5, "HIGH": 8, "CRITICAL": 9}

// severityLabel names a severity on the GuardDuty scale, as
// internal/guardduty does.
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

// guardDutyType recovers the GuardDuty finding type from the ASFF type
// GuardDuty writes ("TTPs/Command and Control/Trojan:EC2-DGADomainRequest.B"
// for "Trojan:EC2/DGADomainRequest.B"), as internal/guardduty does.
func guardDutyType(t string) string {
	if i := strings.LastIndexByte(t, '/'); i >= 0 {
		t = t[i+1:]
	}
	colon := strings.IndexByte(t, ':')
	if colon < 0 {
		return t
	}
	dash := strings.IndexByte(t[colon:], '-')
	if dash < 0 {
		return t
	}
	dash += colon
	return t[:dash] + "/" + t[dash+1:]
}

// findingResources picks the instance, access key and principal out of the
// finding's resources, as internal/guardduty does for ASFF. The resource
// details are JSON text (details in rc.2, data in 1.1.0).
func (x *extractor) findingResources(rs []value) (instance, accessKey, principal string) {
	type details struct {
		AwsIamAccessKey struct {
			AccessKeyID   string `json:"AccessKeyId"`
			PrincipalName string `json:"PrincipalName"`
			UserName      string `json:"UserName"`
			PrincipalID   string `json:"PrincipalId"`
		} `json:"AwsIamAccessKey"`
		AwsIamUser struct {
			UserName string `json:"UserName"`
		} `json:"AwsIamUser"`
		AwsIamRole struct {
			RoleName string `json:"RoleName"`
		} `json:"AwsIamRole"`
	}
	parse := func(r *value) details {
		var det details
		for _, name := range []string{"details", "data"} {
			a := r.get(name)
			switch {
			case a == nil:
			case a.kind == vString:
				_ = json.Unmarshal([]byte(a.s), &det) // not JSON: no details
				return det
			case a.kind == vObject:
				_ = json.Unmarshal(toJSON(a), &det)
				return det
			}
		}
		return det
	}
	for i := range rs {
		r := &rs[i]
		uid := x.str(r, "uid")
		switch x.str(r, "type") {
		case "AwsEc2Instance":
			if instance == "" {
				instance = uid
				if j := strings.LastIndex(uid, "instance/"); j >= 0 {
					instance = uid[j+len("instance/"):]
				}
			}
		case "AwsIamAccessKey":
			k := parse(r).AwsIamAccessKey
			if accessKey == "" {
				accessKey = firstOf(k.AccessKeyID, strings.TrimPrefix(uid, "AWS::IAM::AccessKey:"))
			}
			if principal == "" {
				principal = firstOf(k.PrincipalName, k.UserName, k.PrincipalID)
			}
		}
	}
	for _, typ := range []string{"AwsIamUser", "AwsIamRole"} {
		for i := range rs {
			r := &rs[i]
			if principal != "" {
				return
			}
			if x.str(r, "type") == typ {
				det := parse(r)
				principal = firstOf(det.AwsIamUser.UserName, det.AwsIamRole.RoleName, x.str(r, "uid"))
			}
		}
	}
	return
}

// evidence returns the values at path in the finding's evidences (1.1.0).
func (x *extractor) evidence(v *value, path ...string) []string {
	ev := v.get("evidences")
	if ev == nil || ev.kind != vList {
		return nil
	}
	var out []string
	for i := range ev.list {
		if s := x.str(&ev.list[i], path...); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// The unmapped keys that hold a GuardDuty finding's network details:
// ASFF's Action flattened by Security Lake, and the ProductFields GuardDuty
// writes. Values of array members are comma-joined; the first counts.
var (
	remoteIPKeys = []string{
		"Action.NetworkConnectionAction.RemoteIpDetails.IpAddressV4",
		"Action.NetworkConnectionAction.RemoteIpDetails.IpAddressV6",
		"Action.PortProbeAction.PortProbeDetails[].RemoteIpDetails.IpAddressV4",
		"Action.AwsApiCallAction.RemoteIpDetails.IpAddressV4",
		"Action.AwsApiCallAction.RemoteIpDetails.IpAddressV6",
		"Action.KubernetesApiCallAction.RemoteIpDetails.IpAddressV4",
		"ProductFields.aws/guardduty/service/action/networkConnectionAction/remoteIpDetails/ipAddressV4",
		"ProductFields.aws/guardduty/service/action/awsApiCallAction/remoteIpDetails/ipAddressV4",
		"ProductFields.aws/guardduty/service/action/portProbeAction/portProbeDetails.0_/remoteIpDetails/ipAddressV4",
	}
	localPortKeys = []string{
		"Action.NetworkConnectionAction.LocalPortDetails.Port",
		"Action.PortProbeAction.PortProbeDetails[].LocalPortDetails.Port",
		"ProductFields.aws/guardduty/service/action/networkConnectionAction/localPortDetails/port",
		"ProductFields.aws/guardduty/service/action/portProbeAction/portProbeDetails.0_/localPortDetails/port",
	}
	remotePortKeys = []string{
		"Action.NetworkConnectionAction.RemotePortDetails.Port",
		"ProductFields.aws/guardduty/service/action/networkConnectionAction/remotePortDetails/port",
	}
	domainKeys = []string{
		"Action.DnsRequestAction.Domain",
		"ProductFields.aws/guardduty/service/action/dnsRequestAction/domain",
	}
)

// unmappedFirst returns the first element of each of keys present in
// unmapped.
func unmappedFirst(x *extractor, unmapped *value, keys []string) []string {
	var out []string
	for _, k := range keys {
		s := x.str(unmapped, k)
		if i := strings.IndexByte(s, ','); i >= 0 {
			s = s[:i]
		}
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unmappedPort returns the first of keys that holds a port number.
func unmappedPort(x *extractor, unmapped *value, keys []string) *int32 {
	for _, s := range unmappedFirst(x, unmapped, keys) {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil && n >= 0 && n <= 65535 {
			p := int32(n)
			return &p
		}
	}
	return nil
}

// firstAddress returns the first of s that is an IP address. These values
// are gathered from several optional places; one that does not parse is
// passed over rather than failing the finding.
func firstAddress(s ...string) string {
	for _, a := range s {
		if addr, err := netip.ParseAddr(a); err == nil && addr.Zone() == "" {
			return a
		}
	}
	return ""
}

// lastSegment returns what follows the last "/" of an ARN.
func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
