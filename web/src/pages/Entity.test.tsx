import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, waitFor } from '@testing-library/preact';
import { EntityPage } from './Entity';

vi.mock('../components/Chart', () => ({
  Chart: (p: { testid?: string }) => <div data-testid={p.testid} />,
  timeTooltip: () => () => '',
}));

const ID = 'instance:i-084b9491016299336';
const entity = { id: ID, type: 'instance', natural_key: 'i-084b9491016299336', display_name: 'i-084b9491016299336', account_id: '777788889999', first_seen: '2026-11-17T00:03:15Z', last_seen: '2026-11-19T23:59:59Z' };
const PANELS = ['/findings', '/api-calls', '/observed/ips', '/roles', '/buckets', '/flow-volume'];

/** serve answers the profile's requests; the default scope is the last day of activity (the entity is idle on "now", 2026-11-23). */
function serve() {
  const seen: URL[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    const u = new URL(url, 'http://x');
    seen.push(u);
    const start = u.searchParams.get('start');
    const scope = start
      ? { start: start + ':00Z', end: u.searchParams.get('end') + ':00Z', bucket_seconds: 3600, source: 'request' }
      : { start: '2026-11-19T00:00:00Z', end: '2026-11-20T00:00:00Z', bucket_seconds: 900, source: 'entity_last_activity' };
    const rest = u.pathname.replace('/api/v1/entities/' + encodeURIComponent(ID), '');
    let body: unknown;
    if (rest === '') body = { entity, scope, panels: ['details', 'findings', 'api-calls', 'observed', 'buckets', 'flow-volume', 'flows'], related: [] };
    else if (rest === '/findings') body = { findings: [{ id: 'f1', type: 'Recon:EC2/Portscan', title: 'Port scan', severity: 5, severity_label: 'Medium', first_seen: '2026-11-19T02:12:30Z', last_seen: '2026-11-19T02:16:10Z' }] };
    else if (rest === '/roles') return new Response(JSON.stringify({ error: { code: 'not_applicable', message: 'no roles panel' } }), { status: 404 });
    else if (rest === '/api-calls') body = { scope, buckets: [], total_success: 0, total_failure: 0, baseline_avg_success: 0, baseline_avg_failure: 0 };
    else if (rest === '/observed/ips') body = { kind: 'ips', newly_observed: 0, values: [] };
    else if (rest === '/buckets') body = { rows: [] };
    else body = { window: scope, buckets: [] };
    return new Response(JSON.stringify(body), { status: 200 });
  });
  return seen;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  history.replaceState(null, '', '/');
});

describe('entity profile', () => {
  it('asks every panel at once when the URL has a scope', async () => {
    history.replaceState(null, '', '/entities/' + encodeURIComponent(ID) + '?start=2026-11-19T00:00&end=2026-11-20T00:00');
    const seen = serve();
    const v = render(<EntityPage id={ID} />);
    await v.findByTestId('related');
    await waitFor(() => expect(seen.length).toBe(7));
    expect(seen.filter((u) => u.pathname.endsWith('/findings') || u.searchParams.get('start') === '2026-11-19T00:00').length).toBe(7);
    // "set scope" asks for the finding's window, which the server sets (to the minute).
    expect((await v.findByText('set scope')).getAttribute('href')).toBe('/entities/' + encodeURIComponent(ID) + '?finding=f1');
  });
  it('without a scope, asks every panel at once without one and shows the scope the server chose', async () => {
    history.replaceState(null, '', '/entities/' + encodeURIComponent(ID));
    const seen = serve();
    const v = render(<EntityPage id={ID} />);
    await waitFor(() => expect(seen.length).toBe(7));
    // All at once: the seven requests are out before the first answer is shown.
    expect(seen.map((u) => u.pathname.replace('/api/v1/entities/' + encodeURIComponent(ID), '')).sort()).toEqual(['', ...PANELS].sort());
    expect(seen.every((u) => !u.searchParams.has('start') && !u.searchParams.has('end'))).toBe(true);
    await v.findByText(/Scope 2026-11-19 00:00:00 → 2026-11-20 00:00:00 UTC \(the last day of its activity/);
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.length).toBe(7);
    expect(location.search).toBe('');
    // The flow details link carries the scope shown.
    expect(v.getByText(/flow details/i, { selector: 'a' }).getAttribute('href')).toContain('start=2026-11-19T00%3A00');
  });
});
