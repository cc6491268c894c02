// The JSON API client: one fetch wrapper, the error envelope, the token.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public requestId = '',
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'gumshoe-token';

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}
export function setToken(t: string) {
  sessionStorage.setItem(TOKEN_KEY, t);
}

type Params = Record<string, string | number | boolean | null | undefined | string[]>;

export function qs(params?: Params): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v == null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

function headers(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json', ...extra };
  const t = getToken();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res;
  let code = 'http_' + res.status;
  let msg = res.statusText || 'request failed';
  let rid = res.headers.get('X-Request-Id') ?? '';
  try {
    const body = await res.json();
    if (body?.error) {
      code = body.error.code ?? code;
      msg = body.error.message ?? msg;
      rid = body.error.request_id ?? rid;
    }
  } catch {
    /* not JSON */
  }
  if (res.status === 401) window.dispatchEvent(new CustomEvent('gumshoe-unauthorized'));
  throw new ApiError(res.status, code, msg, rid);
}

// The server keeps two idle database connections; a third request at the
// same time makes it open another, which on the 45-day demo costs 0.5 s on
// a quiet machine and over 2 s on a busy one (each connection makes the
// lake's views), against 5–100 ms for most requests. So the console keeps
// at most MAX_OPEN API requests open and queues the rest in order: the
// entity profile's seven requests take ~0.2 s this way, ~2.5 s all at once.
export const MAX_OPEN = 2;
let open = 0;
const waiting: (() => void)[] = [];

function aborted(signal?: AbortSignal | null) {
  return signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/** limited runs fn when fewer than MAX_OPEN API requests are open (abortable while it waits). */
export async function limited<T>(signal: AbortSignal | undefined | null, fn: () => Promise<T>): Promise<T> {
  if (signal?.aborted) throw aborted(signal);
  if (open < MAX_OPEN) open++;
  else {
    // A finishing request hands its slot straight to the first waiter.
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', quit);
        resolve();
      };
      const quit = () => {
        const i = waiting.indexOf(go);
        if (i >= 0) waiting.splice(i, 1);
        reject(aborted(signal));
      };
      signal?.addEventListener('abort', quit, { once: true });
      waiting.push(go);
    });
  }
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else open--;
  }
}

export function apiGet<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  return limited(signal, async () => {
    const res = await fetch('/api/v1' + path + qs(params), { headers: headers(), signal });
    return (await check(res)).json();
  });
}

/** apiPost posts a JSON body and returns the JSON answer. */
export function apiPost<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return limited(signal, async () => {
    const res = await fetch('/api/v1' + path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body), signal });
    return (await check(res)).json();
  });
}

/** apiBlob fetches a non-JSON representation (CSV), with the token. */
export function apiBlob(path: string, params?: Params, init?: RequestInit): Promise<Blob> {
  return limited(init?.signal, async () => {
    const res = await fetch('/api/v1' + path + qs(params), {
      ...init,
      headers: headers({ Accept: 'text/csv', ...(init?.headers as Record<string, string>) }),
    });
    return (await check(res)).blob();
  });
}

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  row_count: number;
  limit: number;
  truncated: boolean;
}

export function runSql(query: string, limit = 1000, signal?: AbortSignal, timeout = 30): Promise<SqlResult> {
  return apiPost('/sql', { query, limit, timeout_seconds: timeout }, signal);
}

export function sqlCsv(query: string, limit: number): Promise<Blob> {
  return limited(null, async () => {
    const res = await fetch('/api/v1/sql?format=csv', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json', Accept: 'text/csv' }),
      body: JSON.stringify({ query, limit }),
    });
    return (await check(res)).blob();
  });
}

/** sqlObjects turns an SQL result into one object per row. */
export function sqlObjects<T = Record<string, unknown>>(r: SqlResult): T[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])) as T);
}

/** sqlString quotes a value as an SQL string literal (for the console's own, fixed queries). */
export function sqlString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

export function saveBlob(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Response shapes (the parts the console reads).

export interface Scope {
  start: string;
  end: string;
  baseline_start?: string;
  bucket_seconds: number;
  source?: string;
}

export interface Finding {
  id: string;
  source: string;
  product: string;
  type: string;
  severity: number;
  severity_label: string;
  title: string;
  description: string;
  account_id: string;
  region?: string;
  resource_type?: string;
  instance_id?: string;
  access_key_id?: string;
  principal?: string;
  remote_ip?: string;
  local_port?: number;
  remote_port?: number;
  domain?: string;
  direction?: string;
  protocol?: string;
  first_seen: string;
  last_seen: string;
  created_at?: string;
  updated_at?: string;
  count: number;
  archived: boolean;
  raw?: any;
}

export interface Related {
  relationship: string;
  direction: string;
  id: string;
  count: number;
  failures: number;
}

export interface Entity {
  id: string;
  type: string;
  natural_key: string;
  display_name: string;
  account_id?: string;
  first_seen: string;
  last_seen: string;
  attributes?: Record<string, unknown>;
}

export interface EntityDetails {
  entity: Entity;
  scope: Scope;
  panels: string[];
  related: Related[];
  ip_info?: Record<string, unknown>;
}

export interface FlowRow {
  id: string;
  remote_ip?: string;
  instance?: string;
  local_port: number | null;
  remote_port: number | null;
  protocol: number;
  protocol_name?: string;
  direction: string;
  bytes_in: number;
  bytes_out: number;
  packets_in: number;
  packets_out: number;
  flows: number;
  accepted_flows: number;
  rejected_flows: number;
  action: string;
  first_seen: string;
  last_seen: string;
  finding?: string;
}

export interface Bucket {
  start: string;
  bytes_in: number;
  bytes_out: number;
  packets_in: number;
  packets_out: number;
  flows: number;
  rejected_flows: number;
}

export interface FlowsResponse {
  scope: Scope;
  window: { start: string; end: string; bucket_seconds: number };
  row_key: string;
  finding?: Finding;
  sort: string;
  order: string;
  totals: { rows: number; bytes_in: number; bytes_out: number; packets: number; flows: number; accepted_flows: number; rejected_flows: number };
  offset: number;
  rows: FlowRow[];
}

export interface SeriesResponse {
  window: { start: string; end: string; bucket_seconds: number };
  overall: Bucket[];
  rows: { id: string; buckets: Bucket[] }[];
}

export interface RecordsResponse {
  start: string;
  end: string;
  offset: number;
  limit: number;
  more: boolean;
  sql: string;
  athena_sql: string;
  athena_table?: string;
  records: Record<string, unknown>[];
}
