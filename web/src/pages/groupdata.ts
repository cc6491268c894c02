// Finding groups, from GET /api/v1/finding-groups and
// /api/v1/finding-groups/{id} (the detect package's GroupView and
// GroupDetail, camelCase as Detective names them), mapped to the
// console's snake_case fields here and nowhere else.
import { apiGet, type Finding } from '../api';
import { severityLabel } from '../format';

export interface Group {
  group_id: string;
  status: string;
  parents: string[];
  title: string;
  severity: number;
  severity_label: string;
  tactics: string[];
  entities: Record<string, string[]>;
  accounts: string[];
  finding_counts: Record<string, number>;
  first_seen: string;
  last_seen: string;
  updated_at: string;
  findings: string[];
}

/** ApiGroup is the API's group (detect.GroupView). */
export interface ApiGroup {
  id: string;
  status: string;
  parents: string[] | null;
  title: string;
  severity: number;
  severityLabel: string;
  tactics: string[] | null;
  entities: Record<string, string[] | null> | null;
  accounts: string[] | null;
  findingCounts: Record<string, number> | null;
  firstSeen: string;
  lastSeen: string;
  createdAt: string;
  updatedAt: string;
  findings: string[] | null;
}

interface ApiNode {
  id: string;
  kind: string; // "finding", or the entity's category: Identity, Network, Storage, Compute
  label: string;
  type?: string;
  severity?: number;
  source?: string;
}

interface ApiGroupDetail extends ApiGroup {
  nodes: ApiNode[] | null;
  edges: { from: string; to: string }[] | null;
}

export function groupFromApi(g: ApiGroup): Group {
  const entities: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(g.entities ?? {})) entities[k] = v ?? [];
  return {
    group_id: g.id,
    status: g.status,
    parents: g.parents ?? [],
    title: g.title,
    severity: g.severity,
    severity_label: g.severityLabel || severityLabel(g.severity),
    tactics: g.tactics ?? [],
    entities,
    accounts: g.accounts ?? [],
    finding_counts: g.findingCounts ?? {},
    first_seen: g.firstSeen,
    last_seen: g.lastSeen,
    updated_at: g.updatedAt,
    findings: g.findings ?? [],
  };
}

export async function listGroups(signal?: AbortSignal, activeOnly = false): Promise<Group[]> {
  const r = await apiGet<{ groups: ApiGroup[] | null }>('/finding-groups', activeOnly ? { active: true } : undefined, signal);
  return (r.groups ?? []).map(groupFromApi);
}

/** GroupFinding is a finding as the group's graph names it. */
export interface GroupFinding {
  id: string;
  title: string;
  type: string;
  severity: number;
  severity_label: string;
  source: string;
}

export interface GroupDetail {
  group: Group;
  findings: GroupFinding[];
  /** entities: the graph's entity nodes, with their category (Identity, Network, Storage, Compute). */
  entities: { id: string; category: string; label: string }[];
  edges: { finding: string; entity: string }[];
}

/** getGroup reads a group with the graph of its findings and entities, in one request. */
export async function getGroup(id: string, signal?: AbortSignal): Promise<GroupDetail> {
  const d = await apiGet<ApiGroupDetail>('/finding-groups/' + encodeURIComponent(id), undefined, signal);
  const findings: GroupFinding[] = [];
  const entities: GroupDetail['entities'] = [];
  for (const n of d.nodes ?? []) {
    if (n.kind === 'finding') {
      const sev = n.severity ?? 0;
      findings.push({ id: n.id.replace(/^finding:/, ''), title: n.label, type: n.type ?? '', severity: sev, severity_label: severityLabel(sev), source: n.source ?? '' });
    } else entities.push({ id: n.id, category: n.kind, label: n.label });
  }
  findings.sort((a, b) => b.severity - a.severity || a.type.localeCompare(b.type));
  const edges = (d.edges ?? []).map((e) => ({ finding: e.from.replace(/^finding:/, ''), entity: e.to }));
  return { group: groupFromApi(d), findings, entities, edges };
}

/** FindingTimes is what the involved-findings tab adds to a group's finding. */
export interface FindingTimes {
  first_seen: string;
  last_seen: string;
  tactic: string | null;
}

/**
 * findingTimes reads the group's findings themselves (first and last
 * seen, MITRE tactic), which the group's graph does not carry: only when
 * the involved-findings tab is open, so the group page itself is one
 * request.
 */
export async function findingTimes(ids: string[], signal?: AbortSignal): Promise<Map<string, FindingTimes>> {
  const got = await Promise.all(
    ids.map((id) =>
      apiGet<{ finding: Finding }>('/findings/' + encodeURIComponent(id), undefined, signal).then(
        (r) => [id, { first_seen: r.finding.first_seen, last_seen: r.finding.last_seen, tactic: r.finding.raw?.gumshoe?.mitre?.tactic ?? null }] as const,
      ),
    ),
  );
  return new Map(got);
}
