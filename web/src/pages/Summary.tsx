import { useMemo } from 'preact/hooks';
import { apiGet, type Finding } from '../api';
import { useAsync } from '../hooks';
import { Chart, type EChartsOption } from '../components/Chart';
import { ErrorBox, Loading, Panel, SeverityBadge } from '../components/ui';
import { entityHref, escapeHtml, fmtBytes, fmtNum, fmtTime, isoMinute, SEVERITIES, typeName } from '../format';
import { groupFromApi, type ApiGroup } from './groupdata';

const SEV_COLORS: Record<string, string> = { Critical: '#7f1d1d', High: '#dc2626', Medium: '#ea580c', Low: '#2563eb', Informational: '#6b7280' };

interface Window {
  start: string;
  end: string;
}

/** SummaryData is GET /api/v1/summary: every panel in one response. */
export interface SummaryData {
  findings_window: Window | null;
  finding_buckets: { start: string; counts: Record<string, number> }[];
  recent_findings: Finding[];
  active_groups: ApiGroup[];
  active_groups_total: number;
  traffic_window: Window | null;
  top_instances: { entity_id: string; name: string; account_id: string; bytes_in: number; bytes_out: number }[];
  api_call_window: Window | null;
  top_principals: { entity_id?: string; principal: string; calls: number; failed: number }[];
  newly_observed_window: Window | null;
  newly_observed: { entity_id: string; type: string; display_name: string; account_id?: string; first_seen: string }[];
  ingest: {
    log_types: { log_type: string; objects: number; records: number; rejected: number; last_ingested_at: string; last_object: string }[];
    objects_with_errors: { uri?: string; rejected: number; first_error: string }[];
    watch: { source: string; last_poll?: string; outcome?: string }[];
  };
}

/** lastDay is the profile scope for a link from the summary: the day up to the window's end. */
function lastDay(w: Window | null): { start?: string; end?: string } {
  if (!w) return {};
  const e = new Date(Math.ceil(Date.parse(w.end) / 3600e3) * 3600e3);
  return { start: isoMinute(new Date(e.getTime() - 24 * 3600e3)), end: isoMinute(e) };
}

/** dayAround is the day of data ending at the hour after t. */
function dayAround(t: string): { start: string; end: string } {
  const e = new Date(Math.ceil((Date.parse(t) + 1) / 3600e3) * 3600e3);
  return { start: isoMinute(new Date(e.getTime() - 24 * 3600e3)), end: isoMinute(e) };
}

// The bars stand in the middle of their 6-hour bucket; the tooltip names the bucket.
function bucketTooltip(params: any) {
  const ps = Array.isArray(params) ? params : [params];
  if (!ps.length) return '';
  const mid = ps[0].value[0] as number;
  const rows = ps.filter((p: any) => p.value[1]).map((p: any) => `<div class="tt-row"><span class="tt-name">${escapeHtml(p.seriesName)}</span> <b>${escapeHtml(fmtNum(p.value[1]))}</b></div>`);
  return `<div class="tt"><div class="tt-time">${escapeHtml(fmtTime(mid - 3 * 3600e3))} → ${escapeHtml(fmtTime(mid + 3 * 3600e3).slice(11))} UTC</div>${rows.join('') || 'no active findings'}</div>`;
}

export function SummaryPage() {
  const res = useAsync('summary', (s) => apiGet<SummaryData>('/summary', undefined, s));
  const d = res.data;
  const groups = useMemo(() => (d?.active_groups ?? []).map(groupFromApi), [d]);

  const sevOption = useMemo<EChartsOption | null>(() => {
    if (!d?.findings_window) return null;
    // Every bucket is in the response, empty ones too: the stacks line up.
    const series = SEVERITIES.filter((l) => d.finding_buckets.some((b) => b.counts[l])).map((l, i) => ({
      name: l,
      type: 'bar',
      stack: 'sev',
      barCategoryGap: '10%',
      itemStyle: { color: SEV_COLORS[l], decal: { symbol: ['rect', 'triangle', 'circle', 'diamond', 'none'][i % 5], symbolSize: 0.5, dashArrayX: 4, dashArrayY: 4 } },
      data: d.finding_buckets.map((b) => [Date.parse(b.start) + 3 * 3600e3, b.counts[l] ?? 0]),
    }));
    return {
      animation: false,
      aria: { enabled: true, decal: { show: true } },
      grid: { left: 40, right: 16, top: 30, bottom: 30 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', formatter: bucketTooltip },
      xAxis: { type: 'time', min: Date.parse(d.findings_window.start), max: Date.parse(d.findings_window.end) },
      yAxis: { type: 'value', minInterval: 1, name: 'findings' },
      series,
    };
  }, [d]);

  return (
    <main class="page">
      <h1>Summary</h1>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {d ? (
        <div class="grid2">
          <Panel title="Findings by severity over time" actions={<a href="/findings">All findings →</a>}>
            {d.findings_window ? (
              <>
                <p class="small muted">
                  Unarchived findings active in each 6-hour bucket, {fmtTime(d.findings_window.start)} → {fmtTime(d.findings_window.end)} UTC.
                </p>
                {sevOption ? <Chart option={sevOption} label="Findings by severity over time" testid="severity-chart" /> : null}
              </>
            ) : (
              <p class="muted">No findings.</p>
            )}
            {d.recent_findings.length ? (
              <table class="compact" data-testid="recent-findings">
                <caption>Most severe recent findings</caption>
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Finding</th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {d.recent_findings.map((f) => (
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
          <Panel title={`Active finding groups (${d.active_groups_total})`} actions={<a href="/groups">All groups →</a>}>
            {groups.length ? (
              <table class="compact" data-testid="summary-groups">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Group</th>
                    <th>Tactics</th>
                    <th class="num">Findings</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.map((g) => (
                    <tr>
                      <td>
                        <SeverityBadge label={g.severity_label} />
                      </td>
                      <td>
                        <a href={'/groups/' + encodeURIComponent(g.group_id)}>{g.title}</a>
                        <div class="muted small">{Object.values(g.entities).flat().slice(0, 3).map((e) => e.replace(/^[a-z_]+:/, '')).join(', ')}</div>
                      </td>
                      <td class="small">{g.tactics.join(' → ')}</td>
                      <td class="num">{fmtNum(Object.values(g.finding_counts).reduce((a, b) => a + b, 0))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No active finding groups.</p>
            )}
            {d.active_groups_total > groups.length ? <p class="small muted">The {groups.length} most severe of {d.active_groups_total}.</p> : null}
          </Panel>
          <Panel title="Instances with the most traffic (7 days)">
            {d.traffic_window ? (
              <p class="small muted">
                {fmtTime(d.traffic_window.start)} → {fmtTime(d.traffic_window.end)} UTC, up to the newest flow logs; an interface without an instance ID in its logs is listed by itself. A link opens the profile on the last day.
              </p>
            ) : null}
            {d.top_instances.length ? (
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
                  {d.top_instances.map((r) => (
                    <tr>
                      <td>
                        <a href={entityHref(r.entity_id, lastDay(d.traffic_window))} class="mono">
                          {r.name}
                        </a>
                        {r.entity_id.startsWith('interface:') ? <span class="muted small"> (interface)</span> : null}
                      </td>
                      <td class="mono">{r.account_id}</td>
                      <td class="num">{fmtBytes(r.bytes_in)}</td>
                      <td class="num">{fmtBytes(r.bytes_out)}</td>
                      <td class="num">{fmtBytes(r.bytes_in + r.bytes_out)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No flow logs.</p>
            )}
          </Panel>
          <Panel title="Roles and users with the most API calls (7 days)">
            {d.api_call_window ? (
              <p class="small muted">
                {fmtTime(d.api_call_window.start)} → {fmtTime(d.api_call_window.end)} UTC, up to the newest CloudTrail event.
              </p>
            ) : null}
            {d.top_principals.length ? (
              <table class="compact" data-testid="top-principals">
                <thead>
                  <tr>
                    <th>Principal</th>
                    <th class="num">Calls</th>
                    <th class="num">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  {d.top_principals.map((r) => (
                    <tr>
                      <td class="break">{r.entity_id ? <a href={entityHref(r.entity_id, lastDay(d.api_call_window))}>{r.principal}</a> : <span title="no profile: not a role, user or root">{r.principal}</span>}</td>
                      <td class="num">{fmtNum(r.calls)}</td>
                      <td class="num">{fmtNum(r.failed)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No CloudTrail events.</p>
            )}
          </Panel>
          <Panel title="Newly observed in the last 24 hours of data">
            <p class="muted small">
              Entities first seen {d.newly_observed_window ? `since ${fmtTime(d.newly_observed_window.start)} UTC` : 'in the last day'}, not before: public addresses outside AWS, user agents, principals, long-term keys, domains, instances, buckets.
            </p>
            {d.newly_observed.length ? (
              <table class="compact" data-testid="newly-observed">
                <thead>
                  <tr>
                    <th>Type</th>
                    <th>Entity</th>
                    <th>First seen</th>
                  </tr>
                </thead>
                <tbody>
                  {d.newly_observed.map((r) => (
                    <tr>
                      <td class="nowrap">{typeName(r.type)}</td>
                      <td class="break">
                        <a href={entityHref(r.entity_id, dayAround(r.first_seen))}>{r.display_name}</a>
                      </td>
                      <td class="nowrap muted">{fmtTime(r.first_seen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted" data-testid="newly-observed">
                Nothing new.
              </p>
            )}
          </Panel>
          <Panel title="Ingest by source">
            <table class="compact" data-testid="ingest-status">
              <thead>
                <tr>
                  <th>Log type</th>
                  <th class="num">Objects</th>
                  <th class="num">Records</th>
                  <th class="num">Rejected lines</th>
                  <th>Last ingest (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {d.ingest.log_types.map((l) => (
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
            {!d.ingest.log_types.length ? <p class="muted">Nothing ingested yet: see gumshoe ingest.</p> : null}
            {d.ingest.objects_with_errors.length ? (
              <details>
                <summary>{d.ingest.objects_with_errors.length} objects with rejected lines</summary>
                <ul class="small">
                  {d.ingest.objects_with_errors.map((o) => (
                    <li>
                      <span class="mono">{o.uri}</span>: {o.rejected} rejected — <span class="mono">{o.first_error}</span>
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
            {d.ingest.watch.length ? (
              <ul class="small">
                {d.ingest.watch.map((w) => (
                  <li>
                    watching <span class="mono">{w.source}</span>: last poll {fmtTime(w.last_poll)} UTC {w.outcome ?? ''}
                  </li>
                ))}
              </ul>
            ) : null}
          </Panel>
        </div>
      ) : null}
    </main>
  );
}
