import type { DimRef } from '../catalog/dimensions.ts';
import type { Filter } from '../catalog/filters.ts';
import { compileFilters } from './filter-sql.ts';
import { ROLLUP_VISITORS, webMetric } from '../catalog/metrics.ts';
import type { FilterRows, RollupWindow } from '../plan/rollups.ts';
import type { Params } from './params.ts';
import { filterRollupRelation, rollupKeys, rollupWhere } from './rollup-rows.ts';
import { dimensionSql, eventTarget, sessionsWhere, visitHasEvent, visitTarget } from './sources.ts';

/**
 * The one scan builder for panels that share rows: several breakdowns of the same rows (the visit panels of a view,
 * or its event panels) answered by ONE statement instead of one per panel. The rows are read once and grouped by
 * GROUP BY GROUPING SETS, one set per panel's dimension; each set is ranked by its own first metric (then its value)
 * and cut at the largest limit asked for it, so every panel gets the rows it would get alone. Each statement costs a
 * fixed few milliseconds of planning in the embedded engine, and the scan is most of the rest (BENCHMARKS.md §3).
 *
 * A set is told by GROUPING(k0..kn-1), which sets the bit of each key NOT in the row's set (key j is bit n-1-j); a
 * panel without a dimension is the empty set (every bit).
 */
export interface SetQuery {
  /** The panel's one dimension; none: the totals. */
  dim?: DimRef;
  metrics: string[];
  limit: number;
  /** A condition on the panel's own set (its filter on its own dimension, in terms of the set's key). */
  own?: (key: string) => string;
}

/** A row of a set: its dimension value (none for the empty set) and every metric by name. */
export interface SetRow { value?: string; metrics: Record<string, unknown> }

export interface SetsStatement {
  sql: string;
  /** The statement's rows as each query's own, in rank order, cut at its limit. */
  split(rows: Record<string, unknown>[]): SetRow[][];
}

const metricsOf = (r: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(r).filter(([k]) => k.startsWith('u_')).map(([k, v]) => [k.slice(2), v]));

/** Distinct dimensions of the queries as keys k0..; each query's key index (-1: no dimension). */
function keysOf(queries: SetQuery[]): { keys: DimRef[]; keyOf: number[] } {
  const keys: DimRef[] = [];
  const keyOf = queries.map(({ dim }) => {
    if (!dim) return -1;
    const at = keys.findIndex((k) => k.name === dim.name && k.prop === dim.prop);
    return at >= 0 ? at : keys.push(dim) - 1;
  });
  return { keys, keyOf };
}

/**
 * The shared statement: `from` rows under `where`, `keys` as their SQL, each metric `u_<name>` by `metricSql`, rows
 * kept by `having` (and each set by its query's own condition), ranked and cut per set.
 */
function scan(params: Params, queries: SetQuery[], opts: { from: string; where: string; keySql: (d: DimRef) => string;
  metricSql: (m: string) => string; having?: string; extraMetrics?: string[] }): SetsStatement & { order: string } {
  const { keys, keyOf } = keysOf(queries);
  const n = keys.length;
  const all = (1 << n) - 1;
  const maskOf = (k: number) => (k < 0 ? all : all ^ (1 << (n - 1 - k)));
  const order = [...new Set(keyOf)].map((k) => ({ k, mask: maskOf(k), q: queries[keyOf.indexOf(k)]! }));
  const pick = (f: (o: (typeof order)[number]) => string) => `multiIf(${order.map((o) => `g = ${o.mask}, ${f(o)}`).join(', ')}, ${f(order[0]!)})`;
  const metrics = [...new Set([...queries.flatMap((q) => q.metrics), ...(opts.extraMetrics ?? [])])];
  const own = queries.flatMap((q, i) => (q.own ? [`g = ${maskOf(keyOf[i]!)} AND ${q.own(`k${keyOf[i]}`)}`] : [`g = ${maskOf(keyOf[i]!)}`]));
  const having = [...(opts.having ? [opts.having] : []), ...(queries.some((q) => q.own) ? [`(${own.join(') OR (')})`] : [])];
  const limit = params.add(Math.max(...queries.map((q) => q.limit)), 'UInt32');
  const orderBy = `g, ${pick((o) => `toFloat64(u_${o.q.metrics[0]})`)} DESC, ${pick((o) => (o.k >= 0 ? `toString(k${o.k})` : "''"))} ASC`;
  const sql = `SELECT GROUPING(${keys.map((_, j) => `k${j}`).join(', ') || '1'}) AS g, ${[...keys.map((d, j) => `${opts.keySql(d)} AS k${j}`),
    ...metrics.map((m) => `${opts.metricSql(m)} AS u_${m}`)].join(', ')}
  FROM ${opts.from} WHERE ${opts.where}
  GROUP BY GROUPING SETS (${order.map((o) => (o.k >= 0 ? `(k${o.k})` : '()')).join(', ')})${having.length ? `\n  HAVING ${having.join(' AND ')}` : ''}
  ORDER BY ${orderBy}
  LIMIT ${limit} BY g`;
  const split = (rows: Record<string, unknown>[]) => queries.map((q, i) => {
    const k = keyOf[i]!;
    return rows.filter((r) => Number(r.g) === maskOf(k)).slice(0, q.limit)
      .map((r) => ({ ...(k >= 0 ? { value: String(r[`k${k}`]) } : {}), metrics: metricsOf(r) }));
  });
  return { sql, order: orderBy, split };
}

/**
 * Visit panels from raw visits (sessions) under `filters` (`props`: property tests from event_props, where rollups are
 * allowed; sql/sources.ts visitHasEvent). A value no current visit has (an exit page a visit moved
 * on from nets to zero visits, its +1 and -1) is not a row: HAVING drops it, as the engine alone does.
 */
export function visitSets(params: Params, queries: SetQuery[], filters: Filter[], props = false): SetsStatement {
  const where = compileFilters(filters, { params, home: visitTarget(params), other: eventTarget(params), member: visitHasEvent(params, props) });
  return scan(params, queries, { from: 'sessions', where: `${sessionsWhere(params)} AND ${where}`, keySql: (d) => dimensionSql(d, params),
    metricSql: (m) => webMetric(m).sessions!, having: 'sum(sign) > 0' });
}

/**
 * Visit panels from the visit rollup, which holds each dimension's rows apart already (dim, value): the same sets
 * without GROUPING SETS, one (dim, value) group per row, ranked within each dim and cut with LIMIT BY; the caller tags
 * each row with its set (`dim` names it). (A window over GROUPING-style key columns took a third longer, most of it
 * planning.) Every query has a dimension the rollup keeps.
 */
export function visitRollupSets(params: Params, window: RollupWindow, queries: SetQuery[]): SetsStatement {
  return rollupSets(params, queries, (keys) => `visit_rollup WHERE ${rollupWhere(params, window)} AND dim IN ${params.add(keys.map((d) => d.def.rollup), 'Array(String)')}`);
}

/** The same from visit_filter_rollup under `filters` (sql/rollup-rows.ts), rolled days and raw days after them. */
export function visitFilterRollupSets(params: Params, rows: FilterRows, filters: Filter[], queries: SetQuery[]): SetsStatement {
  return rollupSets(params, queries, (keys) => `${filterRollupRelation(params, rows, filters, rollupKeys(keys))} AS r`);
}

function rollupSets(params: Params, queries: SetQuery[], rowsOf: (keys: DimRef[]) => string): SetsStatement {
  const { keys, keyOf } = keysOf(queries);
  const rankBy = new Map<string, string[]>();
  for (const [i, q] of queries.entries()) {
    if (keyOf.indexOf(keyOf[i]!) !== i) continue; // a set ranks by its first query's first metric
    const m = `toFloat64(u_${q.metrics[0]})`;
    rankBy.set(m, [...(rankBy.get(m) ?? []), keys[keyOf[i]!]!.def.rollup!]);
  }
  const rank = `multiIf(${[...rankBy].map(([m, ds]) => `has(${params.add(ds, 'Array(String)')}, dim), ${m}`).join(', ')}, 0)`;
  const metrics = [...new Set(queries.flatMap((q) => q.metrics))];
  // A metric only some panels show (visitors: not entry or exit pages, which count visits) aggregates their rows only.
  const metricSql = (m: string) => {
    const def = webMetric(m);
    const dims = [...new Set(queries.flatMap((q, i) => (q.metrics.includes(m) ? [keys[keyOf[i]!]!.def.rollup!] : [])))];
    return def.visit_rollup_where && dims.length < keys.length ? def.visit_rollup_where(`has(${params.add(dims, 'Array(String)')}, dim)`) : def.visit_rollup!;
  };
  const sql = `SELECT dim, value, ${metrics.map((m) => `${metricSql(m)} AS u_${m}`).join(', ')}
FROM ${rowsOf(keys)}
GROUP BY dim, value
HAVING sum(visits) > 0
ORDER BY dim, ${rank} DESC, value ASC
LIMIT ${params.add(Math.max(...queries.map((q) => q.limit)), 'UInt32')} BY dim`;
  const split = (rows: Record<string, unknown>[]) => queries.map((q, i) => rows.filter((r) => r.dim === keys[keyOf[i]!]!.def.rollup).slice(0, q.limit)
    .map((r) => ({ value: String(r.value), metrics: metricsOf(r) })));
  return { sql, split };
}

/**
 * Event panels (top pages, goals) from the event rollup. A filter on a query's own dimension (goals leave out
 * pageviews) becomes a condition on its set's rows, which holds the same groups as filtering first. conversion_rate
 * divides by every visitor of the range (its goal filter is the only filter, and it is on events).
 */
export function eventSets(params: Params, window: RollupWindow, queries: (SetQuery & { filters: Filter[] })[]): SetsStatement {
  const cover = rollupWhere(params, window);
  const rate = queries.some((q) => q.metrics.includes('conversion_rate'));
  const withOwn = queries.map((q) => ({ ...q, metrics: q.metrics.filter((m) => m !== 'conversion_rate'),
    ...(q.filters.length ? { own: (key: string) => compileFilters(q.filters, { params, home: { level: 'event', expr: () => key } }) } : {}) }));
  const s = scan(params, withOwn, { from: 'event_rollup', where: cover, keySql: (d) => d.def.sql, metricSql: (m) => webMetric(m).event_rollup!,
    ...(rate ? { extraMetrics: ['visitors'] } : {}) });
  if (!rate) return s;
  return { ...s, sql: `SELECT *, round(100 * u_visitors / greatest(h_c, 1), 2) AS u_conversion_rate FROM (
  ${s.sql}) AS s
  CROSS JOIN (SELECT ${ROLLUP_VISITORS} AS h_c FROM visit_totals WHERE ${cover}) AS t
ORDER BY ${s.order}` };
}
