import { useState } from 'preact/hooks';
import { apiGet, type Finding } from '../api';
import { useAsync } from '../hooks';
import { setParams, useLocation } from '../router';
import { ErrorBox, Loading, Pager, SeverityBadge } from '../components/ui';
import { fmtNum, fmtTime, parseTime, SEVERITIES, severityMin } from '../format';

const LIMIT = 50;

/** findingResource names what a finding is about, for the list. */
export function findingResource(f: Finding): string {
  return f.instance_id || f.access_key_id || f.principal || f.domain || f.remote_ip || f.resource_type || '–';
}

export function FindingsPage() {
  const { params } = useLocation();
  const type = params.get('type') ?? '';
  const severity = params.get('severity') ?? '';
  const account = params.get('account') ?? '';
  const entity = params.get('entity') ?? '';
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  const archived = params.get('archived') ?? '';
  const offset = +(params.get('offset') ?? 0) || 0;

  const [form, setForm] = useState({ type, severity, account, entity, since, until });
  const [key, setKey] = useState(params.toString());
  if (key !== params.toString()) {
    setKey(params.toString());
    setForm({ type, severity, account, entity, since, until });
  }

  // With an entity, the entity's associated findings (the API filters
  // those by entity); the other filters then apply here.
  const res = useAsync('f?' + params.toString(), async (signal) => {
    const untilT = parseTime(until);
    const sinceT = parseTime(since);
    const minSev = severity ? severityMin(severity) : 0;
    if (entity) {
      const r = await apiGet<{ findings: Finding[] }>('/entities/' + encodeURIComponent(entity) + '/findings', undefined, signal);
      const all = r.findings.filter(
        (f) =>
          (!type || f.type.toLowerCase().includes(type.toLowerCase())) &&
          f.severity >= minSev &&
          (!account || f.account_id === account) &&
          (!sinceT || new Date(f.last_seen) >= sinceT) &&
          (!untilT || new Date(f.first_seen) < untilT),
      );
      return { findings: all.slice(offset, offset + LIMIT), total: all.length };
    }
    const r = await apiGet<{ findings: Finding[]; total: number }>(
      '/findings',
      { type, min_severity: severity ? minSev : null, account, since: since ? since : null, archived: archived || null, limit: untilT ? 1000 : LIMIT, offset: untilT ? 0 : offset },
      signal,
    );
    if (untilT) {
      const all = r.findings.filter((f) => new Date(f.first_seen) < untilT);
      return { findings: all.slice(offset, offset + LIMIT), total: all.length };
    }
    return r;
  });

  const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
  return (
    <main class="page">
      <h1>Findings</h1>
      <form
        class="filters"
        aria-label="Filter findings"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ ...form, offset: null });
        }}
      >
        <label>
          Type contains <input value={form.type} onInput={set('type')} name="type" placeholder="Recon:EC2" />
        </label>
        <label>
          Severity at least{' '}
          <select value={form.severity} onChange={set('severity')} name="severity">
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Account <input value={form.account} onInput={set('account')} name="account" size={13} placeholder="111122223333" />
        </label>
        <label>
          Entity <input value={form.entity} onInput={set('entity')} name="entity" placeholder="instance:i-…" />
        </label>
        <label>
          Seen since <input value={form.since} onInput={set('since')} name="since" size={16} placeholder="2026-11-18T00:00" />
        </label>
        <label>
          until <input value={form.until} onInput={set('until')} name="until" size={16} placeholder="2026-11-20T00:00" />
        </label>
        <button type="submit">Filter</button>
        <button type="button" onClick={() => setParams({ type: null, severity: null, account: null, entity: null, since: null, until: null, offset: null })}>
          Clear
        </button>
      </form>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {res.data ? (
        <>
          <table class="data" data-testid="findings-table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Title</th>
                <th>Type</th>
                <th>Account</th>
                <th>Resource</th>
                <th>First seen</th>
                <th>Last seen</th>
                <th class="num">Count</th>
              </tr>
            </thead>
            <tbody>
              {res.data.findings.map((f) => (
                <tr>
                  <td>
                    <SeverityBadge label={f.severity_label} value={f.severity} />
                  </td>
                  <td>
                    <a href={'/findings/' + encodeURIComponent(f.id)}>{f.title}</a>
                    {f.archived ? <span class="tag">archived</span> : null}
                  </td>
                  <td class="mono small break">{f.type}</td>
                  <td class="mono">{f.account_id}</td>
                  <td class="mono small break">{findingResource(f)}</td>
                  <td class="nowrap">{fmtTime(f.first_seen)}</td>
                  <td class="nowrap">{fmtTime(f.last_seen)}</td>
                  <td class="num">{fmtNum(f.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!res.data.findings.length ? <p class="muted">No findings match.</p> : null}
          <Pager offset={offset} limit={LIMIT} count={res.data.findings.length} total={res.data.total} onPage={(o) => setParams({ offset: o ? String(o) : null })} />
        </>
      ) : null}
    </main>
  );
}
