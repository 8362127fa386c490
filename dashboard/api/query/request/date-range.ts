import { COMPARISON_MODES, PRESETS, isDate, type ComparisonMode, type Preset } from '../../../../core/api/stats.ts';
import type { Granularity } from '../catalog/dimensions.ts';
import { invalid, show } from '../catalog/errors.ts';
import { DAY_MS, dayMs, addDays, daysBetween, addMonths, startOfMonth, endOfMonth, monday, localTime, localDate, offsetMs, startOfDay, isoLocal } from '../../../../core/local-time.ts';

export { COMPARISON_MODES, PRESETS, isDate, type ComparisonMode, type Preset };

/**
 * Date ranges in the site's time zone (IANA). A range is a half-open UTC interval [from, to) whose ends are local
 * midnights, so a local day is 23 or 25 hours long across a DST change and an event near midnight falls in the
 * local day it happened in. Products have no time zone and use UTC.
 */
export type { Granularity };

export interface TimeRange {
  tz: string;
  /** UTC ms, inclusive. */
  from: number;
  /** UTC ms, exclusive. */
  to: number;
  /** First and last local calendar day covered (inclusive), 'YYYY-MM-DD'. */
  first: string;
  last: string;
  realtime: boolean;
  /** What the `time` dimension means for this range. */
  auto: Granularity;
}

const REALTIME_MS = 30 * 60_000;
/** Most buckets a time dimension may have (time labels are listed in full). */
export const MAX_BUCKETS = 5000;

export { addDays, daysBetween, addMonths, startOfMonth, endOfMonth, monday, localTime, localDate, offsetMs, startOfDay, isoLocal };

// ---- ranges ----

export function dayRange(first: string, last: string, tz: string): TimeRange {
  const days = daysBetween(first, last) + 1;
  return { tz, from: startOfDay(first, tz), to: startOfDay(addDays(last, 1), tz), first, last, realtime: false,
    auto: days <= 1 ? 'hour' : days <= 92 ? 'day' : 'month' };
}

export function realtimeRange(now: number, tz: string, minutes = 30): TimeRange {
  const to = Math.floor(now / 60_000) * 60_000 + 60_000; // through the end of the current minute
  const from = to - minutes * 60_000;
  return { tz, from, to, first: localDate(from, tz), last: localDate(to - 1, tz), realtime: true, auto: 'minute' };
}

export interface ResolveOptions {
  tz: string;
  now: number;
  /** Reference day instead of today ('YYYY-MM-DD'). */
  date?: string;
  /** First day with data, for 'all'. */
  allFrom?: string | null;
}

export function today(opts: Pick<ResolveOptions, 'tz' | 'now' | 'date'>): string {
  return opts.date ?? localDate(opts.now, opts.tz);
}

/** Resolves a preset or a custom pair of days (inclusive) to a range; a bad value is a 400 naming `date_range`. */
export function resolveDateRange(input: unknown, opts: ResolveOptions): TimeRange {
  const ref = today(opts);
  const { tz } = opts;
  if (Array.isArray(input)) {
    const [a, b] = input as unknown[];
    if (input.length !== 2 || !isDate(a) || !isDate(b)) {
      throw invalid('date_range', `date_range ${show(input)} must be a preset or two days ["YYYY-MM-DD", "YYYY-MM-DD"]`);
    }
    if (a > b) throw invalid('date_range', `date_range starts (${a}) after it ends (${b})`);
    return dayRange(a, b, tz);
  }
  switch (input as Preset) {
    case 'realtime': return realtimeRange(opts.now, tz);
    case 'day': return dayRange(ref, ref, tz);
    case '7d': return dayRange(addDays(ref, -6), ref, tz);
    case '28d': return dayRange(addDays(ref, -27), ref, tz);
    case '30d': return dayRange(addDays(ref, -29), ref, tz);
    case '91d': return dayRange(addDays(ref, -90), ref, tz);
    case 'month': return dayRange(startOfMonth(ref), endOfMonth(ref), tz);
    case '6mo': return dayRange(startOfMonth(addMonths(ref, -5)), endOfMonth(ref), tz);
    case '12mo': return dayRange(startOfMonth(addMonths(ref, -11)), endOfMonth(ref), tz);
    case 'year': return dayRange(`${ref.slice(0, 4)}-01-01`, `${ref.slice(0, 4)}-12-31`, tz);
    case 'all': {
      const first = opts.allFrom && opts.allFrom < ref ? opts.allFrom : ref;
      return dayRange(first, ref, tz);
    }
    default:
      throw invalid('date_range', `unknown date_range ${show(input)}; use one of ${PRESETS.join(', ')} or ["YYYY-MM-DD", "YYYY-MM-DD"]`);
  }
}

/**
 * The range a comparison looks at. previous_period: as many days, just before (a range that runs into the future is
 * cut at the reference day first, so this month to date compares with as many days before it); year_over_year: the
 * same days a year earlier. Realtime compares with the 30 minutes before.
 */
export function comparisonRange(range: TimeRange, mode: ComparisonMode, ref: string): TimeRange {
  if (range.realtime) {
    const len = range.to - range.from;
    return { ...range, from: range.from - len, to: range.from, first: localDate(range.from - len, range.tz), last: localDate(range.from - 1, range.tz) };
  }
  const last = range.last > ref && range.first <= ref ? ref : range.last;
  const cmp = mode === 'previous_period'
    ? dayRange(addDays(range.first, -(daysBetween(range.first, last) + 1)), addDays(range.first, -1), range.tz)
    : dayRange(addMonths(range.first, -12), addMonths(last, -12), range.tz);
  return { ...cmp, auto: range.auto };
}

/** Every bucket label of a range at a granularity, in the form the SQL produces (see sql/time-bucket.ts). */
export function timeLabels(range: TimeRange, g: Granularity): string[] {
  const labels: string[] = [];
  const push = (l: string) => {
    if (labels[labels.length - 1] === l) return;
    if (labels.length >= MAX_BUCKETS) throw invalid('dimensions', `more than ${MAX_BUCKETS} time buckets; use a coarser time dimension or a shorter date_range`);
    labels.push(l);
  };
  if (g === 'minute' || g === 'hour') {
    const step = g === 'minute' ? 60_000 : 15 * 60_000;
    for (let t = range.from; t < range.to; t += step) {
      const l = localTime(t, range.tz);
      push(g === 'minute' ? `${l.slice(0, 16)}:00` : `${l.slice(0, 13)}:00:00`);
    }
    return labels;
  }
  const start = g === 'day' ? range.first : g === 'week' ? monday(range.first) : startOfMonth(range.first);
  for (let d = start; d <= range.last; d = g === 'day' ? addDays(d, 1) : g === 'week' ? addDays(d, 7) : addMonths(d, 1)) push(d);
  return labels;
}
