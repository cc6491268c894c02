package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ctEvent = `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0123456789abcdef0","arn":"arn:aws:sts::222222222222:assumed-role/web-role/i-0123456789abcdef0","accountId":"222222222222","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::222222222222:role/web-role","accountId":"222222222222","userName":"web-role"}}},"eventTime":"2025-03-06T02:31:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":null,"responseElements":null,"requestID":"r1","eventID":"EVENTID","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"222222222222","eventCategory":"Management"}`

const gdFinding = `{"accountId":"222222222222","arn":"arn:aws:guardduty:us-east-1:222222222222:detector/d/finding/FINDINGID","createdAt":"2025-03-06T02:40:00.000Z","description":"d","id":"FINDINGID","partition":"aws","region":"us-east-1","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-0123456789abcdef0"}},"schemaVersion":"2.0","service":{"serviceName":"guardduty","detectorId":"d","action":{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{"connectionDirection":"INBOUND","localPortDetails":{"port":22},"remotePortDetails":{"port":51234},"remoteIpDetails":{"ipAddressV4":"198.51.100.7"},"protocol":"TCP","blocked":false}},"archived":false,"count":COUNT,"eventFirstSeen":"2025-03-06T02:30:00.000Z","eventLastSeen":"2025-03-06T02:39:00.000Z"},"severity":5,"title":"SSH brute force","type":"UnauthorizedAccess:EC2/SSHBruteForce","updatedAt":"2025-03-06T0UPDATED:00:00.000Z"}`

const dnsRecord = `{"version":"1.100000","account_id":"222222222222","region":"us-east-1","vpc_id":"vpc-0abc","query_timestamp":"2025-03-06T02:35:00Z","query_name":"pool.supportxmr.com.","query_type":"A","query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"203.0.113.9","Type":"A","Class":"IN"}],"srcaddr":"10.0.1.5","srcport":"53211","transport":"UDP","srcids":{"instance":"i-0123456789abcdef0"}}`

func TestIngestEveryKindFromOneBucket(t *testing.T) {
	data := t.TempDir()
	ev := func(id string) string { return strings.Replace(ctEvent, "EVENTID", id, 1) }
	finding := func(count, updatedHour string) string {
		return strings.Replace(strings.Replace(gdFinding, "COUNT", count, 1), "UPDATED", updatedHour, 1)
	}
	write(t, data, "AWSLogs/o-abc123/222222222222/CloudTrail/us-east-1/2025/03/06/222222222222_CloudTrail_us-east-1_20250306T0230Z_a.json.gz",
		gz(t, `{"Records":[`+ev("e1")+`,`+ev("e2")+`,`+ev("e1")+`]}`))
	// The same event delivered again (a second trail) is stored once.
	write(t, data, "AWSLogs/222222222222/CloudTrail/us-east-1/2025/03/06/222222222222_CloudTrail_us-east-1_20250306T0235Z_b.json.gz",
		gz(t, `{"Records":[`+ev("e2")+`,`+ev("e3")+`]}`))
	write(t, data, "AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2025/03/06/222222222222_CloudTrail-Digest_us-east-1_trail_us-east-1_20250306T0300Z.json.gz",
		gz(t, `{"awsAccountId":"222222222222","digestStartTime":"2025-03-06T02:00:00Z","digestEndTime":"2025-03-06T03:00:00Z","digestS3Bucket":"b","digestS3Object":"o","logFiles":[]}`))
	write(t, data, "findings/export-1.jsonl.gz", gz(t, finding("1", "2")+"\n"))
	write(t, data, "findings/export-2.jsonl.gz", gz(t, finding("4", "3")+"\n"))
	write(t, data, "AWSLogs/222222222222/vpcdnsquerylogs/vpc-0abc/2025/03/06/vpc-0abc_vpcdnsquerylogs_222222222222_20250306T0235Z_c.log.gz",
		gz(t, dnsRecord+"\n"+strings.Replace(dnsRecord, "pool.supportxmr.com.", "example.com.", 1)+"\n"))
	write(t, data, "AWSLogs/222222222222/vpcflowlogs/us-east-1/2014/12/14/222222222222_vpcflowlogs_us-east-1_fl-1_20141214T0405Z_d.log.gz", gz(t, goodV2))

	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(context.Background(), st, Config{Sources: []string{data}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := map[Kind]KindSummary{
		KindCloudTrail: {Objects: 3, Records: 5},
		KindFindings:   {Objects: 2, Records: 2},
		KindDNS:        {Objects: 1, Records: 2},
		KindFlow:       {Objects: 1, Records: 2},
	}
	for k, w := range want {
		if got := sum.Kinds[k]; got == nil || *got != w {
			t.Errorf("summary for %s = %+v; want %+v", k, got, w)
		}
	}
	if sum.DigestsSkipped != 1 || sum.ObjectsFailed != 0 {
		t.Errorf("summary = %+v; want 1 digest skipped, nothing failed", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM cloudtrail_events"); n != 3 {
		t.Errorf("cloudtrail_events = %d rows; want 3 (e1 and e2 once each)", n)
	}
	if n := count(t, st, "SELECT count(*) FROM cloudtrail_events WHERE user_name = 'web-role' AND session_issuer_arn = 'arn:aws:iam::222222222222:role/web-role' AND read_only"); n != 3 {
		t.Errorf("flattened CloudTrail columns wrong: %d rows match", n)
	}
	if n := count(t, st, "SELECT count FROM findings WHERE id = 'FINDINGID' AND remote_ip = '198.51.100.7' AND local_port = 22 AND instance_id = 'i-0123456789abcdef0'"); n != 4 {
		t.Errorf("finding count = %d; want the later version (4)", n)
	}
	if n := count(t, st, "SELECT count(*) FROM dns_queries WHERE instance_id = 'i-0123456789abcdef0' AND account_id = '222222222222' AND json_array_length(answers) = 1"); n != 2 {
		t.Errorf("dns_queries = %d matching rows; want 2", n)
	}
	if n := count(t, st, "SELECT count(*) FROM ingested_objects WHERE log_type = 'cloudtrail-digest'"); n != 1 {
		t.Errorf("digest ledger rows = %d; want 1", n)
	}
	// Nothing is added the second time.
	sum, err = Run(context.Background(), st, Config{Sources: []string{data}})
	if err != nil || sum.ObjectsSkipped != 7 || sum.RecordsIngested != 0 {
		t.Errorf("second run = %+v, %v; want all 7 objects skipped", sum, err)
	}
	// --kind forces a kind: a CloudTrail file read as flow logs fails clearly.
	other := t.TempDir()
	write(t, other, "x.json", []byte(`{"Records":[`+ev("e9")+`]}`))
	sum, _ = Run(context.Background(), st, Config{Sources: []string{other}, Kind: KindFlow})
	if sum.ObjectsFailed != 1 || !strings.Contains(sum.ObjectErrors[0].Error, "not a VPC flow log") {
		t.Errorf("--kind vpcflow on CloudTrail = %+v; want a clear failure", sum)
	}
}

func TestAccountAndRegionFilters(t *testing.T) {
	data := t.TempDir()
	write(t, data, "AWSLogs/111111111111/vpcflowlogs/us-east-1/2014/12/14/a.log", []byte(goodV2))
	write(t, data, "AWSLogs/222222222222/vpcflowlogs/us-east-1/2014/12/14/b.log", []byte(goodV2))
	write(t, data, "AWSLogs/222222222222/vpcflowlogs/eu-west-1/2014/12/14/c.log", []byte(goodV2))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(context.Background(), st, Config{Sources: []string{data}, Accounts: []string{"222222222222"}, Regions: []string{"eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ObjectsRead != 1 || sum.ObjectsFiltered != 2 {
		t.Errorf("summary = %+v; want 1 read, 2 filtered", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM ingested_objects WHERE account_id = '222222222222' AND region = 'eu-west-1'"); n != 1 {
		t.Errorf("ledger = %d matching rows; want 1", n)
	}
}

// TestCloudTrailWithoutEventIDs ingests Panther's test events, 20 of which
// lack an eventID, twice.
func TestCloudTrailWithoutEventIDs(t *testing.T) {
	src := "../cloudtrail/testdata/panther-analysis_cloudtrail_test_events.ndjson"
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(context.Background(), st, Config{Sources: []string{src}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.RecordsIngested != 421 || sum.LinesRejected != 29 {
		t.Errorf("summary = %+v; want 421 events, 29 rejected", sum)
	}
	stored := count(t, st, "SELECT count(*) FROM cloudtrail_events")
	if n := count(t, st, "SELECT count(*) FROM cloudtrail_events WHERE event_id LIKE 'gumshoe-%'"); n == 0 {
		t.Error("no event got a synthesized ID")
	}
	// The same events under another name add nothing.
	copyPath := filepath.Join(t.TempDir(), "copy.ndjson")
	data, _ := os.ReadFile(src)
	os.WriteFile(copyPath, append(data, '\n'), 0o644)
	if _, err := Run(context.Background(), st, Config{Sources: []string{copyPath}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count(*) FROM cloudtrail_events"); n != stored {
		t.Errorf("after ingesting a copy: %d events; want %d", n, stored)
	}
}

func TestIPInfoFromAWSRanges(t *testing.T) {
	data := t.TempDir()
	// 52.216.0.1 is in S3's us-east-1 range (AWS's published ip-ranges.json);
	// 10.0.0.1 is private and 8.8.8.8 is not AWS.
	write(t, data, "flows.log", []byte(v2Header+
		"2 123456789010 eni-1 10.0.0.1 52.216.0.1 40000 443 6 10 1000 1418530010 1418530070 ACCEPT OK\n"+
		"2 123456789010 eni-1 10.0.0.1 8.8.8.8 40001 53 17 1 80 1418530010 1418530070 ACCEPT OK\n"))
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	if _, err := Run(context.Background(), st, Config{Sources: []string{data}}); err != nil {
		t.Fatal(err)
	}
	res, err := st.Query(context.Background(), "SELECT ip, aws_service, aws_region FROM ip_info ORDER BY ip", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0] != "52.216.0.1" || res.Rows[0][1] != "S3" || res.Rows[0][2] != "us-east-1" {
		t.Errorf("ip_info = %v; want only 52.216.0.1 as S3 in us-east-1", res.Rows)
	}
}

// TestSecurityLake ingests the Security Lake OCSF samples (see
// internal/ocsf/testdata/NOTICE): each class lands in its native table.
func TestSecurityLake(t *testing.T) {
	root := "../ocsf/testdata/1.0.0-rc.2/"
	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(context.Background(), st, Config{Sources: []string{
		root + "VPC_FLOW/example0.gz.parquet",
		root + "ROUTE53/example0.json.gz.parquet",
		root + "SH_FINDINGS/example0.json.gz.parquet",
		root + "CLOUD_TRAIL/authentication/ConsoleLogin.test.gz.parquet",
		root + "CLOUD_TRAIL/account_change/CreateUser.test.gz.parquet",
	}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.ObjectsRead != 5 || sum.LinesRejected != 0 {
		t.Errorf("summary = %+v; want 5 objects read, nothing rejected", sum)
	}
	for q, min := range map[string]int64{
		"SELECT count(*) FROM flow_logs WHERE srcaddr IS NOT NULL":                 1,
		"SELECT count(*) FROM dns_queries WHERE query_name IS NOT NULL":            1,
		"SELECT count(*) FROM findings WHERE source = 'securityhub'":               1,
		"SELECT count(*) FROM cloudtrail_events WHERE event_name = 'ConsoleLogin'": 1,
		"SELECT count(*) FROM cloudtrail_events WHERE event_name = 'CreateUser'":   1,
		"SELECT count(*) FROM ingested_objects WHERE format LIKE 'ocsf%'":          5,
	} {
		if n := count(t, st, q); n < min {
			t.Errorf("%s = %d; want at least %d", q, n, min)
		}
	}
}
