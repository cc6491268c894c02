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
PARTITIONED BY (`date` date)
ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '
LOCATION 's3://amzn-s3-demo-bucket/AWSLogs/{account_id}/vpcflowlogs/{region}/'
TBLPROPERTIES (
  "skip.header.line.count" = "1"
);

-- next steps (printed on stderr):
-- Add each day's partition:
-- ALTER TABLE `vpc_flow_logs` ADD PARTITION (`date`='YYYY-MM-DD') LOCATION 's3://amzn-s3-demo-bucket/AWSLogs/{account_id}/vpcflowlogs/{region}/YYYY/MM/DD/';
-- Replace {account_id} and {region} in LOCATION, or give --account-id and --region.
