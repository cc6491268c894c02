CREATE EXTERNAL TABLE IF NOT EXISTS `vpc_flow_logs` (
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
PARTITIONED BY (aws_account_id string, aws_region string, day string, hour string)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/'
TBLPROPERTIES (
  "skip.header.line.count" = "1",
  "projection.enabled" = "true",
  "projection.aws_account_id.type" = "injected",
  "projection.aws_region.type" = "injected",
  "projection.day.type" = "date",
  "projection.day.format" = "yyyy/MM/dd",
  "projection.day.range" = "2025/01/01,NOW",
  "projection.day.interval" = "1",
  "projection.day.interval.unit" = "DAYS",
  "projection.hour.type" = "integer",
  "projection.hour.range" = "0,23",
  "projection.hour.digits" = "2",
  "storage.location.template" = "s3://amzn-s3-demo-bucket/prefix/AWSLogs/${aws_account_id}/vpcflowlogs/${aws_region}/${day}/${hour}/"
);

-- next steps (printed on stderr):
-- No --account-id given: every query must name one, as in WHERE aws_account_id = '123456789012'.
-- No --region given: every query must name one, as in WHERE aws_region = 'us-east-1'.
