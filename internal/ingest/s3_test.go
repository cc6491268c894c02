package ingest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestIngestFromS3 runs the whole ingest against a real S3-protocol server
// on loopback, through the AWS SDK configured from the environment the way
// a user's would be (AWS_ENDPOINT_URL, keys, region).
func TestIngestFromS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	awsTestEnv(t, srv.URL)
	ctx := context.Background()
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: aws.AnonymousCredentials{},
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("central-logs")}); err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("central-logs"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	// A centralized bucket: two accounts, two regions, plain and Hive layouts.
	put("AWSLogs/111111111111/vpcflowlogs/us-east-1/2014/12/14/111111111111_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0405Z_fe123456.log.gz", gz(t, goodV2))
	put("AWSLogs/aws-account-id=222222222222/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2014/month=12/day=14/hour=04/222222222222_vpcflowlogs_eu-west-1_fl-5678abcd_20141214T0410Z_ab123456.log.gz",
		gz(t, goodV2+"2 222222222222 eni-2 10.0.0.1 10.0.0.2 1 2 6 1 1 1418530010 1418530070 ACCEPT OK\n"))
	put("AWSLogs/111111111111/CloudTrail-Digest/ignore-me.txt", []byte("not a flow log\n"))

	st := openStore(t, filepath.Join(t.TempDir(), "g.duckdb"))
	defer st.Close()
	sum, err := Run(ctx, st, Config{Sources: []string{"s3://central-logs/AWSLogs/"}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.ObjectsRead != 2 || sum.RecordsIngested != 5 || sum.ObjectsFailed != 1 {
		t.Fatalf("summary = %+v; want 2 objects, 5 records, 1 failed (the text file)", sum)
	}
	res, err := st.Query(ctx, "SELECT account_id, region, etag IS NOT NULL, records FROM ingested_objects ORDER BY account_id", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0][0] != "111111111111" || res.Rows[0][1] != "us-east-1" ||
		res.Rows[1][0] != "222222222222" || res.Rows[1][1] != "eu-west-1" || res.Rows[1][2] != true || res.Rows[1][3] != int64(3) {
		t.Errorf("ledger = %v; want each object's account and region from its key", res.Rows)
	}
	sum, err = Run(ctx, st, Config{Sources: []string{"s3://central-logs/AWSLogs/"}})
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if sum.ObjectsSkipped != 2 || sum.RecordsIngested != 0 {
		t.Errorf("second run = %+v; want both objects skipped", sum)
	}
	if n := count(t, st, "SELECT count(*) FROM flow_logs"); n != 5 {
		t.Errorf("flow_logs = %d; want 5", n)
	}
}

// awsTestEnv configures the AWS SDK the way a user's environment would,
// with static keys, and points every service at endpoint: nothing of the
// machine's own AWS configuration is read.
func awsTestEnv(t *testing.T, endpoint string) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, nil, 0o600)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "",
	} {
		t.Setenv(k, v)
	}
}
