import type { z } from 'zod';
import { MAX_LIMIT, QueryRequestBody, issueField } from '../../../../core/api/stats.ts';
import { parseOrderBy } from './order-by.ts';
import type { ComparisonMode, TimeRange } from './date-range.ts';
import { resolveDimension, type Catalog, type DimRef } from '../catalog/dimensions.ts';
import { invalid, show } from '../catalog/errors.ts';
import { parseFilters, type Filter } from '../catalog/filters.ts';
import { resolveMetric } from '../catalog/metrics.ts';

/**
 * The query request, modelled on Plausible's Stats API v2 (POST /api/v2/query):
 *   { site_id | product_id, date_range, date?, metrics, dimensions?, filters?, order_by?,
 *     include?: { comparisons?: { mode }, time_labels?, total_rows? }, pagination?: { limit, offset } }
 * Parsing checks every name against the catalog before anything runs; the first problem is a 400 naming its field.
 */
/** What every parsed request names: its scope as sent (resolved and authorised later) and its dates. */
export interface ScopedRange {
  catalog: Catalog;
  /** site_id as sent: a domain or a site id. */
  site?: string;
  /** product_id as sent: names or ids, or '*' for every product the caller may see. */
  products?: string[] | '*';
  dateRange: string | [string, string];
  date?: string;
}

export interface QueryRequest extends ScopedRange {
  metrics: string[];
  dimensions: DimRef[];
  filters: Filter[];
  orderBy: [string, 'asc' | 'desc'][];
  include: { comparisons?: ComparisonMode; timeLabels: boolean; totalRows: boolean };
  pagination: { limit: number; offset: number };
  /** The request as received (after validation), echoed back as `query`. */
  raw: Record<string, unknown>;
}

export { MAX_LIMIT };

/** `body` checked against a wire schema: the first problem becomes a 400 naming its field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'body must be a JSON object');
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const { field, message } = issueField(r.error);
  throw invalid(field, message);
}

/** site_id or product_id (exactly one, as the schema checked), as the engine resolves them. */
export function scopeOf(b: { site_id?: string; product_id?: string | string[] }): Pick<ScopedRange, 'catalog' | 'site' | 'products'> {
  if (b.site_id !== undefined) return { catalog: 'web', site: b.site_id };
  if (b.product_id === '*') return { catalog: 'product', products: '*' };
  return { catalog: 'product', products: [...new Set(typeof b.product_id === 'string' ? [b.product_id] : b.product_id!)] };
}

/** Parse: the wire shape (zod), then every name checked against the catalog before anything runs. */
export function parseQueryRequest(body: unknown): QueryRequest {
  const b = parseBody(QueryRequestBody, body);
  const scope = scopeOf(b);
  const metrics = b.metrics.map((m, i) => resolveMetric(scope.catalog, m, `metrics[${i}]`));
  const dupM = metrics.findIndex((m, i) => metrics.indexOf(m) !== i);
  if (dupM >= 0) throw invalid(`metrics[${dupM}]`, `metric ${show(metrics[dupM])} is listed twice`);
  const dimensions = (b.dimensions ?? []).map((d, i) => resolveDimension(scope.catalog, d, `dimensions[${i}]`, 'day'));
  const dupD = dimensions.findIndex((d, i) => dimensions.findIndex((x) => x.name === d.name) !== i);
  if (dupD >= 0) throw invalid(`dimensions[${dupD}]`, `dimension ${show(dimensions[dupD]!.name)} is listed twice`);
  if (dimensions.filter((d) => d.def.level === 'time').length > 1) throw invalid('dimensions', 'at most one time dimension');
  const filters = parseFilters(b.filters, scope.catalog);
  const orderBy = parseOrderBy(b.order_by, metrics, dimensions);
  const inc = b.include ?? {};
  if (inc.time_labels && !dimensions.some((d) => d.def.level === 'time')) throw invalid('include.time_labels', 'time_labels needs a time dimension');
  const include = { ...(inc.comparisons ? { comparisons: inc.comparisons.mode } : {}), timeLabels: inc.time_labels === true, totalRows: inc.total_rows === true };
  return { ...scope, dateRange: b.date_range, ...(b.date ? { date: b.date } : {}), metrics, dimensions, filters, orderBy, include,
    pagination: { limit: b.pagination?.limit ?? MAX_LIMIT, offset: b.pagination?.offset ?? 0 }, raw: body as Record<string, unknown> };
}

/** The dimensions with `time` resolved for this range (hour for a day, day up to 92 days, month beyond; minute realtime). */
export function withRange(dimensions: DimRef[], range: TimeRange): DimRef[] {
  return dimensions.map((d) => (d.name === 'time' ? { ...d, granularity: range.auto } : d));
}
