import { useRef, useState } from 'preact/hooks';
import { apiGet, runSql, saveBlob, sqlCsv, ApiError, type SqlResult } from '../api';
import { useAsync } from '../hooks';
import { setParams, useLocation } from '../router';
import { ErrorBox, Mono, Pager, Tabs } from '../components/ui';
import { toAthena } from '../athena';
import { toCsv } from '../csv';

const PAGE = 100;
const DEFAULT_SQL = `SELECT interface_id, srcaddr, dstaddr, dstport, protocol, action, sum(bytes) AS bytes, count(*) AS records
FROM flow_logs WHERE log_status = 'OK'
GROUP BY ALL ORDER BY bytes DESC LIMIT 100`;
const DEFAULT_PATTERN = '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]';

interface PatternResult {
  columns?: { name: string; type: string }[];
  rows: any[];
  sql: string;
  athena_sql: string;
  truncated?: boolean;
}

const SCHEMA_SQL = `SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_name IN ('flow_logs', 'cloudtrail_events', 'dns_queries', 'findings', 'entities', 'relationships', 'flow_rollup_hourly', 'ingested_objects', 'ip_info', 'finding_groups', 'finding_group_members')
ORDER BY table_name, ordinal_position`;

export function SqlPage() {
  const { params } = useLocation();
  const mode = params.get('mode') === 'pattern' ? 'pattern' : 'sql';
  const q = params.get('q') ?? (mode === 'pattern' ? DEFAULT_PATTERN : DEFAULT_SQL);
  const run = params.get('run') === '1';
  const [text, setText] = useState(q);
  const [key, setKey] = useState(q + mode);
  if (key !== q + mode) {
    setKey(q + mode);
    setText(q);
  }
  const [page, setPage] = useState(0);
  const [state, setState] = useState<{ res?: SqlResult; pattern?: PatternResult; error?: Error; running: boolean; ms?: number }>({ running: false });
  const ac = useRef<AbortController | null>(null);
  const [copied, setCopied] = useState('');
  const schema = useAsync('schema', (s) => runSql(SCHEMA_SQL, 2000, s));
  const editor = useRef<HTMLTextAreaElement>(null);

  const execute = async (query: string) => {
    ac.current?.abort();
    const c = new AbortController();
    ac.current = c;
    setPage(0);
    setState({ running: true });
    const t0 = performance.now();
    try {
      if (mode === 'pattern') {
        const r = await apiGet<PatternResult>('/flows/pattern', { pattern: query, limit: 1000 }, c.signal);
        setState({ pattern: r, running: false, ms: performance.now() - t0 });
      } else {
        const r = await runSql(query, 10_000, c.signal);
        setState({ res: r, running: false, ms: performance.now() - t0 });
      }
    } catch (e: any) {
      if (e?.name === 'AbortError') setState({ running: false, error: new ApiError(499, 'canceled', 'query canceled') });
      else setState({ running: false, error: e });
    }
  };

  const submit = () => {
    if (text !== q || !run) setParams({ q: text, run: '1' }, false);
    execute(text);
  };

  // A shared link with run=1 runs its query once on arrival.
  const [autorun, setAutorun] = useState(run);
  if (autorun) {
    setAutorun(false);
    setTimeout(() => execute(q), 0);
  }

  const res = state.res;
  const pat = state.pattern;
  const cols = res ? res.columns.map((c) => c.name) : pat ? (pat.columns?.map((c) => c.name) ?? Object.keys(pat.rows[0] ?? {})) : [];
  const rows: unknown[][] = res ? res.rows : pat ? pat.rows.map((r) => (Array.isArray(r) ? r : cols.map((c) => r[c]))) : [];
  const athena = mode === 'pattern' ? (pat?.athena_sql ?? '') : toAthena(text);

  const copy = async (label: string, s: string) => {
    try {
      await navigator.clipboard.writeText(s);
      setCopied(label + ' copied');
    } catch {
      setCopied('copy failed: select the text below');
    }
  };

  const tables = new Map<string, { column_name: string; data_type: string }[]>();
  for (const r of schema.data?.rows ?? []) {
    const [t, c, ty] = r as string[];
    if (!tables.has(t)) tables.set(t, []);
    tables.get(t)!.push({ column_name: c, data_type: ty });
  }
  const insert = (s: string) => {
    const ta = editor.current;
    if (!ta) return;
    const a = ta.selectionStart;
    const b = ta.selectionEnd;
    const v = text.slice(0, a) + s + text.slice(b);
    setText(v);
    setTimeout(() => {
      ta.focus();
      ta.selectionStart = ta.selectionEnd = a + s.length;
    }, 0);
  };

  return (
    <main class="page sql-page">
      <h1>Raw logs / SQL</h1>
      <Tabs
        tabs={[
          { id: 'sql', label: 'SQL' },
          { id: 'pattern', label: 'CloudWatch filter pattern (flow logs)' },
        ]}
        active={mode}
        onSelect={(m) => setParams({ mode: m === 'sql' ? null : m, q: null, run: null })}
      />
      <div class="sql-layout">
        <aside class="schema" aria-label="Table schema">
          <h2>Tables</h2>
          <p class="small muted">Click a name to insert it.</p>
          {[...tables.entries()].map(([t, cs]) => (
            <details open={t === 'flow_logs' && mode === 'sql'}>
              <summary>
                <button type="button" class="link mono" onClick={() => insert(t)}>
                  {t}
                </button>
              </summary>
              <ul>
                {cs.map((c) => (
                  <li>
                    <button type="button" class="link mono small" onClick={() => insert(c.column_name)}>
                      {c.column_name}
                    </button>{' '}
                    <span class="muted small">{c.data_type.toLowerCase()}</span>
                  </li>
                ))}
              </ul>
            </details>
          ))}
        </aside>
        <section class="sql-main">
          <form
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <label class="sr-only" for="sql-editor">
              {mode === 'pattern' ? 'Filter pattern' : 'SQL query'}
            </label>
            <textarea
              id="sql-editor"
              ref={editor}
              class="editor mono"
              spellcheck={false}
              rows={mode === 'pattern' ? 3 : 9}
              value={text}
              onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
                  e.preventDefault();
                  submit();
                }
              }}
            />
            <div class="sql-actions">
              <button type="submit" class="primary" disabled={state.running}>
                Run (Ctrl+Enter)
              </button>
              <button type="button" disabled={!state.running} onClick={() => ac.current?.abort()}>
                Cancel
              </button>
              <button type="button" onClick={() => copy('Athena SQL', athena)} disabled={!athena}>
                Copy as Athena SQL
              </button>
              {mode === 'pattern' && pat ? (
                <button type="button" onClick={() => setParams({ mode: null, q: pat.sql, run: null })}>
                  Edit as SQL
                </button>
              ) : null}
              <button
                type="button"
                disabled={!rows.length}
                onClick={async () => {
                  if (mode === 'sql') saveBlob(await sqlCsv(text, 100_000), 'query.csv');
                  else saveBlob(new Blob([toCsv(cols, rows)], { type: 'text/csv' }), 'pattern.csv');
                }}
              >
                Download CSV
              </button>
              <span class="muted small" role="status">
                {state.running ? 'running…' : copied}
              </span>
            </div>
          </form>
          {mode === 'pattern' ? (
            <p class="small muted">
              Space-delimited flow log filter pattern, as in CloudWatch Logs: <span class="mono">[version, account, eni, source, destination, srcport, destport="22", …]</span>, with <span class="mono">=</span>, <span class="mono">!=</span>, numeric comparisons, <span class="mono">*</span> wildcards and <span class="mono">&&</span>/<span class="mono">||</span>.
            </p>
          ) : (
            <p class="small muted">Read-only: one SELECT; results up to 10,000 rows here (CSV up to 100,000), 30 s.</p>
          )}
          <ErrorBox error={state.error} />
          {athena ? (
            <details>
              <summary>Athena SQL</summary>
              <pre class="json">{athena}</pre>
            </details>
          ) : null}
          {pat ? (
            <details>
              <summary>SQL of this pattern</summary>
              <pre class="json">{pat.sql}</pre>
            </details>
          ) : null}
          {res || pat ? (
            <>
              <p class="small" data-testid="sql-status">
                {rows.length.toLocaleString('en-US')} rows{res?.truncated || pat?.truncated ? ' (truncated)' : ''} in {Math.round(state.ms ?? 0)} ms
              </p>
              <div class="table-wrap">
                <table class="data" data-testid="sql-results">
                  <thead>
                    <tr>
                      {cols.map((c) => (
                        <th>{c}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {rows.slice(page * PAGE, page * PAGE + PAGE).map((r) => (
                      <tr>
                        {r.map((v) => (
                          <td class="cell" title={v == null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v)}>
                            <Mono v={v} />
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager offset={page * PAGE} limit={PAGE} count={Math.min(PAGE, rows.length - page * PAGE)} total={rows.length} onPage={(o) => setPage(o / PAGE)} />
            </>
          ) : null}
        </section>
      </div>
    </main>
  );
}
