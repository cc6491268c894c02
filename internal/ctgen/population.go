package ctgen

import (
	"math/rand/v2"
	"strconv"
)

// class is a kind of caller: each API has its own mix of them.
type class int

const (
	cUser     class = iota // IAM user with a long-term access key: CLI, SDKs, Terraform
	cConsole               // a person in the console: IAM user, Identity Center session, rarely root
	cSSO                   // an IAM Identity Center role session on the CLI
	cWorkload              // role sessions of instances, functions and tasks
	cCI                    // the CI pipeline's role session
	cWeb                   // the CI pipeline before it has a role: a web identity
	cService               // an AWS service on its own behalf (AWSService)
	cInvoked               // a role session acting through a service (invokedBy)
	numClasses
)

// kind is the sort of compute a workload session belongs to.
type kind int

const (
	kindAny kind = iota
	kindEC2
	kindEKS
	kindECS
	kindLambda
	numKinds
)

// ipKind says where a principal's calls come from.
type ipKind int

const (
	ipFixed  ipKind = iota // principal.addr
	ipHuman                // the office, or principal.addr (home)
	ipNAT                  // the NAT gateways of the region
	ipLambda               // the region's Lambda egress addresses
	ipCI                   // hosted CI runners
)

type agentMode int

const (
	agentPlain agentMode = iota // pre as it is
	agentCLI                    // pre + the CLI command ("ec2.describe-instances")
	agentSDK                    // pre + the SDK's service name + post
)

// agent is a user agent, completed per API.
type agent struct {
	pre, post string
	mode      agentMode
}

// principal is one identity with its userIdentity JSON precomputed around
// the parts that vary from event to event: the session's key and
// creation date.
type principal struct {
	class class
	kind  kind
	// head is the userIdentity object up to accountId, without the
	// closing brace; tail follows the access key (userName).
	head, tail string
	// issuer is the sessionContext's sessionIssuer and
	// webIdFederationData members, each followed by a comma.
	issuer string
	arn    string
	key    string // long-term access key ID, for IAM users
	// temp means temporary credentials: an ASIA key that changes every
	// period seconds (offset by phase) and a sessionContext.
	temp          bool
	period, phase int64
	salt          uint64
	mfa           bool
	ec2           bool // an instance's role: ec2RoleDelivery, the SSM agent
	console       bool // sessionCredentialFromConsole
	agents        []agent
	ip            ipKind
	addr          string // home, or a fixed address
	private       string // private address, for calls through a VPC endpoint
	// For role sessions: what an AssumeRole that started them says.
	role, roleID, session string
	subject               string // a web identity's token subject
}

type bucket struct {
	name  string
	style int // the shape of its keys, see (*event).appendObjectKey
}

// account is the population of one AWS account: its principals and the
// resources they touch.
type account struct {
	id      string
	byClass [numClasses][]*principal
	work    [numKinds][]*principal
	root    *principal

	people, users, roles    []string
	assumable, assumableIDs []string // roles that people and pipelines assume
	logins                  []*principal

	instances, privateIPs []string
	sgs, vpcs, subnets    []string
	volumes, amis         []string
	kmsKeys               []string
	params, secrets       []string
	logGroups, functions  []string
	tables, targetGroups  []string
	asgs                  []string
	buckets               []bucket
	trailBucket           string

	office []string
	nat    [][]string // per region
	lambda [][]string // per region
	vpce   []string   // per region
}

var (
	people       = []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	machineUsers = []string{"terraform", "ci-deploy", "backup-agent", "legacy-reporting"}
	repos        = []string{"acme/infra", "acme/orders-service", "acme/website"}
)

// User agents, as real SDKs and tools write them.
var (
	laptopAgents = []agent{
		{pre: "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/macos#24.2.0 md/arch#arm64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#", mode: agentCLI},
		{pre: "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/macos#24.2.0 md/arch#arm64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#", mode: agentCLI},
		{pre: "Boto3/1.35.92 md/Botocore#1.35.92 ua/2.0 os/macos#24.2.0 md/arch#arm64 lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.92"},
	}
	consoleAgents = []agent{
		{pre: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		{pre: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"},
		{pre: "console.amazonaws.com"},
		{pre: "AWS Internal"},
	}
	terraformAgent = agent{pre: "APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/", post: "#1.45.2", mode: agentSDK}
	goAgent        = agent{pre: "aws-sdk-go-v2/1.32.7 ua/2.1 os/linux lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64 api/", post: "#1.45.2 m/E,g", mode: agentSDK}
	linuxCLIAgent  = agent{pre: "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.1.119-129.201.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#", mode: agentCLI}
	ciCLIAgent     = agent{pre: "aws-cli/2.22.35 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1017-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#", mode: agentCLI}
	botoLinux      = agent{pre: "Boto3/1.35.90 md/Botocore#1.35.90 ua/2.0 os/linux#6.1.119-129.201.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.90"}
	botoLambda     = agent{pre: "Boto3/1.35.90 md/Botocore#1.35.90 ua/2.0 os/linux#5.10.230-244.899.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.90"}
	nodeLambda     = agent{pre: "aws-sdk-js/3.714.0 ua/2.1 os/linux#5.10.230-244.899.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/", post: "#3.714.0 exec-env/AWS_Lambda_nodejs20.x m/E", mode: agentSDK}
	javaECS        = agent{pre: "aws-sdk-java/2.29.43 md/io#sync md/http#Apache ua/2.1 os/Linux#5.10.230-223.885.amzn2.x86_64 lang/java#17.0.13 md/OpenJDK_64-Bit_Server_VM#17.0.13+11-LTS md/vendor#Amazon.com_Inc. md/en_US exec-env/AWS_ECS_FARGATE m/D,N"}
	cwAgent        = agent{pre: "CWAgent/1.300051.0 (go1.22.10; linux; amd64) inputs:(cpu disk mem) outputs:(cloudwatch cloudwatchlogs)"}
	jsSTSAgent     = agent{pre: "aws-sdk-js/3.716.0 ua/2.1 os/linux#6.8.0-1017-azure lang/js md/nodejs#20.18.1 api/sts#3.716.0 m/E"}
)

// Session lifetimes, seconds.
const (
	hour        = 3600
	workPeriod  = hour
	ssoPeriod   = 8 * hour
	loginPeriod = 12 * hour
)

// oidcGitHub is the path of the GitHub Actions identity provider's ARN.
const oidcGitHub = ":oidc-provider/token.actions.githubusercontent.com"

func newAccount(r *rand.Rand, id string, regions []string) *account {
	a := &account{id: id}
	rnd := func(alphabet string, n int) string { return string(appendRandom(nil, r, alphabet, n)) }
	public := func() string { return string(appendPublicIP(nil, r)) }
	private := func() string {
		return "10." + strconv.Itoa(r.IntN(8)) + "." + strconv.Itoa(r.IntN(64)) + "." + strconv.Itoa(4+r.IntN(250))
	}

	// Offices in the documentation ranges, one of which stands for the
	// company's egress.
	for _, net := range []string{"198.51.100.", "203.0.113.", "203.0.113."} {
		a.office = append(a.office, net+strconv.Itoa(1+r.IntN(254)))
	}
	for range regions {
		a.nat = append(a.nat, []string{public(), public(), public()})
		var pool []string
		for range 12 {
			pool = append(pool, public())
		}
		a.lambda = append(a.lambda, pool)
		a.vpce = append(a.vpce, "vpce-0"+rnd(hexDigits, 16))
	}

	// Resources.
	for range 20 {
		a.instances = append(a.instances, "i-0"+rnd(hexDigits, 16))
		a.privateIPs = append(a.privateIPs, private())
	}
	for range 6 {
		a.sgs = append(a.sgs, "sg-0"+rnd(hexDigits, 16))
		a.volumes = append(a.volumes, "vol-0"+rnd(hexDigits, 16))
		a.subnets = append(a.subnets, "subnet-0"+rnd(hexDigits, 16))
	}
	for range 3 {
		a.vpcs = append(a.vpcs, "vpc-0"+rnd(hexDigits, 16))
		a.amis = append(a.amis, "ami-0"+rnd(hexDigits, 16))
		a.kmsKeys = append(a.kmsKeys, string(appendUUID(nil, r.Uint64(), r.Uint64())))
	}
	a.params = []string{"/prod/orders/db-password", "/prod/orders/config", "/prod/api/stripe-key", "/shared/datadog/api-key",
		"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "/prod/ingest/batch-size"}
	for _, s := range []string{"prod/orders/db", "prod/api/jwt-signing-key", "prod/ingest/partner-token"} {
		a.secrets = append(a.secrets, s+"-"+rnd(alnum, 6))
	}
	a.functions = []string{"ingest-handler", "thumbnailer", "orders-api", "nightly-report"}
	for _, f := range a.functions {
		a.logGroups = append(a.logGroups, "/aws/lambda/"+f)
	}
	a.logGroups = append(a.logGroups, "/ecs/orders", "/aws/eks/prod/cluster", "/var/log/messages")
	a.tables = []string{"orders", "sessions", "idempotency-keys", "inventory"}
	for _, tg := range []string{"orders-api", "website", "internal-admin"} {
		a.targetGroups = append(a.targetGroups, tg+"/"+rnd(hexDigits, 16))
	}
	a.asgs = []string{"eks-prod-nodes-" + string(appendUUID(nil, r.Uint64(), r.Uint64())), "app-server-asg", "bastion"}
	suffix := rnd(hexDigits, 8)
	a.buckets = []bucket{
		{"acme-uploads-" + suffix, styleUploads},
		{"acme-data-lake-" + id, styleLake},
		{"acme-reports-" + id, styleReports},
		{"acme-backups-" + id, styleBackups},
		{"acme-terraform-state-" + id, styleState},
	}
	a.trailBucket = "aws-cloudtrail-logs-" + id + "-" + suffix
	a.buckets = append(a.buckets, bucket{a.trailBucket, styleTrail})

	// People: a key on the laptop, and the console with MFA.
	for _, name := range people {
		a.people = append(a.people, name)
		a.users = append(a.users, name)
		home := public()
		uid := "AIDA" + rnd(base32Chars, 17)
		arn := "arn:aws:iam::" + id + ":user/" + name
		head := `{"type":"IAMUser","principalId":"` + uid + `","arn":"` + arn + `","accountId":"` + id + `"`
		tail := `,"userName":"` + name + `"`
		a.add(&principal{class: cUser, head: head, tail: tail, arn: arn, key: "AKIA" + rnd(base32Chars, 16),
			agents: laptopAgents, ip: ipHuman, addr: home})
		p := &principal{class: cConsole, head: head, tail: tail, arn: arn, temp: true, mfa: true, console: true,
			period: loginPeriod, phase: r.Int64N(loginPeriod), salt: r.Uint64(), agents: consoleAgents, ip: ipHuman, addr: home}
		a.add(p)
		a.logins = append(a.logins, p)
	}
	for i, name := range machineUsers {
		a.users = append(a.users, name)
		arn := "arn:aws:iam::" + id + ":user/" + name
		p := &principal{class: cUser, arn: arn, key: "AKIA" + rnd(base32Chars, 16),
			head: `{"type":"IAMUser","principalId":"AIDA` + rnd(base32Chars, 17) + `","arn":"` + arn + `","accountId":"` + id + `"`,
			tail: `,"userName":"` + name + `"`, ip: ipFixed, addr: public()}
		switch i {
		case 0:
			p.agents = []agent{terraformAgent}
		case 1:
			p.agents = []agent{ciCLIAgent, goAgent}
			p.ip = ipCI
		case 2:
			p.agents = []agent{goAgent}
			p.ip = ipNAT
		default:
			p.agents = []agent{botoLinux}
		}
		a.add(p)
	}

	// IAM Identity Center: read-only on the CLI, admin in the console.
	ro := "AWSReservedSSO_ReadOnlyAccess_" + rnd(hexDigits, 16)
	admin := "AWSReservedSSO_AdministratorAccess_" + rnd(hexDigits, 16)
	roIssuer, roID := a.issuer(r, ro, "aws-reserved/sso.amazonaws.com/", "")
	adminIssuer, adminID := a.issuer(r, admin, "aws-reserved/sso.amazonaws.com/", "")
	for _, name := range people {
		home := public()
		email := name + "@example.com"
		a.add(a.session(r, cSSO, ro, roID, email, roIssuer, ssoPeriod, laptopAgents, ipHuman, home))
		p := a.session(r, cConsole, admin, adminID, email, adminIssuer, ssoPeriod, consoleAgents, ipHuman, home)
		p.console = true
		a.add(p)
	}

	// Workloads.
	role := func(k kind, name string, sessions []string, agents []agent, ip ipKind, addrs []string) {
		iss, rid := a.issuer(r, name, "", "")
		for i, s := range sessions {
			p := a.session(r, cWorkload, name, rid, s, iss, workPeriod, agents, ip, "")
			p.kind = k
			p.ec2 = k == kindEC2 || k == kindEKS
			if addrs != nil {
				p.private = addrs[i]
			}
			a.add(p)
		}
	}
	role(kindEC2, "app-server", a.instances[:8], []agent{goAgent, linuxCLIAgent, cwAgent, botoLinux}, ipNAT, a.privateIPs[:8])
	role(kindEKS, "eks-prod-nodes-NodeInstanceRole-"+rnd(upperHex, 12), a.instances[8:14], []agent{goAgent}, ipNAT, a.privateIPs[8:14])
	var tasks, taskIPs []string
	for range 6 {
		tasks = append(tasks, rnd(hexDigits, 32))
		taskIPs = append(taskIPs, private())
	}
	role(kindECS, "orders-task-role", tasks, []agent{javaECS}, ipNAT, taskIPs)
	role(kindLambda, "ingest-handler-role-"+rnd(alnum, 8), a.functions[:1], []agent{botoLambda}, ipLambda, nil)
	role(kindLambda, "thumbnailer-role-"+rnd(alnum, 8), a.functions[1:2], []agent{nodeLambda}, ipLambda, nil)
	role(kindLambda, "orders-api-role-"+rnd(alnum, 8), a.functions[2:3], []agent{nodeLambda}, ipLambda, nil)
	role(kindLambda, "nightly-report-role-"+rnd(alnum, 8), a.functions[3:4], []agent{botoLambda}, ipLambda, nil)
	// A few busy sessions of every kind lead, not all of one kind.
	all := a.work[kindAny]
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	// The CI pipeline: a web identity, then the role it assumes.
	provider := "arn:aws:iam::" + id + oidcGitHub
	ci := "github-actions-deploy"
	ciIssuer, ciID := a.issuer(r, ci, "", `{"federatedProvider":"`+provider+`","attributes":{}}`)
	a.add(a.session(r, cCI, ci, ciID, "GitHubActions", ciIssuer, workPeriod, []agent{ciCLIAgent, terraformAgent}, ipCI, ""))
	for _, repo := range repos {
		sub := "repo:" + repo + ":ref:refs/heads/main"
		a.add(&principal{class: cWeb, ip: ipCI, agents: []agent{jsSTSAgent}, role: ci, roleID: ciID, session: "GitHubActions", subject: sub,
			head: `{"type":"WebIdentityUser","principalId":"` + provider + `:sts.amazonaws.com:` + sub + `","userName":"` + sub +
				`","identityProvider":"` + provider + `"`})
	}

	for _, name := range []string{"OrganizationAccountAccessRole", "deploy", "security-audit", "break-glass"} {
		a.roles = append(a.roles, name)
		a.assumable = append(a.assumable, name)
		a.assumableIDs = append(a.assumableIDs, "AROA"+rnd(base32Chars, 17))
	}

	a.root = &principal{class: cConsole, temp: true, mfa: true, console: true, period: hour, phase: r.Int64N(hour), salt: r.Uint64(),
		agents: consoleAgents[:2], ip: ipFixed, addr: public(), arn: "arn:aws:iam::" + id + ":root",
		head: `{"type":"Root","principalId":"` + id + `","arn":"arn:aws:iam::` + id + `:root","accountId":"` + id + `"`}
	a.logins = append(a.logins, a.root)
	return a
}

// issuer returns the sessionIssuer member of a role's sessions, and the
// webIdFederationData member of those started with a web identity, and
// the role's ID.
func (a *account) issuer(r *rand.Rand, role, path, federation string) (string, string) {
	a.roles = append(a.roles, role)
	id := "AROA" + string(appendRandom(nil, r, base32Chars, 17))
	s := `"sessionIssuer":{"type":"Role","principalId":"` + id + `","arn":"arn:aws:iam::` + a.id + `:role/` + path + role +
		`","accountId":"` + a.id + `","userName":"` + role + `"},`
	if federation != "" {
		s += `"webIdFederationData":` + federation + `,`
	}
	return s, id
}

// session returns a principal for a session of a role.
func (a *account) session(r *rand.Rand, c class, role, roleID, name, issuer string, period int64, agents []agent, ip ipKind, addr string) *principal {
	arn := "arn:aws:sts::" + a.id + ":assumed-role/" + role + "/" + name
	return &principal{class: c, arn: arn, issuer: issuer, temp: true, period: period, phase: r.Int64N(period), salt: r.Uint64(),
		agents: agents, ip: ip, addr: addr, role: role, roleID: roleID, session: name,
		head: `{"type":"AssumedRole","principalId":"` + roleID + ":" + name + `","arn":"` + arn + `","accountId":"` + a.id + `"`}
}

func (a *account) add(p *principal) {
	if p.class == cWorkload {
		a.work[kindAny] = append(a.work[kindAny], p)
		a.work[p.kind] = append(a.work[p.kind], p)
		return
	}
	a.byClass[p.class] = append(a.byClass[p.class], p)
}
