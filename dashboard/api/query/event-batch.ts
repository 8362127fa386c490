import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import type { Site } from '../../../core/registry.ts';
import { toChTime } from '../../../core/event.ts';
import type { DimRef } from './dimensions.ts';
import { timeRangeMeta, type EngineQuery, type EngineResult, type EngineScope } from './execute.ts';
import { compileFilters, leaves } from './filters.ts';
import { ROLLUP_VISITORS, webMetric } from './metrics.ts';
import { rollupWhere, rollupWindow, tableFor } from './rollups.ts';
import { MAX_LIMIT } from './request.ts';
import { Params, num, runCompiled } from './sql.ts';

/**
 * The event panels of one range (top pages, goals) from ONE scan of the event rollup: GROUP BY GROUPING SETS, one set
 * per dimension, each ranked and cut as its query alone would be. A filter on a query's own dimension (goals leave out
 * pageviews) becomes a condition on its set's rows, which holds the same groups as filtering first. Each statement
 * costs a fixed few milliseconds of planning and start-up in the embedded engine, a tenth of the site overview
 * (BENCHMARKS.md section 3). Queries this cannot answer exactly go to the engine alone.
 */
const METRICS = new Set(['visitors', 'pageviews', 'events', 'conversion_rate']);
const DIMS = new Set(['event:page', 'event:name']);

export function eventBatchable(scope: EngineScope, q: EngineQuery): boolean {
  if (scope.kind !== 'site' || q.comparison || q.totalRows || (q.offset ?? 0) > 0 || q.range.realtime || (q.orderBy ?? []).length) return false;
  if (q.rollups === false || q.dimensions.length !== 1 || !DIMS.has(q.dimensions[0]!.name) || q.dimensions[0]!.prop !== undefined) return false;
  if (!q.metrics.every((m) => METRICS.has(m)) || q.metrics[0] === 'conversion_rate') return false;
  // Only filters on the query's own dimension: they select whole groups of its set.
  if (!leaves(q.filters).every((l) => l.dim.name === q.dimensions[0]!.name)) return false;
  const window = rollupWindow(q.range, scope.site.timezoneSince);
  const rollupMetrics = q.metrics.filter((m) => m !== 'conversion_rate');
  return window !== null && tableFor({ source: 'events', dims: q.dimensions, filters: q.filters, metrics: rollupMetrics }, window) === 'event_rollup';
}

/** Groups of eligible queries that can share a statement: same range, one query per dimension. */
export function eventGroups(queries: { q: EngineQuery; i: number }[]): number[][] {
  const groups = new Map<string, { i: number; dim: string }[]>();
  for (const { q, i } of queries) {
    const k = JSON.stringify([q.range.from, q.range.to, q.range.tz]);
    const g = groups.get(k) ?? [];
    if (g.some((x) => x.dim === q.dimensions[0]!.name)) continue;
    g.push({ i, dim: q.dimensions[0]!.name });
    groups.set(k, g);
  }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => g.map((x) => x.i));
}

export async function runEventSets(ch: ClickHouseClient, site: Site, queries: EngineQuery[]): Promise<EngineResult[]> {
  const range = queries[0]!.range;
  const window = rollupWindow(range, site.timezoneSince)!;
  const params = new Params({ site: site.siteId, from: toChTime(range.from), to: toChTime(range.to), tz: range.tz });
  const keys: DimRef[] = queries.map((q) => q.dimensions[0]!);
  const n = keys.length;
  // GROUPING(k0..kn-1) sets the bit of each key NOT in the row's set; key j is bit n-1-j.
  const maskOf = (j: number) => ((1 << n) - 1) ^ (1 << (n - 1 - j));
  const keyAlias = (d: DimRef) => `k${keys.findIndex((k) => k.name === d.name)}`;
  const own = queries.map((q, j) => `g = ${maskOf(j)}${q.filters.length ? ` AND ${compileFilters(q.filters, { params, home: { level: 'event', expr: keyAlias } })}` : ''}`);
  const metrics = [...new Set(queries.flatMap((q) => q.metrics))].filter((m) => m !== 'conversion_rate');
  const pick = (f: (j: number) => string) => `multiIf(${queries.map((_, j) => `g = ${maskOf(j)}, ${f(j)}`).join(', ')}, ${f(0)})`;
  const rank = pick((j) => `toFloat64(u_${queries[j]!.metrics[0]})`);
  const limit = params.add(Math.max(...queries.map((q) => q.limit ?? MAX_LIMIT)), 'UInt32');
  const cover = rollupWhere(params, window);
  const rate = queries.some((q) => q.metrics.includes('conversion_rate'));
  // conversion_rate over every visitor of the range: its goal filter is the only filter, and it is on events.
  const sql = `SELECT *${rate ? ', round(100 * u_visitors / greatest(h_c, 1), 2) AS u_conversion_rate' : ''} FROM (
  SELECT GROUPING(${keys.map((_, j) => `k${j}`).join(', ')}) AS g, ${keys.map((d, j) => `${d.def.sql} AS k${j}`).join(', ')},
    ${[...new Set([...metrics, ...(rate ? ['visitors'] : [])])].map((m) => `${webMetric(m).event_rollup} AS u_${m}`).join(', ')}
  FROM event_rollup WHERE ${cover}
  GROUP BY GROUPING SETS (${keys.map((_, j) => `(k${j})`).join(', ')})
  HAVING ${own.map((c) => `(${c})`).join(' OR ')}
  ORDER BY g, ${rank} DESC, ${pick((j) => `toString(k${j})`)} ASC
  LIMIT ${limit} BY g) AS s${rate ? `\n  CROSS JOIN (SELECT ${ROLLUP_VISITORS} AS h_c FROM visit_totals WHERE ${cover}) AS t` : ''}`;
  const rows = await runCompiled<Record<string, unknown>>(ch, { name: 'web:event_rollup:sets', sql, params: params.values });
  return queries.map((q, j) => ({
    results: rows.filter((r) => num(r.g) === maskOf(j)).slice(0, q.limit ?? MAX_LIMIT)
      .map((r) => ({ dimensions: [String(r[`k${j}`])], metrics: q.metrics.map((m) => num(r[`u_${m}`])) })),
    meta: { time_range: timeRangeMeta(range) },
  }));
}
