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
 * Rollup rows are UTC hours and UTC days. A range qualifies when its ends are whole UTC hours and every local bucket
 * inside it is made of whole UTC hours (a zone with a whole-hour offset throughout): then whole UTC days come from
 * 'day' rows and the hours at both ends from 'hour' rows; a time dimension reads 'hour' rows, bucketed in the zone.
 * Asia/Kolkata (+05:30) ranges, realtime and minute buckets read raw rows.
 *
 * What each rollup answers:
 * - visit_rollup: at most one visit dimension it keeps (plus time), no filters, metrics with a visit_rollup form;
 *   visitor counts need the visit's fixed attributes, so a dimension that changes during a visit (exit page) takes
 *   signed sums only, as the raw plan does; new/returning visitors read the visitor_type rows.
 * - event_rollup: event:page and event:name (plus time), filtered on those alone, metrics with an event_rollup form.
 */
export interface RollupWindow { d0: number; d1: number }

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The whole UTC days [d0, d1) inside a range made of whole UTC hours in a whole-hour zone, or null. */
export function rollupWindow(range: TimeRange): RollupWindow | null {
  if (range.realtime || range.from % HOUR !== 0 || range.to % HOUR !== 0) return null;
  // Offsets change only at transitions, months apart: one look a day finds a half-hour zone or season.
  for (let t = range.from; t < range.to; t += DAY) if (offsetMs(t, range.tz) % HOUR !== 0) return null;
  if (offsetMs(range.to - 1, range.tz) % HOUR !== 0) return null;
  const d0 = Math.ceil(range.from / DAY) * DAY;
  const d1 = Math.floor(range.to / DAY) * DAY;
  return d0 < d1 ? { d0, d1 } : { d0: range.to, d1: range.to };
}

/** Rows of the range: 'day' rows for whole UTC days, 'hour' rows for the rest. Adds {rd0}, {rd1} to `params`. */
export function rollupWhere(params: Params, w: RollupWindow, hours: boolean): string {
  if (hours) return "site_id = {site:String} AND span = 'hour' AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}";
  Object.assign(params.values, { rd0: toChTime(w.d0), rd1: toChTime(w.d1) });
  return "site_id = {site:String} AND ((span = 'day' AND bucket >= {rd0:DateTime64(3)} AND bucket < {rd1:DateTime64(3)})"
    + " OR (span = 'hour' AND bucket >= {from:DateTime64(3)} AND bucket < {to:DateTime64(3)}"
    + ' AND (bucket < {rd0:DateTime64(3)} OR bucket >= {rd1:DateTime64(3)})))';
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

/** visit_rollup rows of one dimension; with none, the visitor_type rows, which together are every visit. */
export const visitRollupKey = (dims: DimRef[]) => dims.find((d) => !isTime(d))?.def.rollup ?? 'visitor_type';
