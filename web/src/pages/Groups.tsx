import { lazy, Suspense } from 'preact/compat';
import { useMemo } from 'preact/hooks';
import { useAsync } from '../hooks';
import { setParams, useLocation } from '../router';
import { ErrorBox, KV, Loading, Panel, SeverityBadge, Tabs } from '../components/ui';
import { entityHref, entityKey, entityType, fmtNum, fmtTime, isoMinute, typeName } from '../format';
import { findingTimes, getGroup, listGroups, type Group } from './groupdata';
import type { GraphEdge, GraphNode } from '../components/Graph';
import { RunInvestigation } from './Investigations';

const Graph = lazy(() => import('../components/Graph').then((m) => ({ default: m.Graph })));

const TACTICS = ['Initial Access', 'Execution', 'Persistence', 'Privilege Escalation', 'Defense Evasion', 'Credential Access', 'Discovery', 'Lateral Movement', 'Collection', 'Command and Control', 'Exfiltration', 'Impact', 'Other'];

/** TacticsChain shows where a group's tactics fall in the ATT&CK order: compact squares (named on hover and for screen readers), or with labels every tactic by name. */
export function TacticsChain({ tactics, labels = false }: { tactics: string[]; labels?: boolean }) {
  if (labels) {
    return (
      <ol class="tactics labelled" aria-label="Tactics chain">
        {TACTICS.map((t) => {
          const on = tactics.includes(t);
          return (
            <li class={on ? 'on' : ''}>
              <span aria-hidden="true">{on ? '■ ' : ''}</span>
              {t}
              {on ? <span class="sr-only"> (in this group)</span> : null}
            </li>
          );
        })}
      </ol>
    );
  }
  return (
    <ol class="tactics" aria-label="Tactics chain">
      {TACTICS.map((t) => {
        const on = tactics.includes(t);
        return (
          <li class={on ? 'on' : ''} title={t + (on ? ' (in this group)' : '')}>
            <span aria-hidden="true">{on ? '■' : '□'}</span>
            <span class="sr-only">
              {t}
              {on ? ' (in this group)' : ''}
            </span>
          </li>
        );
      })}
    </ol>
  );
}

function entityCount(g: Group) {
  return Object.entries(g.entities)
    .filter(([, v]) => v.length)
    .map(([k, v]) => `${k} ${v.length}`)
    .join(' · ');
}

export function GroupsPage() {
  const { params } = useLocation();
  const status = params.get('status') ?? 'ACTIVE';
  const res = useAsync('groups', (s) => listGroups(s));
  const list = (res.data ?? []).filter((g) => status === 'all' || g.status === status);
  return (
    <main class="page">
      <h1>Finding groups</h1>
      <p class="muted small">Findings that share an instance, principal, session, key, external address or domain within 48 hours, as Detective groups them.</p>
      <Tabs
        tabs={[
          { id: 'ACTIVE', label: 'Active' },
          { id: 'INACTIVE', label: 'Inactive (merged into a child)' },
          { id: 'all', label: 'All' },
        ]}
        active={status}
        onSelect={(s) => setParams({ status: s === 'ACTIVE' ? null : s })}
      />
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {res.data ? (
        <table class="data" data-testid="groups-table">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Title</th>
              <th>Tactics</th>
              <th>Entities</th>
              <th>Accounts</th>
              <th>Findings</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {list.map((g) => (
              <tr>
                <td>
                  <SeverityBadge label={g.severity_label} />
                </td>
                <td>
                  <a href={'/groups/' + encodeURIComponent(g.group_id)}>{g.title}</a>
                  <div class="mono small muted">
                    {g.group_id} {g.status === 'INACTIVE' ? '(inactive)' : ''}
                  </div>
                </td>
                <td>
                  <TacticsChain tactics={g.tactics} />
                  <div class="small">{g.tactics.join(', ')}</div>
                </td>
                <td class="small break">
                  {Object.values(g.entities)
                    .flat()
                    .slice(0, 4)
                    .map((e) => (
                      <div>
                        <span class="muted">{typeName(entityType(e))}</span> <span class="mono">{entityKey(e)}</span>
                      </div>
                    ))}
                  <div class="muted">{entityCount(g)}</div>
                </td>
                <td class="mono small">{g.accounts.join(', ')}</td>
                <td class="small">
                  {Object.entries(g.finding_counts)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(' · ')}
                </td>
                <td class="nowrap small">{fmtTime(g.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {res.data && !list.length ? <p class="muted">No groups.</p> : null}
    </main>
  );
}

export function GroupPage({ id }: { id: string }) {
  const { params } = useLocation();
  const tab = params.get('tab') ?? 'entities';
  const labels = params.get('labels') !== '0';
  const selected = params.getAll('node');
  const res = useAsync('group:' + id, (s) => getGroup(id, s));
  const d = res.data;

  const graph = useMemo(() => {
    if (!d) return null;
    // Finding labels carry the severity in words (colour is not the only
    // sign of it) and the type's last part, short enough not to overlap.
    const nodes: GraphNode[] = d.findings.map((f) => ({ id: 'finding:' + f.id, label: `${f.severity_label} · ${f.type.split('/').pop()}`, kind: 'finding', category: 'Finding', severity: f.severity_label }));
    for (const e of d.entities) nodes.push({ id: e.id, label: e.label, kind: 'entity', category: e.category });
    const edges: GraphEdge[] = d.edges.map((e) => ({ source: 'finding:' + e.finding, target: e.entity }));
    return { nodes, edges };
  }, [d]);
  const times = useAsync(d && tab === 'findings' ? 'times:' + id : null, (s) => findingTimes(d!.findings.map((f) => f.id), s));

  const sc = d ? { start: isoMinute(new Date(Date.parse(d.group.first_seen) - 3600e3)), end: isoMinute(new Date(Math.ceil((Date.parse(d.group.last_seen) + 1) / 3600e3) * 3600e3 + 3600e3)) } : {};
  const findingById = new Map(d?.findings.map((f) => ['finding:' + f.id, f]));

  return (
    <main class="page">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/groups">Finding groups</a> › <span class="mono">{id}</span>
      </nav>
      <ErrorBox error={res.error} />
      <Loading on={res.loading} />
      {d && graph ? (
        <>
          <h1>
            <SeverityBadge label={d.group.severity_label} /> {d.group.title}
          </h1>
          <KV
            items={[
              ['Status', d.group.status + (d.group.parents.length ? ` (child of ${d.group.parents.join(', ')})` : '')],
              ['Scope time', `${fmtTime(d.group.first_seen)} → ${fmtTime(d.group.last_seen)} UTC`],
              ['Accounts', d.group.accounts.join(', ')],
              ['Findings', Object.entries(d.group.finding_counts).map(([k, v]) => `${k} ${v}`).join(' · ')],
            ]}
          />
          {(() => {
            // Detective investigates principals: offer the group's first identity (else its first entity).
            const ids = d.group.entities.Identity?.length ? d.group.entities.Identity : Object.values(d.group.entities).flat();
            return ids.length ? (
              <p>
                <span class="small">Investigate {entityKey(ids[0])}: </span>
                <RunInvestigation entity={ids[0]} start={sc.start} end={sc.end} />
              </p>
            ) : null;
          })()}
          <h2>Tactics</h2>
          <TacticsChain tactics={d.group.tactics} labels />
          <Panel
            title="Visualization"
            actions={
              <label>
                <input type="checkbox" checked={labels} onChange={() => setParams({ labels: labels ? '0' : null }, true)} /> Labels
              </label>
            }
          >
            <p class="small muted">Stars are findings, labelled with their severity and type; other shapes are entities: ◇ identity, ○ network, ▭ compute, ⌸ storage. Drag nodes to rearrange; click or shift-drag to select; the tables below list the same.</p>
            <div class="graph-layout">
              <Suspense fallback={<Loading on={true} />}>
                <Graph nodes={graph.nodes} edges={graph.edges} labels={labels} onSelect={(ids) => setParams({ node: ids }, true)} />
              </Suspense>
              <aside class="graph-side" aria-live="polite" data-testid="graph-selection">
                <h3>Selected ({selected.length})</h3>
                {!selected.length ? <p class="muted small">Select nodes to see their details.</p> : null}
                <ul>
                  {selected.map((n) => {
                    const f = findingById.get(n);
                    return (
                      <li>
                        {f ? (
                          <>
                            <SeverityBadge label={f.severity_label} /> <a href={'/findings/' + encodeURIComponent(f.id)}>{f.title}</a>
                          </>
                        ) : (
                          <>
                            <span class="muted small">{typeName(entityType(n))}</span> <a href={entityHref(n, sc)}>{entityKey(n)}</a>
                          </>
                        )}
                      </li>
                    );
                  })}
                </ul>
              </aside>
            </div>
          </Panel>
          <Tabs
            tabs={[
              { id: 'entities', label: `Involved entities (${graph.nodes.filter((n) => n.kind === 'entity').length})` },
              { id: 'findings', label: `Involved findings (${d.findings.length})` },
            ]}
            active={tab}
            onSelect={(t) => setParams({ tab: t === 'entities' ? null : t })}
          />
          {tab === 'entities' ? (
            <table class="data" data-testid="group-entities">
              <thead>
                <tr>
                  <th>Category</th>
                  <th>Type</th>
                  <th>Entity</th>
                  <th class="num">Linked findings</th>
                </tr>
              </thead>
              <tbody>
                {graph.nodes
                  .filter((n) => n.kind === 'entity')
                  .map((n) => (
                    <tr>
                      <td>{n.category}</td>
                      <td>{typeName(entityType(n.id))}</td>
                      <td class="break">
                        <a href={entityHref(n.id, sc)}>{entityKey(n.id)}</a>
                      </td>
                      <td class="num">{fmtNum(graph.edges.filter((e) => e.target === n.id).length)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          ) : (
            <>
            <ErrorBox error={times.error} />
            <Loading on={times.loading} />
            <table class="data" data-testid="group-findings">
              <thead>
                <tr>
                  <th>Severity</th>
                  <th>Finding</th>
                  <th>Tactic</th>
                  <th>Entities</th>
                  <th>First seen</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {d.findings.map((f) => (
                  <tr>
                    <td>
                      <SeverityBadge label={f.severity_label} />
                    </td>
                    <td>
                      <a href={'/findings/' + encodeURIComponent(f.id)}>{f.title}</a>
                      <div class="mono small muted">{f.type}</div>
                    </td>
                    <td class="small">{times.data ? (times.data.get(f.id)?.tactic ?? '–') : '…'}</td>
                    <td class="small break ids">
                      {d.edges
                        .filter((e) => e.finding === f.id)
                        .map((e) => (
                          <div>
                            <a href={entityHref(e.entity, sc)}>{entityKey(e.entity)}</a>
                          </div>
                        ))}
                    </td>
                    <td class="nowrap small">{times.data ? fmtTime(times.data.get(f.id)?.first_seen) : '…'}</td>
                    <td class="nowrap small">{times.data ? fmtTime(times.data.get(f.id)?.last_seen) : '…'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </>
          )}
        </>
      ) : null}
    </main>
  );
}
