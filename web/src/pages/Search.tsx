import { useEffect } from 'preact/hooks';
import { apiGet, type Entity } from '../api';
import { useAsync } from '../hooks';
import { navigate, useLocation } from '../router';
import { ErrorBox, Loading } from '../components/ui';
import { entityHref, fmtTime, lastDayScope, typeName } from '../format';

interface SearchResponse {
  query: string;
  kind: string;
  total: number;
  truncated: boolean;
  by_type: Record<string, Entity[]>;
}

/** lastDay is the 24 hours up to an entity's last activity: the scope a search result opens with. */
const lastDay = (e: Entity) => lastDayScope(e.last_seen);

export function SearchPage() {
  const { params } = useLocation();
  const q = params.get('q') ?? '';
  const res = useAsync(q ? 'search:' + q : null, (s) => apiGet<SearchResponse>('/search', { q }, s));
  const all = res.data ? Object.values(res.data.by_type).flat() : [];
  // One exact hit: go straight to it (replacing the search in history).
  useEffect(() => {
    if (res.data && all.length === 1 && res.data.kind !== 'text') navigate(entityHref(all[0].id, lastDay(all[0])), true);
  }, [res.data]);
  return (
    <main class="page">
      <h1>
        Search <span class="mono h-sub">{q}</span>
      </h1>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {res.data ? (
        <>
          <p class="muted">
            {res.data.total} {res.data.total === 1 ? 'entity' : 'entities'} ({res.data.kind} match){res.data.truncated ? ', first 200 shown' : ''}.
          </p>
          {Object.entries(res.data.by_type).map(([type, list]) => (
            <section class="panel">
              <h2>
                {typeName(type)} ({list.length})
              </h2>
              <table class="compact" data-testid={'search-' + type}>
                <thead>
                  <tr>
                    <th>Entity</th>
                    <th>Account</th>
                    <th>First seen</th>
                    <th>Last seen</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((e) => (
                    <tr>
                      <td class="break">
                        <a href={entityHref(e.id, lastDay(e))}>{e.display_name || e.natural_key}</a>
                      </td>
                      <td class="mono">{e.account_id ?? '–'}</td>
                      <td class="nowrap small">{fmtTime(e.first_seen)}</td>
                      <td class="nowrap small">{fmtTime(e.last_seen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          ))}
          {!all.length ? <p>Nothing matches. Try part of an address, an instance or key ID, or an ARN.</p> : null}
        </>
      ) : null}
    </main>
  );
}
