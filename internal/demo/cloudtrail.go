package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// ctEvent is one CloudTrail record before it is written. Empty JSON
// fragments are written as null (requestParameters, responseElements) or
// left out (additionalEventData, resources).
type ctEvent struct {
	t               int64
	version         string
	ident           []byte
	source, name    string
	region          string
	srcIP, ua       string
	errCode, errMsg string
	req, resp       []byte
	add, res        []byte
	noRequestID     bool
	readOnly        bool
	eventType       string
	data            bool
	recipient       string
	shared          bool
	vpce            string
	tlsHost         string
	console         bool
	id              uint64 // the eventID's bits
}

// appendEvent appends e as CloudTrail writes it, members in CloudTrail's
// order.
func appendEvent(b []byte, e *ctEvent, r *rand.Rand) []byte {
	w := jw{b: b}
	w.open("")
	w.str("eventVersion", e.version)
	w.raw("userIdentity", e.ident)
	w.str("eventTime", isoTime(e.t))
	w.str("eventSource", e.source)
	w.str("eventName", e.name)
	w.str("awsRegion", e.region)
	w.str("sourceIPAddress", e.srcIP)
	w.str("userAgent", e.ua)
	if e.errCode != "" {
		w.str("errorCode", e.errCode)
		w.str("errorMessage", e.errMsg)
	}
	w.raw("requestParameters", e.req)
	if e.errCode != "" && e.eventType != "AwsConsoleSignIn" {
		w.null("responseElements")
	} else {
		w.raw("responseElements", e.resp)
	}
	if len(e.add) > 0 {
		w.raw("additionalEventData", e.add)
	}
	if !e.noRequestID {
		w.key("requestID")
		if e.source == "s3.amazonaws.com" {
			w.b = append(w.b, '"')
			w.b = appendHex(w.b, r.Uint64(), 16)
			w.b = append(w.b, '"')
		} else {
			w.b = append(w.b, '"')
			w.b = appendUUID(w.b, r.Uint64(), r.Uint64())
			w.b = append(w.b, '"')
		}
	}
	w.key("eventID")
	w.b = append(w.b, '"')
	w.b = appendUUID(w.b, mix64(e.id, 1), mix64(e.id, 2))
	w.b = append(w.b, '"')
	w.boolean("readOnly", e.readOnly)
	if len(e.res) > 0 {
		w.raw("resources", e.res)
	}
	w.str("eventType", e.eventType)
	w.boolean("managementEvent", !e.data)
	w.str("recipientAccountId", e.recipient)
	if e.shared {
		w.key("sharedEventID")
		w.b = append(w.b, '"')
		w.b = appendUUID(w.b, r.Uint64(), r.Uint64())
		w.b = append(w.b, '"')
	}
	if e.vpce != "" {
		w.str("vpcEndpointId", e.vpce)
		w.str("vpcEndpointAccountId", e.recipient)
	}
	if e.data {
		w.str("eventCategory", "Data")
	} else {
		w.str("eventCategory", "Management")
	}
	if e.tlsHost != "" {
		w.open("tlsDetails")
		if r.IntN(10) < 7 {
			w.str("tlsVersion", "TLSv1.3").str("cipherSuite", "TLS_AES_128_GCM_SHA256")
		} else {
			w.str("tlsVersion", "TLSv1.2").str("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
		}
		w.str("clientProvidedHostHeader", e.tlsHost)
		w.close()
	}
	if e.console {
		w.str("sessionCredentialFromConsole", "true")
	}
	w.close()
	return w.b
}

// Identities, in the shapes CloudTrail writes.

func identUser(p *Principal, key string, consoleSince int64) []byte {
	w := jw{}
	w.open("").str("type", "IAMUser").str("principalId", p.ID).str("arn", p.ARN).str("accountId", p.Account.ID)
	if key != "" {
		w.str("accessKeyId", key)
	}
	w.str("userName", p.Name)
	if consoleSince != 0 {
		w.open("sessionContext").open("attributes").str("creationDate", isoTime(consoleSince)).str("mfaAuthenticated", "true").close().close()
	}
	return w.close().b
}

// identSession is an assumed role's session.
func identSession(role *Principal, session, key string, created int64, mfa bool, ec2 bool, invokedBy string) []byte {
	w := jw{}
	w.open("").str("type", "AssumedRole").str("principalId", role.ID+":"+session).
		str("arn", "arn:aws:sts::"+role.Account.ID+":assumed-role/"+roleName(role)+"/"+session).
		str("accountId", role.Account.ID).str("accessKeyId", key)
	w.open("sessionContext")
	w.open("sessionIssuer").str("type", "Role").str("principalId", role.ID).str("arn", role.ARN).
		str("accountId", role.Account.ID).str("userName", roleName(role)).close()
	m := "false"
	if mfa {
		m = "true"
	}
	w.open("attributes").str("creationDate", isoTime(created)).str("mfaAuthenticated", m).close()
	if ec2 {
		w.str("ec2RoleDelivery", "2.0")
	}
	w.close()
	if invokedBy != "" {
		w.str("invokedBy", invokedBy)
	}
	return w.close().b
}

// roleName is the role's name without its path.
func roleName(p *Principal) string { return p.Name[strings.LastIndexByte(p.Name, '/')+1:] }

func identRoot(a *Account, key string, consoleSince int64) []byte {
	w := jw{}
	w.open("").str("type", "Root").str("principalId", a.ID).str("arn", a.Root.ARN).str("accountId", a.ID)
	if key != "" {
		w.str("accessKeyId", key)
	}
	if consoleSince != 0 {
		w.open("sessionContext").open("attributes").str("creationDate", isoTime(consoleSince)).str("mfaAuthenticated", "false").close().close()
	}
	return w.close().b
}

func identService(svc string) []byte {
	w := jw{}
	return w.open("").str("type", "AWSService").str("invokedBy", svc).close().b
}

// endpoint is the host name a client calls for service svc in a region.
func endpoint(svc, region string) string {
	switch svc {
	case "iam", "organizations", "ce", "health":
		if svc == "iam" {
			return "iam.amazonaws.com"
		}
		return svc + ".us-east-1.amazonaws.com"
	}
	return svc + "." + region + ".amazonaws.com"
}

// globalService reports whether the service logs to us-east-1 whatever
// the caller's region.
func globalService(svc string) bool {
	switch svc {
	case "iam", "signin", "organizations", "ce", "health":
		return true
	}
	return false
}

// api fills the common members of a call of service svc: the event
// source, the region (us-east-1 for global services), the TLS host.
func (e *ctEvent) api(svc, name, region string, readOnly bool) {
	e.source = svc + ".amazonaws.com"
	e.name = name
	e.region = region
	if globalService(svc) {
		e.region = "us-east-1"
	}
	e.readOnly = readOnly
	e.tlsHost = endpoint(svc, e.region)
	e.version = "1.11"
	e.eventType = "AwsApiCall"
}

// cloudTrailFile writes the organisation trail's file of an account and
// region for window win: n ordinary events, then the scenarios' events.
func (w *writer) cloudTrailFile(dir string, s, win int, n int64) (Stats, error) {
	g := w.g
	cs := g.ctStreams[s]
	ws := g.winStart(win)
	// CloudTrail names a file after its delivery, a few minutes after
	// the last event it holds.
	stamp := stampOf(ws + g.window + 300)
	r := g.fileRand(saltCT, s, win)
	rel := fmt.Sprintf("AWSLogs/%s/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		OrgID, cs.acct.ID, cs.region, datePath(stamp), cs.acct.ID, cs.region, stamp.Format("20060102T1504Z"), uniqueString(r))
	if err := w.create(dir, rel); err != nil {
		return Stats{}, err
	}
	w.buf = append(w.buf, `{"Records":[`...)
	cg := ctGen{g: g, cs: cs, r: r, ws: ws, we: ws + g.window}
	first := true
	base := uint64(g.cfg.Seed)<<40 ^ uint64(s)<<32 ^ uint64(win)<<8
	for i := range n {
		e := &w.ev
		*e = ctEvent{}
		cg.next(e)
		e.id = mix64(base^saltCT, uint64(i))
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = appendEvent(w.buf, e, r)
		if err := w.spill(); err != nil {
			return Stats{}, err
		}
	}
	sc := g.sCT[fileKey{s, win}]
	for _, e := range sc {
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = appendEvent(w.buf, e, r)
	}
	w.buf = append(w.buf, "]}"...)
	size, err := w.finish()
	return Stats{CloudTrailEvents: n + int64(len(sc)), Bytes: size}, err
}

// uniqueString is the 16 characters that end a CloudTrail file name.
func uniqueString(r *rand.Rand) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = alnum[r.IntN(len(alnum))]
	}
	return string(b)
}

// ctGen makes an account's ordinary CloudTrail events in one region.
type ctGen struct {
	g      *gen
	cs     ctStream
	r      *rand.Rand
	ws, we int64

	ready    bool
	inst     []*Instance
	apps     []*Instance
	humans   []*Principal
	ci       *Principal
	endpoint string
}

const (
	cSSM = iota
	cInstS3
	cKMS
	cSecret
	cInstAssume
	cConfig
	cCLI
	cConsole
	cDeploy
	cAudit
	cKinds
)

func (c *ctGen) init() {
	c.ready = true
	for _, in := range c.g.env.Instances {
		if in.VPC.Account == c.cs.acct && in.VPC.Region == c.cs.region {
			c.inst = append(c.inst, in)
			if in.Tier == "app" {
				c.apps = append(c.apps, in)
			}
		}
	}
	for _, u := range c.g.env.Users {
		if u.Account != c.cs.acct {
			continue
		}
		if u.CI {
			c.ci = u
		} else {
			c.humans = append(c.humans, u)
		}
	}
}

func (c *ctGen) weights(t int64) [cKinds]float64 {
	var wt [cKinds]float64
	work := 0.5*working(t, 1) + 0.5*working(t, -5)
	if len(c.inst) > 0 {
		wt[cSSM] = 30
		wt[cInstS3] = 12
		wt[cInstAssume] = 3
	}
	if len(c.apps) > 0 {
		wt[cKMS] = 6
		wt[cSecret] = 4
	}
	wt[cConfig] = 4
	if len(c.humans) > 0 {
		wt[cCLI] = 14 * work
		wt[cConsole] = 14 * work
	}
	if c.ci != nil && c.cs.region == "us-east-1" {
		wt[cDeploy] = 6 * work
	}
	if c.cs.acct.ID != SecAccount && c.cs.region == "us-east-1" {
		wt[cAudit] = 3 * working(t, 1)
	}
	return wt
}

// next fills e with one ordinary event.
func (c *ctGen) next(e *ctEvent) {
	if !c.ready {
		c.init()
	}
	r := c.r
	t := c.ws + int64(r.IntN(int(c.we-c.ws)))
	wt := c.weights(t)
	sum := 0.0
	for _, x := range wt {
		sum += x
	}
	x := r.Float64() * sum
	k := 0
	for k = 0; k < cKinds-1; k++ {
		if x < wt[k] {
			break
		}
		x -= wt[k]
	}
	e.t = t
	e.recipient = c.cs.acct.ID
	switch k {
	case cSSM:
		c.ssmUpdate(e, c.inst[r.IntN(len(c.inst))])
	case cInstS3:
		c.instS3(e, c.inst[r.IntN(len(c.inst))])
	case cKMS, cSecret:
		c.appSecret(e, c.apps[r.IntN(len(c.apps))], k == cKMS)
	case cInstAssume:
		c.instAssume(e, c.inst[r.IntN(len(c.inst))])
	case cConfig:
		c.config(e)
	case cCLI:
		c.cli(e, c.human(t))
	case cConsole:
		c.console(e, c.human(t))
	case cDeploy:
		c.deploy(e)
	default:
		c.audit(e)
	}
}

// human picks one of the account's people, those at work more often.
func (c *ctGen) human(t int64) *Principal {
	sum := 0.0
	for _, u := range c.humans {
		sum += working(t, u.UTCOffset) + 0.01
	}
	x := c.r.Float64() * sum
	for _, u := range c.humans {
		x -= working(t, u.UTCOffset) + 0.01
		if x < 0 {
			return u
		}
	}
	return c.humans[len(c.humans)-1]
}

// whereFrom is the address a person works from at t: the office on
// working days, else home.
func whereFrom(u *Principal, t int64, r *rand.Rand) uint32 {
	if working(t, u.UTCOffset) >= 0.4 && r.IntN(5) > 0 {
		return u.Office
	}
	return u.Home
}

// instanceCall fills the identity, address and agent of a call made with
// an instance's role credentials.
func (c *ctGen) instanceCall(e *ctEvent, in *Instance, ua string) {
	key, created := in.sessionKey(c.g.cfg.Seed, e.t)
	e.ident = identSession(in.Role, in.ID, key, created, false, true, "")
	e.srcIP = ipString(in.egressIP())
	e.ua = ua
}

func (c *ctGen) ssmUpdate(e *ctEvent, in *Instance) {
	e.api("ssm", "UpdateInstanceInformation", in.VPC.Region, false)
	c.instanceCall(e, in, uaSSMAgent)
	w := jw{}
	w.open("").str("instanceId", in.ID).str("agentVersion", "3.3.1142.0").str("agentStatus", "Active").
		str("platformType", "Linux").str("platformName", "Amazon Linux").str("platformVersion", "2023").
		str("iPAddress", "HIDDEN_DUE_TO_SECURITY_REASONS").str("computerName", in.privateDNS()).
		str("agentName", "amazon-ssm-agent").str("availabilityZone", in.Subnet.AZ).str("availabilityZoneId", in.Subnet.AZID).
		str("sSMConnectionChannel", "ssmmessages").close()
	e.req = w.b
}

// bucketFor is the bucket an instance's role reads or writes.
func (c *ctGen) bucketFor(in *Instance) (bucket, key string, put bool) {
	env := c.g.env
	day := time.Unix(c.ws, 0).UTC().Format("2006-01-02")
	switch {
	case in.VPC.Account.ID == SecAccount:
		return env.LogBucket, "AWSLogs/" + OrgID + "/" + ProdAccount + "/CloudTrail/us-east-1/" + strings.ReplaceAll(day, "-", "/") + "/", false
	case in.VPC.Account.ID == DevAccount:
		return "dev-app-config-" + DevAccount, "config/" + in.Tier + "/application.yaml", false
	case in.VPC.Region == "eu-west-1":
		return env.ReportBucket, "daily/" + day + "/" + in.Tier + "-" + fmt.Sprint(c.r.IntN(40)) + ".parquet", in.Tier == "batch"
	case in.Tier == "batch":
		return env.DataBucket, "exports/" + day + "/customers-" + fmt.Sprintf("%04d", c.r.IntN(300)) + ".csv.gz", true
	}
	return env.ConfigBucket, "config/" + in.Tier + "/application.yaml", false
}

// s3Object fills an S3 data event on an object.
func s3Object(e *ctEvent, bucket, key, region string, put bool, size int64, r *rand.Rand) {
	name := "GetObject"
	if put {
		name = "PutObject"
	}
	e.api("s3", name, region, !put)
	e.version = "1.10"
	e.data = true
	host := bucket + ".s3." + region + ".amazonaws.com"
	e.tlsHost = host
	w := jw{}
	w.open("").str("bucketName", bucket).str("Host", host).str("key", key).close()
	e.req = w.b
	if put {
		w = jw{}
		w.open("").str("x-amz-server-side-encryption", "aws:kms").str("x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:"+region+":"+ProdAccount+":key/"+kmsKeyID).close()
		e.resp = w.b
	}
	in, out := int64(0), size
	if put {
		in, out = size, 0
	}
	w = jw{}
	w.open("").str("SignatureVersion", "SigV4").str("CipherSuite", "TLS_AES_128_GCM_SHA256").num("bytesTransferredIn", in).
		str("AuthenticationMethod", "AuthHeader").str("x-amz-id-2", base64ish(r, 76)).num("bytesTransferredOut", out).close()
	e.add = w.b
	w = jw{b: []byte{'['}}
	w.open("").str("type", "AWS::S3::Object").str("ARN", "arn:aws:s3:::"+bucket+"/"+key).close()
	w.open("").str("accountId", bucketOwner(bucket)).str("type", "AWS::S3::Bucket").str("ARN", "arn:aws:s3:::"+bucket).close()
	w.closeArr()
	e.res = w.b
}

const kmsKeyID = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5"

func bucketOwner(bucket string) string { return bucket[strings.LastIndexByte(bucket, '-')+1:] }

func base64ish(r *rand.Rand, n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(64)]
	}
	return string(b) + "="
}

func (c *ctGen) instS3(e *ctEvent, in *Instance) {
	bucket, key, put := c.bucketFor(in)
	size := 2_000 + int64(c.r.IntN(40_000))
	if put {
		size = 2_000_000 + int64(c.r.IntN(30_000_000))
	}
	region := in.VPC.Region
	s3Object(e, bucket, key, region, put, size, c.r)
	ua := uaSDKApp
	if in.Tier == "batch" {
		ua = uaBoto3Batch
	}
	c.instanceCall(e, in, ua)
	if in.s3ViaEndpoint(e.t) {
		e.srcIP = ipString(in.PrivateIP)
		e.vpce = in.VPC.S3Endpoint
	}
}

func (c *ctGen) appSecret(e *ctEvent, in *Instance, kms bool) {
	region := in.VPC.Region
	acct := in.VPC.Account.ID
	keyARN := "arn:aws:kms:" + region + ":" + acct + ":key/" + kmsKeyID
	secretARN := "arn:aws:secretsmanager:" + region + ":" + acct + ":secret:" + in.VPC.Account.Name + "/app/db-credentials-Xy12Ab"
	w := jw{}
	if kms {
		e.api("kms", "Decrypt", region, true)
		w.open("").open("encryptionContext").str("SecretARN", secretARN).str("SecretVersionId", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111").close().
			str("encryptionAlgorithm", "SYMMETRIC_DEFAULT").close()
		e.req = w.b
		w = jw{b: []byte{'['}}
		w.open("").str("accountId", acct).str("type", "AWS::KMS::Key").str("ARN", keyARN).close().closeArr()
		e.res = w.b
	} else {
		e.api("secretsmanager", "GetSecretValue", region, true)
		w.open("").str("secretId", in.VPC.Account.Name+"/app/db-credentials").close()
		e.req = w.b
	}
	c.instanceCall(e, in, uaSDKApp)
}

// instAssume is EC2 renewing an instance profile's credentials.
func (c *ctGen) instAssume(e *ctEvent, in *Instance) {
	e.api("sts", "AssumeRole", in.VPC.Region, true)
	e.version = "1.08"
	e.ident = identService("ec2.amazonaws.com")
	e.srcIP, e.ua = "ec2.amazonaws.com", "ec2.amazonaws.com"
	e.tlsHost = ""
	e.shared = true
	key, created := in.sessionKey(c.g.cfg.Seed, e.t)
	if created >= c.ws {
		// The renewal that made the session in use: logged when it
		// happened.
		e.t = created
	}
	assumeBody(e, in.Role, in.ID, key, created, 21600, nil)
}

// assumeBody fills requestParameters, responseElements and resources of
// an AssumeRole call that returned key.
func assumeBody(e *ctEvent, role *Principal, session, key string, created, duration int64, extra func(*jw)) {
	w := jw{}
	w.open("").str("roleArn", role.ARN).str("roleSessionName", session)
	if duration != 3600 {
		w.num("durationSeconds", duration)
	}
	if extra != nil {
		extra(&w)
	}
	e.req = w.close().b
	w = jw{}
	w.open("").open("credentials").str("accessKeyId", key).str("sessionToken", "IQoJb3JpZ2luX2VjEXAMPLETOKEN").
		str("expiration", expiration(created+duration)).close().
		open("assumedRoleUser").str("assumedRoleId", role.ID+":"+session).
		str("arn", "arn:aws:sts::"+role.Account.ID+":assumed-role/"+roleName(role)+"/"+session).close().close()
	e.resp = w.b
	w = jw{b: []byte{'['}}
	w.open("").str("accountId", role.Account.ID).str("type", "AWS::IAM::Role").str("ARN", role.ARN).close().closeArr()
	e.res = w.b
}

// config is AWS Config recording the account's resources through its
// service-linked role.
func (c *ctGen) config(e *ctEvent) {
	r := c.r
	calls := [...][2]string{{"ec2", "DescribeInstances"}, {"ec2", "DescribeSecurityGroups"}, {"ec2", "DescribeVpcs"},
		{"ec2", "DescribeSubnets"}, {"ec2", "DescribeNetworkInterfaces"}, {"iam", "GetRole"}, {"s3", "GetBucketPolicy"}}
	call := calls[r.IntN(len(calls))]
	if call[0] == "iam" && c.cs.region != "us-east-1" {
		call = calls[0]
	}
	e.api(call[0], call[1], c.cs.region, true)
	role := c.g.env.ConfigRoles[c.cs.acct.ID]
	epoch := e.t / 43200
	key := "ASIA" + keyChars(mix64(uint64(c.g.cfg.Seed)^0xc0f1, uint64(epoch)<<8|uint64(len(c.cs.acct.Name))), 16)
	e.ident = identSession(role, "AWSConfig-Describe", key, epoch*43200, false, false, "config.amazonaws.com")
	e.srcIP, e.ua = "config.amazonaws.com", "config.amazonaws.com"
	e.tlsHost = ""
	w := jw{}
	switch call[1] {
	case "GetRole":
		w.open("").str("roleName", c.g.env.Roles[r.IntN(len(c.g.env.Roles))].Name).close()
	case "GetBucketPolicy":
		b := c.g.env.ConfigBucket
		w.open("").str("bucketName", b).str("Host", b+".s3.amazonaws.com").str("policy", "").close()
		e.version = "1.10"
	default:
		w.open("").open("filterSet").close().close()
	}
	e.req = w.b
}

// cliCall is a command people run.
type cliCall struct{ svc, name, command string }

var cliCalls = []cliCall{
	{"ec2", "DescribeInstances", "ec2.describe-instances"},
	{"sts", "GetCallerIdentity", "sts.get-caller-identity"},
	{"s3", "ListBuckets", "s3.ls"},
	{"ec2", "DescribeSecurityGroups", "ec2.describe-security-groups"},
	{"ssm", "StartSession", "ssm.start-session"},
	{"iam", "ListRoles", "iam.list-roles"},
	{"cloudformation", "DescribeStacks", "cloudformation.describe-stacks"},
	{"lambda", "ListFunctions20150331", "lambda.list-functions"},
	{"ecr", "GetAuthorizationToken", "ecr.get-login-password"},
}

func (c *ctGen) cli(e *ctEvent, u *Principal) {
	r := c.r
	call := cliCalls[r.IntN(len(cliCalls))]
	if call.svc == "iam" && c.cs.region != "us-east-1" {
		call = cliCalls[0]
	}
	humanCall(e, u, call, c.cs.region, whereFrom(u, e.t, r), r, c.inst)
}

// humanCall fills a call a person makes with their access key on the
// command line.
func humanCall(e *ctEvent, u *Principal, call cliCall, region string, from uint32, r *rand.Rand, inst []*Instance) {
	e.api(call.svc, call.name, region, call.name != "StartSession")
	e.ident = identUser(u, u.AccessKey, 0)
	e.srcIP = ipString(from)
	e.ua = u.CLI + call.command
	fillRequest(e, call, u, r, inst)
	if call.name != "StartSession" && r.IntN(40) == 0 {
		denied(e, u.ARN, call)
	}
}

// fillRequest writes the request (and response) of a person's call.
func fillRequest(e *ctEvent, call cliCall, p *Principal, r *rand.Rand, inst []*Instance) {
	w := jw{}
	switch call.name {
	case "DescribeInstances":
		w.open("").open("instancesSet").close().open("filterSet").close().close()
	case "DescribeSecurityGroups":
		w.open("").open("securityGroupSet").close().open("securityGroupIdSet").close().open("filterSet").close().close()
	case "ListBuckets":
		e.version = "1.10"
		e.tlsHost = "s3.amazonaws.com"
		w.open("").str("Host", "s3.amazonaws.com").close()
	case "StartSession":
		target := "i-0" + hexID(r, 16)
		if len(inst) > 0 {
			target = inst[r.IntN(len(inst))].ID
		}
		w.open("").str("target", target).close()
		e.req = w.b
		sid := p.Name + "-0" + hexID(r, 16)
		w = jw{}
		w.open("").str("sessionId", sid).str("tokenValue", "Value hidden due to security reasons.").
			str("streamUrl", "wss://ssmmessages."+e.region+".amazonaws.com/v1/data-channel/"+sid+"?role=publish_subscribe").close()
		e.resp = w.b
		return
	case "ListRoles", "GetCallerIdentity", "GetAuthorizationToken":
		return
	case "DescribeStacks":
		w.open("").str("stackName", "app-"+e.region).close()
	case "ListFunctions20150331":
		w.open("").num("maxItems", 50).close()
	default:
		return
	}
	e.req = w.b
}

// denied turns the call into one IAM refused.
func denied(e *ctEvent, arn string, call cliCall) {
	action := call.svc + ":" + call.name
	if call.svc == "ec2" {
		e.errCode = "Client.UnauthorizedOperation"
		e.errMsg = "You are not authorized to perform this operation. User: " + arn + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
	} else {
		e.errCode = "AccessDenied"
		e.errMsg = "User: " + arn + " is not authorized to perform: " + action + " because no identity-based policy allows the " + action + " action"
	}
	e.resp = nil
}

var consoleCalls = []cliCall{
	{"ec2", "DescribeInstances", ""}, {"ec2", "DescribeSecurityGroups", ""}, {"s3", "ListBuckets", ""},
	{"cloudtrail", "LookupEvents", ""}, {"health", "DescribeEventAggregates", ""}, {"monitoring", "DescribeAlarms", ""},
	{"ce", "GetCostAndUsage", ""}, {"guardduty", "ListDetectors", ""}, {"iam", "ListUsers", ""},
}

// consoleKey is the key of a person's console session on a given day,
// and when they signed in.
func consoleKey(seed int64, u *Principal, t int64) (string, int64) {
	day := (t + int64(u.UTCOffset)*3600) / 86400
	since := day*86400 - int64(u.UTCOffset)*3600 + 8*3600 + int64(mix64(uint64(seed), uint64(day))%3000)
	if since > t {
		since = t - 60
	}
	return "ASIA" + keyChars(mix64(uint64(seed)^0xc0750, uint64(day)<<16|uint64(len(u.Name))<<8|uint64(u.Name[0])), 16), since
}

func (c *ctGen) console(e *ctEvent, u *Principal) {
	r := c.r
	from := whereFrom(u, e.t, r)
	if c.cs.region == "us-east-1" && r.IntN(12) == 0 {
		consoleLogin(e, identUser(u, "", 0), u.Account, from, u.Browser, true, u.Name)
		return
	}
	call := consoleCalls[r.IntN(len(consoleCalls))]
	region := c.cs.region
	e.api(call.svc, call.name, region, true)
	key, since := consoleKey(c.g.cfg.Seed, u, e.t)
	e.ident = identUser(u, key, since)
	e.srcIP = ipString(from)
	e.ua = u.Browser
	e.console = true
	if call.svc == "monitoring" {
		e.tlsHost = "monitoring." + e.region + ".amazonaws.com"
	}
	fillRequest(e, call, u, r, nil)
}

// consoleLogin fills a console sign-in.
func consoleLogin(e *ctEvent, ident []byte, a *Account, from uint32, browser string, mfa bool, mfaName string) {
	e.api("signin", "ConsoleLogin", "us-east-1", false)
	e.version = "1.09"
	e.eventType = "AwsConsoleSignIn"
	e.tlsHost = "signin.aws.amazon.com"
	e.noRequestID = true
	e.ident = ident
	e.srcIP = ipString(from)
	e.ua = browser
	w := jw{}
	w.open("").str("ConsoleLogin", "Success").close()
	e.resp = w.b
	w = jw{}
	w.open("").str("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_c63b1d93b4d7e5a1").
		str("MobileVersion", "No")
	if mfa {
		w.str("MFAIdentifier", "arn:aws:iam::"+a.ID+":mfa/"+mfaName).str("MFAUsed", "Yes")
	} else {
		w.str("MFAUsed", "No")
	}
	e.add = w.close().b
}

// deployRole is the role deployments assume at t.
func (g *gen) deployRole(t int64) *Principal {
	if t >= g.sched.deployV2 {
		return g.env.DeployRoleV2
	}
	return g.env.DeployRole
}

func (c *ctGen) deploy(e *ctEvent) {
	r := c.r
	env := c.g.env
	ci := c.ci
	from := ci.Office
	if r.IntN(2) == 0 {
		from = ci.Home
	}
	if c.cs.acct.ID == DevAccount {
		calls := [...]cliCall{{"s3", "PutObject", "s3.cp"}, {"ssm", "SendCommand", "ssm.send-command"}, {"ec2", "DescribeInstances", "ec2.describe-instances"}, {"sts", "GetCallerIdentity", "sts.get-caller-identity"}}
		call := calls[r.IntN(len(calls))]
		switch call.name {
		case "PutObject":
			s3Object(e, "dev-build-artifacts-"+DevAccount, "builds/"+hexID(r, 12)+".tar.gz", "us-east-1", true, 5_000_000+int64(r.IntN(50_000_000)), r)
		case "SendCommand":
			sendCommand(e, "us-east-1", c.inst, r)
		default:
			e.api(call.svc, call.name, "us-east-1", true)
			fillRequest(e, call, ci, r, nil)
		}
		e.ident = identUser(ci, ci.AccessKey, 0)
		e.srcIP = ipString(from)
		e.ua = ci.CLI + call.command
		return
	}
	// Production: each hour's run assumes the deployment role once and
	// works through its session.
	hour := e.t / 3600
	session := "deploy-" + time.Unix(hour*3600, 0).UTC().Format("2006010215")
	role := c.g.deployRole(e.t)
	created := hour*3600 + 60
	key := "ASIA" + keyChars(mix64(uint64(c.g.cfg.Seed)^0xde91, uint64(hour)), 16)
	if e.t < created || r.IntN(8) == 0 {
		if created >= c.ws {
			e.t = min(e.t, created)
		}
		e.api("sts", "AssumeRole", "us-east-1", true)
		e.ident = identUser(ci, ci.AccessKey, 0)
		e.srcIP = ipString(from)
		e.ua = ci.CLI + "sts.assume-role"
		e.shared = false
		assumeBody(e, role, session, key, e.t, 3600, nil)
		return
	}
	calls := [...]cliCall{{"s3", "PutObject", "s3.cp"}, {"codedeploy", "CreateDeployment", "deploy.create-deployment"},
		{"ssm", "SendCommand", "ssm.send-command"}, {"elasticloadbalancing", "DescribeTargetHealth", "elbv2.describe-target-health"},
		{"ec2", "DescribeInstances", "ec2.describe-instances"}}
	call := calls[r.IntN(len(calls))]
	w := jw{}
	switch call.name {
	case "PutObject":
		s3Object(e, env.ArtifactBucket, "releases/web-"+hexID(r, 10)+".zip", "us-east-1", true, 20_000_000+int64(r.IntN(60_000_000)), r)
	case "SendCommand":
		sendCommand(e, "us-east-1", c.inst, r)
	case "CreateDeployment":
		e.api("codedeploy", "CreateDeployment", "us-east-1", false)
		w.open("").str("applicationName", "web").str("deploymentGroupName", "web-prod").
			open("revision").str("revisionType", "S3").open("s3Location").str("bucket", env.ArtifactBucket).str("bundleType", "zip").close().close().close()
		e.req = w.b
		w = jw{}
		w.open("").str("deploymentId", "d-"+strings.ToUpper(hexID(r, 9))).close()
		e.resp = w.b
	case "DescribeTargetHealth":
		e.api("elasticloadbalancing", "DescribeTargetHealth", "us-east-1", true)
		w.open("").str("targetGroupArn", "arn:aws:elasticloadbalancing:us-east-1:"+ProdAccount+":targetgroup/web-prod/73e2d6bc24d8a067").close()
		e.req = w.b
	default:
		e.api("ec2", "DescribeInstances", "us-east-1", true)
		fillRequest(e, call, ci, r, nil)
	}
	e.ident = identSession(role, session, key, created, false, false, "")
	e.srcIP = ipString(from)
	e.ua = ci.CLI + call.command
}

func sendCommand(e *ctEvent, region string, inst []*Instance, r *rand.Rand) {
	e.api("ssm", "SendCommand", region, false)
	w := jw{}
	w.open("").str("documentName", "AWS-RunShellScript").openArr("instanceIds")
	for _, in := range inst {
		if in.Tier == "web" {
			w.elem(in.ID)
		}
	}
	w.closeArr().boolean("interactive", false).str("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS").close()
	e.req = w.b
	w = jw{}
	w.open("").open("command").key("commandId")
	w.b = appendUUID(append(w.b, '"'), r.Uint64(), r.Uint64())
	w.b = append(w.b, '"')
	w.str("documentName", "AWS-RunShellScript").str("status", "Pending").close().close()
	e.resp = w.b
}

// audit is the security team's engineer looking around through the
// account's SecurityAudit role.
func (c *ctGen) audit(e *ctEvent) {
	r := c.r
	env := c.g.env
	sam := env.user("sam")
	role := env.AuditRoleProd
	if c.cs.acct.ID == DevAccount {
		role = env.AuditRoleDev
	}
	day := e.t / 86400
	session := "sam"
	created := day*86400 + 8*3600 + 1800
	key := "ASIA" + keyChars(mix64(uint64(c.g.cfg.Seed)^0xa0d1, uint64(day)<<8|uint64(len(c.cs.acct.Name))), 16)
	from := whereFrom(sam, e.t, r)
	if e.t < created || r.IntN(10) == 0 {
		if created >= c.ws {
			e.t = min(e.t, created)
		}
		e.api("sts", "AssumeRole", "us-east-1", true)
		e.ident = identUser(sam, sam.AccessKey, 0)
		e.srcIP = ipString(from)
		e.ua = sam.CLI + "sts.assume-role"
		e.shared = true
		assumeBody(e, role, session, key, e.t, 3600, nil)
		return
	}
	calls := [...]cliCall{{"guardduty", "ListFindings", "guardduty.list-findings"}, {"iam", "GetAccountAuthorizationDetails", "iam.get-account-authorization-details"},
		{"ec2", "DescribeSecurityGroups", "ec2.describe-security-groups"}, {"cloudtrail", "DescribeTrails", "cloudtrail.describe-trails"},
		{"s3", "ListBuckets", "s3.ls"}}
	call := calls[r.IntN(len(calls))]
	e.api(call.svc, call.name, "us-east-1", true)
	fillRequest(e, call, sam, r, nil)
	if call.name == "ListFindings" {
		w := jw{}
		w.open("").str("detectorId", detectorID).close()
		e.req = w.b
	}
	e.ident = identSession(role, session, key, created, true, false, "")
	e.srcIP = ipString(from)
	e.ua = sam.CLI + call.command
}
