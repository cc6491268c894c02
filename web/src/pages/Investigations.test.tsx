import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from '@testing-library/preact';
import { InvestigationPage, InvestigationsPage } from './Investigations';

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
  ],
};

function sqlResponse(rows: unknown[][]) {
  return new Response(
    JSON.stringify({ columns: ['investigation_id', 'entity', 'status', 'severity', 'state', 'report'].map((name) => ({ name, type: 'VARCHAR' })), rows, row_count: rows.length, limit: 500, truncated: false }),
    { status: 200 },
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('investigations', () => {
  it('show indicators by type, hostile values as text', async () => {
    vi.stubGlobal('fetch', async (_u: string, init: RequestInit) =>
      String(init.body).includes('information_schema') ? sqlResponse([[1]]) : sqlResponse([[report.InvestigationId, report.Entity, 'SUCCESSFUL', 'HIGH', 'ACTIVE', JSON.stringify(report)]]),
    );
    const v = render(<InvestigationPage id={report.InvestigationId} />);
    await v.findByText('New user agents (1)');
    expect(v.getByText('Related finding groups (1)')).toBeTruthy();
    expect(v.getByText('Impossible travel (0)')).toBeTruthy();
    expect(v.getByText('<img src=x onerror="window.__x=1">')).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
    expect(v.getByText('group-1').getAttribute('href')).toBe('/groups/group-1');
  });
  it('list nothing, without an error, before the first investigation made the table', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (_u: string, init: RequestInit) => {
      seen.push(String(init.body));
      return sqlResponse([[0]]);
    });
    const v = render(<InvestigationsPage />);
    await v.findByText('No investigations yet.');
    expect(v.queryByRole('alert')).toBeNull();
    expect(seen.some((q) => q.includes('FROM investigations'))).toBe(false);
  });
});
