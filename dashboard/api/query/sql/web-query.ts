import { toChTime } from '../../../../core/event.ts';
import type { RolledDays } from '../../../../core/filter-rollup-state.ts';
import { VISIT_LINK_WINDOW_MS } from '../../../../core/ingest-stream.ts';
import { assemble, carriesTotals, type Part, type Spec } from './parts.ts';
import type { TimeRange } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { invalid } from '../catalog/errors.ts';
import { leaves, withoutTopLevel, type Filter } from '../catalog/filters.ts';
import { compileFilters } from './filter-sql.ts';
import { formOf, webMetric, type WebSource, type WebTable } from '../catalog/metrics.ts';
import { planSource, rolledIn, rollupWindow, type Rolled, type RollupWindow } from '../plan/rollups.ts';
import { eventFilterRollupRelation, filterRollupRelation, rollupKeys, rollupTimeSql, rollupWhere, visitRollupRelation } from './rollup-rows.ts';
import { sampleFactorSql } from './sample.ts';
import { timeBucketSql } from './time-bucket.ts';
import { eventsWhere, dimensionSql, eventInVisit, eventPropsTarget, eventPropsWhere, eventTarget, sessionsRelation, visitHasEvent, visitorsRelation,
  visitTarget } from './sources.ts';
import { Params, type Compiled } from './params.ts';

export interface WebSpec extends Spec {
  filters: Filter[];
  /**
   * Let the planner read rollups where they answer, and count frequency from visit links (default); false reads raw
   * rows only and groups every visitor (tests, comparisons).
   */
  rollups?: boolean;
  /** When the site's time zone last changed (UTC ms, 0: never): local rollup rows before it are in the old zone. */
  zoneSince?: number;
  /** Since when the site's visits are linked to their visitor's previous one (UTC ms, 0: always; migration 010). */
  linkedSince?: number;
  /** Since when the site's events carry their visit's attributes (UTC ms, 0: always; migration 012). */
  stampedSince?: number;
  /** The site's local days in the filter rollup (migration 013). */
  filtersRolled?: RolledDays;
  /**
   * Per-visitor counts (visitor:frequency) of an unfiltered range with more cookie visits than this are estimated
   * from a sample of visitors (plan/rollups.ts); absent (or rollups false): always counted whole.
   */
  sampleAbove?: number;
}

/**
 * Plans a web query. Which rows answer it:
 * - an event:* dimension, or a realtime range: events (visit-only metrics are refused with a hint);
 * - visitor:frequency: a per-visitor roll-up of visits (of repeat visits only, from visit links, where they answer);
 * - otherwise visits (sessions), except pageviews/events under an event filter, which count the matching events and
 *   so come from events, joined to the visit figures on the dimensions.
 * Each aggregation then reads the rollup of its rows where one answers it (plan/rollups.ts), else the rows themselves.
 * conversion_rate divides by the visitors the non-goal filters keep; percentage by all visitors of the query.
 */
export function buildWebQuery(siteId: string, range: TimeRange, spec: WebSpec): Compiled {
  const params = new Params({ site: siteId, from: toChTime(range.from), to: toChTime(range.to), tz: range.tz,
    limit: spec.limit, offset: spec.offset, ...(spec.restrict ? { cmp: spec.restrict } : {}) });
  const dims = spec.dimensions;
  const eventDims = dims.filter((d) => d.def.level === 'event');
  const freq = dims.find((d) => d.def.level === 'visitor');
  if (freq && dims.length > 1) throw invalid('dimensions', 'visitor:frequency cannot be combined with other dimensions');
  // What changes during a visit (its exit page) needs each visit's latest row: always to pick visits for events,
  // and for visit figures unless every metric is a signed sum (a cancelled state then nets out by itself).
  const mutable = [...dims, ...leaves(spec.filters).map((l) => l.dim)].some((d) => d.def.mutable);
  const collapsed = mutable && !spec.metrics.every((m) => webMetric(m).additive);
  let primary: WebSource = freq ? 'visitors' : eventDims.length || range.realtime ? 'events' : 'sessions';
  const eventFilter = leaves(spec.filters).some((l) => l.dim.def.level === 'event');
  // Totals ride in the statement, one more grouping set in each part (Spec.totals): a chart and its headline in one.
  const totals = Boolean(spec.totals && dims.length && spec.offset === 0 && carriesTotals(spec));
  const ctx: Ctx = { params, collapsed, mutable, totals, window: spec.rollups === false ? null : rollupWindow(range, spec.zoneSince),
    linked: spec.rollups !== false && linksAnswer(range, spec.filters, spec.linkedSince ?? 0),
    stamped: range.from >= (spec.stampedSince ?? 0), plan: [],
    ...(spec.rollups !== false && spec.sampleAbove ? { sampleAbove: spec.sampleAbove } : {}) };
  const rolled = rolledIn(spec.filtersRolled, range.tz);
  if (rolled) ctx.rolled = rolled;

  const cols: Record<WebSource, Col[]> = { sessions: [], events: [], visitors: [] };
  const metricSql = spec.metrics.map((m, i) => {
    const def = webMetric(m);
    if (def.ratio === 'percentage') return 'round(100 * h_v / greatest(h_t, 1), 1)';
    if (def.ratio === 'conversion_rate') return 'round(100 * h_v / greatest(h_c, 1), 2)';
    const source: WebSource = primary === 'sessions' && def.eventCount && eventFilter ? 'events' : primary;
    if (!def[source]) throw invalid(`metrics[${i}]`, refusal(m, source, eventDims[0], range));
    cols[source].push({ metric: m, alias: `m${i}` });
    return `m${i}`;
  });
  // Only matching-event counts asked for (pageviews of /pricing): events alone answer.
  if (primary === 'sessions' && cols.sessions.length === 0 && cols.events.length) primary = 'events';
  const ratios = new Set(spec.metrics.map((m) => webMetric(m).ratio).filter(Boolean));
  if (ratios.size) cols[primary].push({ metric: 'visitors', alias: 'h_v' });

  const sortAliases = new Map<number, string>();
  const extra: string[] = [];
  if (freq?.def.sortSql) { extra.push(`${freq.def.sortSql} AS s0`); sortAliases.set(0, 's0'); }
  const all = dims.map((_, i) => `d${i}`);
  const base = part(ctx, primary, dims, spec.filters, cols[primary], undefined, extra);
  const parts: Part[] = [{ sql: base.sql, dims: all, join: 'base' }];
  // A sampled base also answers each metric's margin (e<i>) and its factor k (sample_k): carried to the answer.
  const carry = base.sampled ? [...cols[primary].flatMap((c) => (marginAlias(c) ? [marginAlias(c)!] : [])), 'sample_k'] : [];
  if (primary === 'sessions' && cols.events.length) parts.push({ sql: part(ctx, 'events', dims, spec.filters, cols.events).sql, dims: all, join: 'full' });
  if (ratios.has('conversion_rate')) {
    const i = spec.metrics.indexOf('conversion_rate');
    if (primary === 'visitors') throw invalid(`metrics[${i}]`, 'conversion_rate cannot be combined with visitor:frequency');
    const { rest, dropped } = withoutTopLevel(spec.filters, (l) => l.dim.def.level === 'event');
    if (!dropped && eventDims.length === 0) {
      throw invalid(`metrics[${i}]`, 'conversion_rate needs a goal: an event:name or event:page filter, or an event:* dimension');
    }
    const byVisit = dims.map((d, k) => ({ d, k })).filter(({ d }) => d.def.level !== 'event');
    parts.push({ sql: part(ctx, 'sessions', byVisit.map((x) => x.d), rest, [{ metric: 'visitors', alias: 'h_c' }], byVisit.map((x) => x.k)).sql,
      dims: byVisit.map((x) => `d${x.k}`), join: 'left' });
  }
  if (ratios.has('percentage')) parts.push({ sql: part(ctx, primary, [], spec.filters, [{ metric: 'visitors', alias: 'h_t' }]).sql, dims: [], join: 'left' });
  return { name: `web:${base.table}`, sql: assemble(params, parts, { ...spec, totals }, metricSql, sortAliases, carry), params: params.values,
    ...(totals ? { totals } : {}), ...(base.sampled ? { sample: true } : {}), plan: ctx.plan };
}

interface Ctx { params: Params; collapsed: boolean; mutable: boolean; window: RollupWindow | null; linked: boolean;
  /** Each part with dimensions also groups all its rows, marked tot = 1 (Spec.totals). */
  totals: boolean;
  /** Every event of the range carries its visit's attributes (see WebSpec.stampedSince). */
  stamped: boolean;
  /** The site's days in the filter rollup. */
  rolled?: Rolled;
  /** See WebSpec.sampleAbove. */
  sampleAbove?: number;
  /** Each aggregation's source and why, in the order they were planned. */
  plan: string[] }

/**
 * Whether visit links (sessions.prev_start) tell each visitor's first visit in `range`: the range is no longer than
 * the link window (an earlier visit in it is then always recorded), starts once the site's visits were linked, and
 * nothing filters visits (a filter could drop a visitor's first visit and keep the next, which links to it).
 */
export function linksAnswer(range: TimeRange, filters: Filter[], linkedSince: number): boolean {
  return !range.realtime && filters.length === 0 && range.to - range.from <= VISIT_LINK_WINDOW_MS && range.from >= linkedSince;
}
/** A metric of an aggregation and the alias it answers under. */
interface Col { metric: string; alias: string }
/** A result metric's (m<i>) margin alias (e<i>) where its metric has a margin form; denominators (h_*) have none. */
const marginAlias = (c: Col) => (/^m\d+$/.test(c.alias) && webMetric(c.metric).margin ? `e${c.alias.slice(1)}` : undefined);

function refusal(metric: string, source: WebSource, eventDim: DimRef | undefined, range: TimeRange): string {
  if (source === 'visitors') return `${metric} cannot be combined with visitor:frequency; use visitors, visits or percentage`;
  if (eventDim) return `${metric} is a figure of visits and cannot be broken down by ${eventDim.name}; ${eventDim.def.hint}`;
  if (range.realtime) return `${metric} is a figure of whole visits and is not available for the realtime range`;
  return `${metric} cannot be computed here`;
}

/**
 * One aggregation over `source` (or the rollup the planner picks for it), grouped by `dims` (aliased d<k>, k from
 * `keys` or their position), with the metrics `cols` and raw `extra` columns. Filters on the other level become visit
 * membership tests (see filters.ts).
 */
function part(ctx: Ctx, source: WebSource, dims: DimRef[], filters: Filter[], cols: Col[], keys = dims.map((_, i) => i),
  extra: string[] = []): { sql: string; table: WebTable; sampled?: true } {
  const { params, collapsed, mutable } = ctx;
  const { table, why, rows, sample, prop } = planSource({ source, dims, filters, metrics: cols.map((c) => c.metric), stamped: ctx.stamped,
    ...(ctx.rolled ? { rolled: ctx.rolled } : {}), ...(source === 'visitors' ? { linked: ctx.linked, ...(ctx.sampleAbove ? { sampleAbove: ctx.sampleAbove } : {}) } : {}) }, ctx.window);
  ctx.plan.push(why);
  const alias = (i: number) => `d${keys[i]}`;
  const aliases = dims.map((_, i) => alias(i)).join(', ');
  // Totals: one more grouping set, of all rows, marked by tot (see Spec.totals); a part without dimensions is one row.
  const totals = ctx.totals && dims.length > 0;
  const metrics = [...cols.map((c) => `${webMetric(c.metric)[formOf(table)]!} AS ${c.alias}`), ...extra, ...(totals ? [`grouping(${alias(0)}) AS tot`] : [])];
  const groupBy = !dims.length ? '' : totals ? `\n  GROUP BY GROUPING SETS ((${aliases}), ())` : `\n  GROUP BY ${aliases}`;
  // A value of what changes during a visit that no current visit has (an exit page it moved on from) nets to zero
  // visits: in raw rows until they merge, in the rollups for good. It is not a row (sql/grouping-sets.ts does the same).
  const nets = dims.some((d) => d.def.mutable) ? (visits: string) => `\n  HAVING ${totals ? `grouping(${alias(0)}) = 1 OR ` : ''}${visits} > 0` : () => '';
  const done = (sql: string) => ({ sql, table });
  if (table === 'visit_filter_rollup' || table === 'event_filter_rollup') {
    const g = dims.find(isTime)?.granularity;
    const visits = table === 'visit_filter_rollup';
    const select = dims.map((d, i) => `${isTime(d) ? rollupTimeSql(params, rows!.window, d.granularity!) : visits ? 'value' : dimensionSql(d, params)} AS ${alias(i)}`);
    const rel = visits ? filterRollupRelation(params, rows!, filters, rollupKeys(dims), g) : eventFilterRollupRelation(params, rows!, filters, g);
    return done(`SELECT ${[...select, ...metrics].join(', ')}\n  FROM ${rel}${groupBy}${visits ? nets('sum(visits)') : ''}`);
  }
  if (table === 'visit_rollup' || table === 'event_rollup') {
    const g = dims.find(isTime)?.granularity;
    const select = dims.map((d, i) => `${isTime(d) ? rollupTimeSql(params, ctx.window!, d.granularity!) : table === 'visit_rollup' ? 'value' : dimensionSql(d, params)} AS ${alias(i)}`);
    const rel = table === 'visit_rollup' ? visitRollupRelation(dims, params) : { from: table, where: compileFilters(filters, { params, home: eventTarget(params) }) };
    return done(`SELECT ${[...select, ...metrics].join(', ')}\n  FROM ${rel.from}\n  WHERE ${rollupWhere(params, ctx.window!, g)} AND ${rel.where}${groupBy}${table === 'visit_rollup' ? nets('sum(visits)') : ''}`);
  }
  if (table === 'event_props') {
    const select = dims.map((d, i) => `${isTime(d) ? timeBucketSql(params, d.granularity!, 'timestamp') : d.def.sql} AS ${alias(i)}`);
    const where = compileFilters(filters, { params, home: eventPropsTarget });
    return done(`SELECT ${[...select, ...metrics].join(', ')}\n  FROM event_props\n  WHERE ${eventPropsWhere(params, prop!)} AND ${where}${groupBy}`);
  }
  if (source === 'events') {
    const target = eventTarget(params, ctx.stamped);
    // Visit dimensions of events come from each event's stamp, or else from their visit.
    const visitDims = dims.map((d, i) => ({ d, i })).filter(({ d }) => d.def.level === 'visit' && !target.carries?.(d));
    const select = dims.map((d, i) => `${isTime(d) ? timeBucketSql(params, d.granularity!, 'timestamp')
      : visitDims.some((v) => v.i === i) ? `v${keys[i]}` : target.expr(d)} AS ${alias(i)}`);
    const rel = sessionsRelation(params, mutable, true);
    const join = visitDims.length ? `\n  INNER JOIN (SELECT DISTINCT session_id, ${visitDims.map(({ d, i }) => `${d.def.sql} AS v${keys[i]}`).join(', ')}
    FROM ${rel.from} WHERE ${rel.where}) AS sv USING (session_id)` : '';
    const where = compileFilters(filters, { params, home: target, other: visitTarget(params), member: eventInVisit(params, mutable) });
    return done(`SELECT ${[...select, ...metrics].join(', ')}\n  FROM events${join}\n  WHERE ${eventsWhere(params)} AND ${where}${groupBy}`);
  }
  const rel = sessionsRelation(params, collapsed);
  const where = compileFilters(filters, { params, home: visitTarget(params), other: eventTarget(params), member: visitHasEvent(params, ctx.window !== null) });
  if (source === 'visitors') {
    const select = dims.map((d, i) => `${d.def.sql} AS ${alias(i)}`);
    // Linked rows can net a bucket to no visitors (every visitor came back): such a bucket is not a result row.
    const having = dims.length ? ' HAVING sum(n) > 0' : '';
    const factor = sample ? sampleFactorSql(params, sample.window, sample.above) : undefined;
    // A sampled part says its factor (the base's reaches the answer); the result's own metrics carry their margins.
    const margins = sample ? [...cols.flatMap((c) => (marginAlias(c) ? [`${webMetric(c.metric).margin!} AS ${marginAlias(c)}`] : [])), 'max(n) AS sample_k'] : [];
    const sql = `SELECT ${[...select, ...metrics, ...margins].join(', ')}\n  FROM ${visitorsRelation(params, rel.from, `${rel.where} AND ${where}`, ctx.linked, factor)}${groupBy}${having}`;
    return { sql, table, ...(sample ? { sampled: true as const } : {}) };
  }
  const select = dims.map((d, i) => `${isTime(d) ? timeBucketSql(params, d.granularity!, 'start') : dimensionSql(d, params)} AS ${alias(i)}`);
  return done(`SELECT ${[...select, ...metrics].join(', ')}\n  FROM ${rel.from}\n  WHERE ${rel.where} AND ${where}${groupBy}${nets('sum(sign)')}`);
}
