import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from '@testing-library/preact';
import { GroupPage, GroupsPage } from './Groups';
import { groupFromApi, type ApiGroup } from './groupdata';

// Shapes as GET /api/v1/finding-groups[/{id}] send them (detect.GroupView
// and GroupDetail).
const group: ApiGroup = {
  id: 'group-5d84',
  status: 'ACTIVE',
  parents: [],
  title: 'Group with: Effect (2)',
  severity: 8,
  severityLabel: 'High',
  tactics: ['Command and Control', 'Impact'],
  entities: { Compute: ['instance:i-084b9491016299336'], Identity: null, Network: ['domain:<b>pool</b>.example', 'ip:198.51.100.24'], Storage: [] },
  accounts: ['777788889999'],
  findingCounts: { High: 1, Medium: 1 },
  firstSeen: '2026-11-18T22:15:00Z',
  lastSeen: '2026-11-19T23:59:59Z',
  createdAt: '2026-11-20T00:00:00Z',
  updatedAt: '2026-11-20T00:00:00Z',
  findings: ['f1', 'f2'],
};
const detail = {
  ...group,
  nodes: [
    { id: 'finding:f2', kind: 'finding', label: 'Unusual server port 3333', type: 'Behavior:EC2/NetworkPortUnusual', severity: 5, source: 'gumshoe' },
    { id: 'instance:i-084b9491016299336', kind: 'Compute', label: 'i-084b9491016299336' },
    { id: 'finding:f1', kind: 'finding', label: 'Mining pool at 198.51.100.24', type: 'CryptoCurrency:EC2/BitcoinTool.B', severity: 8, source: 'gumshoe' },
    { id: 'ip:198.51.100.24', kind: 'Network', label: '198.51.100.24' },
    { id: 'domain:<b>pool</b>.example', kind: 'Network', label: '<b>pool</b>.example' },
  ],
  edges: [
    { from: 'finding:f1', to: 'instance:i-084b9491016299336' },
    { from: 'finding:f1', to: 'ip:198.51.100.24' },
    { from: 'finding:f2', to: 'instance:i-084b9491016299336' },
    { from: 'finding:f2', to: 'domain:<b>pool</b>.example' },
  ],
};

const json = (v: unknown, status = 200) => new Response(JSON.stringify(v), { status });

function serve(routes: Record<string, () => Response>) {
  const seen: string[] = [];
  vi.stubGlobal('fetch', async (u: string) => {
    seen.push(u);
    return routes[u]?.() ?? json({ error: { code: 'not_found', message: 'no such endpoint: ' + u } }, 404);
  });
  return seen;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  history.replaceState(null, '', '/');
});

describe('finding groups', () => {
  it("map the API's camelCase group to the console's fields, nulls to empty", () => {
    const g = groupFromApi(group);
    expect(g.group_id).toBe('group-5d84');
    expect(g.severity_label).toBe('High');
    expect(g.finding_counts).toEqual({ High: 1, Medium: 1 });
    expect(g.entities.Identity).toEqual([]);
    expect(g.first_seen).toBe('2026-11-18T22:15:00Z');
    expect(groupFromApi({ ...group, tactics: null, parents: null, accounts: null, findingCounts: null, entities: null }).tactics).toEqual([]);
  });
  it('list groups from the groups endpoint', async () => {
    const seen = serve({ '/api/v1/finding-groups': () => json({ groups: [group, { ...group, id: 'group-old', status: 'INACTIVE', title: 'Old group' }] }) });
    const v = render(<GroupsPage />);
    const link = await v.findByRole('link', { name: 'Group with: Effect (2)' });
    expect(link.getAttribute('href')).toBe('/groups/group-5d84');
    expect(v.queryByText('Old group')).toBeNull(); // inactive: not on the Active tab
    expect(v.getByText('Compute 1 · Network 2')).toBeTruthy();
    // The entities name the group (the titles repeat); log values stay text.
    expect(v.getByText('i-084b9491016299336')).toBeTruthy();
    expect(v.getByText('<b>pool</b>.example')).toBeTruthy();
    expect(v.getByTestId('groups-table').querySelector('b')).toBeNull();
    expect(v.getByText('High 1 · Medium 1')).toBeTruthy();
    expect(seen).toEqual(['/api/v1/finding-groups']);
  });
  it('show a group from one request: entities from the graph, hostile names as text', async () => {
    const seen = serve({ '/api/v1/finding-groups/group-5d84': () => json(detail) });
    const v = render(<GroupPage id="group-5d84" />);
    await v.findByText('Involved entities (3)');
    expect(seen).toEqual(['/api/v1/finding-groups/group-5d84']);
    const table = v.getByTestId('group-entities');
    expect(table.textContent).toContain('<b>pool</b>.example');
    expect(table.querySelector('b')).toBeNull();
    // The instance is linked from both findings; the scope is the group's window, an hour either side.
    const row = [...table.querySelectorAll('tr')].find((r) => r.textContent!.includes('i-084b9491016299336'))!;
    expect(row.textContent).toContain('Compute');
    expect(row.querySelector('td.num')!.textContent).toBe('2');
    expect(row.querySelector('a')!.getAttribute('href')).toBe('/entities/instance%3Ai-084b9491016299336?start=2026-11-18T21%3A15&end=2026-11-20T01%3A00');
    // Every tactic is named, the group's marked in words too.
    const on = [...document.querySelectorAll('.tactics.labelled li.on')].map((li) => li.textContent);
    expect(on).toEqual(['■ Command and Control (in this group)', '■ Impact (in this group)']);
    expect(document.querySelectorAll('.tactics.labelled li').length).toBe(13);
    expect(v.getByText('Involved findings (2)')).toBeTruthy();
  });
  it('read the findings of the involved-findings tab only when it is open, most severe first', async () => {
    history.replaceState(null, '', '/groups/group-5d84?tab=findings');
    const finding = (id: string, tactic: string) => () =>
      json({ finding: { id, first_seen: '2026-11-18T22:15:00Z', last_seen: '2026-11-19T23:59:59Z', raw: { gumshoe: { mitre: { tactic } } } } });
    const seen = serve({ '/api/v1/finding-groups/group-5d84': () => json(detail), '/api/v1/findings/f1': finding('f1', 'Impact'), '/api/v1/findings/f2': finding('f2', 'Command and Control') });
    const v = render(<GroupPage id="group-5d84" />);
    await v.findAllByText('2026-11-19 23:59:59');
    const rows = [...v.getByTestId('group-findings').querySelectorAll('tbody tr')].map((r) => r.textContent);
    expect(rows[0]).toContain('Mining pool at 198.51.100.24');
    expect(rows[0]).toContain('2026-11-18 22:15:00');
    expect(rows[1]).toContain('Command and Control');
    expect(seen.sort()).toEqual(['/api/v1/finding-groups/group-5d84', '/api/v1/findings/f1', '/api/v1/findings/f2']);
  });
});
