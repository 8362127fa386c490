import { COMPARISON_MODES, PRESETS, isDate, type ComparisonMode, type Preset } from '../../../../core/api/stats.ts';
import type { Granularity } from '../catalog/dimensions.ts';
import { invalid, show } from '../catalog/errors.ts';

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

const DAY_MS = 86_400_000;
const REALTIME_MS = 30 * 60_000;
/** Most buckets a time dimension may have (time labels are listed in full). */
export const MAX_BUCKETS = 5000;

// ---- calendar days as 'YYYY-MM-DD' ----

const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const fromDayMs = (t: number) => new Date(t).toISOString().slice(0, 10);
export const addDays = (d: string, n: number) => fromDayMs(dayMs(d) + n * DAY_MS);
export const daysBetween = (a: string, b: string) => Math.round((dayMs(b) - dayMs(a)) / DAY_MS);

/** Adds months, keeping the day of month where it exists (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(d: string, n: number): string {
  const [y, m, day] = d.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + n, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return fromDayMs(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(day, lastDay)));
}
export const startOfMonth = (d: string) => `${d.slice(0, 7)}-01`;
export const endOfMonth = (d: string) => addDays(addMonths(startOfMonth(d), 1), -1);
/** The Monday of the ISO week holding `d`. */
export function monday(d: string): string {
  const dow = (new Date(dayMs(d)).getUTCDay() + 6) % 7;
  return addDays(d, -dow);
}

// ---- instants in a time zone ----

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local wall-clock time of an instant: 'YYYY-MM-DD HH:MM:SS'. */
export function localTime(ms: number, tz: string): string {
  const p = Object.fromEntries(formatter(tz).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
export const localDate = (ms: number, tz: string) => localTime(ms, tz).slice(0, 10);

/** Offset of `tz` from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
export function offsetMs(ms: number, tz: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.parse(`${localTime(whole, tz).replace(' ', 'T')}Z`) - whole;
}

/** The first instant of local day `d` (usually its midnight; 01:00 where a DST change skips midnight). */
export function startOfDay(d: string, tz: string): number {
  const guess = dayMs(d);
  let t = guess - offsetMs(guess, tz);
  t = guess - offsetMs(t, tz);
  while (localDate(t, tz) < d) t += 15 * 60_000;
  while (localDate(t - 15 * 60_000, tz) === d) t -= 15 * 60_000;
  return t;
}

/** ISO 8601 with the local offset, e.g. '2026-03-29T00:00:00+01:00'. */
export function isoLocal(ms: number, tz: string): string {
  const off = Math.round(offsetMs(ms, tz) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${localTime(ms, tz).replace(' ', 'T')}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

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
