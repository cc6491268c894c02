import { apiGet, type Finding, type Related, type Scope } from '../api';
import { useAsync } from '../hooks';
import { useLocation } from '../router';
import { ErrorBox, KV, Loading, Panel, SeverityBadge, Tabs } from '../components/ui';
import { setParams, withParams } from '../router';
import { entityHref, entityKey, entityType, fmtNum, fmtTime, typeName } from '../format';
import { FlowDetails } from './FlowDetails';

interface FindingResponse {
  entity_id: string;
  finding: Finding;
  involves: Related[];
  scope: Scope;
}

export function FindingPage({ id }: { id: string }) {
  const { params } = useLocation();
  const tab = params.get('tab') ?? 'overview';
  const res = useAsync('finding:' + id, (s) => apiGet<FindingResponse>('/findings/' + encodeURIComponent(id), undefined, s));
  const d = res.data;
  const f = d?.finding;
  const mitre = f?.raw?.gumshoe?.mitre;
  const evidence = f?.raw?.gumshoe?.evidence;
  const sc = d ? { start: d.scope.start.slice(0, 16), end: d.scope.end.slice(0, 16), finding: id } : undefined;
  const instance = f?.instance_id ? 'instance:' + f.instance_id : d?.involves.find((r) => entityType(r.id) === 'instance')?.id;

  return (
    <main class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/findings">Findings</a> › <span class="mono">{id}</span>
      </nav>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {f && d ? (
        <>
          <h1 class="finding-title">
            <SeverityBadge label={f.severity_label} value={f.severity} /> {f.title}
          </h1>
          <Tabs
            tabs={[
              { id: 'overview', label: 'Overview' },
              { id: 'raw', label: 'Finding JSON' },
            ]}
            active={tab}
            onSelect={(t) => setParams({ tab: t === 'overview' ? null : t })}
          />
          {tab === 'overview' ? (
            <div class="grid2">
              <Panel title="Overview">
                <p>{f.description}</p>
                <KV
                  items={[
                    ['Type', <span class="mono">{f.type}</span>],
                    ['Source', `${f.source} (${f.product})`],
                    ['Account', <a href={entityHref('account:' + f.account_id, sc)} class="mono">{f.account_id}</a>],
                    ['Region', f.region || '–'],
                    ['First seen', fmtTime(f.first_seen) + ' UTC'],
                    ['Last seen', fmtTime(f.last_seen) + ' UTC'],
                    ['Count', fmtNum(f.count)],
                    ['Connection', f.remote_ip ? `${f.direction ?? ''} ${f.protocol ?? ''} local port ${f.local_port ?? '–'} ↔ ${f.remote_ip}:${f.remote_port ?? '–'}` : null],
                    ['Domain', f.domain ? <span class="mono">{f.domain}</span> : null],
                    ['MITRE ATT&CK', mitre ? `${mitre.tactic} (${mitre.tacticId}) · ${mitre.technique} (${mitre.techniqueId})` : null],
                    ['Scope time', `${fmtTime(d.scope.start)} → ${fmtTime(d.scope.end)} UTC (first to last seen, one hour either side)`],
                  ]}
                />
                {instance ? (
                  <p>
                    <a class="button primary" href={'/entities/' + encodeURIComponent(instance) + '/flows?' + new URLSearchParams({ start: sc!.start, end: sc!.end, finding: id })}>
                      View flow details of {entityKey(instance)}
                    </a>
                  </p>
                ) : null}
              </Panel>
              <Panel title="Involved entities">
                <table class="compact" data-testid="involved">
                  <thead>
                    <tr>
                      <th>Type</th>
                      <th>Entity</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.involves.map((r) => (
                      <tr>
                        <td class="nowrap">{typeName(entityType(r.id))}</td>
                        <td class="break">
                          <a href={entityHref(r.id, sc)}>{entityKey(r.id)}</a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {evidence ? (
                  <>
                    <h3>Evidence</h3>
                    <KV items={Object.entries(evidence).map(([k, v]) => [k, <span class="mono">{typeof v === 'object' ? JSON.stringify(v) : String(v)}</span>])} />
                  </>
                ) : null}
              </Panel>
            </div>
          ) : null}
          {tab === 'overview' && instance ? (
            <Panel
              title={'Flow details of ' + entityKey(instance) + ', annotated with this finding'}
              id="flows"
              actions={
                f.remote_ip ? (
                  <a class="button" href={withParams({ filter: 'remote_ip=' + f.remote_ip, match: null, offset: null })}>
                    Only traffic with {f.remote_ip}
                  </a>
                ) : null
              }
            >
              <FlowDetails entity={instance} finding={id} />
            </Panel>
          ) : null}
          {tab === 'raw' ? (
            <Panel title="Finding JSON (GuardDuty shape)">
              <pre class="json">{JSON.stringify(f.raw, null, 2)}</pre>
            </Panel>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
