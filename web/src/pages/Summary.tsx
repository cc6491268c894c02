import { useMemo } from 'preact/hooks';
import { apiGet, runSql, sqlObjects, type Finding } from '../api';
import { useAsync } from '../hooks';
import { Chart, timeTooltip, type EChartsOption } from '../components/Chart';
import { ErrorBox, Loading, Panel, SeverityBadge } from '../components/ui';
import { entityHref, fmtBytes, fmtNum, fmtTime, isoMinute, SEVERITIES, typeName } from '../format';
import { listGroups } from './groupdata';

const SEV_COLORS: Record<string, string> = { Critical: '#7f1d1d', High: '#dc2626', Medium: '#ea580c', Low: '#2563eb', Informational: '#6b7280' };

// The summary's aggregates are SQL over the public tables, all sent at
// once (no waterfall), each relative to the newest data it reads.
const Q_SEVERITY = `SELECT b AS bucket, severity_label, count(*) AS findings FROM (
  SELECT severity_label, unnest(generate_series(time_bucket(INTERVAL 6 HOUR, first_seen), last_seen, INTERVAL 6 HOUR)) AS b
  FROM findings WHERE NOT archived AND last_seen >= (SELECT max(last_seen) FROM findings) - INTERVAL 14 DAY)
WHERE b >= (SELECT max(last_seen) FROM findings) - INTERVAL 14 DAY GROUP BY ALL ORDER BY 1`;

const Q_INSTANCES = `WITH m AS (SELECT max(hour) AS h FROM flow_rollup_hourly)
SELECT instance_id, sum(bytes_in) AS bytes_in, sum(bytes_out) AS bytes_out, sum(bytes_in + bytes_out) AS total, any_value(account_id) AS account_id,
  (SELECT h FROM m) AS last_hour
FROM flow_rollup_hourly WHERE instance_id IS NOT NULL AND hour > (SELECT h FROM m) - INTERVAL 7 DAY
GROUP BY 1 ORDER BY total DESC LIMIT 10`;

const Q_PRINCIPALS = `WITH m AS (SELECT max(event_time) AS t FROM cloudtrail_events)
SELECT CASE WHEN user_type = 'AssumedRole' AND session_issuer_arn IS NOT NULL THEN 'iam_role:' || session_issuer_arn
            WHEN user_type = 'IAMUser' THEN 'iam_user:' || user_arn
            WHEN user_type = 'Root' THEN 'root:' || account_id
            ELSE NULL END AS entity_id,
  coalesce(session_issuer_arn, user_arn, user_type) AS principal, count(*) AS calls, count(error_code) AS failed, (SELECT t FROM m) AS last_time
FROM cloudtrail_events WHERE event_time > (SELECT t FROM m) - INTERVAL 7 DAY GROUP BY ALL ORDER BY calls DESC LIMIT 10`;

// graph_entities rather than the entities view: the view also derives
// every flow address, which costs half a second; the graph has the
// entities that are new in a meaningful way (principals, keys, agents,
// domains, addresses seen in API calls and DNS).
const Q_NEW = `WITH e AS (SELECT entity_id, any_value(type) AS type, any_value(natural_key) AS natural_key,
    coalesce(any_value(display_name), any_value(natural_key)) AS display_name, any_value(account_id) AS account_id, min(first_seen) AS first_seen
  FROM graph_entities WHERE type IN ('ip', 'user_agent', 'iam_role', 'iam_user', 'access_key', 'domain', 'instance', 's3_bucket', 'root') GROUP BY entity_id),
m AS (SELECT max(last_seen) AS t, min(first_seen) AS f FROM graph_entities WHERE type <> 'finding')
SELECT e.entity_id, e.type, e.display_name, e.account_id, e.first_seen FROM e LEFT JOIN ip_info i ON e.type = 'ip' AND i.ip = e.natural_key
WHERE e.first_seen > (SELECT t FROM m) - INTERVAL 24 HOUR AND e.first_seen > (SELECT f FROM m) + INTERVAL 24 HOUR
  AND NOT (e.type = 'ip' AND (is_private_address(e.natural_key) OR i.aws_service IS NOT NULL))
  AND NOT (e.type = 'access_key' AND e.natural_key LIKE 'ASIA%')
ORDER BY e.first_seen DESC LIMIT 40`;

interface IngestStatus {
  log_types: { log_type: string; objects: number; records: number; rejected: number; last_ingested_at: string; last_object: string }[];
  objects_with_errors: { uri?: string; object?: string; rejected: number; first_error: string }[];
  watch: { source: string; last_poll?: string; outcome?: string }[];
}

function dayScope(last: string | null | undefined): { start?: string; end?: string } {
  if (!last) return {};
  const e = new Date(Math.ceil(new Date(last).getTime() / 3600e3) * 3600e3 + (new Date(last).getTime() % 3600e3 === 0 ? 3600e3 : 0));
  return { start: isoMinute(new Date(e.getTime() - 24 * 3600e3)), end: isoMinute(e) };
}

// DuckDB gives each query every core: the summary's scans run one after
// the other (measured on the 45-day demo, 2 cores: ~250 ms in turn, 1.7 s
// at once). They are queued at once, so no query waits on another's answer.
let queue: Promise<unknown> = Promise.resolve();
function inTurn(q: string, limit: number, s: AbortSignal) {
  const run = queue.then(() => runSql(q, limit, s));
  queue = run.catch(() => undefined);
  return run.then(sqlObjects);
}

export function SummaryPage() {
  const sev = useAsync('sev', (s) => inTurn(Q_SEVERITY, 5000, s));
  const inst = useAsync('inst', (s) => inTurn(Q_INSTANCES, 10, s));
  const princ = useAsync('princ', (s) => inTurn(Q_PRINCIPALS, 10, s));
  const fresh = useAsync('new', (s) => inTurn(Q_NEW, 40, s));
  const ingest = useAsync('ingest', (s) => apiGet<IngestStatus>('/ingest/status', undefined, s));
  const groups = useAsync('groups', (s) => listGroups(s, true));
  const recent = useAsync('findings', (s) => apiGet<{ findings: Finding[]; total: number }>('/findings', { limit: 8 }, s));

  const sevOption = useMemo<EChartsOption | null>(() => {
    if (!sev.data) return null;
    const series = SEVERITIES.map((l) => ({
      name: l,
      type: 'bar',
      stack: 'sev',
      itemStyle: { color: SEV_COLORS[l], decal: undefined },
      data: sev.data!.filter((r: any) => r.severity_label === l).map((r: any) => [Date.parse(r.bucket), r.findings]),
    })).filter((s) => s.data.length);
    return {
      aria: { enabled: true, decal: { show: true } },
      grid: { left: 40, right: 16, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', formatter: timeTooltip((v) => fmtNum(v) + ' findings') },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', minInterval: 1, name: 'findings' },
      series,
    };
  }, [sev.data]);

  return (
    <main class="page">
      <h1>Summary</h1>
      <div class="grid2">
        <Panel title="Findings by severity over time (active per 6 hours)" actions={<a href="/findings">All findings →</a>}>
          <ErrorBox error={sev.error} />
          <Loading on={sev.loading} />
          {sevOption ? <Chart option={sevOption} label="Findings by severity over time" testid="severity-chart" /> : null}
          {recent.data ? (
            <table class="compact">
              <caption class="sr-only">Most severe recent findings</caption>
              <tbody>
                {recent.data.findings.map((f) => (
                  <tr>
                    <td>
                      <SeverityBadge label={f.severity_label} />
                    </td>
                    <td>
                      <a href={'/findings/' + encodeURIComponent(f.id)}>{f.title}</a>
                    </td>
                    <td class="muted nowrap">{fmtTime(f.last_seen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Panel>
        <Panel title="Active finding groups" actions={<a href="/groups">All groups →</a>}>
          <ErrorBox error={groups.error} />
          <Loading on={groups.loading} />
          {groups.data && !groups.data.length ? <p class="muted">No active finding groups.</p> : null}
          {groups.data?.length ? (
            <table class="compact">
              <thead>
                <tr>
                  <th>Severity</th>
                  <th>Group</th>
                  <th>Tactics</th>
                  <th class="num">Findings</th>
                </tr>
              </thead>
              <tbody>
                {groups.data.slice(0, 10).map((g) => (
                  <tr>
                    <td>
                      <SeverityBadge label={g.severity_label} />
                    </td>
                    <td>
                      <a href={'/groups/' + encodeURIComponent(g.group_id)}>{g.title}</a>
                      <div class="muted small mono">{g.group_id}</div>
                    </td>
                    <td class="small">{g.tactics.join(' → ')}</td>
                    <td class="num">{Object.values(g.finding_counts).reduce((a, b) => a + b, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Panel>
        <Panel title="EC2 instances with the most traffic (7 days)">
          <ErrorBox error={inst.error} />
          <Loading on={inst.loading} />
          {inst.data ? (
            <table class="compact" data-testid="top-instances">
              <thead>
                <tr>
                  <th>Instance</th>
                  <th>Account</th>
                  <th class="num">Inbound</th>
                  <th class="num">Outbound</th>
                  <th class="num">Total</th>
                </tr>
              </thead>
              <tbody>
                {inst.data.map((r: any) => {
                  const e = new Date(Date.parse(r.last_hour) + 3600e3);
                  const sc = { start: isoMinute(new Date(e.getTime() - 24 * 3600e3)), end: isoMinute(e) };
                  return (
                    <tr>
                      <td>
                        <a href={entityHref('instance:' + r.instance_id, sc)} class="mono">
                          {r.instance_id}
                        </a>
                      </td>
                      <td class="mono">{r.account_id}</td>
                      <td class="num">{fmtBytes(r.bytes_in)}</td>
                      <td class="num">{fmtBytes(r.bytes_out)}</td>
                      <td class="num">{fmtBytes(r.total)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : null}
        </Panel>
        <Panel title="Roles and users with the most API calls (7 days)">
          <ErrorBox error={princ.error} />
          <Loading on={princ.loading} />
          {princ.data ? (
            <table class="compact" data-testid="top-principals">
              <thead>
                <tr>
                  <th>Principal</th>
                  <th class="num">Calls</th>
                  <th class="num">Failed</th>
                </tr>
              </thead>
              <tbody>
                {princ.data.map((r: any) => (
                  <tr>
                    <td class="break">{r.entity_id ? <a href={entityHref(r.entity_id, dayScope(r.last_time))}>{r.principal}</a> : r.principal}</td>
                    <td class="num">{fmtNum(r.calls)}</td>
                    <td class="num">{fmtNum(r.failed)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Panel>
        <Panel title="Newly observed in the last 24 hours of data">
          <p class="muted small">Entities first seen in the last day, not before: public addresses outside AWS, user agents, principals, keys, domains.</p>
          <ErrorBox error={fresh.error} />
          <Loading on={fresh.loading} />
          {fresh.data ? (
            fresh.data.length ? (
              <table class="compact" data-testid="newly-observed">
                <thead>
                  <tr>
                    <th>Type</th>
                    <th>Entity</th>
                    <th>First seen</th>
                  </tr>
                </thead>
                <tbody>
                  {fresh.data.map((r: any) => (
                    <tr>
                      <td class="nowrap">{typeName(r.type)}</td>
                      <td class="break">
                        <a href={entityHref(r.entity_id, dayScope(r.first_seen))}>{r.display_name}</a>
                      </td>
                      <td class="nowrap muted">{fmtTime(r.first_seen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">Nothing new.</p>
            )
          ) : null}
        </Panel>
        <Panel title="Ingest by source">
          <ErrorBox error={ingest.error} />
          <Loading on={ingest.loading} />
          {ingest.data ? (
            <>
              <table class="compact" data-testid="ingest-status">
                <thead>
                  <tr>
                    <th>Log type</th>
                    <th class="num">Objects</th>
                    <th class="num">Records</th>
                    <th class="num">Rejected lines</th>
                    <th>Last ingest</th>
                  </tr>
                </thead>
                <tbody>
                  {ingest.data.log_types.map((l) => (
                    <tr>
                      <td>{l.log_type}</td>
                      <td class="num">{fmtNum(l.objects)}</td>
                      <td class="num">{fmtNum(l.records)}</td>
                      <td class={'num' + (l.rejected ? ' warn' : '')}>
                        {fmtNum(l.rejected)}
                        {l.rejected ? ' ⚠' : ''}
                      </td>
                      <td class="nowrap">{fmtTime(l.last_ingested_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {ingest.data.objects_with_errors?.length ? (
                <details>
                  <summary>{ingest.data.objects_with_errors.length} objects with rejected lines</summary>
                  <ul class="small">
                    {ingest.data.objects_with_errors.map((o: any) => (
                      <li>
                        <span class="mono">{o.uri ?? o.object}</span>: {o.rejected} rejected — <span class="mono">{o.first_error}</span>
                      </li>
                    ))}
                  </ul>
                </details>
              ) : null}
              {ingest.data.watch?.length ? (
                <ul class="small">
                  {ingest.data.watch.map((w: any) => (
                    <li>
                      watching <span class="mono">{w.source}</span>: last poll {fmtTime(w.last_poll)} {w.outcome ?? ''}
                    </li>
                  ))}
                </ul>
              ) : null}
            </>
          ) : null}
        </Panel>
      </div>
    </main>
  );
}
