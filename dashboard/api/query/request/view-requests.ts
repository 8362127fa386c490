import { OverviewRequestBody, RetentionRequestBody, type ComparisonMode, type RetentionPeriod } from '../../../../core/api/stats.ts';
import { parseFilters, type Filter } from '../catalog/filters.ts';
import type { Catalog } from '../catalog/dimensions.ts';
import { invalid } from '../catalog/errors.ts';
import { parseBody, scopeOf } from './query-request.ts';

export type { RetentionPeriod };

/** The site view's request (POST /api/v1/overview), parsed whole before anything is resolved or run. */
export interface OverviewRequest {
  site: string;
  dateRange: string | [string, string];
  date?: string;
  /** As sent: the view adds each panel's own filter to them before parsing the whole (assemble/overview.ts). */
  filters: unknown[];
  comparison: ComparisonMode | null;
  limit?: number;
}

export function parseOverviewRequest(body: unknown): OverviewRequest {
  const b = parseBody(OverviewRequestBody, body);
  parseFilters(b.filters, 'web');
  const c = b.comparison;
  const comparison = c === undefined || c === null || c === false ? null : typeof c === 'string' ? c : c.mode;
  return { site: b.site_id, dateRange: b.date_range, ...(b.date ? { date: b.date } : {}), filters: b.filters ?? [], comparison,
    ...(b.limit !== undefined ? { limit: b.limit } : {}) };
}

/** Cohort retention's request (POST /api/v1/retention). */
export interface RetentionRequest {
  catalog: Catalog;
  site?: string;
  products?: string[] | '*';
  dateRange: string | [string, string];
  date?: string;
  period: RetentionPeriod;
  filters: Filter[];
}

export function parseRetentionRequest(body: unknown): RetentionRequest {
  const b = parseBody(RetentionRequestBody, body);
  const scope = scopeOf(b);
  return { ...scope, dateRange: b.date_range, ...(b.date ? { date: b.date } : {}), period: b.period ?? 'week',
    filters: parseFilters(b.filters, scope.catalog) };
}

/** GET /api/v1/realtime?site_id=... */
export function parseRealtimeQuery(q: Record<string, unknown>): { site: string } {
  const site = q.site_id;
  if (typeof site !== 'string' || site.length < 1 || site.length > 253) throw invalid('site_id', 'site_id (a domain or site id) is required');
  return { site };
}
