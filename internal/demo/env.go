package demo

import (
	"fmt"
	"math/rand/v2"
)

// The three accounts of the organisation. Their IDs are the example
// account IDs of the AWS documentation.
const (
	OrgID       = "o-gumsh0edem0"
	ProdAccount = "444455556666"
	DevAccount  = "777788889999"
	SecAccount  = "111122223333"
)

// Regions are the two regions the organisation runs in.
var Regions = []string{"us-east-1", "eu-west-1"}

// Account is one AWS account of the organisation.
type Account struct {
	ID, Name string
	// FlowFormat is the format of the account's VPC flow logs: "v5" (the
	// 29-field custom format) or "v2" (the default format).
	FlowFormat string
	// GuardDuty reports whether GuardDuty is on (and exports findings)
	// in this account.
	GuardDuty bool
	// Trail is the account's own trail, besides the organisation trail.
	Trail string
	Root  *Principal
}

// VPC is one VPC: its subnets, its NAT gateway and its S3 gateway
// endpoint, and the flow log and resolver query log that cover it.
type VPC struct {
	ID        string
	Name      string
	Account   *Account
	Region    string
	Second    int // second octet of its 10.x.0.0/16
	Subnets   []*Subnet
	NAT       *NAT
	FlowLogID string
	// S3Endpoint is the gateway VPC endpoint for S3 ("" when none);
	// S3EndpointFrom is when it was created (Unix seconds; 0: before
	// the generated period).
	S3Endpoint     string
	S3EndpointFrom int64
	Instances      []*Instance
}

// Subnet is one subnet of a VPC.
type Subnet struct {
	ID     string
	VPC    *VPC
	AZ     string // us-east-1a
	AZID   string // use1-az1
	Public bool
	Third  int // third octet
}

// NAT is a NAT gateway: its network interface carries the private
// instances' internet traffic.
type NAT struct {
	ID, ENI   string
	Subnet    *Subnet
	PrivateIP uint32
	PublicIP  uint32
}

// Instance is an EC2 instance with one network interface.
type Instance struct {
	ID, Name, Tier string
	VPC            *VPC
	Subnet         *Subnet
	ENI            string
	PrivateIP      uint32
	PublicIP       uint32 // 0 when the instance has none
	Role           *Principal
	Type, AMI      string
	index          int // position in Environment.Instances
}

// Principal is an IAM user, an IAM role or an account's root user.
type Principal struct {
	Kind    string // "user", "role", "root"
	Name    string
	ARN     string
	ID      string // AIDA… or AROA…; the account ID for root
	Account *Account
	// Users: the long-term access key, where they work from and what
	// they use.
	AccessKey string
	Office    uint32
	Home      uint32
	UTCOffset int // hours
	Browser   string
	CLI       string
	// CI marks the deployment pipeline's user.
	CI bool
}

// Environment is the whole organisation. It is built from the seed alone.
type Environment struct {
	Accounts  []*Account
	VPCs      []*VPC
	Instances []*Instance
	Users     []*Principal
	Roles     []*Principal
	// Buckets by purpose.
	ConfigBucket, ArtifactBucket, DataBucket, ReportBucket, LogBucket string
	// DeployRole is the pipeline's role; DeployRoleV2 the one that
	// replaces it in the benign scenario.
	DeployRole, DeployRoleV2, AuditRoleProd, AuditRoleDev *Principal
	// ConfigRoles are AWS Config's service-linked roles, by account.
	ConfigRoles map[string]*Principal
}

// Account returns the account with the ID.
func (e *Environment) Account(id string) *Account {
	for _, a := range e.Accounts {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// instance returns the instance named name.
func (e *Environment) instance(name string) *Instance {
	for _, in := range e.Instances {
		if in.Name == name {
			return in
		}
	}
	panic("demo: no instance " + name)
}

func (e *Environment) user(name string) *Principal {
	for _, u := range e.Users {
		if u.Name == name {
			return u
		}
	}
	panic("demo: no user " + name)
}

func (e *Environment) vpc(name string) *VPC {
	for _, v := range e.VPCs {
		if v.Name == name {
			return v
		}
	}
	panic("demo: no VPC " + name)
}

// tierSpec is how many instances of a tier a VPC holds and where.
type tierSpec struct {
	tier   string
	n      int
	public bool
	typ    string
}

// newEnvironment builds the organisation for a seed. endpointFrom is when
// the S3 gateway endpoint of production's eu-west-1 VPC is created (the
// benign scenario).
func newEnvironment(seed int64, endpointFrom int64) *Environment {
	r := rand.New(rand.NewPCG(uint64(seed), 0x656e7669726f6e))
	e := &Environment{}
	prod := &Account{ID: ProdAccount, Name: "production", FlowFormat: "v5", GuardDuty: true, Trail: "prod-account-trail"}
	dev := &Account{ID: DevAccount, Name: "development", FlowFormat: "v2", Trail: "dev-account-trail"}
	sec := &Account{ID: SecAccount, Name: "security", FlowFormat: "v5"}
	e.Accounts = []*Account{prod, dev, sec}
	for _, a := range e.Accounts {
		a.Root = &Principal{Kind: "root", Name: "root", ARN: "arn:aws:iam::" + a.ID + ":root", ID: a.ID, Account: a}
	}
	e.ConfigBucket = "prod-app-config-" + ProdAccount
	e.ArtifactBucket = "prod-deploy-artifacts-" + ProdAccount
	e.DataBucket = "prod-customer-exports-" + ProdAccount
	e.ReportBucket = "prod-reports-eu-" + ProdAccount
	e.LogBucket = "org-log-archive-" + SecAccount

	role := func(a *Account, name string) *Principal {
		p := &Principal{Kind: "role", Name: name, ARN: "arn:aws:iam::" + a.ID + ":role/" + name, ID: "AROA" + upperID(r, 17), Account: a}
		e.Roles = append(e.Roles, p)
		return p
	}
	roles := map[string]*Principal{}
	short := map[*Account]string{prod: "prod", dev: "dev", sec: "sec"}
	for _, a := range []*Account{prod, dev, sec} {
		for _, t := range []string{"web", "app", "db", "bastion", "batch"} {
			roles[a.Name+"/"+t] = role(a, short[a]+"-"+t+"-instance-role")
		}
	}
	e.DeployRole = role(prod, "prod-deploy")
	e.DeployRoleV2 = role(prod, "prod-deploy-v2")
	e.AuditRoleProd = role(prod, "SecurityAudit")
	e.AuditRoleDev = role(dev, "SecurityAudit")
	e.ConfigRoles = map[string]*Principal{}
	for _, a := range e.Accounts {
		p := role(a, "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
		p.ARN = "arn:aws:iam::" + a.ID + ":role/" + p.Name
		e.ConfigRoles[a.ID] = p
	}

	// VPCs and instances.
	type vpcSpec struct {
		name   string
		acct   *Account
		region string
		second int
		nat    bool
		s3     bool
		tiers  []tierSpec
	}
	specs := []vpcSpec{
		{"prod-use1", prod, "us-east-1", 10, true, true, []tierSpec{
			{"web", 6, true, "c6i.large"}, {"bastion", 1, true, "t3.micro"}, {"app", 6, false, "m6i.xlarge"},
			{"db", 2, false, "r6i.2xlarge"}, {"batch", 2, false, "c6i.2xlarge"}}},
		{"prod-euw1", prod, "eu-west-1", 20, true, false, []tierSpec{
			{"web", 3, true, "c6i.large"}, {"app", 2, false, "m6i.xlarge"}, {"db", 1, false, "r6i.xlarge"},
			{"batch", 1, true, "c6i.xlarge"}}},
		{"dev-use1", dev, "us-east-1", 30, true, false, []tierSpec{
			{"web", 2, true, "t3.medium"}, {"app", 2, false, "t3.large"}, {"db", 1, false, "t3.large"},
			{"batch", 1, false, "c6i.large"}}},
		{"sec-use1", sec, "us-east-1", 40, false, false, []tierSpec{
			{"batch", 1, true, "t3.large"}}},
	}
	for _, s := range specs {
		v := &VPC{ID: "vpc-0" + hexID(r, 16), Name: s.name, Account: s.acct, Region: s.region, Second: s.second, FlowLogID: "fl-0" + hexID(r, 16)}
		for i, az := range []string{"a", "b"} {
			for _, public := range []bool{true, false} {
				third := i*16 + 1
				if !public {
					third += 100
				}
				v.Subnets = append(v.Subnets, &Subnet{ID: "subnet-0" + hexID(r, 16), VPC: v, AZ: s.region + az,
					AZID: azPrefix(s.region) + "-az" + fmt.Sprint(i+1), Public: public, Third: third})
			}
		}
		if s.nat {
			sn := v.Subnets[0]
			v.NAT = &NAT{ID: "nat-0" + hexID(r, 16), ENI: "eni-0" + hexID(r, 16), Subnet: sn,
				PrivateIP: ipv4(10, byte(v.Second), byte(sn.Third), 5), PublicIP: natPublicIP(s.region, s.second)}
		}
		if s.s3 {
			v.S3Endpoint = "vpce-0" + hexID(r, 16)
		}
		if s.name == "prod-euw1" {
			v.S3Endpoint = "vpce-0" + hexID(r, 16)
			v.S3EndpointFrom = endpointFrom
		}
		host := map[*Subnet]int{}
		for _, t := range s.tiers {
			for k := range t.n {
				var cands []*Subnet
				for _, sn := range v.Subnets {
					if sn.Public == t.public {
						cands = append(cands, sn)
					}
				}
				sn := cands[k%len(cands)]
				host[sn]++
				in := &Instance{
					ID: "i-0" + hexID(r, 16), Name: fmt.Sprintf("%s-%s-%d", s.name, t.tier, k+1), Tier: t.tier,
					VPC: v, Subnet: sn, ENI: "eni-0" + hexID(r, 16),
					PrivateIP: ipv4(10, byte(v.Second), byte(sn.Third), byte(10+host[sn]*7+r.IntN(5))),
					Role:      roles[s.acct.Name+"/"+t.tier], Type: t.typ, AMI: "ami-0" + hexID(r, 16),
					index: len(e.Instances),
				}
				if t.public {
					in.PublicIP = instancePublicIP(s.region, len(e.Instances), r)
				}
				v.Instances = append(v.Instances, in)
				e.Instances = append(e.Instances, in)
			}
		}
		e.VPCs = append(e.VPCs, v)
	}

	// People and pipelines.
	user := func(a *Account, name string, office, home uint32, utc int, browser, cli string) *Principal {
		p := &Principal{Kind: "user", Name: name, ARN: "arn:aws:iam::" + a.ID + ":user/" + name, ID: "AIDA" + upperID(r, 17),
			Account: a, AccessKey: "AKIA" + upperID(r, 16), Office: office, Home: home, UTCOffset: utc, Browser: browser, CLI: cli}
		e.Users = append(e.Users, p)
		return p
	}
	user(prod, "alice", addrBerlinOffice+1, addrHomes+1, 1, uaChromeMac, cliMac)
	user(prod, "bob", addrBerlinOffice+2, addrHomes+2, 1, uaFirefoxLinux, cliLinux)
	user(prod, "carol", addrNYOffice+1, addrHomesUS+3, -5, uaSafariMac, cliMac)
	user(dev, "dave", addrNYOffice+2, addrHomesUS+4, -5, uaChromeWin, cliWin)
	user(dev, "erin", addrBerlinOffice+3, addrHomes+5, 1, uaChromeMac, cliMac)
	user(dev, "frank", addrNYOffice+3, addrHomesUS+6, -5, uaFirefoxLinux, cliLinux)
	user(sec, "sam", addrBerlinOffice+4, addrHomes+7, 1, uaChromeMac, cliMac)
	ci := user(prod, "ci-deploy", addrCI+1, addrCI+2, 0, "", cliCI)
	ci.CI = true
	dci := user(dev, "dev-ci", addrCI+3, addrCI+4, 0, "", cliCI)
	dci.CI = true
	return e
}

// Times of the instances' credential rotation: an instance profile's
// session is renewed every six hours.
const sessionPeriod = 6 * 3600

// sessionKey returns the access key ID of an instance's role session in
// the rotation epoch that holds t.
func (in *Instance) sessionKey(seed int64, t int64) (key string, created int64) {
	epoch := (t + int64(in.index)*997) / sessionPeriod
	created = epoch*sessionPeriod - int64(in.index)*997
	return "ASIA" + keyChars(mix64(uint64(seed)^0x5e55, uint64(in.index)<<32|uint64(epoch)), 16), created
}

// sessionID is the role session's principal ID, the graph's key of a
// role_session: <role principal ID>:<session name>.
func (in *Instance) sessionID() string { return in.Role.ID + ":" + in.ID }

// sessionARN is the assumed-role ARN of the instance's session.
func (in *Instance) sessionARN() string {
	return "arn:aws:sts::" + in.VPC.Account.ID + ":assumed-role/" + in.Role.Name + "/" + in.ID
}

// egressIP is the address the instance's calls to AWS come from: its
// own public address, else its NAT gateway's.
func (in *Instance) egressIP() uint32 {
	if in.PublicIP != 0 {
		return in.PublicIP
	}
	if in.VPC.NAT != nil {
		return in.VPC.NAT.PublicIP
	}
	return 0
}

// s3ViaEndpoint reports whether the instance reaches S3 through its VPC's
// gateway endpoint at t.
func (in *Instance) s3ViaEndpoint(t int64) bool {
	return in.VPC.S3Endpoint != "" && t >= in.VPC.S3EndpointFrom
}

func (in *Instance) privateDNS() string {
	a := in.PrivateIP
	host := fmt.Sprintf("ip-%d-%d-%d-%d", a>>24, a>>16&255, a>>8&255, a&255)
	if in.VPC.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + in.VPC.Region + ".compute.internal"
}

// azPrefix turns a region into the prefix of its AZ IDs: us-east-1 → use1.
func azPrefix(region string) string {
	switch region {
	case "us-east-1":
		return "use1"
	case "eu-west-1":
		return "euw1"
	}
	return region
}
