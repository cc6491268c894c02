package ctgen

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// globalRegion is where the events of global services (IAM, sign-in) are
// logged.
const globalRegion = "us-east-1"

// api is one eventSource and eventName with everything that shapes its
// events.
type api struct {
	source, name string
	weight       int    // relative frequency
	version      string // eventVersion
	eventType    string // default AwsApiCall
	global       bool   // logged in us-east-1 only
	readOnly     bool
	data         bool // a data event (S3 objects), not a management event
	vpce         bool // reachable through a VPC endpoint
	who          weights
	kinds        []kind   // the workloads that call it; nil for any
	services     []string // the services that call it, for cService
	invokers     []string // the services acting for a principal, for cInvoked
	errs         []errSpec
	agent        string // the user agent of instance agents calling it
	host         string // tlsDetails host when not <endpoint>.<region>.amazonaws.com
	build        func(*event)

	// Derived from source and name.
	endpoint string // ec2, api.ecr
	cli      string // ec2.describe-instances
	sdk      string // ec2
	action   string // ec2:DescribeInstances, for access-denied messages
}

// weights is the mix of callers of an API, by class.
type weights [numClasses]int

func (w *weights) pick(r *rand.Rand) class {
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.IntN(total)
	for c, x := range w {
		if n < x {
			return class(c)
		}
		n -= x
	}
	panic("unreachable")
}

// errSpec is one way a call fails. With denied, the message is msg and
// then IAM's sentence naming the principal, the action and the resource.
type errSpec struct {
	code, msg string
	denied    bool
}

var (
	whoRead    = weights{cUser: 8, cConsole: 8, cSSO: 14, cWorkload: 55, cCI: 10, cInvoked: 5}
	whoHuman   = weights{cUser: 25, cConsole: 25, cSSO: 30, cWorkload: 5, cCI: 15}
	whoWork    = weights{cUser: 3, cSSO: 4, cWorkload: 85, cCI: 3, cInvoked: 5}
	whoWrite   = weights{cUser: 10, cConsole: 25, cSSO: 5, cWorkload: 10, cCI: 50}
	whoAgent   = weights{cWorkload: 1}
	whoService = weights{cService: 85, cUser: 5, cSSO: 5, cWorkload: 5}
	whoAssume  = weights{cService: 70, cWorkload: 8, cUser: 5, cSSO: 5, cCI: 12}
	whoKMS     = weights{cWorkload: 40, cInvoked: 30, cService: 30}
	whoCaller  = weights{cUser: 20, cConsole: 10, cSSO: 25, cWorkload: 20, cCI: 25}
	whoLogin   = weights{cConsole: 1}
	whoWeb     = weights{cWeb: 1}

	denied       = []errSpec{{"AccessDenied", "", true}}
	deniedEx     = []errSpec{{"AccessDeniedException", "", true}}
	ec2Errors    = []errSpec{{"Client.UnauthorizedOperation", "You are not authorized to perform this operation. ", true}, {"Client.UnauthorizedOperation", "You are not authorized to perform this operation. ", true}, {"Client.RequestLimitExceeded", "Request limit exceeded.", false}}
	s3Errors     = []errSpec{{"AccessDenied", "Access Denied", false}}
	s3GetErrors  = []errSpec{{"NoSuchKey", "The specified key does not exist.", false}, {"AccessDenied", "Access Denied", false}}
	secretErrors = []errSpec{{"AccessDenied", "", true}, {"ResourceNotFoundException", "Secrets Manager can't find the specified secret.", false}}
	logErrors    = []errSpec{{"AccessDenied", "", true}, {"ResourceAlreadyExistsException", "The specified log stream already exists", false}}
	throttled    = []errSpec{{"AccessDenied", "", true}, {"ThrottlingException", "Rate exceeded", false}}

	bucketReaders = []string{"cloudtrail.amazonaws.com", "config.amazonaws.com"}
	defaultInvoke = []string{"cloudformation.amazonaws.com", "AWS Internal"}
	ssmAgent      = "aws-sdk-go/1.55.5 (go1.22.10; linux; amd64) amazon-ssm-agent/3.3.1611.0"
	instanceKinds = []kind{kindEC2, kindEKS}
)

// catalog is the APIs events are drawn from, with weights in events per
// 10,000 or so, after the mix of a small organisation's trail with S3
// data events on.
var catalog = []*api{
	// S3 data events.
	{source: "s3", name: "GetObject", weight: 700, version: "1.10", readOnly: true, data: true, vpce: true, who: whoWork, errs: s3GetErrors, build: s3Object},
	{source: "s3", name: "PutObject", weight: 200, version: "1.10", data: true, vpce: true, who: whoWork, errs: s3Errors, build: s3Object},
	{source: "s3", name: "HeadObject", weight: 200, version: "1.10", readOnly: true, data: true, vpce: true, who: whoWork, errs: s3GetErrors, build: s3Object},
	{source: "s3", name: "DeleteObject", weight: 40, version: "1.10", data: true, who: whoWork, errs: s3Errors, build: s3Object},
	{source: "s3", name: "ListObjects", weight: 120, version: "1.10", readOnly: true, data: true, vpce: true, who: whoWork, errs: s3Errors, build: s3List},
	// S3 management events.
	{source: "s3", name: "GetBucketAcl", weight: 400, version: "1.10", readOnly: true, who: whoService, services: bucketReaders, errs: s3Errors, build: s3Bucket("acl")},
	{source: "s3", name: "GetBucketLocation", weight: 60, version: "1.10", readOnly: true, who: whoService, services: []string{"athena.amazonaws.com", "cloudtrail.amazonaws.com"}, errs: s3Errors, build: s3Bucket("location")},
	{source: "s3", name: "GetBucketVersioning", weight: 30, version: "1.10", readOnly: true, who: whoService, services: bucketReaders[1:], errs: s3Errors, build: s3Bucket("versioning")},
	{source: "s3", name: "GetBucketPolicy", weight: 30, version: "1.10", readOnly: true, who: whoService, services: bucketReaders[1:], errs: s3Errors, build: s3Bucket("policy")},
	{source: "s3", name: "ListBuckets", weight: 40, version: "1.10", readOnly: true, who: whoHuman, errs: s3Errors, build: s3ListBuckets},
	// STS.
	{source: "sts", name: "AssumeRole", weight: 600, version: "1.08", readOnly: true, vpce: true, who: whoAssume, services: []string{"ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"}, errs: denied, build: assumeRole},
	{source: "sts", name: "GetCallerIdentity", weight: 300, version: "1.08", readOnly: true, who: whoCaller, build: func(*event) {}},
	{source: "sts", name: "AssumeRoleWithWebIdentity", weight: 60, version: "1.08", readOnly: true, who: whoWeb, build: assumeRoleWithWebIdentity},
	// KMS.
	{source: "kms", name: "Decrypt", weight: 900, version: "1.11", readOnly: true, vpce: true, who: whoKMS, services: []string{"s3.amazonaws.com", "logs.amazonaws.com", "ec2.amazonaws.com"}, invokers: kmsInvokers, errs: denied, build: kms},
	{source: "kms", name: "GenerateDataKey", weight: 300, version: "1.11", readOnly: true, vpce: true, who: whoKMS, services: []string{"s3.amazonaws.com", "logs.amazonaws.com"}, invokers: kmsInvokers, errs: denied, build: kms},
	{source: "kms", name: "Encrypt", weight: 40, version: "1.11", readOnly: true, who: whoWork, invokers: kmsInvokers, errs: denied, build: kms},
	// EC2.
	{source: "ec2", name: "DescribeInstances", weight: 350, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: describeInstances},
	{source: "ec2", name: "DescribeSecurityGroups", weight: 100, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: describeSecurityGroups},
	{source: "ec2", name: "DescribeNetworkInterfaces", weight: 150, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: describeNetworkInterfaces},
	{source: "ec2", name: "DescribeVolumes", weight: 70, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: static(`{"volumeSet":{},"filterSet":{}}`)},
	{source: "ec2", name: "DescribeSubnets", weight: 60, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: describeSubnets},
	{source: "ec2", name: "DescribeVpcs", weight: 50, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: static(`{"vpcSet":{},"filterSet":{}}`)},
	{source: "ec2", name: "DescribeRegions", weight: 50, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: static(`{"regionSet":{},"allRegions":false}`)},
	{source: "ec2", name: "DescribeAvailabilityZones", weight: 40, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: static(`{"availabilityZoneSet":{},"availabilityZoneIdSet":{}}`)},
	{source: "ec2", name: "DescribeTags", weight: 120, version: "1.10", readOnly: true, who: whoAgent, kinds: instanceKinds, agent: cwAgent.pre, errs: ec2Errors, build: describeTags},
	{source: "ec2", name: "DescribeImages", weight: 40, version: "1.10", readOnly: true, who: whoRead, errs: ec2Errors, build: describeImages},
	{source: "ec2", name: "CreateTags", weight: 30, version: "1.10", who: whoWrite, errs: ec2Errors, build: createTags},
	{source: "ec2", name: "RunInstances", weight: 8, version: "1.10", who: whoWrite, errs: ec2Errors, build: runInstances},
	{source: "ec2", name: "AuthorizeSecurityGroupIngress", weight: 6, version: "1.10", who: whoWrite, errs: ec2Errors, build: authorizeIngress},
	{source: "ec2", name: "TerminateInstances", weight: 6, version: "1.10", who: whoWrite, errs: ec2Errors, build: terminateInstances},
	// IAM, a global service.
	{source: "iam", name: "ListRoles", weight: 50, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: listRoles},
	{source: "iam", name: "ListUsers", weight: 30, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: func(*event) {}},
	{source: "iam", name: "GetRole", weight: 70, version: "1.09", global: true, readOnly: true, who: whoRead, errs: denied, build: roleParam},
	{source: "iam", name: "GetUser", weight: 25, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: userParam},
	{source: "iam", name: "ListAttachedRolePolicies", weight: 50, version: "1.09", global: true, readOnly: true, who: whoRead, errs: denied, build: roleParam},
	{source: "iam", name: "ListRolePolicies", weight: 30, version: "1.09", global: true, readOnly: true, who: whoRead, errs: denied, build: roleParam},
	{source: "iam", name: "GetPolicy", weight: 30, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: policyParam(false)},
	{source: "iam", name: "GetPolicyVersion", weight: 30, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: policyParam(true)},
	{source: "iam", name: "ListAccessKeys", weight: 25, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: userParam},
	{source: "iam", name: "ListMFADevices", weight: 15, version: "1.09", global: true, readOnly: true, who: whoHuman, errs: denied, build: userParam},
	{source: "iam", name: "CreateAccessKey", weight: 3, version: "1.09", global: true, who: whoWrite, errs: denied, build: createAccessKey},
	{source: "iam", name: "AttachRolePolicy", weight: 3, version: "1.09", global: true, who: whoWrite, errs: denied, build: attachRolePolicy},
	// Console sign-in, logged in us-east-1.
	{source: "signin", name: "ConsoleLogin", weight: 15, version: "1.09", eventType: "AwsConsoleSignIn", global: true, who: whoLogin, host: "signin.aws.amazon.com", build: consoleLogin},
	// CloudWatch Logs.
	{source: "logs", name: "CreateLogStream", weight: 250, version: "1.08", who: whoAgent, kinds: []kind{kindLambda, kindECS}, vpce: true, errs: logErrors, build: createLogStream},
	{source: "logs", name: "DescribeLogGroups", weight: 80, version: "1.08", readOnly: true, who: whoRead, errs: denied, build: describeLogGroups},
	{source: "logs", name: "DescribeLogStreams", weight: 60, version: "1.08", readOnly: true, who: whoRead, errs: denied, build: describeLogStreams},
	{source: "logs", name: "FilterLogEvents", weight: 25, version: "1.08", readOnly: true, who: whoHuman, errs: denied, build: filterLogEvents},
	{source: "logs", name: "CreateLogGroup", weight: 5, version: "1.08", who: whoWrite, errs: denied, build: logGroupParam},
	// Systems Manager.
	{source: "ssm", name: "UpdateInstanceInformation", weight: 300, version: "1.08", who: whoAgent, kinds: instanceKinds, vpce: true, agent: ssmAgent, errs: deniedEx, build: updateInstanceInformation},
	{source: "ssm", name: "ListInstanceAssociations", weight: 150, version: "1.08", readOnly: true, who: whoAgent, kinds: instanceKinds, vpce: true, agent: ssmAgent, errs: deniedEx, build: listInstanceAssociations},
	{source: "ssm", name: "GetParameter", weight: 200, version: "1.08", readOnly: true, who: whoWork, vpce: true, errs: deniedEx, build: getParameter},
	{source: "ssm", name: "GetParameters", weight: 80, version: "1.08", readOnly: true, who: whoWork, vpce: true, errs: deniedEx, build: getParameters},
	{source: "ssm", name: "GetParametersByPath", weight: 40, version: "1.08", readOnly: true, who: whoWork, vpce: true, errs: deniedEx, build: static(`{"path":"/prod/orders","recursive":true,"withDecryption":true}`)},
	{source: "ssm", name: "DescribeInstanceInformation", weight: 20, version: "1.08", readOnly: true, who: whoHuman, errs: deniedEx, build: static(`{"maxResults":50}`)},
	// Secrets Manager.
	{source: "secretsmanager", name: "GetSecretValue", weight: 120, version: "1.08", readOnly: true, who: whoWork, vpce: true, errs: secretErrors, build: secretParam(true)},
	{source: "secretsmanager", name: "DescribeSecret", weight: 25, version: "1.08", readOnly: true, who: whoRead, errs: secretErrors, build: secretParam(false)},
	// CloudWatch.
	{source: "monitoring", name: "GetMetricData", weight: 120, version: "1.09", readOnly: true, who: whoRead, errs: throttled, build: getMetricData},
	{source: "monitoring", name: "DescribeAlarms", weight: 60, version: "1.09", readOnly: true, who: whoRead, errs: throttled, build: static(`{"maxRecords":100}`)},
	// Containers and load balancing.
	{source: "ecr", name: "GetAuthorizationToken", weight: 80, version: "1.08", readOnly: true, who: whoAgent, kinds: []kind{kindEKS, kindECS, kindEC2}, errs: denied, build: ecrToken},
	{source: "elasticloadbalancing", name: "DescribeTargetHealth", weight: 80, version: "1.08", readOnly: true, who: whoRead, errs: throttled, build: describeTargetHealth},
	{source: "autoscaling", name: "DescribeAutoScalingGroups", weight: 60, version: "1.08", readOnly: true, who: whoRead, errs: denied, build: describeASGs},
	// Databases and functions.
	{source: "dynamodb", name: "DescribeTable", weight: 60, version: "1.08", readOnly: true, who: whoWork, vpce: true, errs: denied, build: describeTable},
	{source: "lambda", name: "GetFunction", weight: 20, version: "1.08", readOnly: true, who: whoRead, errs: denied, build: getFunction},
	{source: "lambda", name: "ListFunctions20150331", weight: 20, version: "1.08", readOnly: true, who: whoHuman, errs: denied, build: func(*event) {}},
	// CloudTrail itself.
	{source: "cloudtrail", name: "DescribeTrails", weight: 20, version: "1.09", readOnly: true, who: whoRead, errs: denied, build: static(`{"trailNameList":[],"includeShadowTrails":true}`)},
	{source: "cloudtrail", name: "GetTrailStatus", weight: 20, version: "1.09", readOnly: true, who: whoRead, errs: denied, build: getTrailStatus},
	{source: "cloudtrail", name: "LookupEvents", weight: 10, version: "1.09", readOnly: true, who: whoHuman, errs: throttled, build: static(`{"maxResults":50,"lookupAttributes":[{"attributeKey":"EventName","attributeValue":"ConsoleLogin"}]}`)},
}

var kmsInvokers = []string{"s3.amazonaws.com", "secretsmanager.amazonaws.com", "ssm.amazonaws.com", "lambda.amazonaws.com", "AWS Internal"}

// cliNames are the CLI's (and SDKs') names of services whose endpoint is
// named differently.
var cliNames = map[string]string{"monitoring": "cloudwatch", "elasticloadbalancing": "elbv2", "signin": "signin"}

func init() {
	for _, a := range catalog {
		prefix := a.source
		a.source += ".amazonaws.com"
		a.endpoint = prefix
		if prefix == "ecr" {
			a.endpoint = "api.ecr"
		}
		if a.global && a.host == "" {
			a.host = prefix + ".amazonaws.com"
		}
		if a.eventType == "" {
			a.eventType = "AwsApiCall"
		}
		svc := prefix
		if n, ok := cliNames[prefix]; ok {
			svc = n
		}
		op := strings.TrimSuffix(a.name, "20150331")
		a.cli = svc + "." + kebab(op)
		a.sdk = svc
		iamPrefix := prefix
		if prefix == "monitoring" {
			iamPrefix = "cloudwatch"
		}
		a.action = iamPrefix + ":" + op
		if a.who[cInvoked] > 0 && len(a.invokers) == 0 {
			a.invokers = defaultInvoke
		}
	}
}

// kebab turns an operation name into the CLI's: DescribeInstances →
// describe-instances.
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// table is the APIs that can appear in one region, for a weighted draw.
type table struct {
	apis []*api
	cum  []int
}

func newTable(global bool) table {
	var t table
	total := 0
	for _, a := range catalog {
		if a.global && !global {
			continue
		}
		total += a.weight
		t.apis = append(t.apis, a)
		t.cum = append(t.cum, total)
	}
	return t
}

func (t *table) pick(r *rand.Rand) int {
	n := r.IntN(t.cum[len(t.cum)-1])
	return sort.SearchInts(t.cum, n+1)
}

// cat appends strings.
func cat(b []byte, parts ...string) []byte {
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func static(req string) func(*event) {
	return func(e *event) { e.req = append(e.req, req...) }
}

// pick returns one of list, the first ones more often.
func (e *event) pick(list []string) string { return list[skewed(e.r, len(list))] }

func (e *event) appendToken(b []byte) []byte {
	n := 600 + e.r.IntN(200)
	off := e.r.IntN(len(e.g.tokens) - n)
	b = append(b, "IQoJb3JpZ2luX2Vj"...)
	return append(b, e.g.tokens[off:off+n]...)
}

// appendAWSTime appends t as responses and some parameters write times:
// Jan 5, 2026, 1:00:01 AM.
func appendAWSTime(b []byte, t int64) []byte {
	return time.Unix(t, 0).UTC().AppendFormat(b, "Jan 2, 2006, 3:04:05 PM")
}

// Key styles of buckets.
const (
	styleUploads = iota
	styleLake
	styleReports
	styleBackups
	styleState
	styleTrail
)

var (
	uploadNames = []string{"avatar.jpg", "invoice.pdf", "photo.png", "export.csv", "contract.docx"}
	stacks      = []string{"network", "orders", "eks", "iam", "data"}
)

// appendObjectKey appends a key of the kind bucket bk holds.
func (e *event) appendObjectKey(b []byte, bk *bucket) []byte {
	r := e.r
	day := time.Unix(e.t, 0).UTC()
	switch bk.style {
	case styleUploads:
		b = append(b, "uploads/"...)
		b = appendUUID(b, r.Uint64(), r.Uint64())
		b = append(b, '/')
		return append(b, uploadNames[r.IntN(len(uploadNames))]...)
	case styleLake:
		b = day.AppendFormat(append(b, "events/dt="...), "2006-01-02/hour=15")
		b = append(b, "/part-"...)
		b = appendHex(b, uint64(r.IntN(64)), 5)
		b = append(b, '-')
		b = appendUUID(b, r.Uint64(), r.Uint64())
		return append(b, ".c000.snappy.parquet"...)
	case styleReports:
		b = day.AppendFormat(append(b, "reports/daily/"...), "2006-01-02")
		return append(b, "/summary.csv"...)
	case styleBackups:
		b = day.AppendFormat(append(b, "rds/orders/"...), "2006-01-02")
		b = append(b, "/orders-"...)
		return append(appendHex(b, r.Uint64(), 8), ".sql.gz"...)
	case styleState:
		return cat(b, "env:/prod/", stacks[r.IntN(len(stacks))], "/terraform.tfstate")
	}
	b = cat(b, "AWSLogs/", e.a.id, "/CloudTrail/", e.region, "/")
	b = day.AppendFormat(b, "2006/01/02/")
	b = cat(b, e.a.id, "_CloudTrail_", e.region, "_")
	b = day.AppendFormat(b, "20060102T1504Z_")
	return append(appendRandom(b, r, alnum[:32], 16), ".json.gz"...)
}

// appendS3Extra sets what every S3 event has: the host, the request ID,
// additionalEventData.
func (e *event) appendS3Extra(bucket string, in, out int) {
	r := e.r
	if bucket != "" {
		e.host = cat(e.host, bucket, ".s3.", e.region, ".amazonaws.com")
	} else {
		e.host = append(e.host, "s3.amazonaws.com"...)
	}
	e.requestID = appendRandom(e.requestID, r, upperHex, 16)
	e.add = append(e.add, `{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":`...)
	e.add = strconv.AppendInt(e.add, int64(in), 10)
	if e.api.name == "PutObject" {
		e.add = append(e.add, `,"SSEApplied":"Default_SSE_S3"`...)
	}
	e.add = append(e.add, `,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"`...)
	off := r.IntN(len(e.g.tokens) - 56)
	e.add = append(e.add, e.g.tokens[off:off+56]...)
	e.add = append(e.add, `=","bytesTransferredOut":`...)
	e.add = strconv.AppendInt(e.add, int64(out), 10)
	e.add = append(e.add, '}')
}

func (e *event) bucketResource(b []byte, bucket string) []byte {
	return cat(b, `{"accountId":"`, e.a.id, `","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::`, bucket, `"}`)
}

func s3Object(e *event) {
	r := e.r
	// Any bucket but the trail's, which only CloudTrail writes.
	bk := &e.a.buckets[skewed(r, len(e.a.buckets)-1)]
	e.key = e.appendObjectKey(e.key[:0], bk)
	e.req = cat(e.req, `{"bucketName":"`, bk.name, `","Host":"`, bk.name, ".s3.", e.region, `.amazonaws.com","key":"`)
	e.req = append(e.req, e.key...)
	if r.IntN(2) == 0 {
		e.req = cat(e.req, `","x-id":"`, e.api.name)
	}
	e.req = append(e.req, `"}`...)
	size := int(r.ExpFloat64() * 250_000)
	switch e.api.name {
	case "GetObject":
		e.appendS3Extra(bk.name, 0, size)
	case "PutObject":
		e.appendS3Extra(bk.name, size, 0)
		e.resp = append(e.resp, `{"x-amz-server-side-encryption":"AES256"}`...)
	default:
		e.appendS3Extra(bk.name, 0, 0)
	}
	e.res = append(e.res, `[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::`...)
	e.res = append(e.res, bk.name...)
	e.res = append(e.res, '/')
	e.res = append(e.res, e.key...)
	e.res = append(e.res, `"},`...)
	e.res = append(e.bucketResource(e.res, bk.name), ']')
}

func s3List(e *event) {
	bk := &e.a.buckets[skewed(e.r, len(e.a.buckets)-1)]
	e.key = e.appendObjectKey(e.key[:0], bk)
	prefix := e.key
	if i := strings.LastIndexByte(string(prefix), '/'); i >= 0 {
		prefix = prefix[:i+1]
	}
	e.req = cat(e.req, `{"list-type":"2","bucketName":"`, bk.name, `","encoding-type":"url","prefix":"`)
	e.req = append(e.req, prefix...)
	e.req = cat(e.req, `","Host":"`, bk.name, ".s3.", e.region, `.amazonaws.com"}`)
	e.appendS3Extra(bk.name, 0, 300+e.r.IntN(20_000))
	e.res = append(e.bucketResource(append(e.res, '['), bk.name), ']')
}

func s3Bucket(sub string) func(*event) {
	return func(e *event) {
		name := e.a.trailBucket
		if e.class != cService || e.svc != "cloudtrail.amazonaws.com" {
			name = e.a.buckets[e.r.IntN(len(e.a.buckets))].name
		}
		e.req = cat(e.req, `{"bucketName":"`, name, `","Host":"`, name, ".s3.", e.region, `.amazonaws.com","`, sub, `":""}`)
		e.appendS3Extra(name, 0, 200+e.r.IntN(800))
		e.res = append(e.bucketResource(append(e.res, '['), name), ']')
		e.resARN = "arn:aws:s3:::" + name
	}
}

func s3ListBuckets(e *event) {
	e.req = append(e.req, `{"Host":"s3.amazonaws.com"}`...)
	e.appendS3Extra("", 0, 2000+e.r.IntN(2000))
}

// appendCredentials appends the credentials member of an AssumeRole
// response. The key is the session's own when the session is one of the
// account's principals, so that its later calls carry it.
func (e *event) appendCredentials(b []byte, p *principal) []byte {
	b = append(b, `{"credentials":{"accessKeyId":"ASIA`...)
	if p != nil {
		b = appendKey(b, p.salt, uint64((e.t+p.phase)/p.period))
	} else {
		b = appendRandom(b, e.r, base32Chars, 16)
	}
	b = append(b, `","sessionToken":"`...)
	b = e.appendToken(b)
	b = append(b, `","expiration":"`...)
	b = appendAWSTime(b, e.t+hour)
	return append(b, `"}`...)
}

func (e *event) appendAssumedRoleUser(b []byte, role, roleID, session string) []byte {
	return cat(b, `"assumedRoleUser":{"assumedRoleId":"`, roleID, ":", session, `","arn":"arn:aws:sts::`, e.a.id,
		":assumed-role/", role, "/", session, `"}`)
}

func (e *event) appendRoleResource(b []byte, arn string) []byte {
	return cat(b, `[{"accountId":"`, e.a.id, `","type":"AWS::IAM::Role","ARN":"`, arn, `"}]`)
}

func assumeRole(e *event) {
	r, a := e.r, e.a
	var target *principal
	var role, roleID, session string
	if e.class == cService {
		// A service starts a session of one of its workloads' roles.
		k := kindEC2
		switch e.svc {
		case "lambda.amazonaws.com":
			k = kindLambda
		case "ecs-tasks.amazonaws.com":
			k = kindECS
		default:
			if r.IntN(3) == 0 {
				k = kindEKS
			}
		}
		ps := a.work[k]
		target = ps[r.IntN(len(ps))]
		role, roleID, session = target.role, target.roleID, target.session
	} else {
		i := skewed(r, len(a.assumable))
		role, roleID = a.assumable[i], a.assumableIDs[i]
		session = "botocore-session-" + strconv.FormatInt(e.t-int64(r.IntN(600)), 10)
	}
	arn := "arn:aws:iam::" + a.id + ":role/" + role
	e.req = cat(e.req, `{"roleArn":"`, arn, `","roleSessionName":"`, session, `"`)
	if target == nil {
		e.req = append(e.req, `,"durationSeconds":3600`...)
	}
	e.req = append(e.req, '}')
	e.resp = e.appendCredentials(e.resp, target)
	e.resp = append(e.resp, ',')
	e.resp = append(e.appendAssumedRoleUser(e.resp, role, roleID, session), '}')
	e.res = e.appendRoleResource(e.res, arn)
	e.resARN = arn
}

func assumeRoleWithWebIdentity(e *event) {
	p, a := e.p, e.a
	arn := "arn:aws:iam::" + a.id + ":role/" + p.role
	e.req = cat(e.req, `{"roleArn":"`, arn, `","roleSessionName":"`, p.session, `"}`)
	var ci *principal
	if ps := a.byClass[cCI]; len(ps) > 0 {
		ci = ps[0]
	}
	e.resp = e.appendCredentials(e.resp, ci)
	e.resp = cat(e.resp, `,"subjectFromWebIdentityToken":"`, p.subject, `",`)
	e.resp = e.appendAssumedRoleUser(e.resp, p.role, p.roleID, p.session)
	e.resp = cat(e.resp, `,"provider":"arn:aws:iam::`, a.id, oidcGitHub, `","audience":"sts.amazonaws.com"}`)
	e.res = e.appendRoleResource(e.res, arn)
}

// appendKMSContext appends the encryption context the caller would use.
func (e *event) appendKMSContext(b []byte) []byte {
	a := e.a
	via := e.svc
	if via == "" && e.p != nil {
		switch e.p.kind {
		case kindLambda:
			via = "lambda.amazonaws.com"
		case kindEC2, kindEKS:
			via = "ec2.amazonaws.com"
		default:
			via = "s3.amazonaws.com"
		}
	}
	switch via {
	case "secretsmanager.amazonaws.com":
		b = cat(b, `{"SecretARN":"arn:aws:secretsmanager:`, e.region, ":", a.id, ":secret:", e.pick(a.secrets), `","SecretVersionId":"`)
		return append(appendUUID(b, e.r.Uint64(), e.r.Uint64()), `"}`...)
	case "ssm.amazonaws.com":
		return cat(b, `{"PARAMETER_ARN":"arn:aws:ssm:`, e.region, ":", a.id, ":parameter", e.pick(a.params), `"}`)
	case "lambda.amazonaws.com":
		return cat(b, `{"aws:lambda:FunctionArn":"arn:aws:lambda:`, e.region, ":", a.id, ":function:", e.pick(a.functions), `"}`)
	case "ec2.amazonaws.com":
		return cat(b, `{"aws:ebs:id":"`, e.pick(a.volumes), `"}`)
	case "logs.amazonaws.com":
		return cat(b, `{"aws:logs:arn":"arn:aws:logs:`, e.region, ":", a.id, ":log-group:", e.pick(a.logGroups), `"}`)
	}
	bk := &a.buckets[skewed(e.r, len(a.buckets))]
	return cat(b, `{"aws:s3:arn":"arn:aws:s3:::`, bk.name, `"}`)
}

func kms(e *event) {
	a := e.a
	arn := "arn:aws:kms:" + e.region + ":" + a.id + ":key/" + e.pick(a.kmsKeys)
	switch e.api.name {
	case "Decrypt":
		e.req = append(e.req, `{"encryptionContext":`...)
		e.req = e.appendKMSContext(e.req)
		e.req = append(e.req, `,"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`...)
	case "GenerateDataKey":
		e.req = cat(e.req, `{"keyId":"`, arn, `","encryptionContext":`)
		e.req = e.appendKMSContext(e.req)
		e.req = append(e.req, `,"keySpec":"AES_256"}`...)
	default:
		e.req = cat(e.req, `{"keyId":"alias/orders","encryptionContext":`)
		e.req = e.appendKMSContext(e.req)
		e.req = append(e.req, `,"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`...)
	}
	e.res = cat(e.res, `[{"accountId":"`, a.id, `","type":"AWS::KMS::Key","ARN":"`, arn, `"}]`)
	e.resARN = arn
}

// appendFilter appends an EC2 filterSet with one filter.
func appendFilter(b []byte, name, value string) []byte {
	return cat(b, `"filterSet":{"items":[{"name":"`, name, `","valueSet":{"items":[{"value":"`, value, `"}]}}]}`)
}

func describeInstances(e *event) {
	switch e.r.IntN(3) {
	case 0:
		e.req = cat(e.req, `{"instancesSet":{"items":[{"instanceId":"`, e.pick(e.a.instances), `"}]},"filterSet":{}}`)
	case 1:
		e.req = append(e.req, `{"instancesSet":{},"filterSet":{}}`...)
	default:
		e.req = append(e.req, `{"maxResults":1000,"instancesSet":{},`...)
		e.req = append(appendFilter(e.req, "instance-state-name", "running"), '}')
	}
}

func describeSecurityGroups(e *event) {
	if e.r.IntN(2) == 0 {
		e.req = cat(e.req, `{"securityGroupSet":{},"securityGroupIdSet":{"items":[{"groupId":"`, e.pick(e.a.sgs), `"}]},"filterSet":{}}`)
		return
	}
	e.req = append(e.req, `{"securityGroupSet":{},"securityGroupIdSet":{},`...)
	e.req = append(appendFilter(e.req, "vpc-id", e.pick(e.a.vpcs)), '}')
}

func describeNetworkInterfaces(e *event) {
	e.req = append(e.req, `{"networkInterfaceIdSet":{},`...)
	e.req = append(appendFilter(e.req, "attachment.instance-id", e.pick(e.a.instances)), '}')
}

func describeSubnets(e *event) {
	e.req = append(e.req, `{"subnetSet":{},`...)
	e.req = append(appendFilter(e.req, "vpc-id", e.pick(e.a.vpcs)), '}')
}

func describeTags(e *event) {
	id := e.pick(e.a.instances)
	if e.p != nil && e.p.ec2 {
		id = e.p.session
	}
	e.req = append(e.req, '{')
	e.req = append(appendFilter(e.req, "resource-id", id), '}')
}

func describeImages(e *event) {
	e.req = cat(e.req, `{"executableBySet":{},"imagesSet":{"items":[{"imageId":"`, e.pick(e.a.amis), `"}]},"ownersSet":{},"availabilityZoneSet":{},"filterSet":{}}`)
}

func createTags(e *event) {
	id := e.pick(e.a.instances)
	e.req = cat(e.req, `{"resourcesSet":{"items":[{"resourceId":"`, id, `"}]},"tagSet":{"items":[{"key":"owner","value":"`, e.pick(people), `"},{"key":"cost-center","value":"platform"}]}}`)
	e.resp = append(e.resp, `{"requestId":"`...)
	e.resp = append(appendUUID(e.resp, e.r.Uint64(), e.r.Uint64()), `","_return":true}`...)
	e.resARN = "arn:aws:ec2:" + e.region + ":" + e.a.id + ":instance/" + id
}

func runInstances(e *event) {
	r, a := e.r, e.a
	ami, subnet, sg, vpc := e.pick(a.amis), e.pick(a.subnets), e.pick(a.sgs), e.pick(a.vpcs)
	id := "i-0" + string(appendRandom(nil, r, hexDigits, 16))
	ip := "10." + strconv.Itoa(r.IntN(8)) + "." + strconv.Itoa(r.IntN(64)) + "." + strconv.Itoa(4+r.IntN(250))
	az := e.region + string(rune('a'+r.IntN(3)))
	e.req = cat(e.req, `{"instancesSet":{"items":[{"imageId":"`, ami, `","minCount":1,"maxCount":1}]},"instanceType":"t3.medium","blockDeviceMapping":{},"monitoring":{"enabled":false},"disableApiTermination":false,"disableApiStop":false,"clientToken":"`)
	e.req = appendUUID(e.req, r.Uint64(), r.Uint64())
	e.req = cat(e.req, `","networkInterfaceSet":{"items":[{"deviceIndex":0,"subnetId":"`, subnet, `","groupSet":{"items":[{"groupId":"`, sg,
		`"}]}}]},"iamInstanceProfile":{"name":"app-server"},"metadataOptions":{"httpTokens":"required","httpPutResponseHopLimit":2},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"Name","value":"app-server"}]}]}}`)
	e.resp = append(e.resp, `{"requestId":"`...)
	e.resp = appendUUID(e.resp, r.Uint64(), r.Uint64())
	e.resp = cat(e.resp, `","reservationId":"r-0`)
	e.resp = appendRandom(e.resp, r, hexDigits, 16)
	e.resp = cat(e.resp, `","ownerId":"`, a.id, `","groupSet":{},"instancesSet":{"items":[{"instanceId":"`, id, `","imageId":"`, ami,
		`","currentInstanceBootMode":"legacy-bios","instanceState":{"code":0,"name":"pending"},"privateDnsName":"ip-`, strings.ReplaceAll(ip, ".", "-"),
		`.ec2.internal","amiLaunchIndex":0,"productCodes":{},"instanceType":"t3.medium","launchTime":`)
	e.resp = strconv.AppendInt(e.resp, e.t*1000, 10)
	e.resp = cat(e.resp, `,"placement":{"availabilityZone":"`, az, `","tenancy":"default"},"monitoring":{"state":"disabled"},"subnetId":"`, subnet,
		`","vpcId":"`, vpc, `","privateIpAddress":"`, ip, `","stateReason":{"code":"pending","message":"pending"},"architecture":"x86_64","rootDeviceType":"ebs","rootDeviceName":"/dev/xvda","blockDeviceMapping":{},"virtualizationType":"hvm","hypervisor":"xen","groupSet":{"items":[{"groupId":"`, sg,
		`","groupName":"app"}]},"sourceDestCheck":true,"networkInterfaceSet":{"items":[{"networkInterfaceId":"eni-0`)
	e.resp = appendRandom(e.resp, r, hexDigits, 16)
	e.resp = cat(e.resp, `","subnetId":"`, subnet, `","vpcId":"`, vpc, `","ownerId":"`, a.id, `","status":"in-use","privateIpAddress":"`, ip,
		`","sourceDestCheck":true,"interfaceType":"interface"}]},"ebsOptimized":false,"enaSupport":true,"cpuOptions":{"coreCount":1,"threadsPerCore":2},"capacityReservationSpecification":{"capacityReservationPreference":"open"},"enclaveOptions":{"enabled":false},"metadataOptions":{"state":"pending","httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled","httpProtocolIpv4":"enabled","httpProtocolIpv6":"disabled","instanceMetadataTags":"disabled"},"maintenanceOptions":{"autoRecovery":"default"},"privateDnsNameOptions":{"hostnameType":"ip-name","enableResourceNameDnsARecord":false,"enableResourceNameDnsAAAARecord":false}}]}}`)
}

func authorizeIngress(e *event) {
	r := e.r
	sg := e.pick(e.a.sgs)
	port := []string{"22", "443", "5432", "3389"}[r.IntN(4)]
	cidr := []string{"0.0.0.0/0", "10.0.0.0/8", e.a.office[0] + "/32"}[r.IntN(3)]
	e.req = cat(e.req, `{"groupId":"`, sg, `","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":`, port, `,"toPort":`, port,
		`,"groups":{},"ipRanges":{"items":[{"cidrIp":"`, cidr, `"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`)
	e.resp = append(e.resp, `{"requestId":"`...)
	e.resp = appendUUID(e.resp, r.Uint64(), r.Uint64())
	e.resp = cat(e.resp, `","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"`, e.a.id, `","groupId":"`, sg, `","securityGroupRuleId":"sgr-0`)
	e.resp = appendRandom(e.resp, r, hexDigits, 16)
	e.resp = cat(e.resp, `","isEgress":false,"ipProtocol":"tcp","fromPort":`, port, `,"toPort":`, port, `,"cidrIpv4":"`, cidr, `"}]}}`)
	e.resARN = "arn:aws:ec2:" + e.region + ":" + e.a.id + ":security-group/" + sg
}

func terminateInstances(e *event) {
	id := e.pick(e.a.instances)
	e.req = cat(e.req, `{"instancesSet":{"items":[{"instanceId":"`, id, `"}]}}`)
	e.resp = append(e.resp, `{"requestId":"`...)
	e.resp = appendUUID(e.resp, e.r.Uint64(), e.r.Uint64())
	e.resp = cat(e.resp, `","instancesSet":{"items":[{"instanceId":"`, id, `","currentState":{"code":32,"name":"shutting-down"},"previousState":{"code":16,"name":"running"}}]}}`)
	e.resARN = "arn:aws:ec2:" + e.region + ":" + e.a.id + ":instance/" + id
}

func listRoles(e *event) {
	if e.r.IntN(2) == 0 {
		e.req = append(e.req, `{"maxItems":1000}`...)
	}
}

func roleParam(e *event) {
	role := e.pick(e.a.roles)
	e.req = cat(e.req, `{"roleName":"`, role, `"}`)
	e.resARN = "arn:aws:iam::" + e.a.id + ":role/" + role
}

func userParam(e *event) {
	user := e.pick(e.a.users)
	e.req = cat(e.req, `{"userName":"`, user, `"}`)
	e.resARN = "arn:aws:iam::" + e.a.id + ":user/" + user
}

var managedPolicies = []string{"ReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonSSMManagedInstanceCore", "service-role/AWSLambdaBasicExecutionRole", "AdministratorAccess"}

func policyParam(version bool) func(*event) {
	return func(e *event) {
		arn := "arn:aws:iam::aws:policy/" + e.pick(managedPolicies)
		e.req = cat(e.req, `{"policyArn":"`, arn, `"`)
		if version {
			e.req = append(e.req, `,"versionId":"v`...)
			e.req = strconv.AppendInt(e.req, int64(1+e.r.IntN(9)), 10)
			e.req = append(e.req, '"')
		}
		e.req = append(e.req, '}')
		e.resARN = arn
	}
}

func createAccessKey(e *event) {
	user := e.pick(e.a.users)
	e.req = cat(e.req, `{"userName":"`, user, `"}`)
	e.resp = cat(e.resp, `{"accessKey":{"userName":"`, user, `","accessKeyId":"AKIA`)
	e.resp = appendRandom(e.resp, e.r, base32Chars, 16)
	e.resp = append(e.resp, `","status":"Active","createDate":"`...)
	e.resp = append(appendAWSTime(e.resp, e.t), `"}}`...)
	e.resARN = "arn:aws:iam::" + e.a.id + ":user/" + user
}

func attachRolePolicy(e *event) {
	role := e.pick(e.a.roles)
	e.req = cat(e.req, `{"roleName":"`, role, `","policyArn":"arn:aws:iam::aws:policy/`, e.pick(managedPolicies), `"}`)
	e.resARN = "arn:aws:iam::" + e.a.id + ":role/" + role
}

func consoleLogin(e *event) {
	r := e.r
	if e.p.role != "" {
		// Identity Center sessions sign in elsewhere; this is an IAM
		// user's or the root user's sign-in.
		e.p = e.a.logins[r.IntN(len(e.a.logins))]
	}
	e.bare, e.noRequestID = true, true
	mfa := "arn:aws:iam::" + e.a.id + ":mfa/"
	if e.p == e.a.root {
		mfa += "root-account-mfa-device"
	} else {
		mfa += e.p.arn[strings.LastIndexByte(e.p.arn, '/')+1:]
	}
	e.add = append(e.add, `{"LoginTo":"https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_`...)
	e.add = appendRandom(e.add, r, hexDigits, 16)
	if r.IntN(12) == 0 {
		e.errMsg, e.keepResp = "Failed authentication", true
		e.resp = append(e.resp, `{"ConsoleLogin":"Failure"}`...)
		e.add = append(e.add, `","MobileVersion":"No","MFAUsed":"No"}`...)
		return
	}
	e.resp = append(e.resp, `{"ConsoleLogin":"Success"}`...)
	e.add = cat(e.add, `","MobileVersion":"No","MFAIdentifier":"`, mfa, `","MFAUsed":"Yes"}`)
}

func (e *event) logGroup() string {
	if e.p != nil {
		switch e.p.kind {
		case kindLambda:
			return "/aws/lambda/" + e.p.session
		case kindECS:
			return "/ecs/orders"
		}
	}
	return e.pick(e.a.logGroups)
}

func createLogStream(e *event) {
	day := time.Unix(e.t, 0).UTC()
	e.req = cat(e.req, `{"logGroupName":"`, e.logGroup(), `","logStreamName":"`)
	if e.p != nil && e.p.kind == kindECS {
		e.req = cat(e.req, "orders/app/", e.p.session, `"}`)
		return
	}
	e.req = day.AppendFormat(e.req, "2006/01/02")
	e.req = append(e.req, "/[$LATEST]"...)
	e.req = append(appendRandom(e.req, e.r, hexDigits, 32), `"}`...)
}

func describeLogGroups(e *event) {
	if e.r.IntN(2) == 0 {
		e.req = append(e.req, `{"logGroupNamePrefix":"/aws/lambda/","limit":50}`...)
		return
	}
	e.req = append(e.req, `{"limit":50}`...)
}

func describeLogStreams(e *event) {
	e.req = cat(e.req, `{"logGroupName":"`, e.logGroup(), `","orderBy":"LastEventTime","descending":true,"limit":50}`)
}

func filterLogEvents(e *event) {
	e.req = cat(e.req, `{"logGroupName":"`, e.logGroup(), `","startTime":`)
	e.req = strconv.AppendInt(e.req, (e.t-hour)*1000, 10)
	e.req = append(e.req, `,"endTime":`...)
	e.req = strconv.AppendInt(e.req, e.t*1000, 10)
	e.req = append(e.req, `,"filterPattern":"ERROR","interleaved":true}`...)
}

func logGroupParam(e *event) {
	e.req = cat(e.req, `{"logGroupName":"`, e.pick(e.a.logGroups), `"}`)
}

// instance returns the instance ID and private address behind the call.
func (e *event) instance() (string, string) {
	if e.p != nil && e.p.ec2 {
		return e.p.session, e.p.private
	}
	i := e.r.IntN(len(e.a.instances))
	return e.a.instances[i], e.a.privateIPs[i]
}

func updateInstanceInformation(e *event) {
	id, ip := e.instance()
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if e.region == globalRegion {
		host += ".ec2.internal"
	} else {
		host += "." + e.region + ".compute.internal"
	}
	e.req = cat(e.req, `{"instanceId":"`, id, `","agentVersion":"3.3.1611.0","agentStatus":"Active","platformType":"Linux","platformName":"Amazon Linux","platformVersion":"2023","iPAddress":"`, ip,
		`","computerName":"`, host, `","agentName":"amazon-ssm-agent","availabilityZone":"`, e.region, `a","sSMConnectionChannel":"ssmmessages"}`)
}

func listInstanceAssociations(e *event) {
	id, _ := e.instance()
	e.req = cat(e.req, `{"instanceId":"`, id, `","maxResults":20}`)
}

func (e *event) parameterARN(name string) string {
	return "arn:aws:ssm:" + e.region + ":" + e.a.id + ":parameter" + name
}

func getParameter(e *event) {
	name := e.pick(e.a.params)
	arn := e.parameterARN(name)
	e.req = cat(e.req, `{"name":"`, name, `","withDecryption":true}`)
	e.res = cat(e.res, `[{"accountId":"`, e.a.id, `","ARN":"`, arn, `"}]`)
	e.resARN = arn
}

func getParameters(e *event) {
	a, b := e.pick(e.a.params), e.pick(e.a.params)
	e.req = cat(e.req, `{"names":["`, a, `","`, b, `"],"withDecryption":true}`)
	e.resARN = e.parameterARN(a)
}

func secretParam(arn bool) func(*event) {
	return func(e *event) {
		name := e.pick(e.a.secrets)
		full := "arn:aws:secretsmanager:" + e.region + ":" + e.a.id + ":secret:" + name
		if arn {
			e.req = cat(e.req, `{"secretId":"`, full, `"}`)
		} else {
			e.req = cat(e.req, `{"secretId":"`, name[:len(name)-7], `"}`)
		}
		e.resARN = full
	}
}

func getMetricData(e *event) {
	e.req = cat(e.req, `{"metricDataQueries":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/EC2","metricName":"CPUUtilization","dimensions":[{"name":"InstanceId","value":"`,
		e.pick(e.a.instances), `"}]},"period":300,"stat":"Average"},"returnData":true}],"startTime":"`)
	e.req = appendAWSTime(e.req, e.t-hour)
	e.req = append(e.req, `","endTime":"`...)
	e.req = append(appendAWSTime(e.req, e.t), `"}`...)
}

func ecrToken(e *event) {
	if e.r.IntN(2) == 0 {
		e.req = cat(e.req, `{"registryIds":["`, e.a.id, `"]}`)
	}
}

func describeTargetHealth(e *event) {
	e.req = cat(e.req, `{"targetGroupArn":"arn:aws:elasticloadbalancing:`, e.region, ":", e.a.id, ":targetgroup/", e.pick(e.a.targetGroups), `"}`)
}

func describeASGs(e *event) {
	if e.r.IntN(2) == 0 {
		e.req = append(e.req, `{"maxRecords":100}`...)
		return
	}
	e.req = cat(e.req, `{"autoScalingGroupNames":["`, e.pick(e.a.asgs), `"]}`)
}

func describeTable(e *event) {
	t := e.pick(e.a.tables)
	e.req = cat(e.req, `{"tableName":"`, t, `"}`)
	e.resARN = "arn:aws:dynamodb:" + e.region + ":" + e.a.id + ":table/" + t
}

func getFunction(e *event) {
	f := e.pick(e.a.functions)
	e.req = cat(e.req, `{"functionName":"`, f, `"}`)
	e.resARN = "arn:aws:lambda:" + e.region + ":" + e.a.id + ":function:" + f
}

func getTrailStatus(e *event) {
	e.req = cat(e.req, `{"name":"arn:aws:cloudtrail:us-east-1:`, e.a.id, `:trail/management-events"}`)
}
