import { useMemo } from 'preact/hooks';
import { apiGet, type Bucket, type EntityDetails, type Finding, type Scope } from '../api';
import { useAsync } from '../hooks';
import { setParams, useLocation } from '../router';
import { Chart, timeTooltip, type EChartsOption } from '../components/Chart';
import { ErrorBox, KV, Loading, Panel, ScopePicker, SeverityBadge, Tabs } from '../components/ui';
import { RunInvestigation } from './Investigations';
import { ApiRecords } from '../components/ApiRecords';
import { entityHref, entityKey, entityType, fmtBytes, fmtNum, fmtTime, typeName } from '../format';

interface ApiCalls {
  scope: Scope;
  buckets: { start: string; success: number; failure: number }[];
  total_success: number;
  total_failure: number;
  baseline_avg_success: number;
  baseline_avg_failure: number;
}
interface Observed {
  kind: string;
  newly_observed: number;
  values: { value: string; detail?: Record<string, unknown>; success: number; failure: number; first_seen: string; last_seen: string; newly_observed: boolean }[];
}
interface Rows<T> {
  rows: T[];
}

const OBSERVED = [
  { id: 'ips', label: 'IP addresses' },
  { id: 'geolocations', label: 'Geolocations' },
  { id: 'asos', label: 'Autonomous systems' },
  { id: 'user-agents', label: 'User agents' },
  { id: 'api-calls', label: 'API calls' },
];

const SCOPE_SOURCES: Record<string, string> = {
  finding: "the finding's window",
  request: 'as chosen',
  entity_default: 'the last 24 hours',
  entity_last_activity: 'the last day of its activity: none in the last 24 hours',
};

function opt<T>(p: Promise<T>): Promise<T | null> {
  // A panel the type does not have answers not_applicable: not an error here.
  return p.catch((e) => {
    if (e?.code === 'not_applicable') return null;
    throw e;
  });
}

export function EntityPage({ id }: { id: string }) {
  const { params } = useLocation();
  const start = params.get('start');
  const end = params.get('end');
  const finding = params.get('finding');
  const kind = params.get('observed') ?? 'ips';
  // The CloudTrail events drawer: ct=all|bucket|ip|user_agent|operation, ctv its value.
  const ct = params.get('ct');
  const ctv = params.get('ctv');
  const cto = +(params.get('cto') ?? 0) || 0;
  // Without a scope in the URL every panel is asked without one: the
  // server gives each the entity's default scope (the last 24 hours, or
  // the last day of its activity when that ended earlier), the one the
  // details answer shows.
  const q = { start, end, finding };
  const qk = id + JSON.stringify(q);
  const enc = '/entities/' + encodeURIComponent(id);
  const details = useAsync('d' + qk, (s) => apiGet<EntityDetails>(enc, q, s));
  const d = details.data;
  // Every panel is requested at once: no panel waits for another.
  const findings = useAsync('f' + id, (s) => opt(apiGet<{ findings: Finding[] }>(enc + '/findings', undefined, s)));
  const calls = useAsync('c' + qk, (s) => opt(apiGet<ApiCalls>(enc + '/api-calls', q, s)));
  const observed = useAsync('o' + kind + qk, (s) => opt(apiGet<Observed>(enc + '/observed/' + kind, q, s)));
  const roles = useAsync('r' + qk, (s) => opt(apiGet<Rows<any>>(enc + '/roles', q, s)));
  const buckets = useAsync('b' + qk, (s) => opt(apiGet<Rows<any>>(enc + '/buckets', q, s)));
  const volume = useAsync('v' + qk, (s) => opt(apiGet<{ window: any; buckets: Bucket[] }>(enc + '/flow-volume', q, s)));

  const panels = new Set(d?.panels ?? []);
  const scope = d?.scope;
  const sc = scope ? { start: scope.start.slice(0, 16), end: scope.end.slice(0, 16) } : { start, end };

  const callsOption = useMemo<EChartsOption | null>(() => {
    const c = calls.data;
    if (!c) return null;
    return {
      animation: false,
      grid: { left: 50, right: 16, top: 30, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', formatter: timeTooltip((v) => fmtNum(Math.round(v * 100) / 100)) },
      xAxis: { type: 'time', min: Date.parse(c.scope.start), max: Date.parse(c.scope.end) },
      yAxis: { type: 'value', name: 'calls' },
      series: [
        { name: 'Successful', type: 'bar', stack: 'c', itemStyle: { color: '#2563eb' }, data: c.buckets.map((b) => [Date.parse(b.start), b.success]) },
        { name: 'Failed', type: 'bar', stack: 'c', itemStyle: { color: '#dc2626', decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 3], rotation: -0.8 } }, data: c.buckets.map((b) => [Date.parse(b.start), b.failure]) },
        { name: 'Baseline (45-day average)', type: 'line', symbol: 'none', lineStyle: { type: 'dashed', color: '#111827' }, itemStyle: { color: '#111827' }, data: c.buckets.map((b) => [Date.parse(b.start), c.baseline_avg_success + c.baseline_avg_failure]) },
      ],
    };
  }, [calls.data]);

  const volOption = useMemo<EChartsOption | null>(() => {
    const v = volume.data;
    if (!v) return null;
    return {
      animation: false,
      grid: { left: 70, right: 16, top: 30, bottom: 28 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', formatter: timeTooltip(fmtBytes) },
      xAxis: { type: 'time', min: Date.parse(v.window.start), max: Date.parse(v.window.end) },
      yAxis: { type: 'value', axisLabel: { formatter: (x: number) => fmtBytes(x) } },
      series: [
        { name: 'Inbound', type: 'line', symbol: 'circle', itemStyle: { color: '#2563eb' }, data: v.buckets.map((b) => [Date.parse(b.start), b.bytes_in]) },
        { name: 'Outbound', type: 'line', symbol: 'triangle', lineStyle: { type: 'dashed' }, itemStyle: { color: '#ea580c' }, data: v.buckets.map((b) => [Date.parse(b.start), b.bytes_out]) },
      ],
    };
  }, [volume.data]);

  const flowsHref = enc + '/flows?' + new URLSearchParams(Object.entries({ ...sc, finding }).filter(([, v]) => v) as [string, string][]);
  const hasCalls = panels.has('api-calls') && calls.data && calls.data.total_success + calls.data.total_failure > 0;

  return (
    <main class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        {finding ? (
          <>
            <a href={'/findings/' + encodeURIComponent(finding)}>Finding</a> ›{' '}
          </>
        ) : null}
        {typeName(entityType(id))}
      </nav>
      <header class="entity-head">
        <h1>
          <span class="type-tag">{typeName(entityType(id))}</span> <span class="mono break">{d?.entity.display_name ?? entityKey(id)}</span>
        </h1>
        <ScopePicker
          start={scope?.start ?? start ?? ''}
          end={scope?.end ?? end ?? ''}
          anchor={d?.entity.last_seen}
          onChange={(s, e) => setParams({ start: s, end: e })}
          onReset={finding ? () => setParams({ start: null, end: null }) : undefined}
          resetLabel="Finding's window"
        />
        {scope ? <RunInvestigation entity={id} start={scope.start} end={scope.end} /> : null}
        {scope ? (
          <p class="muted small">
            Scope {fmtTime(scope.start)} → {fmtTime(scope.end)} UTC ({SCOPE_SOURCES[scope.source ?? ''] ?? scope.source}); newly observed means not seen between {fmtTime(scope.baseline_start)} and the scope's start.
          </p>
        ) : null}
      </header>
      <ErrorBox error={details.error} />
      <Loading on={details.loading} />
      {d ? (
        <div class="grid2">
          <Panel title={typeName(d.entity.type) + ' details'}>
            <KV
              items={[
                ['Identifier', <span class="mono break">{d.entity.natural_key}</span>],
                ['Name', <span class="break">{d.entity.display_name}</span>],
                ['Account', d.entity.account_id ? <a class="mono" href={entityHref('account:' + d.entity.account_id, sc)}>{d.entity.account_id}</a> : null],
                ['First seen', fmtTime(d.entity.first_seen) + ' UTC'],
                ['Last seen', fmtTime(d.entity.last_seen) + ' UTC'],
                ...Object.entries(d.entity.attributes ?? {})
                  .filter(([, v]) => v != null && v !== '')
                  .map(([k, v]) => [k.replace(/_/g, ' '), <span class="mono">{String(v)}</span>] as [string, any]),
              ]}
            />
          </Panel>
          <Panel title="Associated findings">
            <ErrorBox error={findings.error} />
            {findings.data?.findings.length ? (
              <table class="compact" data-testid="entity-findings">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Finding</th>
                    <th>First / last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {findings.data.findings.map((f) => (
                    <tr>
                      <td>
                        <SeverityBadge label={f.severity_label} />
                      </td>
                      <td>
                        <a href={'/findings/' + encodeURIComponent(f.id)}>{f.title}</a>
                        <div class="mono small muted">{f.type}</div>
                      </td>
                      <td class="small nowrap">
                        {fmtTime(f.first_seen)}
                        <br />
                        {fmtTime(f.last_seen)}
                        <br />
                        <a href={entityHref(id, { finding: f.id })} title="the finding's first to last seen, an hour either side, to the minute (as the server sets it)">
                          set scope
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : findings.data ? (
              <p class="muted">No findings involve this entity.</p>
            ) : null}
          </Panel>
          {panels.has('flow-volume') ? (
            <Panel title="Overall VPC flow volume" actions={<a class="button primary" href={flowsHref}>View flow details</a>}>
              <ErrorBox error={volume.error} />
              {volOption ? <Chart option={volOption} label="Inbound and outbound bytes over time" testid="volume-chart" /> : <Loading on={volume.loading} />}
            </Panel>
          ) : null}
          {panels.has('api-calls') ? (
            <Panel title="Overall API call volume">
              <ErrorBox error={calls.error} />
              {calls.data ? (
                <p class="small">
                  {fmtNum(calls.data.total_success)} successful, {fmtNum(calls.data.total_failure)} failed calls in scope.
                </p>
              ) : null}
              {calls.data === null ? (
                <p class="muted small">
                  CloudTrail attributes no API calls to this type of entity{entityType(id) === 'instance' ? '; its role session (under related entities) made its calls' : ''}.
                </p>
              ) : null}
              {hasCalls && callsOption ? (
                <>
                  <Chart
                    option={callsOption}
                    label="API calls over time with baseline"
                    testid="calls-chart"
                    onClickBucket={(x) => isFinite(x) && setParams({ ct: 'bucket', ctv: new Date(x).toISOString().replace('.000Z', 'Z'), cto: null })}
                  />
                  <p class="small muted">
                    Click a bar for its CloudTrail events, or{' '}
                    <button type="button" class="link" onClick={() => setParams({ ct: 'all', ctv: null, cto: null })}>
                      display the events of the scope
                    </button>
                    .
                  </p>
                </>
              ) : null}
            </Panel>
          ) : null}
          {panels.has('observed') ? (
            <Panel title="Observed in scope (newly observed first)" wide>
              <Tabs tabs={OBSERVED} active={kind} onSelect={(k) => setParams({ observed: k }, true)} />
              <ErrorBox error={observed.error} />
              <Loading on={observed.loading} />
              {observed.data ? (
                observed.data.values.length ? (
                  <table class="compact" data-testid="observed">
                    <thead>
                      <tr>
                        <th>New</th>
                        <th>Value</th>
                        <th class="num">Success</th>
                        <th class="num">Failure</th>
                        <th>Last seen</th>
                        <th>
                          <span class="sr-only">Raw events</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {observed.data.values.map((v) => (
                        <tr class={v.newly_observed ? 'annotated' : ''}>
                          <td>{v.newly_observed ? <span class="tag tag-new">NEW</span> : ''}</td>
                          <td class="break">
                            <ObservedValue kind={kind} v={v.value} sc={sc} />
                            {v.detail ? <div class="small muted mono">{Object.entries(v.detail).filter(([, x]) => x != null).map(([k, x]) => `${k}: ${typeof x === 'object' ? JSON.stringify(x) : x}`).join(' · ')}</div> : null}
                          </td>
                          <td class="num">{fmtNum(v.success)}</td>
                          <td class="num">{fmtNum(v.failure)}</td>
                          <td class="nowrap small">{fmtTime(v.last_seen)}</td>
                          <td>
                            {RECORD_FILTER[kind] ? (
                              <button type="button" class="small" aria-label={'CloudTrail events of ' + v.value} onClick={() => setParams({ ct: RECORD_FILTER[kind], ctv: v.value, cto: null })}>
                                Events
                              </button>
                            ) : null}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p class="muted">None in scope.</p>
                )
              ) : null}
            </Panel>
          ) : null}
          {panels.has('roles') && roles.data?.rows.length ? (
            <Panel title="Resource interaction: roles assumed" wide>
              <GenericRows rows={roles.data.rows} sc={sc} />
            </Panel>
          ) : null}
          {panels.has('buckets') && buckets.data?.rows.length ? (
            <Panel title="S3 buckets touched" wide>
              <GenericRows rows={buckets.data.rows} sc={sc} />
            </Panel>
          ) : null}
          <Panel title={`Related entities in scope (${d.related.length})`} wide>
            <table class="compact" data-testid="related">
              <thead>
                <tr>
                  <th>Relationship</th>
                  <th>Entity</th>
                  <th class="num">Count</th>
                  <th class="num">Failures</th>
                </tr>
              </thead>
              <tbody>
                {d.related.map((r) => (
                  <tr>
                    <td class="nowrap small">
                      {r.direction === 'in' ? '← ' : '→ '}
                      {r.relationship.replace(/_/g, ' ')}
                    </td>
                    <td class="break">
                      <span class="muted small">{typeName(entityType(r.id))} </span>
                      <a href={entityHref(r.id, { ...sc, finding })}>{entityKey(r.id)}</a>
                    </td>
                    <td class="num">{fmtNum(r.count)}</td>
                    <td class="num">{fmtNum(r.failures)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Panel>
        </div>
      ) : null}
      {ct && d ? (
        <ApiRecords
          entity={id}
          q={{ start: sc.start, end: sc.end, ...(ct !== 'all' && ctv ? { [ct]: ctv } : {}) }}
          offset={cto}
          title={ct === 'all' ? 'CloudTrail events in scope' : ct === 'bucket' ? 'CloudTrail events of the bucket at ' + fmtTime(ctv) + ' UTC' : `CloudTrail events with ${ct.replace('_', ' ')} ${ctv}`}
          onPage={(o) => setParams({ cto: o ? String(o) : null }, true)}
          onClose={() => setParams({ ct: null, ctv: null, cto: null })}
        />
      ) : null}
    </main>
  );
}

/** RECORD_FILTER maps an observed kind to the records endpoint's filter. */
const RECORD_FILTER: Record<string, string> = { ips: 'ip', 'user-agents': 'user_agent', 'api-calls': 'operation' };

function ObservedValue({ kind, v, sc }: { kind: string; v: string; sc: { start?: string | null; end?: string | null } }) {
  if (kind === 'ips') return <a class="mono" href={entityHref('ip:' + v, sc)}>{v}</a>;
  if (kind === 'user-agents') return <a class="mono" href={entityHref('user_agent:' + v, sc)}>{v}</a>;
  return <span class="mono">{v}</span>;
}

function GenericRows({ rows, sc }: { rows: Record<string, unknown>[]; sc: { start?: string | null; end?: string | null } }) {
  const cols = Object.keys(rows[0] ?? {});
  return (
    <div class="table-wrap">
    <table class="compact">
      <thead>
        <tr>
          {cols.map((c) => (
            <th>{c.replace(/_/g, ' ')}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>
            {cols.map((c) => {
              const v = r[c];
              if (c === 'newly_observed') return <td>{v ? <span class="tag tag-new">NEW</span> : ''}</td>;
              if (typeof v === 'string' && /^[a-z_]+:.+/.test(v) && (c.endsWith('id') || c === 'role' || c === 'session' || c === 'entity')) {
                return (
                  <td class="break">
                    <a href={entityHref(v, sc)}>{entityKey(v)}</a>
                  </td>
                );
              }
              if (c.endsWith('_seen')) return <td class="nowrap small">{fmtTime(v as string)}</td>;
              return <td class="break small mono">{v == null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>;
            })}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}
