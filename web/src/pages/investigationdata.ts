// Investigations, from the JSON API: GET/POST /api/v1/investigations,
// GET /api/v1/investigations/{id}, POST …/{id}/state and GET …/{id}/report.
// The reports keep Detective's field names (InvestigationId, Indicators,
// …), as internal/detect writes them; only this file knows the routes.
import { apiBlob, apiGet, apiPost } from '../api';

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

function norm(inv: Investigation): Investigation {
  return { ...inv, Indicators: inv.Indicators ?? [] };
}

export async function listInvestigations(signal?: AbortSignal): Promise<Investigation[]> {
  const r = await apiGet<{ investigations: Investigation[] | null }>('/investigations', undefined, signal);
  return (r.investigations ?? []).map(norm);
}

export async function getInvestigation(id: string, signal?: AbortSignal): Promise<Investigation> {
  return norm(await apiGet<Investigation>('/investigations/' + encodeURIComponent(id), undefined, signal));
}

/** startInvestigation investigates an entity over a scope (the server stores the report) and returns its ID. */
export async function startInvestigation(entity: string, start: string, end: string): Promise<string> {
  const inv = await apiPost<Investigation>('/investigations', { entity, start, end });
  return inv.InvestigationId;
}

/** setInvestigationState archives (ARCHIVED) or reactivates (ACTIVE) an investigation and returns it. */
export async function setInvestigationState(id: string, state: 'ACTIVE' | 'ARCHIVED'): Promise<Investigation> {
  return norm(await apiPost<Investigation>('/investigations/' + encodeURIComponent(id) + '/state', { state }));
}

/** investigationReport is the report as the server serves it for download. */
export function investigationReport(id: string): Promise<Blob> {
  return apiBlob('/investigations/' + encodeURIComponent(id) + '/report', undefined, { headers: { Accept: 'application/json' } });
}
