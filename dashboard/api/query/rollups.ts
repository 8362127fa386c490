import { toChTime } from '../../../core/event.ts';
import { offsetMs, type TimeRange } from './date-range.ts';
import { isTime, type DimRef } from './dimensions.ts';
import { leaves, type Filter } from './filters.ts';
import { webMetric, type WebSource, type WebTable } from './metrics.ts';
import type { Params } from './sql.ts';

/**
 * The planner's choice of rows: an aggregation reads a rollup (core/migrations/008_rollups.sql) when the rollup holds
 * everything it needs, and the raw table otherwise. Both give the same figures (sums exactly; distinct visitors within
 * the sketch's error), so callers never know which one answered.
 *
 * Rollup rows are UTC hours, days, weeks (from Monday) and months. A range qualifies when its ends are whole UTC hours
 * and every local bucket inside it is made of whole UTC hours (a zone with a whole-hour offset throughout). Without a
 * time dimension it is covered by the largest whole buckets that fit (30 days: about 4 weeks, a day and 24 hours, not
 * 720 hours); a time dimension reads 'hour' rows, bucketed in the zone. Asia/Kolkata (+05:30) ranges, realtime and
 * minute buckets read raw rows.
 *
 * What each rollup answers:
 * - visit_rollup (visit_totals without a dimension or by visitor type): at most one visit dimension it keeps (plus
 *   time), no filters, metrics with a visit_rollup form;
 *   visitor counts need the visit's fixed attributes, so a dimension that changes during a visit (exit page) takes
 *   signed sums only, as the raw plan does; new/returning visitors read the visitor_type rows.
 * - event_rollup: event:page and event:name (plus time), filtered on those alone, metrics with an event_rollup form.
 */
/** The range as rollup buckets: per span, the [from, to) of its whole buckets used (UTC ms). */
export interface RollupWindow { cover: { span: Span; from: number; to: number }[] }
type Span = 'month' | 'week' | 'day' | 'hour';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MONDAY = 4 * DAY; // 1970-01-05, the first Monday after the epoch
/** Bucket starts of each span at or before t, coarsest first; each span's starts are also starts of the finer ones. */
const SPANS: { span: Span; floor: (t: number) => number; next: (t: number) => number }[] = [
  { span: 'month', floor: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); },
    next: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1); } },
  { span: 'week', floor: (t) => Math.floor((t - MONDAY) / (7 * DAY)) * 7 * DAY + MONDAY, next: (t) => t + 7 * DAY },
  { span: 'day', floor: (t) => Math.floor(t / DAY) * DAY, next: (t) => t + DAY },
  { span: 'hour', floor: (t) => Math.floor(t / HOUR) * HOUR, next: (t) => t + HOUR },
];

/** The largest whole buckets covering [from, to), both whole hours: the middle at one span, the ends at finer ones. */
function cover(from: number, to: number, level = 0): RollupWindow['cover'] {
  if (from >= to) return [];
  const s = SPANS[level]!;
  if (s.span === 'hour') return [{ span: 'hour', from, to }];
  const a = s.floor(from) === from ? from : s.next(s.floor(from));
  const b = s.floor(to);
  if (a >= b) return cover(from, to, level + 1);
  return [...cover(from, a, level + 1), { span: s.span, from: a, to: b }, ...cover(b, to, level + 1)];
}

/** The range as rollup buckets, when it is made of whole UTC hours in a whole-hour zone; else null. */
export function rollupWindow(range: TimeRange): RollupWindow | null {
  if (range.realtime || range.from % HOUR !== 0 || range.to % HOUR !== 0) return null;
  // Offsets change only at transitions, months apart: one look a day finds a half-hour zone or season.
  for (let t = range.from; t < range.to; t += DAY) if (offsetMs(t, range.tz) % HOUR !== 0) return null;
  if (offsetMs(range.to - 1, range.tz) % HOUR !== 0) return null;
  return { cover: cover(range.from, range.to) };
}

/** Rows of the range: its cover, or with a time dimension every hour (bucketed in the zone by the caller). */
export function rollupWhere(params: Params, w: RollupWindow, hours: boolean): string {
  if (hours) return "site_id = {site:String} AND span = 'hour' AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}";
  const parts = w.cover.map((c) => `(span = '${c.span}' AND bucket >= ${params.add(toChTime(c.from), 'DateTime64(3)')} AND bucket < ${params.add(toChTime(c.to), 'DateTime64(3)')})`);
  return `site_id = {site:String} AND (${parts.join(' OR ')})`;
}

/** One aggregation as the planner sees it: its raw source, dimensions, filters and the metrics it computes. */
export interface Aggregation { source: WebSource; dims: DimRef[]; filters: Filter[]; metrics: string[] }

/** The table that answers `a`: its rollup when allowed and able (see above), else the raw source. */
export function tableFor(a: Aggregation, w: RollupWindow | null): WebTable {
  if (!w || a.dims.some((d) => isTime(d) && d.granularity === 'minute')) return a.source;
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
