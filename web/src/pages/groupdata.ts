// Finding groups. The JSON API has no group endpoints yet, so the console
// reads the detection package's tables (finding_groups,
// finding_group_members) through the read-only SQL endpoint. Only this
// file knows that; when /api/v1/groups lands, it is the one to change.
import { runSql, sqlObjects, sqlString, type Finding } from '../api';

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
}

const GROUP_COLS = `group_id, status, parents, title, severity, severity_label, tactics, entities, accounts, finding_counts, first_seen, last_seen, updated_at`;

function norm(g: any): Group {
  const j = (v: unknown, d: unknown) => (typeof v === 'string' ? JSON.parse(v) : (v ?? d));
  return {
    ...g,
    parents: j(g.parents, []),
    tactics: j(g.tactics, []),
    entities: j(g.entities, {}),
    accounts: j(g.accounts, []),
    finding_counts: j(g.finding_counts, {}),
  };
}

export async function listGroups(signal?: AbortSignal, activeOnly = false): Promise<Group[]> {
  const r = await runSql(
    `SELECT ${GROUP_COLS} FROM finding_groups ${activeOnly ? "WHERE status = 'ACTIVE'" : ''} ORDER BY status, severity DESC, last_seen DESC`,
    1000,
    signal,
  );
  return sqlObjects(r).map(norm);
}

export interface GroupDetail {
  group: Group;
  findings: (Finding & { tactic: string | null })[];
  edges: { finding: string; entity: string; relationship: string }[];
}

/** getGroup reads a group, its findings and what each finding involves, in one round of parallel queries. */
export async function getGroup(id: string, signal?: AbortSignal): Promise<GroupDetail> {
  const gid = sqlString(id);
  const [g, f, e] = await Promise.all([
    runSql(`SELECT ${GROUP_COLS} FROM finding_groups WHERE group_id = ${gid}`, 1, signal),
    runSql(
      `SELECT f.id, f.source, f.product, f.type, f.severity, f.severity_label, f.title, f.description, f.account_id, f.region,
         f.resource_type, f.instance_id, f.access_key_id, f.principal, f.remote_ip, f.local_port, f.remote_port, f.domain,
         f.first_seen, f.last_seen, f.count, f.archived,
         coalesce(f.raw->>'$.gumshoe.mitre.tactic', NULL) AS tactic
       FROM finding_group_members m JOIN findings f ON f.id = m.finding_id WHERE m.group_id = ${gid}
       ORDER BY f.severity DESC, f.first_seen`,
      1000,
      signal,
    ),
    runSql(
      `SELECT DISTINCT substr(r.from_id, 9) AS finding, r.to_id AS entity, r.type AS relationship
       FROM relationships r JOIN finding_group_members m ON r.from_id = 'finding:' || m.finding_id
       WHERE m.group_id = ${gid} AND r.to_id NOT LIKE 'account:%'`,
      5000,
      signal,
    ),
  ]);
  const rows = sqlObjects(g);
  if (!rows.length) throw Object.assign(new Error('no finding group ' + id), { code: 'not_found' });
  return { group: norm(rows[0]), findings: sqlObjects(f) as any, edges: sqlObjects(e) as any };
}
