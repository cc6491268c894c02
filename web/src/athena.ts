// "Copy as Athena SQL": gumshoe's tables and DuckDB spellings rewritten for
// the tables AWS documents for Athena (vpc_flow_logs as `gumshoe ddl
// athena` makes it, cloudtrail_logs as the CloudTrail console makes it).
// Best effort over the common forms; the API gives exact Athena SQL for
// the queries it builds itself (raw records, filter patterns).

const FLOW_COLUMNS: Record<string, string> = {
  start_time: 'from_unixtime("start")',
  end_time: 'from_unixtime("end")',
};

const CT_COLUMNS: Record<string, string> = {
  event_id: 'eventid',
  event_time: 'from_iso8601_timestamp(eventtime)',
  event_source: 'eventsource',
  event_name: 'eventname',
  aws_region: 'awsregion',
  source_ip: 'sourceipaddress',
  user_agent: 'useragent',
  user_type: 'useridentity.type',
  user_arn: 'useridentity.arn',
  principal_id: 'useridentity.principalid',
  account_id: 'useridentity.accountid',
  access_key_id: 'useridentity.accesskeyid',
  user_name: 'useridentity.username',
  session_issuer_arn: 'useridentity.sessioncontext.sessionissuer.arn',
  error_code: 'errorcode',
  error_message: 'errormessage',
  read_only: 'readonly',
  recipient_account_id: 'recipientaccountid',
};

/** toAthena rewrites a gumshoe query over flow_logs or cloudtrail_events for Athena. */
export function toAthena(sql: string, flowTable = 'vpc_flow_logs', ctTable = 'cloudtrail_logs'): string {
  // Work outside string literals only.
  const parts = sql.split(/('(?:[^']|'')*')/);
  const usesCT = /\bcloudtrail_events\b/i.test(sql);
  const usesFlow = /\bflow_logs\b/i.test(sql);
  const out = parts.map((p, i) => {
    if (i % 2 === 1) return p;
    let s = p;
    s = s.replace(/\bflow_logs\b/gi, flowTable).replace(/\bcloudtrail_events\b/gi, ctTable);
    if (usesFlow) s = s.replace(/\b(start_time|end_time)\b/g, (m) => FLOW_COLUMNS[m]);
    if (usesCT && !usesFlow) s = s.replace(/\b([a-z_]+)\b/g, (m) => CT_COLUMNS[m] ?? m);
    s = s.replace(/\bINTERVAL\s+(\d+)\s+(DAY|HOUR|MINUTE|SECOND)S?\b/gi, (_m, n, u) => `INTERVAL '${n}' ${u.toUpperCase()}`);
    return s;
  });
  let r = out.join('');
  // '2026-01-01 00:00:00'::TIMESTAMP → TIMESTAMP '2026-01-01 00:00:00'
  r = r.replace(/('(?:[^']|'')*')::TIMESTAMP\b/gi, 'TIMESTAMP $1');
  return r;
}
