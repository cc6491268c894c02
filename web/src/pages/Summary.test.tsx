import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from '@testing-library/preact';
import { SummaryPage, type SummaryData } from './Summary';

// ECharts needs a canvas jsdom lacks: the chart is tested end to end.
vi.mock('../components/Chart', () => ({ Chart: ({ testid }: { testid: string }) => <div data-testid={testid} /> }));

const data: SummaryData = {
  findings_window: { start: '2026-11-17T00:00:00Z', end: '2026-11-20T00:00:00Z' },
  finding_buckets: [
    { start: '2026-11-17T00:00:00Z', counts: {} },
    { start: '2026-11-17T06:00:00Z', counts: { High: 2 } },
  ],
  recent_findings: [{ id: 'f1', title: 'Mining pool at 198.51.100.24', severity: 8, severity_label: 'High', last_seen: '2026-11-19T23:59:59Z' } as any],
  active_groups: [
    { id: 'group-1', status: 'ACTIVE', parents: [], title: 'Group with: Effect (3)', severity: 8, severityLabel: 'High', tactics: ['Impact'], entities: { Compute: ['instance:i-1'] }, accounts: [], findingCounts: { High: 3 }, firstSeen: '', lastSeen: '', createdAt: '', updatedAt: '', findings: [] },
  ],
  active_groups_total: 12,
  traffic_window: { start: '2026-11-13T00:00:00Z', end: '2026-11-20T00:00:00Z' },
  top_instances: [
    { entity_id: 'instance:i-06c83d300ec0afceb', name: 'i-06c83d300ec0afceb', account_id: '444455556666', bytes_in: 1024, bytes_out: 2048 },
    { entity_id: 'interface:eni-1', name: 'eni-1', account_id: '444455556666', bytes_in: 0, bytes_out: 1 },
  ],
  api_call_window: { start: '2026-11-13T00:00:00Z', end: '2026-11-19T23:43:00Z' },
  top_principals: [
    { entity_id: 'iam_role:arn:aws:iam::444455556666:role/app', principal: 'arn:aws:iam::444455556666:role/app', calls: 1803, failed: 0 },
    { principal: 'AWSService', calls: 350, failed: 0 },
  ],
  newly_observed_window: { start: '2026-11-18T23:43:00Z', end: '2026-11-19T23:43:00Z' },
  newly_observed: [{ entity_id: 'user_agent:XSS <img src=x onerror=alert(1)>', type: 'user_agent', display_name: 'XSS <img src=x onerror=alert(1)>', first_seen: '2026-11-19T12:00:00Z' }],
  ingest: { log_types: [{ log_type: 'vpcflow', objects: 288, records: 203430, rejected: 2, last_ingested_at: '2026-11-23T10:42:16Z', last_object: 'x' }], objects_with_errors: [], watch: [] },
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('summary', () => {
  it('is one request to the summary endpoint, every panel from it', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (u: string) => {
      seen.push(u);
      return new Response(JSON.stringify(data), { status: 200 });
    });
    const v = render(<SummaryPage />);
    await v.findByTestId('top-instances');
    expect(seen).toEqual(['/api/v1/summary']);
    expect(v.getByTestId('severity-chart')).toBeTruthy();
    expect(v.getByText('Active finding groups (12)')).toBeTruthy();
    expect(v.getByText('The 1 most severe of 12.')).toBeTruthy();
    // Links open profiles on the last day of the panel's window.
    expect(v.getByRole('link', { name: 'i-06c83d300ec0afceb' }).getAttribute('href')).toBe('/entities/instance%3Ai-06c83d300ec0afceb?start=2026-11-19T00%3A00&end=2026-11-20T00%3A00');
    expect(v.getByText('(interface)')).toBeTruthy();
    expect(v.getByRole('link', { name: 'arn:aws:iam::444455556666:role/app' }).getAttribute('href')).toBe('/entities/iam_role%3Aarn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fapp?start=2026-11-19T00%3A00&end=2026-11-20T00%3A00');
    expect(v.queryByRole('link', { name: 'AWSService' })).toBeNull();
    // Log values are text.
    expect(v.getByText('XSS <img src=x onerror=alert(1)>')).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
    // Rejected lines are marked by a sign as well as colour.
    expect(v.getByTestId('ingest-status').textContent).toContain('2 ⚠');
  });
  it('says what is missing on an empty database', async () => {
    const empty = { ...data, findings_window: null, finding_buckets: [], recent_findings: [], active_groups: [], active_groups_total: 0, traffic_window: null, top_instances: [], api_call_window: null, top_principals: [], newly_observed_window: null, newly_observed: [], ingest: { log_types: [], objects_with_errors: [], watch: [] } };
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(empty), { status: 200 }));
    const v = render(<SummaryPage />);
    await v.findByText('No findings.');
    for (const t of ['No active finding groups.', 'No flow logs.', 'No CloudTrail events.', 'Nothing new.', 'Nothing ingested yet: see gumshoe ingest.']) expect(v.getByText(t)).toBeTruthy();
  });
});
