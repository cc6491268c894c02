CREATE EXTERNAL TABLE IF NOT EXISTS `flows_v5` (
  version int,
  srcaddr string,
  dstaddr string,
  srcport int,
  dstport int,
  protocol bigint,
  start bigint,
  `end` bigint,
  type string,
  packets bigint,
  bytes bigint,
  account_id string,
  vpc_id string,
  subnet_id string,
  instance_id string,
  interface_id string,
  region string,
  az_id string,
  sublocation_type string,
  sublocation_id string,
  action string,
  tcp_flags int,
  pkt_srcaddr string,
  pkt_dstaddr string,
  pkt_src_aws_service string,
  pkt_dst_aws_service string,
  traffic_path int,
  flow_direction string,
  log_status string
)
PARTITIONED BY (aws_account_id string, aws_region string, year string, month string, day string)
STORED AS PARQUET
LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/'
TBLPROPERTIES (
  "projection.enabled" = "true",
  "projection.aws_account_id.type" = "injected",
  "projection.aws_region.type" = "enum",
  "projection.aws_region.values" = "ap-southeast-2",
  "projection.year.type" = "integer",
  "projection.year.range" = "2025,2027",
  "projection.month.type" = "integer",
  "projection.month.range" = "1,12",
  "projection.month.digits" = "2",
  "projection.day.type" = "integer",
  "projection.day.range" = "1,31",
  "projection.day.digits" = "2",
  "storage.location.template" = "s3://amzn-s3-demo-bucket/prefix/AWSLogs/aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}/"
);

-- next steps (printed on stderr):
-- No --account-id given: every query must name one, as in WHERE aws_account_id = '123456789012'.
-- Projected years run from 2025 to 2027; widen projection.year.range later (ALTER TABLE flows_v5 SET TBLPROPERTIES).
