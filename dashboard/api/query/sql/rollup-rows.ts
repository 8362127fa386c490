import { TupleParam } from '@clickhouse/client';
import { toChTime } from '../../../../core/event.ts';
import type { Granularity } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { WEB_DIMENSIONS } from '../catalog/dimensions.ts';
import { compileFilters } from './filter-sql.ts';
import type { Filter, Leaf } from '../catalog/filters.ts';
import { PROP_FILTER_KEY, SPANS, type FilterRows, type RollupWindow } from '../plan/rollups.ts';
import type { Params } from './params.ts';
import { timeBucketSql } from './time-bucket.ts';
import { eventsWhere, eventTarget, sessionsWhere, visitHasEvent, visitTarget } from './sources.ts';

/** SQL over the rollup rows the planner picked (plan/rollups.ts): which rows, their time buckets, which table. */

/** Pairs of values the sort key is narrowed to at most (pairValues). */
const MAX_PAIR_VALUES = 1000;
/** Between the two values of a pair's fvalue (migration 017). */
const SEP = '\x1F';
/**
 * A filter dimension's value on filter rollup rows of key `key`: fvalue itself, or for a pair 'a+b' (migration 017)
 * a's part up to the first separator or b's after it (b may hold the separator itself: source, always last).
 */
export function fvalueSql(key: string, d: DimRef): string {
  const [a, b] = key.split('+');
  if (b === undefined) return 'fvalue';
  return d.def.rollup === a ? "substring(fvalue, 1, position(fvalue, '\\x1F') - 1)" : "substring(fvalue, position(fvalue, '\\x1F') + 1)";
}

/** A custom property's fvalue (migration 017): the key's length in bytes, ':', the key, '=', the value. */
export const propFvalue = (key: string, value: string) => `${Buffer.byteLength(key)}:${key}=${value}`;
/** Filters as the rollup rows of `key` hold their values: a property's encoded as propFvalue. */
function onRows(key: string, filters: Filter[]): Filter[] {
  if (key !== PROP_FILTER_KEY) return filters;
  return filters.map((f) => ('dim' in f && f.dim.prop !== undefined ? { ...f, values: f.values.map((v) => propFvalue(f.dim.prop!, v)) } : f));
}

/**
 * For a pair, the fvalues a top-level (AND-ed) case-sensitive `is` on each of its two keys allows: the rows' sort key
 * then picks them out, where the condition on their parts alone reads every row of the pair in the range. The
 * condition stays; this only narrows. '' when there is no such pair of filters.
 */
function pairValues(params: Params, key: string, filters: Filter[]): string {
  const [a, b] = key.split('+');
  if (b === undefined) return '';
  const is = (k: string) => filters.find((f) => 'dim' in f && f.op === 'is' && f.caseSensitive && f.dim.def.rollup === k && f.dim.def.level === 'visit') as Leaf | undefined;
  const [fa, fb] = [is(a!), is(b)];
  // A long list of pairs would be a large parameter (a server takes parameters in the URL): read the pair's rows.
  if (!fa || !fb || fa.values.length * fb.values.length > MAX_PAIR_VALUES) return '';
  return ` AND fvalue IN ${params.add(fa.values.flatMap((x) => fb.values.map((y) => `${x}${SEP}${y}`)), 'Array(String)')}`;
}

const hoursWhere = (p: Params) => `site_id = ${p.ref('site')} AND span = 'hour' AND bucket >= ${p.ref('from')} AND bucket < ${p.ref('to')}`;

/**
 * The rows of the range: its cover, or with a time dimension its day rows (or UTC hours, bucketed in the zone). A
 * cover of local buckets is the set of its (span, bucket) keys: one parameter, and cheaper to plan than OR'd ranges.
 */
export function rollupWhere(params: Params, w: RollupWindow, g?: Granularity): string {
  if (g && (g === 'hour' || !w.days)) return hoursWhere(params);
  if (g) return `site_id = ${params.ref('site')} AND span = 'day' AND bucket >= ${params.add(toChTime(w.days!.from), 'DateTime64(3)')} AND bucket < ${params.add(toChTime(w.days!.to), 'DateTime64(3)')}`;
  if (!w.days) return hoursWhere(params);
  const keys = w.cover.flatMap((c) => {
    const next = SPANS.find((s) => s.span === c.span)!.next;
    const out: TupleParam[] = [];
    for (let t = c.from; t < c.to; t = next(t)) out.push(new TupleParam([c.span, toChTime(t).slice(0, 19)]));
    return out;
  });
  return `site_id = ${params.ref('site')} AND (span, bucket) IN ${params.add(keys, "Array(Tuple(String, DateTime('UTC')))")}`;
}

/** A time bucket's label over the rows rollupWhere picks: local day rows are already local dates. */
export function rollupTimeSql(params: Params, w: RollupWindow, g: Granularity): string {
  if (g === 'hour' || !w.days) return timeBucketSql(params, g, 'bucket');
  return g === 'day' ? 'toString(toDate(bucket))' : g === 'week' ? 'toString(toMonday(bucket))' : 'toString(toStartOfMonth(bucket))';
}

/**
 * Where visit_rollup answers an aggregation: the rows of its one dimension, or without one (or by visitor type) the
 * visit_totals rows, whose visitor types together are every visit (same columns, so the same metric SQL).
 */
export function visitRollupRelation(dims: DimRef[], params: Params): { from: string; where: string } {
  const key = dims.find((d) => !isTime(d))?.def.rollup ?? 'visitor_type';
  return key === 'visitor_type' ? { from: 'visit_totals', where: '1' } : { from: 'visit_rollup', where: `dim = ${params.add(key, 'String')}` };
}

/** The visit_rollup keys of panels (a visit dimension each; none: the totals, by visitor type) and their SQL on visits. */
export function rollupKeys(dims: DimRef[]): { key: string; sql: string }[] {
  const keyed = dims.filter((d) => !isTime(d));
  const totals = WEB_DIMENSIONS['visit:visitor_type'];
  return keyed.length ? keyed.map((d) => ({ key: d.def.rollup!, sql: d.def.sql })) : [{ key: totals.rollup!, sql: totals.sql }];
}

/**
 * visit_filter_rollup's rows for panel keys `keys` under `filters` (all on the plan's filter key, read as `fvalue`,
 * a page or event name too: a visit's row under each of its pages is the visit having an event there),
 * over the plan's rolled buckets (day rows with a time bucket `g`), and after the rolled days the same rows built
 * from raw visits: bucket (the local day), dim, value, a visitor sketch and signed sums, the columns visit_rollup's
 * metric forms read. The sketch of raw rows counts -1 rows too: they carry their visit's visitor and fixed attributes.
 */
export function filterRollupRelation(params: Params, rows: FilterRows, filters: Filter[], keys: { key: string; sql: string }[], g?: Granularity): string {
  const names = params.add(keys.map((k) => k.key), 'Array(String)');
  const rolled = `SELECT bucket, dim, value, visitors, visits, pageviews, custom_events, bounces, duration_ms FROM visit_filter_rollup
    WHERE ${rollupWhere(params, rows.window, g)} AND fdim = ${params.add(rows.key, 'String')}
      AND ${compileFilters(onRows(rows.key, filters), { params, home: { level: 'visit', expr: (d) => (d.def.level === 'visit' ? fvalueSql(rows.key, d) : 'fvalue'), carries: () => true } })}${pairValues(params, rows.key, filters)} AND dim IN ${names}`;
  if (rows.tailFrom === null) return `(${rolled})`;
  const from = params.add(toChTime(rows.tailFrom), 'DateTime64(3)');
  // t_ names: an alias named as a column would stand for it in the other sums.
  const tail = `SELECT toDateTime(toDate(start, ${params.ref('tz')}), 'UTC') AS t_bucket, kv.1 AS t_dim, kv.2 AS t_value,
      uniqCombinedState(12)(visitor_id) AS t_visitors, sum(sign) AS t_visits, sum(sign * pageviews) AS t_pageviews, sum(sign * events) AS t_events,
      sum(sign * is_bounce) AS t_bounces, sum(sign * duration_ms) AS t_duration
    FROM sessions ARRAY JOIN [${keys.map((k) => `(${params.add(k.key, 'String')}, ${k.sql})`).join(', ')}] AS kv
    WHERE ${sessionsWhere(params)} AND start >= ${from}
      AND ${compileFilters(filters, { params, home: visitTarget(params), other: eventTarget(params), member: visitHasEvent(params, true) })}
    GROUP BY t_bucket, t_dim, t_value`;
  return `(${rolled}\n  UNION ALL\n  ${tail})`;
}

/**
 * event_filter_rollup's rows under `filters` (the visit filter read as `fvalue`, the others on name and pathname),
 * and after the rolled days the same from raw events, their visit filter read from each event's stamp.
 */
export function eventFilterRollupRelation(params: Params, rows: FilterRows, filters: Filter[], g?: Granularity): string {
  const onRow = { level: 'event' as const, expr: (d: DimRef) => (d.def.level === 'visit' ? fvalueSql(rows.key, d) : d.def.sql), carries: (d: DimRef) => d.def.level === 'visit' };
  const rolled = `SELECT bucket, name, pathname, visitors, events FROM event_filter_rollup
    WHERE ${rollupWhere(params, rows.window, g)} AND fdim = ${params.add(rows.key, 'String')} AND ${compileFilters(filters, { params, home: onRow })}${pairValues(params, rows.key, filters)}`;
  if (rows.tailFrom === null) return `(${rolled})`;
  const tail = `SELECT toDateTime(toDate(timestamp, ${params.ref('tz')}), 'UTC') AS t_bucket, name AS t_name, pathname AS t_pathname,
      uniqCombinedState(12)(visitor_id) AS t_visitors, count() AS t_events
    FROM events WHERE ${eventsWhere(params)} AND timestamp >= ${params.add(toChTime(rows.tailFrom), 'DateTime64(3)')}
      AND ${compileFilters(filters, { params, home: eventTarget(params, true) })}
    GROUP BY t_bucket, t_name, t_pathname`;
  return `(${rolled}\n  UNION ALL\n  ${tail})`;
}
