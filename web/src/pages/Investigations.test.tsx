import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render } from '@testing-library/preact';
import { humanize, InvestigationPage, InvestigationsPage } from './Investigations';

// A report as GET /api/v1/investigations/{id} sends it (detect.Investigation:
// Detective's field names).
const report = {
  InvestigationId: '000000000000000000001',
  Entity: 'iam_user:arn:aws:iam::777788889999:user/erin',
  EntityType: 'IAM_USER',
  CreatedTime: '2026-11-20T00:00:00Z',
  ScopeStartTime: '2026-11-19T00:00:00Z',
  ScopeEndTime: '2026-11-20T00:00:00Z',
  Status: 'SUCCESSFUL',
  Severity: 'HIGH',
  State: 'ACTIVE',
  Indicators: [
    { IndicatorType: 'NEW_USER_AGENT', IndicatorDetail: { UserAgent: '<img src=x onerror="window.__x=1">', IsNewForEntireAccount: true } },
    { IndicatorType: 'RELATED_FINDING_GROUP', IndicatorDetail: { Id: 'group-1' } },
    { IndicatorType: 'FLAGGED_IP_ADDRESS', IndicatorDetail: { IpAddress: '203.0.113.50', Reason: 'scanner' } },
  ],
};

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status });

/** serve answers fetches from a route table and records what was asked. */
function serve(routes: Record<string, (init?: RequestInit) => Response>) {
  const seen: string[] = [];
  vi.stubGlobal('fetch', async (u: string, init?: RequestInit) => {
    const key = (init?.method ?? 'GET') + ' ' + u;
    seen.push(key + (init?.body ? ' ' + init.body : ''));
    const h = routes[key];
    return h ? h(init) : json({ error: { code: 'not_found', message: 'no such endpoint: ' + key } }, 404);
  });
  return seen;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('investigations', () => {
  it('show a report from the investigation endpoint: indicators by type, hostile values as text, values linked', async () => {
    const seen = serve({ ['GET /api/v1/investigations/' + report.InvestigationId]: () => json(report) });
    const v = render(<InvestigationPage id={report.InvestigationId} />);
    await v.findByText('New user agents (1)');
    expect(seen).toEqual(['GET /api/v1/investigations/000000000000000000001']);
    expect(v.getByText('Related finding groups (1)')).toBeTruthy();
    // Types without indicators are one line, not empty panels.
    expect(v.getByTestId('no-indicators').textContent).toContain('Impossible travel (0)');
    expect(v.queryByRole('region', { name: /Impossible travel/ })).toBeNull();
    expect(v.getByRole('columnheader', { name: 'New for entire account?' })).toBeTruthy();
    expect(v.getByText('<img src=x onerror="window.__x=1">')).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
    expect(v.getByText('group-1').getAttribute('href')).toBe('/groups/group-1');
    expect(v.getByText('203.0.113.50').getAttribute('href')).toBe('/entities/ip%3A203.0.113.50?start=2026-11-19T00%3A00&end=2026-11-20T00%3A00');
  });
  it("name Detective's fields in words", () => {
    expect(humanize('IsNewForEntireAccount')).toBe('New for entire account?');
    expect(humanize('IpAddress')).toBe('IP address');
    expect(humanize('StartingIpAddress')).toBe('Starting IP address');
    expect(humanize('APISuccessCount')).toBe('API success count');
    expect(humanize('Id')).toBe('Id');
  });
  it('archive through the state endpoint and show the new state', async () => {
    const seen = serve({
      ['GET /api/v1/investigations/' + report.InvestigationId]: () => json(report),
      ['POST /api/v1/investigations/' + report.InvestigationId + '/state']: () => json({ ...report, State: 'ARCHIVED' }),
    });
    const v = render(<InvestigationPage id={report.InvestigationId} />);
    fireEvent.click(await v.findByRole('button', { name: 'Archive' }));
    await v.findByRole('button', { name: 'Reactivate' });
    expect(seen).toContain('POST /api/v1/investigations/000000000000000000001/state {"state":"ARCHIVED"}');
    expect(v.getByText('ARCHIVED')).toBeTruthy();
  });
  it('list the stored investigations by state', async () => {
    serve({ 'GET /api/v1/investigations': () => json({ investigations: [report, { ...report, InvestigationId: '2', Entity: 'ip:192.0.2.9', State: 'ARCHIVED' }] }) });
    const v = render(<InvestigationsPage />);
    const link = await v.findByRole('link', { name: 'arn:aws:iam::777788889999:user/erin' });
    expect(link.getAttribute('href')).toBe('/investigations/000000000000000000001');
    expect(v.queryByText('192.0.2.9')).toBeNull(); // archived: not on the Active tab
    expect(v.getByRole('cell', { name: '3' })).toBeTruthy(); // indicators
  });
  it('list nothing, without an error, when there are none yet', async () => {
    serve({ 'GET /api/v1/investigations': () => json({ investigations: [] }) });
    const v = render(<InvestigationsPage />);
    await v.findByText('No investigations yet.');
    expect(v.queryByRole('alert')).toBeNull();
  });
  it('say what went wrong, with the request ID, when the server refuses', async () => {
    serve({ ['GET /api/v1/investigations/x']: () => json({ error: { code: 'not_found', message: 'no such investigation: x', request_id: 'req-9' } }, 404) });
    const v = render(<InvestigationPage id="x" />);
    const alert = await v.findByRole('alert');
    expect(alert.textContent).toContain('not_found: no such investigation: x');
    expect(alert.textContent).toContain('req-9');
  });
});
