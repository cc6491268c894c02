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
PARTITIONED BY (`date` date)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/123456789012/vpcflowlogs/ap-southeast-2/'
TBLPROPERTIES (
  "skip.header.line.count" = "1"
);

-- next steps (printed on stderr):
-- Add each day's partition:
-- ALTER TABLE `vpc_flow_logs` ADD PARTITION (`date`='YYYY-MM-DD') LOCATION 's3://amzn-s3-demo-bucket/prefix/AWSLogs/123456789012/vpcflowlogs/ap-southeast-2/YYYY/MM/DD/';
