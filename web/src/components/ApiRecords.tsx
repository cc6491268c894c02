// The CloudTrail events behind an entity's API call panels (a bucket of
// the timeline, an observed address, user agent or operation), with their
// provenance and SQL: Detective's "Query raw logs", without Athena.
import { apiGet } from '../api';
import { useAsync } from '../hooks';
import { toAthena } from '../athena';
import { fmtTime } from '../format';
import { ErrorBox, Loading, Mono, Pager } from './ui';
import { RecordActions } from './RecordActions';

interface ApiRecordsResponse {
  start: string;
  end: string;
  offset: number;
  limit: number;
  more: boolean;
  sql: string;
  records: Record<string, unknown>[];
}

export interface ApiRecordsQuery {
  start?: string | null;
  end?: string | null;
  bucket?: string | null;
  ip?: string | null;
  user_agent?: string | null;
  operation?: string | null;
}

const COLS = ['event_time', 'event_source', 'event_name', 'source_ip', 'user_agent', 'error_code', 'aws_region', 'access_key_id', 'object_uri', 'object_record'];

export function ApiRecords({ entity, q, offset, title, onPage, onClose }: { entity: string; q: ApiRecordsQuery; offset: number; title: string; onPage: (o: number) => void; onClose: () => void }) {
  const params = { ...q, limit: 100, offset };
  const res = useAsync('ct' + entity + JSON.stringify(params), (s) => apiGet<ApiRecordsResponse>('/entities/' + encodeURIComponent(entity) + '/api-calls/records', params, s));
  const d = res.data;
  return (
    <section class="drawer" role="dialog" aria-label={title} data-testid="api-records">
      <header class="panel-head">
        <h2>{title}</h2>
        <div class="panel-actions">
          {d ? <RecordActions sql={d.sql} athenaSql={toAthena(d.sql)} cols={COLS} records={d.records} file="cloudtrail-events.csv" /> : null}
          <button type="button" onClick={onClose} aria-label="Close CloudTrail events">
            Close ✕
          </button>
        </div>
      </header>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {d ? (
        <>
          <p class="muted small">
            {fmtTime(d.start)} → {fmtTime(d.end)} UTC. Expand a row for the raw event.
          </p>
          <div class="table-wrap">
            <table class="data records-table">
              <thead>
                <tr>
                  {COLS.map((c) => (
                    <th>{c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.records.map((r) => (
                  <>
                    <tr>
                      {COLS.map((c) => (
                        <td class="cell" title={c === 'object_uri' || c === 'user_agent' ? String(r[c] ?? '') : undefined}>
                          <Mono v={c === 'event_time' ? fmtTime(r[c] as string) : c === 'object_uri' ? String(r[c] ?? '').split('/').pop() : r[c]} />
                        </td>
                      ))}
                    </tr>
                    <tr class="raw-row">
                      <td colSpan={COLS.length}>
                        <details>
                          <summary class="small">raw event {String(r.event_id ?? '')}</summary>
                          <pre class="json">{typeof r.raw === 'string' ? prettyJson(r.raw) : JSON.stringify(r.raw, null, 2)}</pre>
                        </details>
                      </td>
                    </tr>
                  </>
                ))}
              </tbody>
            </table>
          </div>
          {!d.records.length ? <p class="muted">No events.</p> : null}
          <Pager offset={offset} limit={d.limit} count={d.records.length} more={d.more} onPage={onPage} />
        </>
      ) : null}
    </section>
  );
}

function prettyJson(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}
