// The finding-group graph (Cytoscape.js). Labels are drawn on the canvas
// as text, never as HTML; node details show in a panel rendered by Preact.
import { useEffect, useRef } from 'preact/hooks';
import cytoscape from 'cytoscape';

export interface GraphNode {
  id: string;
  label: string;
  kind: 'finding' | 'entity';
  category: string;
  severity?: string;
}
export interface GraphEdge {
  source: string;
  target: string;
}

const SEV_COLORS: Record<string, string> = { Critical: '#7f1d1d', High: '#dc2626', Medium: '#ea580c', Low: '#2563eb', Informational: '#6b7280' };
const CAT_SHAPES: Record<string, string> = { Compute: 'round-rectangle', Network: 'ellipse', Identity: 'diamond', Storage: 'barrel', Other: 'hexagon' };

export function Graph({ nodes, edges, labels, onSelect }: { nodes: GraphNode[]; edges: GraphEdge[]; labels: boolean; onSelect: (ids: string[]) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const cy = useRef<cytoscape.Core | null>(null);
  const sel = useRef(onSelect);
  sel.current = onSelect;

  useEffect(() => {
    // Cytoscape injects a one-rule <style> element unless an element with
    // its id exists; the CSP forbids inline styles, so the rule is in
    // style.css and a placeholder takes the id.
    if (!document.getElementById('__________cytoscape_stylesheet')) {
      const m = document.createElement('meta');
      m.id = '__________cytoscape_stylesheet';
      document.head.appendChild(m);
    }
    const c = cytoscape({
      container: el.current!,
      elements: [
        ...nodes.map((n) => ({ data: { ...n, color: n.kind === 'finding' ? SEV_COLORS[n.severity ?? ''] ?? '#6b7280' : '#475569', shape: n.kind === 'finding' ? 'star' : CAT_SHAPES[n.category] ?? 'ellipse' } })),
        ...edges.map((e, i) => ({ data: { id: 'e' + i, source: e.source, target: e.target } })),
      ],
      style: [
        {
          selector: 'node',
          style: {
            'background-color': 'data(color)',
            shape: 'data(shape)' as any,
            width: 26,
            height: 26,
            'font-size': 10,
            'text-wrap': 'ellipsis',
            'text-max-width': '160px',
            'text-valign': 'bottom',
            'text-margin-y': 4,
            color: '#111827',
          },
        },
        { selector: 'node[kind = "finding"]', style: { width: 34, height: 34 } },
        { selector: 'node.labelled', style: { label: 'data(label)' } },
        { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#f59e0b' } },
        { selector: 'edge', style: { width: 1.5, 'line-color': '#94a3b8', 'curve-style': 'bezier' } },
      ],
      // Findings in the middle, the entities they share around them.
      layout: { name: 'concentric', animate: false, padding: 40, minNodeSpacing: 70, concentric: (n: any) => (n.data('kind') === 'finding' ? 2 : 1), levelWidth: () => 1 } as any,
      maxZoom: 2,
      wheelSensitivity: 0.3,
      boxSelectionEnabled: true,
    });
    cy.current = c;
    const emit = () => sel.current(c.$('node:selected').map((n) => n.id()));
    c.on('select unselect', 'node', emit);
    (window as any).__gumshoeGraph = c; // for the end-to-end test
    return () => c.destroy();
  }, [nodes, edges]);

  useEffect(() => {
    const c = cy.current!;
    if (labels) c.nodes().addClass('labelled');
    else c.nodes().removeClass('labelled');
  }, [labels, nodes]);

  return <div ref={el} class="graph" role="img" aria-label="Graph of the group's findings and entities; the tables below list the same" data-testid="group-graph" />;
}
