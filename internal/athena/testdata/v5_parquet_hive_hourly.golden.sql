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
PARTITIONED BY (`aws-account-id` string, `aws-service` string, `aws-region` string, year string, month string, day string, hour string)
STORED AS PARQUET
LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/';

-- next steps (printed on stderr):
-- Load the partitions, and again as new ones arrive:
-- MSCK REPAIR TABLE `vpc_flow_logs`;
