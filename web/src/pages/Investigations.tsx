import { useState } from 'preact/hooks';
import { saveBlob } from '../api';
import { useAsync } from '../hooks';
import { navigate, setParams, useLocation } from '../router';
import { ErrorBox, KV, Loading, Panel, SeverityBadge, Tabs } from '../components/ui';
import { entityHref, entityKey, entityType, fmtTime, typeName } from '../format';
import { getInvestigation, INDICATOR_TYPES, listInvestigations, startInvestigation, type Indicator } from './investigationdata';

const cap = (s: string) => (s ? s[0] + s.slice(1).toLowerCase() : s);

/** RunInvestigation starts an investigation of an entity over a scope and opens it. */
export function RunInvestigation({ entity, start, end }: { entity: string; start?: string | null; end?: string | null }) {
  const [err, setErr] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <span class="run-inv">
      <button
        type="button"
        disabled={busy || !start || !end}
        onClick={async () => {
          setBusy(true);
          setErr(undefined);
          try {
            const id = await startInvestigation(entity, start!, end!);
            navigate('/investigations/' + encodeURIComponent(id));
          } catch (e: any) {
            setErr(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Investigating…' : 'Run investigation'}
      </button>
      <ErrorBox error={err} />
    </span>
  );
}

export function InvestigationsPage() {
  const { params } = useLocation();
  const state = params.get('state') ?? 'ACTIVE';
  const res = useAsync('investigations', (s) => listInvestigations(s));
  const list = (res.data ?? []).filter((i) => state === 'all' || i.State === state);
  return (
    <main class="page">
      <h1>Investigations</h1>
      <p class="muted small">What an entity did in a scope time, as indicators of compromise (Detective's eight types). Start one from any entity's profile or a finding group.</p>
      <Tabs
        tabs={[
          { id: 'ACTIVE', label: 'Active' },
          { id: 'ARCHIVED', label: 'Archived' },
          { id: 'all', label: 'All' },
        ]}
        active={state}
        onSelect={(s) => setParams({ state: s === 'ACTIVE' ? null : s })}
      />
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {res.data ? (
        list.length ? (
          <table class="data" data-testid="investigations-table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Entity</th>
                <th>Scope</th>
                <th>Status</th>
                <th>Indicators</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr>
                  <td>
                    <SeverityBadge label={cap(i.Severity)} />
                  </td>
                  <td class="break">
                    <a href={'/investigations/' + encodeURIComponent(i.InvestigationId)}>{entityKey(i.Entity)}</a>
                    <div class="muted small">{typeName(entityType(i.Entity))}</div>
                  </td>
                  <td class="small nowrap">
                    {fmtTime(i.ScopeStartTime)} → {fmtTime(i.ScopeEndTime)}
                  </td>
                  <td>{i.Status}</td>
                  <td class="num">{i.Indicators.length}</td>
                  <td class="small nowrap">{fmtTime(i.CreatedTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">No investigations yet.</p>
        )
      ) : null}
    </main>
  );
}

function detailValue(k: string, v: unknown, sc: { start?: string; end?: string }) {
  if (v == null) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/IpAddress$/.test(k)) return <a class="mono" href={entityHref('ip:' + s, sc)}>{s}</a>;
  if (k === 'UserAgent') return <a class="mono" href={entityHref('user_agent:' + s, sc)}>{s}</a>;
  if (k === 'Id') return <a class="mono" href={'/groups/' + encodeURIComponent(s)}>{s}</a>;
  if (k === 'Arn' && /\/finding\//.test(s)) return <a class="mono" href={'/findings/' + encodeURIComponent(s.split('/').pop()!)}>{s}</a>;
  return <span class="mono">{s}</span>;
}

export function IndicatorTable({ indicators, sc }: { indicators: Indicator[]; sc: { start?: string; end?: string } }) {
  const cols = [...new Set(indicators.flatMap((i) => Object.keys(i.IndicatorDetail ?? {})))];
  return (
    <table class="compact">
      <thead>
        <tr>
          {cols.map((c) => (
            <th>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {indicators.map((i) => (
          <tr>
            {cols.map((c) => (
              <td class="break">{detailValue(c, i.IndicatorDetail?.[c], sc)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InvestigationPage({ id }: { id: string }) {
  const res = useAsync('inv:' + id, (s) => getInvestigation(id, s));
  const inv = res.data;
  const sc = inv ? { start: inv.ScopeStartTime.slice(0, 16), end: inv.ScopeEndTime.slice(0, 16) } : {};
  return (
    <main class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/investigations">Investigations</a> › <span class="mono">{id}</span>
      </nav>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {inv ? (
        <>
          <h1>
            <SeverityBadge label={cap(inv.Severity)} /> Investigation of <a href={entityHref(inv.Entity, sc)} class="mono">{entityKey(inv.Entity)}</a>
          </h1>
          <KV
            items={[
              ['Entity type', inv.EntityType],
              ['Scope time', `${fmtTime(inv.ScopeStartTime)} → ${fmtTime(inv.ScopeEndTime)} UTC`],
              ['Status', inv.Status],
              ['State', inv.State],
              ['Created', fmtTime(inv.CreatedTime) + ' UTC'],
            ]}
          />
          <p>
            <button type="button" onClick={() => saveBlob(new Blob([JSON.stringify(inv, null, 2)], { type: 'application/json' }), `investigation-${id}.json`)}>
              Download JSON
            </button>
          </p>
          {inv.Notes?.length ? (
            <ul class="small muted">
              {inv.Notes.map((n) => (
                <li>{n}</li>
              ))}
            </ul>
          ) : null}
          {INDICATOR_TYPES.map((t) => {
            const list = inv.Indicators.filter((i) => i.IndicatorType === t.id);
            return (
              <Panel title={`${t.label} (${list.length})`} id={t.id}>
                {list.length ? <IndicatorTable indicators={list} sc={sc} /> : <p class="muted small">None.</p>}
              </Panel>
            );
          })}
        </>
      ) : null}
    </main>
  );
}
