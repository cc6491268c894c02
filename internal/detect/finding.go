package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Finding is a finding in the GuardDuty finding JSON shape (GetFindings'
// Finding), so that tools written for GuardDuty read gumshoe's findings.
// Only the members gumshoe fills are declared. Gumshoe adds one top-level
// member of its own, "gumshoe", with the detector, the MITRE ATT&CK tactic
// and technique and the evidence behind the finding; tools that do not know
// it ignore it.
type Finding struct {
	SchemaVersion string   `json:"schemaVersion"`
	AccountID     string   `json:"accountId"`
	Region        string   `json:"region"`
	Partition     string   `json:"partition"`
	ID            string   `json:"id"`
	Arn           string   `json:"arn"`
	Type          string   `json:"type"`
	Resource      Resource `json:"resource"`
	Service       Service  `json:"service"`
	Severity      float64  `json:"severity"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	CreatedAt     string   `json:"createdAt"`
	UpdatedAt     string   `json:"updatedAt"`
	Gumshoe       Gumshoe  `json:"gumshoe"`
}

// Gumshoe is gumshoe's own member of a finding.
type Gumshoe struct {
	Detector string         `json:"detector"`
	MITRE    MITRE          `json:"mitre"`
	Evidence map[string]any `json:"evidence,omitempty"`
}

// MITRE names an ATT&CK (Enterprise) tactic and technique.
type MITRE struct {
	Tactic        string `json:"tactic"`
	TacticID      string `json:"tacticId"`
	Technique     string `json:"technique"`
	TechniqueID   string `json:"techniqueId"`
	TechniqueLink string `json:"techniqueUrl"`
}

// Resource is the finding's resource.
type Resource struct {
	ResourceType     string            `json:"resourceType"`
	InstanceDetails  *InstanceDetails  `json:"instanceDetails,omitempty"`
	AccessKeyDetails *AccessKeyDetails `json:"accessKeyDetails,omitempty"`
}

// InstanceDetails identifies an EC2 instance (or, when the logs do not
// name the instance, its network interface).
type InstanceDetails struct {
	InstanceID        string             `json:"instanceId,omitempty"`
	NetworkInterfaces []NetworkInterface `json:"networkInterfaces,omitempty"`
}

// NetworkInterface is one of an instance's interfaces.
type NetworkInterface struct {
	NetworkInterfaceID string `json:"networkInterfaceId,omitempty"`
	PrivateIPAddress   string `json:"privateIpAddress,omitempty"`
	VpcID              string `json:"vpcId,omitempty"`
}

// AccessKeyDetails identifies an IAM identity and the key it used.
type AccessKeyDetails struct {
	AccessKeyID string `json:"accessKeyId,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	UserName    string `json:"userName,omitempty"`
	UserType    string `json:"userType,omitempty"`
}

// Service is GuardDuty's service member.
type Service struct {
	ServiceName    string         `json:"serviceName"`
	DetectorID     string         `json:"detectorId"`
	Action         Action         `json:"action"`
	ResourceRole   string         `json:"resourceRole"`
	Count          int64          `json:"count"`
	EventFirstSeen string         `json:"eventFirstSeen"`
	EventLastSeen  string         `json:"eventLastSeen"`
	Archived       bool           `json:"archived"`
	AdditionalInfo AdditionalInfo `json:"additionalInfo"`
	Evidence       *Evidence      `json:"evidence,omitempty"`
}

// AdditionalInfo is GuardDuty's free-form member: Value holds JSON text.
type AdditionalInfo struct {
	Value string `json:"value"`
	Type  string `json:"type"`
}

// Evidence names the threat list behind a threat-intelligence finding.
type Evidence struct {
	ThreatIntelligenceDetails []ThreatIntelligenceDetail `json:"threatIntelligenceDetails"`
}

// ThreatIntelligenceDetail is one list and the entries that matched.
type ThreatIntelligenceDetail struct {
	ThreatListName string   `json:"threatListName"`
	ThreatNames    []string `json:"threatNames"`
}

// Action is what happened; one of its members is set, as ActionType says.
type Action struct {
	ActionType              string                   `json:"actionType"`
	NetworkConnectionAction *NetworkConnectionAction `json:"networkConnectionAction,omitempty"`
	PortProbeAction         *PortProbeAction         `json:"portProbeAction,omitempty"`
	AwsAPICallAction        *AwsAPICallAction        `json:"awsApiCallAction,omitempty"`
	DNSRequestAction        *DNSRequestAction        `json:"dnsRequestAction,omitempty"`
}

// NetworkConnectionAction is a connection between the resource and a
// remote host.
type NetworkConnectionAction struct {
	Blocked             bool             `json:"blocked"`
	ConnectionDirection string           `json:"connectionDirection"`
	Protocol            string           `json:"protocol"`
	LocalPortDetails    *PortDetails     `json:"localPortDetails,omitempty"`
	LocalIPDetails      *LocalIPDetails  `json:"localIpDetails,omitempty"`
	RemoteIPDetails     *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
	RemotePortDetails   *PortDetails     `json:"remotePortDetails,omitempty"`
}

// PortProbeAction lists the ports of the resource probed from outside.
type PortProbeAction struct {
	Blocked          bool              `json:"blocked"`
	PortProbeDetails []PortProbeDetail `json:"portProbeDetails"`
}

// PortProbeDetail is one probed port and one prober.
type PortProbeDetail struct {
	LocalPortDetails *PortDetails     `json:"localPortDetails,omitempty"`
	LocalIPDetails   *LocalIPDetails  `json:"localIpDetails,omitempty"`
	RemoteIPDetails  *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
}

// AwsAPICallAction is an API call.
type AwsAPICallAction struct {
	API             string           `json:"api"`
	CallerType      string           `json:"callerType"`
	ErrorCode       string           `json:"errorCode,omitempty"`
	UserAgent       string           `json:"userAgent,omitempty"`
	RemoteIPDetails *RemoteIPDetails `json:"remoteIpDetails,omitempty"`
	ServiceName     string           `json:"serviceName"`
}

// DNSRequestAction is a DNS query.
type DNSRequestAction struct {
	Domain           string `json:"domain"`
	Protocol         string `json:"protocol"`
	Blocked          bool   `json:"blocked"`
	DomainWithSuffix string `json:"domainWithSuffix,omitempty"`
}

// PortDetails is a port and its usual name.
type PortDetails struct {
	Port     int32  `json:"port"`
	PortName string `json:"portName"`
}

// LocalIPDetails is the resource's address.
type LocalIPDetails struct {
	IPAddressV4 string `json:"ipAddressV4,omitempty"`
	IPAddressV6 string `json:"ipAddressV6,omitempty"`
}

// RemoteIPDetails is the other side's address and what is known of it.
type RemoteIPDetails struct {
	IPAddressV4  string        `json:"ipAddressV4,omitempty"`
	IPAddressV6  string        `json:"ipAddressV6,omitempty"`
	Country      *Country      `json:"country,omitempty"`
	Organization *Organization `json:"organization,omitempty"`
}

// Country is a remote address's country.
type Country struct {
	CountryCode string `json:"countryCode,omitempty"`
}

// Organization is a remote address's network.
type Organization struct {
	Asn    string `json:"asn,omitempty"`
	AsnOrg string `json:"asnOrg,omitempty"`
}

// FindingID returns the stable ID of a finding of type typ on a resource
// with a counterpart (a remote address, port, domain, trail; "" for none):
// 32 hexadecimal digits, as GuardDuty's IDs.
func FindingID(typ, resource, counterpart string) string {
	sum := sha256.Sum256([]byte(typ + "\x00" + resource + "\x00" + counterpart))
	return hex.EncodeToString(sum[:16])
}

func remoteIP(addr string) *RemoteIPDetails {
	if addr == "" {
		return nil
	}
	if strings.Contains(addr, ":") {
		return &RemoteIPDetails{IPAddressV6: addr}
	}
	return &RemoteIPDetails{IPAddressV4: addr}
}

func localIP(addr string) *LocalIPDetails {
	if addr == "" {
		return nil
	}
	if strings.Contains(addr, ":") {
		return &LocalIPDetails{IPAddressV6: addr}
	}
	return &LocalIPDetails{IPAddressV4: addr}
}

var portNames = map[int32]string{
	21: "FTP", 22: "SSH", 23: "Telnet", 25: "SMTP", 53: "DNS", 80: "HTTP", 110: "POP3", 123: "NTP", 143: "IMAP",
	443: "HTTPS", 445: "SMB", 1433: "MSSQL", 3306: "MySQL", 3333: "Stratum", 3389: "RDP", 5432: "PostgreSQL",
	5900: "VNC", 6379: "Redis", 8080: "HTTP", 8333: "Bitcoin", 9200: "Elasticsearch", 11211: "Memcached", 27017: "MongoDB",
}

func port(p int32) *PortDetails {
	if p < 0 {
		return nil
	}
	name := portNames[p]
	if name == "" {
		name = "Unknown"
	}
	return &PortDetails{Port: p, PortName: name}
}

func protocolName(p int32) string {
	switch p {
	case 6:
		return "TCP"
	case 17:
		return "UDP"
	case 1:
		return "ICMP"
	}
	return "Unknown"
}
