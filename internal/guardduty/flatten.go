package guardduty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The wire structs below name only the fields the flattened Finding needs;
// everything else stays in Finding.Raw. encoding/json matches object keys
// to these tags case-insensitively, which is what lets one struct read the
// API's camelCase ("eventFirstSeen") and the CLI's PascalCase
// ("EventFirstSeen"). Timestamps are read as strings and parsed afterwards
// so that an error can name the field.

// gdFinding is a GuardDuty finding (GetFindings Finding shape).
type gdFinding struct {
	ID          string   `json:"id"`
	Arn         string   `json:"arn"`
	AccountID   string   `json:"accountId"`
	Region      string   `json:"region"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    *float64 `json:"severity"`
	CreatedAt   string   `json:"createdAt"`
	UpdatedAt   string   `json:"updatedAt"`
	Resource    struct {
		ResourceType     string `json:"resourceType"`
		AccessKeyDetails struct {
			AccessKeyID string `json:"accessKeyId"`
			PrincipalID string `json:"principalId"`
			UserName    string `json:"userName"`
		} `json:"accessKeyDetails"`
		InstanceDetails struct {
			InstanceID string `json:"instanceId"`
		} `json:"instanceDetails"`
	} `json:"resource"`
	Service struct {
		Action         action `json:"action"`
		Archived       bool   `json:"archived"`
		Count          *int64 `json:"count"`
		EventFirstSeen string `json:"eventFirstSeen"`
		EventLastSeen  string `json:"eventLastSeen"`
	} `json:"service"`
}

// action is GuardDuty's service.action, and ASFF's Action, which copies it
// in PascalCase.
type action struct {
	NetworkConnectionAction struct {
		LocalPortDetails  portDetails `json:"localPortDetails"`
		RemotePortDetails portDetails `json:"remotePortDetails"`
		RemoteIPDetails   ipDetails   `json:"remoteIpDetails"`
	} `json:"networkConnectionAction"`
	PortProbeAction struct {
		PortProbeDetails []struct {
			LocalPortDetails portDetails `json:"localPortDetails"`
			RemoteIPDetails  ipDetails   `json:"remoteIpDetails"`
		} `json:"portProbeDetails"`
	} `json:"portProbeAction"`
	AwsAPICallAction struct {
		RemoteIPDetails ipDetails `json:"remoteIpDetails"`
	} `json:"awsApiCallAction"`
	DNSRequestAction struct {
		Domain string `json:"domain"`
	} `json:"dnsRequestAction"`
	KubernetesAPICallAction struct {
		RemoteIPDetails ipDetails `json:"remoteIpDetails"`
	} `json:"kubernetesApiCallAction"`
	RDSLoginAttemptAction struct {
		RemoteIPDetails ipDetails `json:"remoteIpDetails"`
	} `json:"rdsLoginAttemptAction"`
}

type portDetails struct {
	Port *int32 `json:"port"`
}

type ipDetails struct {
	IPAddressV4 string `json:"ipAddressV4"`
	IPAddressV6 string `json:"ipAddressV6"`
}

// asffFinding is a Security Hub finding (AwsSecurityFinding).
type asffFinding struct {
	ID                    string        `json:"Id"`
	ProductArn            string        `json:"ProductArn"`
	ProductName           string        `json:"ProductName"`
	AwsAccountID          string        `json:"AwsAccountId"`
	Region                string        `json:"Region"`
	Types                 []string      `json:"Types"`
	Title                 string        `json:"Title"`
	Description           string        `json:"Description"`
	Severity              *asffSeverity `json:"Severity"`
	FindingProviderFields struct {
		Severity *asffSeverity `json:"Severity"`
		Types    []string      `json:"Types"`
	} `json:"FindingProviderFields"`
	CreatedAt       string `json:"CreatedAt"`
	UpdatedAt       string `json:"UpdatedAt"`
	FirstObservedAt string `json:"FirstObservedAt"`
	LastObservedAt  string `json:"LastObservedAt"`
	RecordState     string `json:"RecordState"`
	Workflow        struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	// ProductFields is free-form text by definition; values are read only
	// where needed and never rejected.
	ProductFields map[string]json.RawMessage `json:"ProductFields"`
	Action        action                     `json:"Action"`
	Resources     []asffResource             `json:"Resources"`
}

type asffSeverity struct {
	Product    *float64 `json:"Product"`
	Normalized *float64 `json:"Normalized"`
	Label      string   `json:"Label"`
}

type asffResource struct {
	Type    string `json:"Type"`
	ID      string `json:"Id"`
	Region  string `json:"Region"`
	Details struct {
		AwsIamAccessKey struct {
			AccessKeyID   string `json:"AccessKeyId"`
			PrincipalID   string `json:"PrincipalId"`
			PrincipalName string `json:"PrincipalName"`
			UserName      string `json:"UserName"`
		} `json:"AwsIamAccessKey"`
		AwsIamUser struct {
			UserName string `json:"UserName"`
		} `json:"AwsIamUser"`
		AwsIamRole struct {
			RoleName string `json:"RoleName"`
		} `json:"AwsIamRole"`
	} `json:"Details"`
}

// decodeGuardDuty flattens a GuardDuty finding. raw is valid JSON.
func decodeGuardDuty(raw []byte) (Finding, error) {
	var w gdFinding
	err := json.Unmarshal(raw, &w)
	f := Finding{
		ID:           w.ID,
		Source:       SourceGuardDuty,
		Product:      "GuardDuty",
		Type:         w.Type,
		Title:        w.Title,
		Description:  w.Description,
		AccountID:    w.AccountID,
		Region:       w.Region,
		ResourceType: w.Resource.ResourceType,
		InstanceID:   w.Resource.InstanceDetails.InstanceID,
		AccessKeyID:  w.Resource.AccessKeyDetails.AccessKeyID,
		Principal:    firstOf(w.Resource.AccessKeyDetails.UserName, w.Resource.AccessKeyDetails.PrincipalID),
		Count:        1,
		Archived:     w.Service.Archived,
	}
	if err != nil {
		return f, jsonError(err)
	}
	if f.ID == "" {
		return f, fmt.Errorf("%w: id", ErrMissing)
	}
	if f.Region == "" {
		f.Region = arnRegion(w.Arn)
	}
	if s := w.Severity; s != nil {
		if *s < 0 || *s > 10 {
			return f, fmt.Errorf("%w: field severity: %v is not in 0–10", ErrRange, *s)
		}
		f.Severity, f.SeverityLabel = *s, severityLabel(*s)
	}
	if c := w.Service.Count; c != nil {
		if *c < 0 {
			return f, fmt.Errorf("%w: field service.count: %d is negative", ErrRange, *c)
		}
		f.Count = *c
	}
	if err := flattenAction(&f, &w.Service.Action, "service.action."); err != nil {
		return f, err
	}
	return f, parseTimes(&f,
		"service.eventFirstSeen", w.Service.EventFirstSeen,
		"service.eventLastSeen", w.Service.EventLastSeen,
		"updatedAt", w.UpdatedAt,
		"createdAt", w.CreatedAt)
}

// decodeASFF flattens a Security Hub finding. raw is valid JSON.
func decodeASFF(raw []byte) (Finding, error) {
	var w asffFinding
	err := json.Unmarshal(raw, &w)
	f := Finding{
		ID:          w.ID,
		Source:      SourceSecurityHub,
		Product:     asffProduct(&w),
		Title:       w.Title,
		Description: w.Description,
		AccountID:   w.AwsAccountID,
		Region:      w.Region,
		Count:       1,
		Archived:    strings.EqualFold(w.RecordState, "ARCHIVED") || strings.EqualFold(w.Workflow.Status, "SUPPRESSED"),
	}
	if err != nil {
		return f, jsonError(err)
	}
	if f.ID == "" {
		return f, fmt.Errorf("%w: Id", ErrMissing)
	}
	isGuardDuty := strings.EqualFold(f.Product, "GuardDuty") || strings.HasSuffix(w.ProductArn, "/aws/guardduty")

	types := w.Types
	if len(types) == 0 {
		types = w.FindingProviderFields.Types
	}
	if len(types) > 0 {
		f.Type = types[0]
		if isGuardDuty {
			f.Type = guardDutyType(types[0])
		}
	}

	sev := w.Severity
	if sev == nil || (sev.Product == nil && sev.Normalized == nil && sev.Label == "") {
		sev = w.FindingProviderFields.Severity
	}
	if s, ok := asffSeverityValue(sev); ok {
		f.Severity, f.SeverityLabel = s, severityLabel(s)
	}

	if len(w.Resources) > 0 {
		f.ResourceType = w.Resources[0].Type
		if f.Region == "" {
			f.Region = w.Resources[0].Region
		}
	}
	f.InstanceID, f.AccessKeyID, f.Principal = asffResources(w.Resources)

	if isGuardDuty {
		if n, ok := productFieldInt(w.ProductFields, "aws/guardduty/service/count"); ok && n >= 0 {
			f.Count = n
		}
	}
	if err := flattenAction(&f, &w.Action, "Action."); err != nil {
		return f, err
	}
	return f, parseTimes(&f,
		"FirstObservedAt", w.FirstObservedAt,
		"LastObservedAt", w.LastObservedAt,
		"UpdatedAt", w.UpdatedAt,
		"CreatedAt", w.CreatedAt)
}

// asffProduct names the product that generated an ASFF finding.
func asffProduct(w *asffFinding) string {
	if w.ProductName != "" {
		return w.ProductName
	}
	if s, ok := productFieldString(w.ProductFields, "aws/securityhub/ProductName"); ok && s != "" {
		return s
	}
	// arn:aws:securityhub:us-east-1::product/aws/guardduty
	if i := strings.LastIndexByte(w.ProductArn, '/'); i >= 0 {
		return w.ProductArn[i+1:]
	}
	return ""
}

// guardDutyType recovers the GuardDuty finding type from the ASFF type
// GuardDuty writes for it: "TTPs/Command and Control/Trojan:EC2-DGADomainRequest.B"
// stands for "Trojan:EC2/DGADomainRequest.B", the slash that ASFF reserves
// for its namespaces turned into a hyphen. No resource type in GuardDuty's
// grammar (EC2, IAMUser, S3, Kubernetes, Runtime, ...) holds a hyphen, so
// the first hyphen after the colon is the one to restore.
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

// labelSeverity places the ASFF severity labels on the GuardDuty scale.
var labelSeverity = map[string]float64{
	"INFORMATIONAL": 0,
	"LOW":           2,
	"MEDIUM":        5,
	"HIGH":          8,
	"CRITICAL":      9,
}

// asffSeverityValue returns an ASFF severity on the GuardDuty scale.
// Severity.Product is the generating product's own score: GuardDuty's is on
// the 0–10 scale, other products' may not be, so a Product outside 0–10 is
// passed over for Normalized (0–100).
func asffSeverityValue(s *asffSeverity) (float64, bool) {
	if s == nil {
		return 0, false
	}
	if p := s.Product; p != nil && *p >= 0 && *p <= 10 {
		return *p, true
	}
	if n := s.Normalized; n != nil && *n >= 0 && *n <= 100 {
		return *n / 10, true
	}
	v, ok := labelSeverity[strings.ToUpper(s.Label)]
	return v, ok
}

// asffResources picks the instance, access key and principal out of an
// ASFF finding's resources. The principal comes from the access key's
// details first, as GuardDuty's does, then from an IAM user, then a role.
func asffResources(rs []asffResource) (instance, accessKey, principal string) {
	for i := range rs {
		r := &rs[i]
		switch r.Type {
		case "AwsEc2Instance":
			if instance == "" {
				// arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0
				instance = r.ID
				if j := strings.LastIndex(r.ID, "instance/"); j >= 0 {
					instance = r.ID[j+len("instance/"):]
				}
			}
		case "AwsIamAccessKey":
			k := &r.Details.AwsIamAccessKey
			if accessKey == "" {
				// GuardDuty writes the Id as "AWS::IAM::AccessKey:ASIA...".
				accessKey = firstOf(k.AccessKeyID, strings.TrimPrefix(r.ID, "AWS::IAM::AccessKey:"))
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
			if r.Type == typ {
				principal = firstOf(r.Details.AwsIamUser.UserName, r.Details.AwsIamRole.RoleName, r.ID)
			}
		}
	}
	return
}

// productFieldString returns a ProductFields value that is a JSON string.
func productFieldString(m map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := m[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// productFieldInt returns a ProductFields value holding an integer, as a
// string ("74", the norm) or a number.
func productFieldInt(m map[string]json.RawMessage, key string) (int64, bool) {
	raw, ok := m[key]
	if !ok {
		return 0, false
	}
	s, ok := productFieldString(m, key)
	if !ok {
		s = string(raw)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// flattenAction sets the remote address, ports and domain of a finding's
// action. Only one action is set in practice; ASFF findings carry empty
// objects for the others. prefix is the action's path in the finding, for
// errors: "service.action." or, in ASFF's casing, "Action.".
func flattenAction(f *Finding, a *action, prefix string) error {
	name := func(path string) string {
		if prefix == "Action." {
			path = pascal(path)
		}
		return prefix + path
	}
	probe := a.PortProbeAction.PortProbeDetails
	remotes := []struct {
		field string
		ip    *ipDetails
	}{
		{"networkConnectionAction.remoteIpDetails", &a.NetworkConnectionAction.RemoteIPDetails},
		{"portProbeAction.portProbeDetails[0].remoteIpDetails", nil},
		{"awsApiCallAction.remoteIpDetails", &a.AwsAPICallAction.RemoteIPDetails},
		{"kubernetesApiCallAction.remoteIpDetails", &a.KubernetesAPICallAction.RemoteIPDetails},
		{"rdsLoginAttemptAction.remoteIpDetails", &a.RDSLoginAttemptAction.RemoteIPDetails},
	}
	if len(probe) > 0 {
		remotes[1].ip = &probe[0].RemoteIPDetails
	}
	for _, r := range remotes {
		if r.ip == nil {
			continue
		}
		ip := firstOf(r.ip.IPAddressV4, r.ip.IPAddressV6)
		if ip == "" {
			continue
		}
		if addr, err := netip.ParseAddr(ip); err != nil || addr.Zone() != "" {
			return fmt.Errorf("%w: field %s: %s", ErrAddress, name(r.field), quote(ip))
		}
		f.RemoteIP = ip
		break
	}

	ports := []struct {
		field string
		port  *int32
		dst   **int32
	}{
		{"networkConnectionAction.localPortDetails.port", a.NetworkConnectionAction.LocalPortDetails.Port, &f.LocalPort},
		{"networkConnectionAction.remotePortDetails.port", a.NetworkConnectionAction.RemotePortDetails.Port, &f.RemotePort},
		{"portProbeAction.portProbeDetails[0].localPortDetails.port", nil, &f.LocalPort},
	}
	if len(probe) > 0 {
		ports[2].port = probe[0].LocalPortDetails.Port
	}
	for _, p := range ports {
		if p.port == nil || *p.dst != nil {
			continue
		}
		if *p.port < 0 || *p.port > 65535 {
			return fmt.Errorf("%w: field %s: %d is not in 0–65535", ErrRange, name(p.field), *p.port)
		}
		*p.dst = p.port
	}
	f.Domain = a.DNSRequestAction.Domain
	return nil
}

// pascal capitalises each element of a dotted path.
func pascal(path string) string {
	b := []byte(path)
	for i := range b {
		if (i == 0 || b[i-1] == '.') && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// parseTimes parses FirstSeen, LastSeen, UpdatedAt and CreatedAt, given as
// (name, value) pairs in that order.
func parseTimes(f *Finding, kv ...string) error {
	dst := [...]*time.Time{&f.FirstSeen, &f.LastSeen, &f.UpdatedAt, &f.CreatedAt}
	for i, t := range dst {
		name, value := kv[2*i], kv[2*i+1]
		var err error
		if *t, err = parseTime(value); err != nil {
			return fmt.Errorf("%w: field %s: %s", ErrTime, name, quote(value))
		}
	}
	return nil
}

// Layouts of the timestamps findings carry, after parseTime has turned a
// space or a lowercase t between date and time into a T. All accept a
// fraction of a second. AWS writes RFC 3339 in UTC
// ("2024-01-01T00:00:00.000Z"); tools that re-serialise findings write
// numeric offsets with or without a colon, and some (Panther) no zone at
// all, meaning UTC ("2025-02-25 20:40:06.721").
var timeLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
}

// parseTime parses a finding timestamp into UTC; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	v := s
	if len(v) > 10 && (v[10] == ' ' || v[10] == 't') {
		v = v[:10] + "T" + v[11:]
	}
	if strings.HasSuffix(v, "z") {
		v = v[:len(v)-1] + "Z"
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("invalid timestamp")
}

// jsonError turns an error from json.Unmarshal into one that names the
// field in the finding's own terms rather than Go's.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(finding)"
		}
		return fmt.Errorf("%w: field %s: got %s, want %s", ErrType, field, te.Value, jsonKind(te.Type))
	}
	return fmt.Errorf("%w: %v", ErrSyntax, err)
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int32:
		return "32-bit integer"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.Kind().String()
}

// arnRegion returns the region field of an ARN.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// arnService returns the service field of an ARN.
func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 4 || parts[0] != "arn" {
		return ""
	}
	return parts[2]
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// compact returns raw as compact JSON in a new slice.
func compact(raw []byte) json.RawMessage {
	var b bytes.Buffer
	b.Grow(len(raw))
	if json.Compact(&b, raw) != nil {
		return bytes.Clone(raw)
	}
	return b.Bytes()
}
