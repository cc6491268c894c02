// Formatting helpers. Everything here returns plain text; escapeHtml is for
// the few places (ECharts tooltips) where a library wants an HTML string.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;',
};

/** escapeHtml makes any string safe to place in HTML text or a quoted attribute. */
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]);
}

export function fmtBytes(n: number | null | undefined): string {
  if (n == null || !isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) + ' ' + units[i];
}

export function fmtNum(n: number | null | undefined): string {
  if (n == null) return '–';
  return n.toLocaleString('en-US');
}

/** fmtTime shows a timestamp in UTC, as Detective does: 2026-11-19 23:00:08. */
export function fmtTime(t: string | number | Date | null | undefined): string {
  if (t == null || t === '') return '–';
  const d = t instanceof Date ? t : new Date(t);
  if (isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '');
}

/** isoMinute renders a time as YYYY-MM-DDTHH:MM (UTC), the API's short form. */
export function isoMinute(d: Date): string {
  return d.toISOString().slice(0, 16);
}

export function parseTime(s: string | null | undefined): Date | null {
  if (!s) return null;
  let v = s;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v)) v += ':00Z';
  const d = new Date(v);
  return isNaN(d.getTime()) ? null : d;
}

export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Informational'] as const;

/** severityLabel maps GuardDuty's 0–10 scale to its labels. */
export function severityLabel(sev: number): string {
  if (sev >= 9) return 'Critical';
  if (sev >= 7) return 'High';
  if (sev >= 4) return 'Medium';
  if (sev >= 1) return 'Low';
  return 'Informational';
}

/** severityMin is the lowest GuardDuty severity a label covers. */
export function severityMin(label: string): number {
  return { Critical: 9, High: 7, Medium: 4, Low: 1, Informational: 0 }[label] ?? 0;
}

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 47: 'GRE', 50: 'ESP' };
export function protoName(p: number | null | undefined): string {
  if (p == null) return '–';
  return PROTOCOLS[p] ?? String(p);
}

/** entityType returns the type part of an entity ID ("instance:i-1" → "instance"). */
export function entityType(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? '' : id.slice(0, i);
}
export function entityKey(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? id : id.slice(i + 1);
}

const TYPE_NAMES: Record<string, string> = {
  instance: 'EC2 instance', interface: 'Network interface', ip: 'IP address', account: 'AWS account',
  iam_user: 'IAM user', iam_role: 'IAM role', role: 'IAM role', role_session: 'Role session', access_key: 'Access key',
  user_agent: 'User agent', bucket: 'S3 bucket', domain: 'Domain', finding: 'Finding', root: 'Root user',
  principal: 'Principal', vpc: 'VPC', subnet: 'Subnet', federated_user: 'Federated user', service: 'AWS service',
};
export function typeName(t: string): string {
  return TYPE_NAMES[t] ?? t.replace(/_/g, ' ');
}

/** entityHref links to an entity's profile, keeping a scope and finding when given. */
export function entityHref(id: string, q?: { start?: string | null; end?: string | null; finding?: string | null }): string {
  const p = new URLSearchParams();
  if (q?.start) p.set('start', q.start);
  if (q?.end) p.set('end', q.end);
  if (q?.finding) p.set('finding', q.finding);
  const s = p.toString();
  if (entityType(id) === 'finding') return '/findings/' + encodeURIComponent(entityKey(id)) + (s ? '?' + s : '');
  return '/entities/' + encodeURIComponent(id) + (s ? '?' + s : '');
}

const BUCKET_LABELS: [number, string][] = [
  [86400, 'day'],
  [3600, 'h'],
  [60, 'min'],
];

/**
 * bucketLabel names a timeline bucket as the engine chooses them (1 min,
 * 5 min, 15 min, 1 h, 6 h, 1 day): in the largest unit that divides it.
 */
export function bucketLabel(seconds: number): string {
  if (!(seconds > 0)) return '–';
  for (const [n, unit] of BUCKET_LABELS) {
    if (seconds % n === 0) return `${seconds / n} ${unit === 'day' && seconds !== n ? 'days' : unit}`;
  }
  return `${seconds} s`;
}

/**
 * minuteRange rounds a time range (ms) out to whole minutes, at least one
 * minute long: a drag across a chart, as a scope.
 */
export function minuteRange(a: number, b: number): { start: string; end: string } {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const s = Math.floor(lo / 60e3) * 60e3;
  const e = Math.max(Math.ceil(hi / 60e3) * 60e3, s + 60e3);
  return { start: isoMinute(new Date(s)), end: isoMinute(new Date(e)) };
}

/**
 * lastDayScope is the 24 hours up to an entity's last activity, its minute
 * included: the scope the server gives a profile opened without one when
 * the entity has been idle for a day (engine.DefaultScope). Empty when the
 * time is unknown.
 */
export function lastDayScope(lastSeen: string | null | undefined): { start?: string; end?: string } {
  const t = Date.parse(lastSeen ?? '');
  if (!isFinite(t)) return {};
  const end = Math.floor(t / 60e3) * 60e3 + 60e3;
  return { start: isoMinute(new Date(end - 24 * 3600e3)), end: isoMinute(new Date(end)) };
}
