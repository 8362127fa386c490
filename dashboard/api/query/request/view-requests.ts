import { OverviewRequestBody, RealtimeQuery, RetentionRequestBody, type ComparisonMode, type RetentionPeriod } from '../../../../core/api/stats.ts';
import { parseFilters, type Filter } from '../catalog/filters.ts';
import { parseBody, scopeOf, type ScopedRange } from './query-request.ts';

export type { RetentionPeriod };

/** The site view's request (POST /api/v1/overview), parsed whole before anything is resolved or run. */
export interface ParsedOverview extends ScopedRange {
  site: string;
  /** As sent: the view adds each panel's own filter to them before parsing the whole (assemble/overview.ts). */
  filters: unknown[];
  comparison: ComparisonMode | null;
  limit?: number;
}

export function parseOverviewRequest(body: unknown): ParsedOverview {
  const b = parseBody(OverviewRequestBody, body);
  parseFilters(b.filters, 'web');
  const c = b.comparison;
  const comparison = c === undefined || c === null || c === false ? null : typeof c === 'string' ? c : c.mode;
  return { catalog: 'web', site: b.site_id, dateRange: b.date_range, ...(b.date ? { date: b.date } : {}), filters: b.filters ?? [], comparison,
    ...(b.limit !== undefined ? { limit: b.limit } : {}) };
}

/** Cohort retention's request (POST /api/v1/retention). */
export interface ParsedRetention extends ScopedRange {
  period: RetentionPeriod;
  filters: Filter[];
}

export function parseRetentionRequest(body: unknown): ParsedRetention {
  const b = parseBody(RetentionRequestBody, body);
  const scope = scopeOf(b);
  return { ...scope, dateRange: b.date_range, ...(b.date ? { date: b.date } : {}), period: b.period ?? 'week',
    filters: parseFilters(b.filters, scope.catalog) };
}

/** GET /api/v1/realtime?site_id=... */
export function parseRealtimeQuery(query: unknown): { site: string } {
  return { site: parseBody(RealtimeQuery, query).site_id };
}
