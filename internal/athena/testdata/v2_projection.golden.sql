CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs` (
  version int,
  account_id string,
  interface_id string,
  srcaddr string,
  dstaddr string,
  srcport int,
  dstport int,
  protocol bigint,
  packets bigint,
  bytes bigint,
  start bigint,
  `end` bigint,
  action string,
  log_status string
)
PARTITIONED BY (aws_account_id string, aws_region string, day string)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/'
TBLPROPERTIES (
  "skip.header.line.count" = "1",
  "projection.enabled" = "true",
  "projection.aws_account_id.type" = "enum",
  "projection.aws_account_id.values" = "123456789012,210987654321",
  "projection.aws_region.type" = "enum",
  "projection.aws_region.values" = "us-east-1,eu-west-1",
  "projection.day.type" = "date",
  "projection.day.format" = "yyyy/MM/dd",
  "projection.day.range" = "2025/01/01,NOW",
  "projection.day.interval" = "1",
  "projection.day.interval.unit" = "DAYS",
  "storage.location.template" = "s3://amzn-s3-demo-bucket/prefix/AWSLogs/${aws_account_id}/vpcflowlogs/${aws_region}/${day}/"
);

-- next steps (printed on stderr):
