import { TupleParam } from '@clickhouse/client';
import { toChTime } from '../../../core/event.ts';
import { addDays, dayRange, offsetMs, timeBucketSql, type Granularity, type TimeRange } from './date-range.ts';
import { isTime, type DimRef } from './dimensions.ts';
import { leaves, type Filter } from './filters.ts';
import { webMetric, type WebSource, type WebTable } from './metrics.ts';
import type { Params } from './sql.ts';

/**
 * The planner's choice of rows: an aggregation reads a rollup (core/migrations/008_rollups.sql, 009_local_rollups.sql)
 * when the rollup holds everything it needs, and the raw table otherwise. Both give the same figures (sums exactly;
 * distinct visitors within the sketch's error), so callers never know which one answered.
 *
 * Rollup rows are UTC hours, and days, half-weeks (Monday-Wednesday, Thursday-Sunday), weeks (from Monday) and months
 * in the site's own time zone. A range of whole local days (every preset and custom range) is covered by the largest
 * whole local buckets that fit (30 days: 3 or 4 weeks, and 2 to 4 half-weeks and days at the ends); a daily, weekly or
 * monthly chart reads its day rows. Hourly charts, and ranges that are not whole
 * local days or that start within ZONE_MARGIN after the site changed its zone (older local rows are in the old zone),
 * read UTC hour rows, which needs whole hours in a whole-hour zone. Otherwise, and for realtime and minute buckets,
 * raw rows answer.
 *
 * What each rollup answers:
 * - visit_rollup (visit_totals without a dimension or by visitor type): at most one visit dimension it keeps (plus
 *   time), no filters, metrics with a visit_rollup form;
 *   visitor counts need the visit's fixed attributes, so a dimension that changes during a visit (exit page) takes
 *   signed sums only, as the raw plan does; new/returning visitors read the visitor_type rows.
 * - event_rollup: event:page and event:name (plus time), filtered on those alone, metrics with an event_rollup form.
 */
export interface RollupWindow {
  /** Buckets covering the range, per span [from, to) of bucket starts (hours in UTC ms; local spans as UTC ms of the local date). */
  cover: { span: Span; from: number; to: number }[];
  /** The range's local days [from, to) as above, when local rows answer it; else null. */
  days: { from: number; to: number } | null;
  /** Whether UTC hour rows answer it (whole hours, whole-hour offsets throughout). */
  hours: boolean;
}
type Span = 'month' | 'week' | 'half' | 'day' | 'hour';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Local rows stay in the old zone up to a change; a day either side covers any two zones' dates overlapping. */
export const ZONE_MARGIN = 2 * DAY;
const MONDAY = 4 * DAY; // 1970-01-05, the first Monday after the epoch
/** Bucket starts of each span at or before t, coarsest first; each span's starts are also starts of the finer ones. */
const SPANS: { span: Span; floor: (t: number) => number; next: (t: number) => number }[] = [
  { span: 'month', floor: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); },
    next: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1); } },
  { span: 'week', floor: monday, next: (t) => t + 7 * DAY },
  // Half-weeks (migration 011): Monday to Wednesday, Thursday to Sunday.
  { span: 'half', floor: (t) => (t - monday(t) >= 3 * DAY ? monday(t) + 3 * DAY : monday(t)), next: (t) => t + (t === monday(t) ? 3 : 4) * DAY },
  { span: 'day', floor: (t) => Math.floor(t / DAY) * DAY, next: (t) => t + DAY },
];
function monday(t: number): number {
  return Math.floor((t - MONDAY) / (7 * DAY)) * 7 * DAY + MONDAY;
}

/** The largest whole buckets covering [from, to), both whole days: the middle at one span, the ends at finer ones. */
function cover(from: number, to: number, level = 0): RollupWindow['cover'] {
  if (from >= to) return [];
  const s = SPANS[level]!;
  if (s.span === 'day') return [{ span: 'day', from, to }];
  const a = s.floor(from) === from ? from : s.next(s.floor(from));
  const b = s.floor(to);
  if (a >= b) return cover(from, to, level + 1);
  return [...cover(from, a, level + 1), { span: s.span, from: a, to: b }, ...cover(b, to, level + 1)];
}

/**
 * Which rollup rows answer `range` for a site whose zone last changed at `zoneSince` (UTC ms, 0: never); null when
 * none do.
 */
export function rollupWindow(range: TimeRange, zoneSince = 0): RollupWindow | null {
  if (range.realtime) return null;
  const whole = dayRange(range.first, range.last, range.tz);
  const days = whole.from === range.from && whole.to === range.to && (zoneSince <= 0 || range.from >= zoneSince + ZONE_MARGIN)
    ? { from: Date.parse(`${range.first}T00:00:00Z`), to: Date.parse(`${addDays(range.last, 1)}T00:00:00Z`) } : null;
  const hours = wholeHours(range);
  if (!days && !hours) return null;
  return { cover: days ? cover(days.from, days.to) : [{ span: 'hour', from: range.from, to: range.to }], days, hours };
}

/** Made of whole UTC hours, every local bucket inside made of whole UTC hours (a whole-hour offset throughout). */
function wholeHours(range: TimeRange): boolean {
  if (range.from % HOUR !== 0 || range.to % HOUR !== 0) return false;
  // Offsets change only at transitions, months apart: one look a day finds a half-hour zone or season.
  for (let t = range.from; t < range.to; t += DAY) if (offsetMs(t, range.tz) % HOUR !== 0) return false;
  return offsetMs(range.to - 1, range.tz) % HOUR === 0;
}

/** Whether the window's rows can bucket a time dimension of granularity g. */
export function rollupTimeAble(w: RollupWindow, g: Granularity): boolean {
  return g === 'minute' ? false : g === 'hour' ? w.hours : w.days !== null || w.hours;
}

const HOURS_WHERE = "site_id = {site:String} AND span = 'hour' AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}";

/**
 * The rows of the range: its cover, or with a time dimension its day rows (or UTC hours, bucketed in the zone). A
 * cover of local buckets is the set of its (span, bucket) keys: one parameter, and cheaper to plan than OR'd ranges.
 */
export function rollupWhere(params: Params, w: RollupWindow, g?: Granularity): string {
  if (g && (g === 'hour' || !w.days)) return HOURS_WHERE;
  if (g) return `site_id = {site:String} AND span = 'day' AND bucket >= ${params.add(toChTime(w.days!.from), 'DateTime64(3)')} AND bucket < ${params.add(toChTime(w.days!.to), 'DateTime64(3)')}`;
  if (!w.days) return HOURS_WHERE;
  const keys = w.cover.flatMap((c) => {
    const next = SPANS.find((s) => s.span === c.span)!.next;
    const out: TupleParam[] = [];
    for (let t = c.from; t < c.to; t = next(t)) out.push(new TupleParam([c.span, toChTime(t).slice(0, 19)]));
    return out;
  });
  return `site_id = {site:String} AND (span, bucket) IN ${params.add(keys, "Array(Tuple(String, DateTime('UTC')))")}`;
}

/** A time bucket's label over the rows rollupWhere picks: local day rows are already local dates. */
export function rollupTimeSql(w: RollupWindow, g: Granularity): string {
  if (g === 'hour' || !w.days) return timeBucketSql(g, 'bucket');
  return g === 'day' ? 'toString(toDate(bucket))' : g === 'week' ? 'toString(toMonday(bucket))' : 'toString(toStartOfMonth(bucket))';
}

/** One aggregation as the planner sees it: its raw source, dimensions, filters and the metrics it computes. */
export interface Aggregation { source: WebSource; dims: DimRef[]; filters: Filter[]; metrics: string[] }

/** The table that answers `a`: its rollup when allowed and able (see above), else the raw source. */
export function tableFor(a: Aggregation, w: RollupWindow | null): WebTable {
  if (!w || a.dims.some((d) => isTime(d) && !rollupTimeAble(w, d.granularity!))) return a.source;
  const keyed = a.dims.filter((d) => !isTime(d));
  if (a.source === 'sessions') {
    const dim = keyed[0];
    if (a.filters.length || keyed.length > 1 || (dim && (dim.def.level !== 'visit' || !dim.def.rollup))) return a.source;
    const able = a.metrics.every((m) => {
      const def = webMetric(m);
      return def.visit_rollup && (!def.byVisitorType || !dim || dim.name === 'visit:visitor_type') && (!dim?.def.mutable || def.additive);
    });
    return able ? 'visit_rollup' : a.source;
  }
  if (a.source === 'events') {
    const kept = (d: DimRef) => d.def.level === 'event' && d.def.rollup !== undefined && d.prop === undefined;
    if (!keyed.every(kept) || !leaves(a.filters).every((l) => kept(l.dim))) return a.source;
    return a.metrics.every((m) => webMetric(m).event_rollup) ? 'event_rollup' : a.source;
  }
  return a.source;
}

/**
 * Where visit_rollup answers an aggregation: the rows of its one dimension, or without one (or by visitor type) the
 * visit_totals rows, whose visitor types together are every visit (same columns, so the same metric SQL).
 */
export function visitRollupRelation(dims: DimRef[], params: Params): { from: string; where: string } {
  const key = dims.find((d) => !isTime(d))?.def.rollup ?? 'visitor_type';
  return key === 'visitor_type' ? { from: 'visit_totals', where: '1' } : { from: 'visit_rollup', where: `dim = ${params.add(key, 'String')}` };
}
