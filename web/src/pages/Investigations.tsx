import { useState } from 'preact/hooks';
import { saveBlob } from '../api';
import { useAsync } from '../hooks';
import { navigate, setParams, useLocation } from '../router';
import { ErrorBox, KV, Loading, Panel, SeverityBadge, Tabs } from '../components/ui';
import { entityHref, entityKey, entityType, fmtTime, typeName } from '../format';
import { getInvestigation, INDICATOR_TYPES, investigationReport, listInvestigations, setInvestigationState, startInvestigation, type Indicator, type Investigation } from './investigationdata';

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

/** humanize turns Detective's field names into words: IsNewForEntireAccount → New for entire account?, IpAddress → IP address. */
export function humanize(k: string): string {
  const words = k
    .replace(/Ip(?=[A-Z]|$)/g, 'IP ')
    .replace(/API(?=[A-Z])/g, 'API ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(' ')
    .filter(Boolean);
  const q = words[0] === 'Is';
  const w = (q ? words.slice(1) : words).map((x, i) => (i && !/^[A-Z]{2,}$/.test(x) ? x.toLowerCase() : x));
  if (w.length && !/^[A-Z]{2,}$/.test(w[0])) w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return w.join(' ') + (q ? '?' : '');
}

export function IndicatorTable({ indicators, sc }: { indicators: Indicator[]; sc: { start?: string; end?: string } }) {
  const cols = [...new Set(indicators.flatMap((i) => Object.keys(i.IndicatorDetail ?? {})))];
  return (
    <table class="compact">
      <thead>
        <tr>
          {cols.map((c) => (
            <th>{humanize(c)}</th>
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

function StateButton({ inv, onDone }: { inv: Investigation; onDone: (i: Investigation) => void }) {
  const [err, setErr] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const next = inv.State === 'ARCHIVED' ? 'ACTIVE' : 'ARCHIVED';
  return (
    <>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setErr(undefined);
          try {
            onDone(await setInvestigationState(inv.InvestigationId, next));
          } catch (e: any) {
            setErr(e);
          } finally {
            setBusy(false);
          }
        }}
      >
        {next === 'ARCHIVED' ? 'Archive' : 'Reactivate'}
      </button>
      <ErrorBox error={err} />
    </>
  );
}

export function InvestigationPage({ id }: { id: string }) {
  const res = useAsync('inv:' + id, (s) => getInvestigation(id, s));
  const [changed, setChanged] = useState<Investigation | undefined>();
  const [dlErr, setDlErr] = useState<Error | undefined>();
  const inv = changed?.InvestigationId === id ? changed : res.data;
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
          <p class="actions">
            <button
              type="button"
              onClick={() =>
                investigationReport(id).then(
                  (b) => saveBlob(b, `investigation-${id}.json`),
                  (e) => setDlErr(e),
                )
              }
            >
              Download JSON
            </button>{' '}
            <StateButton inv={inv} onDone={setChanged} />
          </p>
          <ErrorBox error={dlErr} />
          {inv.Notes?.length ? (
            <ul class="small muted">
              {inv.Notes.map((n) => (
                <li>{n}</li>
              ))}
            </ul>
          ) : null}
          <div data-testid="indicators">
            {INDICATOR_TYPES.map((t) => {
              const list = inv.Indicators.filter((i) => i.IndicatorType === t.id);
              return list.length ? (
                <Panel title={`${t.label} (${list.length})`} id={t.id}>
                  <IndicatorTable indicators={list} sc={sc} />
                </Panel>
              ) : null;
            })}
            {(() => {
              const none = INDICATOR_TYPES.filter((t) => !inv.Indicators.some((i) => i.IndicatorType === t.id));
              return none.length ? (
                <p class="muted" data-testid="no-indicators">
                  None found of: {none.map((t) => `${t.label} (0)`).join(', ')}.
                </p>
              ) : null;
            })()}
          </div>
        </>
      ) : null}
    </main>
  );
}
