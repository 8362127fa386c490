import { parseOrderBy } from './assemble.ts';
import { COMPARISON_MODES, PRESETS, isDate, type ComparisonMode, type TimeRange } from './date-range.ts';
import { resolveDimension, type Catalog, type DimRef } from './dimensions.ts';
import { invalid, show } from './errors.ts';
import { parseFilters, type Filter } from './filters.ts';
import { resolveMetric } from './metrics.ts';

/**
 * The query request, modelled on Plausible's Stats API v2 (POST /api/v2/query):
 *   { site_id | product_id, date_range, date?, metrics, dimensions?, filters?, order_by?,
 *     include?: { comparisons?: { mode }, time_labels?, total_rows? }, pagination?: { limit, offset } }
 * Parsing checks every name against the catalog before anything runs; the first problem is a 400 naming its field.
 */
export interface QueryRequest {
  catalog: Catalog;
  /** site_id as sent: a domain or a site id. */
  site?: string;
  /** product_id as sent: names or ids, or '*' for every product the caller may see. */
  products?: string[] | '*';
  dateRange: string | [string, string];
  date?: string;
  metrics: string[];
  dimensions: DimRef[];
  filters: Filter[];
  orderBy: [string, 'asc' | 'desc'][];
  include: { comparisons?: ComparisonMode; timeLabels: boolean; totalRows: boolean };
  pagination: { limit: number; offset: number };
  /** The request as received (after validation), echoed back as `query`. */
  raw: Record<string, unknown>;
}

export const MAX_LIMIT = 10_000;
const KEYS = new Set(['site_id', 'product_id', 'date_range', 'date', 'metrics', 'dimensions', 'filters', 'order_by', 'include', 'pagination']);

export function asObject(body: unknown, field = 'body'): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid(field, `${field} must be a JSON object`);
  return body as Record<string, unknown>;
}

/** site_id or product_id, exactly one. */
export function parseScope(b: Record<string, unknown>): { catalog: Catalog; site?: string; products?: string[] | '*' } {
  if ((b.site_id === undefined) === (b.product_id === undefined)) throw invalid('site_id', 'give either site_id (a domain or site id) or product_id');
  if (b.site_id !== undefined) {
    if (typeof b.site_id !== 'string' || b.site_id.length < 1 || b.site_id.length > 253) throw invalid('site_id', 'site_id is a domain or a site id');
    return { catalog: 'web', site: b.site_id };
  }
  const p = b.product_id;
  if (p === '*') return { catalog: 'product', products: '*' };
  const list = typeof p === 'string' ? [p] : p;
  if (!Array.isArray(list) || list.length < 1 || list.length > 50 || !list.every((x) => typeof x === 'string' && x.length >= 1 && x.length <= 100)) {
    throw invalid('product_id', 'product_id is a product name or id, a list of 1 to 50 of them, or "*"');
  }
  return { catalog: 'product', products: [...new Set(list as string[])] };
}

export function parseDateRange(b: Record<string, unknown>): { dateRange: string | [string, string]; date?: string } {
  const dr = b.date_range;
  const ok = (typeof dr === 'string' && (PRESETS as readonly string[]).includes(dr)) || (Array.isArray(dr) && dr.length === 2 && dr.every(isDate));
  if (!ok) throw invalid('date_range', `date_range ${dr === undefined ? 'is required' : `${show(dr)} is not valid`}: one of ${PRESETS.join(', ')} or ["YYYY-MM-DD", "YYYY-MM-DD"]`);
  if (Array.isArray(dr) && (dr[0] as string) > (dr[1] as string)) throw invalid('date_range', `date_range starts (${dr[0]}) after it ends (${dr[1]})`);
  if (b.date !== undefined && !isDate(b.date)) throw invalid('date', `date ${show(b.date)} is not a day (YYYY-MM-DD)`);
  return { dateRange: dr as string | [string, string], ...(b.date !== undefined ? { date: b.date as string } : {}) };
}

export function parseQueryRequest(body: unknown): QueryRequest {
  const b = asObject(body);
  for (const k of Object.keys(b)) if (!KEYS.has(k)) throw invalid(k, `unknown field ${show(k)}`);
  const scope = parseScope(b);
  const { dateRange, date } = parseDateRange(b);
  if (!Array.isArray(b.metrics) || b.metrics.length < 1 || b.metrics.length > 20) throw invalid('metrics', 'metrics is a list of 1 to 20 metric names');
  const metrics = b.metrics.map((m, i) => resolveMetric(scope.catalog, m, `metrics[${i}]`));
  const dupM = metrics.findIndex((m, i) => metrics.indexOf(m) !== i);
  if (dupM >= 0) throw invalid(`metrics[${dupM}]`, `metric ${show(metrics[dupM])} is listed twice`);
  const rawDims = b.dimensions ?? [];
  if (!Array.isArray(rawDims) || rawDims.length > 5) throw invalid('dimensions', 'dimensions is a list of at most 5 dimension names');
  const dimensions = rawDims.map((d, i) => resolveDimension(scope.catalog, d, `dimensions[${i}]`, 'day'));
  const dupD = dimensions.findIndex((d, i) => dimensions.findIndex((x) => x.name === d.name) !== i);
  if (dupD >= 0) throw invalid(`dimensions[${dupD}]`, `dimension ${show(dimensions[dupD]!.name)} is listed twice`);
  if (dimensions.filter((d) => d.def.level === 'time').length > 1) throw invalid('dimensions', 'at most one time dimension');
  const filters = parseFilters(b.filters, scope.catalog);
  const orderBy = parseOrderBy(b.order_by, metrics, dimensions);
  return { ...scope, dateRange, ...(date ? { date } : {}), metrics, dimensions, filters, orderBy,
    include: parseInclude(b.include, dimensions), pagination: parsePagination(b.pagination), raw: b };
}

function parseInclude(raw: unknown, dimensions: DimRef[]): QueryRequest['include'] {
  if (raw === undefined) return { timeLabels: false, totalRows: false };
  const inc = asObject(raw, 'include');
  for (const k of Object.keys(inc)) if (!['comparisons', 'time_labels', 'total_rows'].includes(k)) throw invalid(`include.${k}`, `unknown include option ${show(k)}`);
  for (const k of ['time_labels', 'total_rows']) if (inc[k] !== undefined && typeof inc[k] !== 'boolean') throw invalid(`include.${k}`, `include.${k} is true or false`);
  if (inc.time_labels && !dimensions.some((d) => d.def.level === 'time')) throw invalid('include.time_labels', 'time_labels needs a time dimension');
  let comparisons: ComparisonMode | undefined;
  if (inc.comparisons !== undefined && inc.comparisons !== null) {
    const mode = (inc.comparisons as { mode?: unknown }).mode;
    if (typeof mode !== 'string' || !(COMPARISON_MODES as readonly string[]).includes(mode)) {
      throw invalid('include.comparisons.mode', `comparisons is { "mode": "previous_period" | "year_over_year" }`);
    }
    comparisons = mode as ComparisonMode;
  }
  return { ...(comparisons ? { comparisons } : {}), timeLabels: inc.time_labels === true, totalRows: inc.total_rows === true };
}

function parsePagination(raw: unknown): QueryRequest['pagination'] {
  if (raw === undefined) return { limit: MAX_LIMIT, offset: 0 };
  const p = asObject(raw, 'pagination');
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (p.limit !== undefined && !int(p.limit, 1, MAX_LIMIT)) throw invalid('pagination.limit', `pagination.limit is an integer from 1 to ${MAX_LIMIT}`);
  if (p.offset !== undefined && !int(p.offset, 0, 1_000_000)) throw invalid('pagination.offset', 'pagination.offset is an integer from 0');
  return { limit: (p.limit as number | undefined) ?? MAX_LIMIT, offset: (p.offset as number | undefined) ?? 0 };
}

/** The dimensions with `time` resolved for this range (hour for a day, day up to 92 days, month beyond; minute realtime). */
export function withRange(dimensions: DimRef[], range: TimeRange): DimRef[] {
  return dimensions.map((d) => (d.name === 'time' ? { ...d, granularity: range.auto } : d));
}
