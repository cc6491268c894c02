package main

import (
	"os"
	"strings"
	"testing"
)

func TestDDLAthena(t *testing.T) {
	out, stderr, err := run(t, "ddl", "athena", "--location", "s3://amzn-s3-demo-bucket/prefix/", "--account-id", "123456789012", "--region", "us-east-1",
		"--format", "${version} ${vpc-id} ${srcaddr} ${dstaddr} ${start} ${end} ${action} ${reject-reason}")
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs` (\n  version int,\n  vpc_id string,\n  srcaddr string,\n  dstaddr string,\n  start bigint,\n  `end` bigint,\n  action string,\n  reject_reason string\n)\n" +
		"PARTITIONED BY (`date` date)\nROW FORMAT DELIMITED\nFIELDS TERMINATED BY ' '\nLOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/123456789012/vpcflowlogs/us-east-1/'\nTBLPROPERTIES (\n  \"skip.header.line.count\" = \"1\"\n);\n"
	if out != want {
		t.Errorf("ddl athena =\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(stderr, "ALTER TABLE `vpc_flow_logs` ADD PARTITION") {
		t.Errorf("ddl athena stderr = %q; want the partition to add", stderr)
	}

	out, _, err = run(t, "ddl", "athena", "--location", "s3://my-bucket/", "--parquet", "--projection", "--hive", "--hourly", "--since", "2024-03-01", "--table", "flows")
	if err != nil || !strings.Contains(out, "STORED AS PARQUET") || !strings.Contains(out, `"projection.year.range" = "2024,`) ||
		!strings.Contains(out, `/year=${year}/month=${month}/day=${day}/hour=${hour}/"`) || strings.Contains(out, "skip.header") {
		t.Errorf("ddl athena --parquet --projection --hive --hourly = %s, %v", out, err)
	}

	for _, args := range [][]string{
		{"ddl", "athena"},
		{"ddl", "athena", "--location", "s3://my-bucket/", "--format", "${version} ${bogus}"},
		{"ddl", "athena", "--location", "s3://my-bucket/x'y/"},
		{"ddl", "athena", "--location", "s3://my-bucket/", "--since", "yesterday"},
	} {
		if _, _, err := run(t, args...); err == nil {
			t.Errorf("%v succeeded; want an error", args)
		}
	}
	if _, err := os.Stat("gumshoe.duckdb"); err == nil {
		t.Error("ddl athena created a database")
	}
}
