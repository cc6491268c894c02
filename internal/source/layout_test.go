package source

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, time.UTC)
}

var parseKeyTests = []struct {
	name string
	key  string
	want Layout
}{
	{
		name: "flow log plain",
		key:  "AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", Date: day(2018, 6, 20),
			FlowLogID: "fl-1234abcd", FileTime: at(2018, 6, 20, 16, 20, 0)},
	},
	{
		name: "flow log plain with bucket prefix and s3 URI",
		key:  "s3://central-logs/flow/prod/AWSLogs/210987654321/vpcflowlogs/eu-west-1/2024/02/29/210987654321_vpcflowlogs_eu-west-1_fl-0a1b2c3d4e5f67890_20240229T2355Z_0123abcd.log.gz",
		want: Layout{AccountID: "210987654321", Region: "eu-west-1", Service: "vpcflowlogs", Date: day(2024, 2, 29),
			FlowLogID: "fl-0a1b2c3d4e5f67890", FileTime: at(2024, 2, 29, 23, 55, 0)},
	},
	{
		name: "flow log per hour",
		key:  "logs/AWSLogs/123456789012/vpcflowlogs/us-west-2/2023/11/05/07/123456789012_vpcflowlogs_us-west-2_fl-abc_20231105T0705Z_hash.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-west-2", Service: "vpcflowlogs", Date: at(2023, 11, 5, 7, 0, 0), HasHour: true,
			FlowLogID: "fl-abc", FileTime: at(2023, 11, 5, 7, 5, 0)},
	},
	{
		name: "flow log parquet",
		key:  "AWSLogs/123456789012/vpcflowlogs/ap-southeast-2/2024/01/02/123456789012_vpcflowlogs_ap-southeast-2_fl-9f8e7d6c_20240102T0000Z_9a8b7c6d.log.parquet",
		want: Layout{AccountID: "123456789012", Region: "ap-southeast-2", Service: "vpcflowlogs", Date: day(2024, 1, 2),
			FlowLogID: "fl-9f8e7d6c", FileTime: at(2024, 1, 2, 0, 0, 0)},
	},
	{
		name: "flow log hive",
		key:  "prefix/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2024/month=03/day=15/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240315T1010Z_abcdef01.log.parquet",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", Date: day(2024, 3, 15),
			FlowLogID: "fl-1234abcd", FileTime: at(2024, 3, 15, 10, 10, 0)},
	},
	{
		name: "flow log hive per hour",
		key:  "AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=sa-east-1/year=2024/month=03/day=15/hour=23/x.log.gz",
		want: Layout{AccountID: "123456789012", Region: "sa-east-1", Service: "vpcflowlogs", Date: at(2024, 3, 15, 23, 0, 0), HasHour: true},
	},
	{
		name: "cloudtrail",
		key:  "trails/AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz",
		want: Layout{AccountID: "111122223333", Region: "us-east-2", Service: "CloudTrail", Date: day(2015, 8, 1),
			FileTime: at(2015, 8, 1, 2, 10, 0)},
	},
	{
		name: "cloudtrail organization trail",
		key:  "aws-cloudtrail-logs/AWSLogs/o-1234abcde/222222222222/CloudTrail/us-east-1/2025/03/06/222222222222_CloudTrail_us-east-1_20250306T0230Z_QF6qcgyiaVnSueXa.json.gz",
		want: Layout{AccountID: "222222222222", Region: "us-east-1", Service: "CloudTrail", Date: day(2025, 3, 6),
			OrgID: "o-1234abcde", FileTime: at(2025, 3, 6, 2, 30, 0)},
	},
	{
		name: "cloudtrail digest",
		key:  "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/01/111122223333_CloudTrail-Digest_us-east-2_my_trail.v2_us-east-1_20150801T021000Z.json.gz",
		want: Layout{AccountID: "111122223333", Region: "us-east-2", Service: "CloudTrail-Digest", Date: day(2015, 8, 1),
			FileTime: at(2015, 8, 1, 2, 10, 0)},
	},
	{
		name: "route 53 resolver",
		key:  "AWSLogs/123456779121/vpcdnsquerylogs/vpc-0a1b2c3d/2021/05/11/vpc-0a1b2c3d_vpcdnsquerylogs_123456779121_20210511T0910Z_71584702.log.gz",
		want: Layout{AccountID: "123456779121", Service: "vpcdnsquerylogs", VPCID: "vpc-0a1b2c3d", Date: day(2021, 5, 11),
			FileTime: at(2021, 5, 11, 9, 10, 0)},
	},
	{
		name: "security lake native source",
		key:  "aws/VPC_FLOW/1.0/region=us-east-1/accountId=123456789012/eventDay=20230601/5c4f0bd8.gz.parquet",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "VPC_FLOW", Date: day(2023, 6, 1)},
	},
	{
		name: "security lake custom source with hour",
		key:  "s3://aws-security-data-lake-us-east-1-abc/ext/my-source/region=eu-central-1/accountId=123456789012/eventDay=2023060113/f.parquet",
		want: Layout{AccountID: "123456789012", Region: "eu-central-1", Service: "my-source", Date: at(2023, 6, 1, 13, 0, 0), HasHour: true},
	},
	{
		name: "security lake without source segment",
		key:  "region=us-east-1/accountId=123456789012/eventDay=20230601/f.parquet",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Date: day(2023, 6, 1)},
	},
	{
		name: "region partition alone names no service",
		key:  "exports/region=us-east-1/f.json",
		want: Layout{Region: "us-east-1"},
	},
	{
		name: "local flat copy of a flow log",
		key:  "/home/me/incident/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", Date: day(2018, 6, 20),
			FlowLogID: "fl-1234abcd", FileTime: at(2018, 6, 20, 16, 20, 0)},
	},
	{
		name: "local copy of a bucket",
		key:  "/data/bucket/AWSLogs/123456789012/CloudTrail/us-gov-west-1/2024/12/31/f.json.gz",
		want: Layout{AccountID: "123456789012", Region: "us-gov-west-1", Service: "CloudTrail", Date: day(2024, 12, 31)},
	},
	{
		name: "path wins over file name",
		key:  "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/02/999999999999_vpcflowlogs_eu-west-1_fl-1_20240102T0005Z_h.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", Date: day(2024, 1, 2),
			FlowLogID: "fl-1", FileTime: at(2024, 1, 2, 0, 5, 0)},
	},
	{
		name: "network firewall puts log type before region",
		key:  "AWSLogs/123456789012/network-firewall/alert/us-east-1/fw1/2024/05/06/07/f.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "network-firewall", Date: at(2024, 5, 6, 7, 0, 0), HasHour: true},
	},
	{
		name: "firehose date path",
		key:  "firehose/2024/05/06/07/stream-1-2024-05-06-07-00-00-abc",
		want: Layout{Date: at(2024, 5, 6, 7, 0, 0), HasHour: true},
	},
	{
		name: "account prefix only",
		key:  "AWSLogs/123456789012/",
		want: Layout{AccountID: "123456789012"},
	},
	{
		name: "invalid date ignored",
		key:  "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/30/f.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs"},
	},
	{
		name: "invalid hour ignored",
		key:  "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/02/03/24/f.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", Date: day(2024, 2, 3)},
	},
	// Garbage: nothing recognized, nothing invented.
	{name: "empty", key: ""},
	{name: "slash", key: "/"},
	{name: "AWSLogs alone", key: "AWSLogs"},
	{name: "AWSLogs dir alone", key: "AWSLogs/"},
	{name: "short account keeps only the generic date", key: "AWSLogs/12345/vpcflowlogs/us-east-1/2024/01/02/f.gz",
		want: Layout{Date: day(2024, 1, 2)}},
	{name: "org without account", key: "AWSLogs/o-abc/"},
	{name: "lowercase awslogs", key: "awslogs/123456789012x/vpcflowlogs/notaregion/20x4/01/02/f"},
	{name: "partition noise", key: "=/==/year=/month=13/day=/accountId=abc/region=US-EAST-1/eventDay=2023/x"},
	{name: "file name noise", key: "a_b_c_d_e.log.gz"},
	{name: "underscores only", key: "____"},
	{name: "account file name with bad service", key: "123456789012_!!_us-east-1_x"},
	{name: "binary", key: "\x00\xff/AWSLogs/\xfe\x80/\x00"},
	{name: "timestamp lookalike", key: "123456789012_vpcflowlogs_us-east-1_fl-1_20241332T2599Z_h.log.gz",
		want: Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs", FlowLogID: "fl-1"}},
}

func TestParseKey(t *testing.T) {
	for _, tt := range parseKeyTests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseKey(tt.key)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseKey(%q) mismatch (-want +got):\n%s", tt.key, diff)
			}
		})
	}
}

func TestIsRegion(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"us-east-1", true},
		{"us-gov-west-1", true},
		{"cn-northwest-1", true},
		{"eusc-de-east-1", true},
		{"us-isob-east-1", true},
		{"us-east", false},
		{"us-east-0", false},
		{"US-EAST-1", false},
		{"u-east-1", false},
		{"us--1", false},
		{"us-east-1a", false},
		{"", false},
	} {
		if got := isRegion(tt.s); got != tt.want {
			t.Errorf("isRegion(%q) = %v; want %v", tt.s, got, tt.want)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	for _, tt := range parseKeyTests {
		f.Add(tt.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		l := ParseKey(key)
		// Whatever is found must be well formed: the fields are labels
		// that flow into SQL columns and the console.
		if l.AccountID != "" && !isAccountID(l.AccountID) {
			t.Errorf("ParseKey(%q).AccountID = %q", key, l.AccountID)
		}
		if l.Region != "" && !isRegion(l.Region) {
			t.Errorf("ParseKey(%q).Region = %q", key, l.Region)
		}
		if l.HasHour && l.Date.IsZero() {
			t.Errorf("ParseKey(%q) has an hour but no date", key)
		}
		if !l.Date.IsZero() && l.Date.Location() != time.UTC {
			t.Errorf("ParseKey(%q).Date = %v; want UTC", key, l.Date)
		}
	})
}
