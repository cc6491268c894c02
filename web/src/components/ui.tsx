import type { ComponentChildren } from 'preact';
import { ApiError } from '../api';
import { fmtTime, isoMinute, parseTime } from '../format';
import { useState } from 'preact/hooks';

export function SeverityBadge({ label, value }: { label: string; value?: number }) {
  const l = label || 'Informational';
  return (
    <span class={'sev sev-' + l.toLowerCase()} title={value != null ? `severity ${value}` : undefined}>
      <span class="sev-icon" aria-hidden="true">{{ Critical: '◆', High: '▲', Medium: '■', Low: '●', Informational: '○' }[l] ?? '○'}</span>
      {l}
      {value != null ? ` ${value}` : ''}
    </span>
  );
}

export function ErrorBox({ error }: { error?: Error }) {
  if (!error) return null;
  if (error.name === 'AbortError') return null;
  const e = error as ApiError;
  return (
    <div class="error" role="alert">
      <strong>{e.code ? e.code + ': ' : 'error: '}</strong>
      {e.message}
      {e.requestId ? <span class="muted"> (request {e.requestId})</span> : null}
    </div>
  );
}

export function Loading({ on }: { on: boolean }) {
  return on ? (
    <span class="loading" role="status">
      loading…
    </span>
  ) : null;
}

export function Panel({ title, children, actions, id, wide }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string; wide?: boolean }) {
  return (
    <section class={wide ? 'panel wide' : 'panel'} id={id} aria-label={title}>
      <header class="panel-head">
        <h2>{title}</h2>
        <div class="panel-actions">{actions}</div>
      </header>
      <div class="panel-body">{children}</div>
    </section>
  );
}

export function KV({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {items.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>{v ?? '–'}</dd>
        </>
      ))}
    </dl>
  );
}

export function Tabs({ tabs, active, onSelect }: { tabs: { id: string; label: string }[]; active: string; onSelect: (id: string) => void }) {
  return (
    <div class="tabs" role="tablist">
      {tabs.map((t) => (
        <button
          role="tab"
          type="button"
          aria-selected={t.id === active}
          class={t.id === active ? 'tab active' : 'tab'}
          onClick={() => onSelect(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** SortHeader is a column header that sorts the table, its state in the URL. */
export function SortHeader({ col, label, sort, order, onSort, num }: { col: string; label: string; sort: string; order: string; onSort: (c: string, o: string) => void; num?: boolean }) {
  const active = sort === col;
  const next = active && order === 'desc' ? 'asc' : 'desc';
  return (
    <th class={num ? 'num' : undefined} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="sort" onClick={() => onSort(col, next)}>
        {label}
        <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
      </button>
    </th>
  );
}

const PRESETS: [string, number][] = [
  ['1 h', 1],
  ['6 h', 6],
  ['24 h', 24],
  ['3 d', 72],
  ['7 d', 168],
  ['30 d', 720],
];

/** scopeTime reads a typed UTC time, YYYY-MM-DD HH:MM (or with a T), to the minute. */
export function scopeTime(v: string): Date | null {
  const m = /^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})\s*$/.exec(v);
  return m ? parseTime(m[1] + 'T' + m[2]) : null;
}

/**
 * ScopePicker edits a scope time: presets (ending at the current end, or
 * at `anchor`, the last data) and exact start and end in UTC.
 */
export function ScopePicker({ start, end, anchor, onChange, onReset, resetLabel }: { start: string; end: string; anchor?: string; onChange: (s: string, e: string) => void; onReset?: () => void; resetLabel?: string }) {
  // Plain text in the console's one time format (2026-11-19 23:00, UTC):
  // a datetime-local input shows the browser's locale (11/19/2026, 11:00 PM).
  const shown = (t: string) => (t ? isoMinute(new Date(t)).replace('T', ' ') : '');
  const [s, setS] = useState(shown(start));
  const [e, setE] = useState(shown(end));
  const [key, setKey] = useState(start + end);
  if (key !== start + end) {
    setKey(start + end);
    setS(shown(start));
    setE(shown(end));
  }
  const endAt = parseTime(anchor) ?? parseTime(end) ?? new Date();
  const ps = scopeTime(s);
  const pe = scopeTime(e);
  const bad = !ps || !pe || ps >= pe;
  return (
    <form
      class="scope"
      aria-label="Scope time"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!bad) onChange(isoMinute(ps!), isoMinute(pe!));
      }}
    >
      <span class="scope-label">Scope (UTC)</span>
      {PRESETS.map(([l, h]) => {
        const en = new Date(Math.ceil(endAt.getTime() / 3600e3) * 3600e3);
        const st = new Date(en.getTime() - h * 3600e3);
        return (
          <button type="button" class="chip" title={`${h} hours up to ${fmtTime(en)}`} onClick={() => onChange(isoMinute(st), isoMinute(en))}>
            {l}
          </button>
        );
      })}
      <label>
        start <input class="mono time" value={s} onInput={(ev) => setS((ev.target as HTMLInputElement).value)} aria-label="scope start (UTC)" aria-invalid={!ps} placeholder="YYYY-MM-DD HH:MM" size={16} />
      </label>
      <label>
        end <input class="mono time" value={e} onInput={(ev) => setE((ev.target as HTMLInputElement).value)} aria-label="scope end (UTC)" aria-invalid={!pe} placeholder="YYYY-MM-DD HH:MM" size={16} />
      </label>
      <button type="submit" disabled={bad}>
        Apply
      </button>
      {onReset ? (
        <button type="button" onClick={onReset}>
          {resetLabel ?? 'Reset'}
        </button>
      ) : null}
    </form>
  );
}

export function Pager({ offset, limit, count, total, more, onPage }: { offset: number; limit: number; count: number; total?: number; more?: boolean; onPage: (o: number) => void }) {
  const hasNext = total != null ? offset + limit < total : !!more;
  return (
    <div class="pager">
      <button type="button" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        ← Previous
      </button>
      <span>
        {count ? `${offset + 1}–${offset + count}` : '0'}
        {total != null ? ` of ${total.toLocaleString('en-US')}` : ''}
      </span>
      <button type="button" disabled={!hasNext} onClick={() => onPage(offset + limit)}>
        Next →
      </button>
    </div>
  );
}

/** Mono renders a log value as text (never HTML), in a monospace cell that wraps. */
export function Mono({ v }: { v: unknown }) {
  const s = v == null ? '–' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return <span class="mono">{s}</span>;
}
