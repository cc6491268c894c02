package detect

// The finding types gumshoe raises, named as GuardDuty names them.
const (
	TypeSSHBruteForce      = "UnauthorizedAccess:EC2/SSHBruteForce"
	TypeRDPBruteForce      = "UnauthorizedAccess:EC2/RDPBruteForce"
	TypePortscan           = "Recon:EC2/Portscan"
	TypePortProbe          = "Recon:EC2/PortProbeUnprotectedPort"
	TypePortSweep          = "Impact:EC2/PortSweep"
	TypeTrafficVolume      = "Behavior:EC2/TrafficVolumeUnusual"
	TypeNetworkPortUnusual = "Behavior:EC2/NetworkPortUnusual"
	TypeBitcoinTool        = "CryptoCurrency:EC2/BitcoinTool.B"
	TypeBitcoinToolDNS     = "CryptoCurrency:EC2/BitcoinTool.B!DNS"
	TypeDNSExfiltration    = "Trojan:EC2/DNSDataExfiltration"
	TypeCredExfiltration   = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
	TypeCloudTrailDisabled = "Stealth:IAMUser/CloudTrailLoggingDisabled"
	TypeRootUsage          = "Policy:IAMUser/RootCredentialUsage"
	TypeKali               = "PenTest:IAMUser/KaliLinux"
	TypeParrot             = "PenTest:IAMUser/ParrotLinux"
	TypePentoo             = "PenTest:IAMUser/PentooLinux"
	TypeDiscoveryAnomalous = "Discovery:IAMUser/AnomalousBehavior"
	TypePersistAnomalous   = "Persistence:IAMUser/AnomalousBehavior"
	TypeConsoleLogin       = "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"
	TypeMaliciousIPEC2     = "UnauthorizedAccess:EC2/MaliciousIPCaller.Custom"
	TypeMaliciousIPIAM     = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"
	TypeMaliciousDomainEC2 = "Impact:EC2/MaliciousDomainRequest.Custom"
)

// typeInfo is what every finding of a type shares.
type typeInfo struct {
	severity float64 // GuardDuty's default for the type
	mitre    MITRE
}

func mitre(tacticID, tactic, techniqueID, technique string) MITRE {
	url := "https://attack.mitre.org/techniques/"
	for _, c := range techniqueID {
		if c == '.' {
			url += "/"
			continue
		}
		url += string(c)
	}
	return MITRE{Tactic: tactic, TacticID: tacticID, Technique: technique, TechniqueID: techniqueID, TechniqueLink: url + "/"}
}

var (
	credentialAccess = func(id, name string) MITRE { return mitre("TA0006", "Credential Access", id, name) }
	discovery        = func(id, name string) MITRE { return mitre("TA0007", "Discovery", id, name) }
	reconnaissance   = func(id, name string) MITRE { return mitre("TA0043", "Reconnaissance", id, name) }
	exfiltration     = func(id, name string) MITRE { return mitre("TA0010", "Exfiltration", id, name) }
	commandControl   = func(id, name string) MITRE { return mitre("TA0011", "Command and Control", id, name) }
	impact           = func(id, name string) MITRE { return mitre("TA0040", "Impact", id, name) }
	defenseEvasion   = func(id, name string) MITRE { return mitre("TA0005", "Defense Evasion", id, name) }
	initialAccess    = func(id, name string) MITRE { return mitre("TA0001", "Initial Access", id, name) }
	persistence      = func(id, name string) MITRE { return mitre("TA0003", "Persistence", id, name) }
)

// types gives each type its GuardDuty default severity and its ATT&CK
// tactic and technique.
var types = map[string]typeInfo{
	TypeSSHBruteForce:      {2, credentialAccess("T1110.001", "Brute Force: Password Guessing")},
	TypeRDPBruteForce:      {2, credentialAccess("T1110.001", "Brute Force: Password Guessing")},
	TypePortscan:           {5, discovery("T1046", "Network Service Discovery")},
	TypePortProbe:          {2, reconnaissance("T1595.001", "Active Scanning: Scanning IP Blocks")},
	TypePortSweep:          {8, discovery("T1046", "Network Service Discovery")},
	TypeTrafficVolume:      {5, exfiltration("T1048", "Exfiltration Over Alternative Protocol")},
	TypeNetworkPortUnusual: {5, commandControl("T1571", "Non-Standard Port")},
	TypeBitcoinTool:        {8, impact("T1496", "Resource Hijacking")},
	TypeBitcoinToolDNS:     {8, impact("T1496", "Resource Hijacking")},
	TypeDNSExfiltration:    {8, exfiltration("T1048.003", "Exfiltration Over Alternative Protocol: Exfiltration Over Unencrypted Non-C2 Protocol")},
	TypeCredExfiltration:   {8, credentialAccess("T1552.005", "Unsecured Credentials: Cloud Instance Metadata API")},
	TypeCloudTrailDisabled: {2, defenseEvasion("T1562.008", "Impair Defenses: Disable or Modify Cloud Logs")},
	TypeRootUsage:          {2, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypeKali:               {5, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypeParrot:             {5, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypePentoo:             {5, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypeDiscoveryAnomalous: {2, discovery("T1580", "Cloud Infrastructure Discovery")},
	TypePersistAnomalous:   {5, persistence("T1098", "Account Manipulation")},
	TypeConsoleLogin:       {5, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypeMaliciousIPEC2:     {5, commandControl("T1071", "Application Layer Protocol")},
	TypeMaliciousIPIAM:     {5, initialAccess("T1078.004", "Valid Accounts: Cloud Accounts")},
	TypeMaliciousDomainEC2: {5, commandControl("T1071.004", "Application Layer Protocol: DNS")},
}

// Types lists the finding types gumshoe can raise, with their MITRE
// ATT&CK tactic and technique.
func Types() map[string]MITRE {
	out := make(map[string]MITRE, len(types))
	for t, i := range types {
		out[t] = i.mitre
	}
	return out
}
