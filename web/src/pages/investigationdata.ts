// Investigations. internal/detect runs and stores them (table
// investigations, one JSON report each, Detective's field names), but the
// JSON API has no investigation endpoints yet: the console reads the
// stored reports through the read-only SQL endpoint, and starting one goes
// to POST /api/v1/investigations, reporting plainly when the server does
// not have it. Only this file knows; change it when the endpoints land.
import { ApiError, getToken, runSql, sqlObjects, sqlString } from '../api';

export interface Indicator {
  IndicatorType: string;
  IndicatorDetail: Record<string, unknown>;
}

export interface Investigation {
  InvestigationId: string;
  Entity: string;
  EntityArn?: string;
  EntityType: string;
  CreatedTime: string;
  ScopeStartTime: string;
  ScopeEndTime: string;
  Status: string;
  Severity: string;
  State: string;
  Indicators: Indicator[];
  Notes?: string[];
}

export const INDICATOR_TYPES: { id: string; label: string }[] = [
  { id: 'TTP_OBSERVED', label: 'Tactics, techniques and procedures' },
  { id: 'IMPOSSIBLE_TRAVEL', label: 'Impossible travel' },
  { id: 'FLAGGED_IP_ADDRESS', label: 'Threat-intelligence flagged IP addresses' },
  { id: 'NEW_GEOLOCATION', label: 'New geolocations' },
  { id: 'NEW_ASO', label: 'New autonomous system organizations' },
  { id: 'NEW_USER_AGENT', label: 'New user agents' },
  { id: 'RELATED_FINDING', label: 'Related findings' },
  { id: 'RELATED_FINDING_GROUP', label: 'Related finding groups' },
];

function missingTable(e: unknown): boolean {
  return e instanceof ApiError && e.code === 'query_error' && /investigations.*does not exist|Table with name investigations/i.test(e.message);
}

function parse(r: Record<string, unknown>): Investigation {
  const rep = typeof r.report === 'string' ? JSON.parse(r.report) : (r.report as Investigation);
  return {
    ...rep,
    InvestigationId: String(r.investigation_id),
    Entity: String(r.entity),
    Status: String(r.status),
    Severity: String(r.severity),
    State: String(r.state),
    Indicators: rep?.Indicators ?? [],
  };
}

// The table is made with the first investigation: ask whether it exists
// first rather than provoke an error (which the browser logs).
async function hasTable(signal?: AbortSignal): Promise<boolean> {
  const r = await runSql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'investigations'", 1, signal);
  return Number(r.rows[0]?.[0]) > 0;
}

export async function listInvestigations(signal?: AbortSignal): Promise<Investigation[]> {
  if (!(await hasTable(signal))) return [];
  try {
    const r = await runSql(
      'SELECT investigation_id, entity, status, severity, state, report FROM investigations ORDER BY created_at DESC, investigation_id LIMIT 500',
      500,
      signal,
    );
    return sqlObjects(r).map(parse);
  } catch (e) {
    if (missingTable(e)) return [];
    throw e;
  }
}

export async function getInvestigation(id: string, signal?: AbortSignal): Promise<Investigation> {
  const rows = (await hasTable(signal))
    ? sqlObjects(await runSql(`SELECT investigation_id, entity, status, severity, state, report FROM investigations WHERE investigation_id = ${sqlString(id)}`, 1, signal))
    : [];
  if (!rows.length) throw new ApiError(404, 'not_found', 'no investigation ' + id);
  return parse(rows[0]);
}

/** startInvestigation asks the server to investigate an entity over a scope; it returns the new ID. */
export async function startInvestigation(entity: string, start: string, end: string): Promise<string> {
  const h: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const t = getToken();
  if (t) h.Authorization = 'Bearer ' + t;
  const res = await fetch('/api/v1/investigations', { method: 'POST', headers: h, body: JSON.stringify({ entity, start, end }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg: string = body?.error?.message ?? res.statusText;
    if (res.status === 404 && /no such endpoint/.test(msg)) {
      throw new ApiError(404, 'not_available', 'this server has no investigation endpoint yet (POST /api/v1/investigations); stored investigations are listed here');
    }
    throw new ApiError(res.status, body?.error?.code ?? 'http_' + res.status, msg, body?.error?.request_id);
  }
  return body.InvestigationId ?? body.investigation_id ?? body.id;
}
