import type { QueryMeta, QueryResponse, ResultRow } from '../../../../core/api/stats.ts';
import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import { comparisonRange, isoLocal, resolveDateRange, timeLabels, today, type TimeRange } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { leaves, type Filter } from '../catalog/filters.ts';
import { isPointsMetric } from '../catalog/metrics.ts';
import { buildProductQuery } from '../sql/product-query.ts';
import { loadFeatureMap, type FeatureMap } from '../catalog/features.ts';
import { MAX_LIMIT, withRange, type QueryRequest } from '../request/query-request.ts';
import { num, runCompiled } from './run.ts';
import type { Compiled } from '../sql/params.ts';
import { buildWebQuery } from '../sql/web-query.ts';
import type { EngineScope } from '../request/scope.ts';


export type { ResultRow };

export interface EngineQuery {
  range: TimeRange;
  comparison?: TimeRange | null;
  metrics: string[];
  dimensions: DimRef[];
  filters: Filter[];
  orderBy?: [string, 'asc' | 'desc'][];
  limit?: number;
  offset?: number;
  totalRows?: boolean;
  timeLabels?: boolean;
  /** false: raw rows only, never a rollup (see plan/rollups.ts). */
  rollups?: boolean;
  /** Also the metrics over the whole range (and comparison): a chart's headline, in the same scan where it can be. */
  totals?: boolean;
  /** Estimate per-visitor counts from a sample of visitors past this many cookie visits (sql/web-query.ts WebSpec). */
  sampleAbove?: number;
}

export interface EngineResult {
  results: ResultRow[];
  totals?: ResultRow;
  meta: QueryMeta;
}

export const timeRangeMeta = (r: TimeRange) => ({ from: isoLocal(r.from, r.tz), to: isoLocal(r.to - 1000, r.tz), time_zone: r.tz });
export const scopeTimeZone = (scope: EngineScope) => (scope.kind === 'site' ? scope.site.timezone : 'UTC');

function buildFor(scope: EngineScope, range: TimeRange, spec: Parameters<typeof buildWebQuery>[2], features?: FeatureMap): Compiled {
  return scope.kind === 'site'
    ? buildWebQuery(scope.site.siteId, range, spec)
    : buildProductQuery(scope.products.map((p) => p.productId), range, spec, features);
}

/** Product filters may name products by name or id; the store knows ids. */
function productIds(filters: Filter[], scope: EngineScope): Filter[] {
  if (scope.kind !== 'product' || !leaves(filters).some((l) => l.dim.name === 'product')) return filters;
  const id = (v: string) => scope.products.find((p) => p.productId === v || p.name.toLowerCase() === v.toLowerCase())?.productId ?? v;
  const map = (f: Filter): Filter => ('dim' in f ? (f.dim.name === 'product' ? { ...f, values: f.values.map(id) } : f)
    : f.op === 'not' ? { ...f, child: map(f.child) } : { ...f, children: f.children.map(map) });
  return filters.map(map);
}

/**
 * Runs one engine query (and its comparison) and shapes the rows. Both statements are built before either runs, so a
 * query the planner refuses never reaches the store. A comparison of a breakdown is restricted to the main result's
 * dimension values (as Plausible does); time buckets are matched by position (the 3rd day with the 3rd day).
 */
export async function runEngine(ch: ClickHouseClient, scope: EngineScope, q: EngineQuery): Promise<EngineResult> {
  const dimensions = withRange(q.dimensions, q.range);
  const spec = { metrics: q.metrics, dimensions, filters: productIds(q.filters, scope), orderBy: q.orderBy ?? [],
    limit: q.limit ?? MAX_LIMIT, offset: q.offset ?? 0, totalRows: q.totalRows ?? false, ...(q.rollups === false ? { rollups: false } : {}),
    zoneSince: scope.kind === 'site' ? scope.site.timezoneSince ?? 0 : 0,
    linkedSince: scope.kind === 'site' ? scope.site.visitsLinkedSince ?? 0 : 0,
    stampedSince: scope.kind === 'site' ? scope.site.visitsStampedSince ?? 0 : 0, totals: q.totals === true,
    ...(q.sampleAbove ? { sampleAbove: q.sampleAbove } : {}),
    ...(scope.kind === 'site' && scope.site.filtersRolled ? { filtersRolled: scope.site.filtersRolled } : {}) };
  // The feature catalogs of the (already authorised) products in scope: the `feature` dimension reads through them.
  const features = scope.kind === 'product' ? await loadFeatureMap(ch, scope.products.map((p) => p.productId)) : undefined;
  const build = (s: EngineScope, range: TimeRange, sp: Parameters<typeof buildWebQuery>[2]) => buildFor(s, range, sp, features);
  const main = build(scope, q.range, spec);
  const cmpSpec = { ...spec, limit: MAX_LIMIT, offset: 0, totalRows: false };
  const cmpRange = q.comparison ?? null;
  const cmpPlain = cmpRange ? build(scope, cmpRange, cmpSpec) : null;
  const time = dimensions.findIndex(isTime);
  const g = time >= 0 ? dimensions[time]!.granularity! : null;
  const labels = g && (q.timeLabels || cmpRange) ? timeLabels(q.range, g) : null;
  const keyed = dimensions.some((d) => !isTime(d));
  // Totals of a breakdown ride in its statements where they can (Spec.totals), else go as a query without dimensions,
  // issued at once so that runTogether (together.ts) sends it with the others.
  // A breakdown's comparison is restricted to the compared rows (built below), which holds no totals row.
  const inline = Boolean(q.totals && dimensions.length && main.totals && (!cmpPlain || (cmpPlain.totals && !keyed)));
  const apart = q.totals && dimensions.length && !inline
    ? runEngine(ch, scope, { ...q, dimensions: [], orderBy: [], limit: undefined, offset: 0, totalRows: false, timeLabels: false, totals: false })
    : null;
  apart?.catch(() => undefined); // awaited below; a failure of the main statement must not leave it unhandled

  let rows: Record<string, unknown>[];
  let cmpRows: Record<string, unknown>[] = [];
  if (cmpPlain && !keyed) {
    [rows, cmpRows] = await Promise.all([runCompiled(ch, main), runCompiled(ch, cmpPlain)]);
  } else {
    rows = await runCompiled(ch, main);
    if (cmpRange && rows.length) {
      const restrict = [...new Set(rows.map((r) => JSON.stringify(dimensions.flatMap((d, i) => (isTime(d) ? [] : [String(r[`d${i}`])])))))].map((s) => JSON.parse(s) as string[]);
      cmpRows = await runCompiled(ch, build(scope, cmpRange, { ...cmpSpec, restrict }));
    }
  }

  const names = scope.kind === 'product' ? new Map(scope.products.map((p) => [p.productId, p.name])) : null;
  // A sampled statement's factor is the same on every row (one scalar); 1: the range was small enough to count whole.
  const factorOf = (c: Compiled | null, rs: Record<string, unknown>[]) => (c?.sample && rs.length ? num(rs[0]!.sample_k) || 1 : 1);
  const factor = factorOf(main, rows);
  const cmpFactor = cmpRange ? factorOf(cmpPlain, cmpRows) : 1;
  const shape = (r: Record<string, unknown>) => ({
    dimensions: dimensions.map((d, i) => {
      const v = String(r[`d${i}`] ?? '');
      return names && d.name === 'product' ? names.get(v) ?? v : v;
    }),
    metrics: q.metrics.map((_, i) => num(r[`m${i}`])),
  });
  const shapeMain = (r: Record<string, unknown>): ResultRow => (factor > 1
    ? { ...shape(r), margin: q.metrics.map((_, i) => (r[`e${i}`] === undefined ? null : num(r[`e${i}`]))) } : shape(r));
  const isTotal = (r: Record<string, unknown>) => inline && num(r.tot) === 1;
  const results: ResultRow[] = rows.filter((r) => !isTotal(r)).map(shapeMain);
  if (cmpRange) attachComparison(results, cmpRows.filter((r) => !isTotal(r)).map(shape), q, scope, time, labels, g ? timeLabels(cmpRange, g) : null);
  let totals: ResultRow | undefined;
  if (inline) {
    // No rows at all: no total row either, and every metric of nothing is 0.
    const zero = { dimensions: [], metrics: q.metrics.map(() => 0) };
    const total = (xs: Record<string, unknown>[]) => { const t = xs.find(isTotal); return t ? { ...shape(t), dimensions: [] } : zero; };
    totals = total(rows);
    if (cmpRange) {
      const prev = total(cmpRows);
      const catalog = scope.kind === 'site' ? 'web' : 'product';
      totals.comparison = { dimensions: [], metrics: prev.metrics, change: q.metrics.map((m, i) => change(isPointsMetric(catalog, m), totals!.metrics[i]!, prev.metrics[i]!)) };
    }
  } else if (q.totals) {
    totals = dimensions.length ? (await apart!).results[0] : results[0];
  }

  let totalRows: number | undefined;
  if (q.totalRows) {
    totalRows = rows.length ? num(rows[0]!.total_rows) : spec.offset > 0
      ? num((await runCompiled(ch, build(scope, q.range, { ...spec, limit: 1, offset: 0 })))[0]?.total_rows) : 0;
  }
  return {
    results,
    ...(totals ? { totals } : {}),
    meta: {
      time_range: timeRangeMeta(q.range),
      ...(cmpRange ? { comparison_time_range: timeRangeMeta(cmpRange) } : {}),
      ...(totalRows !== undefined ? { total_rows: totalRows } : {}),
      ...(q.timeLabels && labels ? { time_labels: labels } : {}),
      ...(factor > 1 || cmpFactor > 1 ? { sample: { fraction: 1 / factor, ...(cmpFactor > 1 ? { comparison_fraction: 1 / cmpFactor } : {}) } } : {}),
    },
  };
}

function attachComparison(results: ResultRow[], cmp: ResultRow[], q: EngineQuery, scope: EngineScope, time: number,
  labels: string[] | null, cmpLabels: string[] | null): void {
  const index = (ls: string[] | null) => new Map((ls ?? []).map((l, i) => [l, i]));
  const mainIdx = index(labels);
  const cmpIdx = index(cmpLabels);
  const key = (r: ResultRow, idx: Map<string, number>) => JSON.stringify(r.dimensions.map((v, i) => (i === time ? idx.get(v) ?? v : v)));
  const byKey = new Map(cmp.map((r) => [key(r, cmpIdx), r]));
  const catalog = scope.kind === 'site' ? 'web' : 'product';
  for (const r of results) {
    const c = byKey.get(key(r, mainIdx));
    const dims = c?.dimensions ?? r.dimensions.map((v, i) => (i === time ? cmpLabels?.[mainIdx.get(v) ?? -1] ?? '' : v));
    const metrics = c?.metrics ?? q.metrics.map(() => 0);
    r.comparison = { dimensions: dims, metrics, change: q.metrics.map((m, i) => change(isPointsMetric(catalog, m), r.metrics[i]!, metrics[i]!)) };
  }
}

/**
 * As Plausible reports it: rates (bounce rate, conversion rate, shares) change by points, and have no change when the
 * previous rate is 0 (nothing to compare); counts change by percent (100 from nothing, 0 for nothing to nothing).
 */
export function change(points: boolean, current: number, previous: number): number | null {
  if (points) return previous > 0 ? Math.round((current - previous) * 10) / 10 : null;
  if (previous === 0) return current > 0 ? 100 : 0;
  return Math.round(((current - previous) / previous) * 100);
}

/** The first day with data, in the scope's zone, for date_range 'all'. */
async function firstDay(ch: ClickHouseClient, scope: EngineScope): Promise<string | null> {
  const q: Compiled = scope.kind === 'site'
    ? { name: 'first_day', sql: 'SELECT toString(toDate(min(start), {tz:String})) AS d, count() AS n FROM sessions WHERE site_id = {site:String}',
      params: { site: scope.site.siteId, tz: scope.site.timezone } }
    : { name: 'first_day', sql: "SELECT toString(toDate(min(timestamp), 'UTC')) AS d, count() AS n FROM product_events WHERE product_id IN {products:Array(String)}",
      params: { products: scope.products.map((p) => p.productId) } };
  const [row] = await runCompiled<{ d: string; n: string }>(ch, q);
  return row && num(row.n) > 0 ? row.d : null;
}

export async function resolveRange(ch: ClickHouseClient, scope: EngineScope, req: Pick<QueryRequest, 'dateRange' | 'date'>, now: number): Promise<TimeRange> {
  const tz = scopeTimeZone(scope);
  const allFrom = req.dateRange === 'all' ? await firstDay(ch, scope) : null;
  return resolveDateRange(req.dateRange, { tz, now, ...(req.date ? { date: req.date } : {}), allFrom });
}

/**
 * POST /api/v1/query: a parsed request on an authorised scope, answered in Plausible's v2 shape.
 */
export interface ExecuteOptions {
  /** false: raw rows only (tests and benchmarks compare the two). */
  rollups?: boolean;
  /** See EngineQuery.sampleAbove (the platform passes its setting, core/config.ts). */
  sampleAbove?: number;
}

export async function executeQuery(ch: ClickHouseClient, scope: EngineScope, req: QueryRequest, now = Date.now(), opts: ExecuteOptions = {}): Promise<QueryResponse> {
  const range = await resolveRange(ch, scope, req, now);
  const ref = today({ tz: range.tz, now, ...(req.date ? { date: req.date } : {}) });
  const comparison = req.include.comparisons ? comparisonRange(range, req.include.comparisons, ref) : null;
  const out = await runEngine(ch, scope, { range, comparison, metrics: req.metrics, dimensions: req.dimensions, filters: req.filters,
    orderBy: req.orderBy, limit: req.pagination.limit, offset: req.pagination.offset, totalRows: req.include.totalRows, timeLabels: req.include.timeLabels,
    ...(opts.rollups === false ? { rollups: false } : {}), ...(opts.sampleAbove ? { sampleAbove: opts.sampleAbove } : {}) });
  const { meta } = out;
  return { results: out.results, meta, query: { ...req.raw, date_range: [meta.time_range.from, meta.time_range.to] as [string, string], time_zone: range.tz,
    pagination: req.pagination } };
}
