import { addDays, dayRange, offsetMs, type Granularity, type TimeRange } from '../request/date-range.ts';
import { DAY_MS, dayMs, startOfDay } from '../../../../core/local-time.ts';
import type { RolledDays } from '../../../../core/filter-rollup-state.ts';
import { isTime, stampable, type DimRef } from '../catalog/dimensions.ts';
import { leaves, type Filter, type Leaf } from '../catalog/filters.ts';
import { eventPropsLeaf, propLeaf } from './event-props.ts';
import { webMetric, type WebSource, type WebTable } from '../catalog/metrics.ts';

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
 * - visit_filter_rollup (migrations 013, 014, 017): what visit_rollup answers, under filters on one or two of
 *   FILTER_KEYS, or one page, event name (EVENT_FILTER_KEYS) or custom property value (PROP_FILTER_KEY), over local days or coarser buckets (no hours), for ranges starting on a
 *   rolled day (Site.filtersRolled): the rolled days from the rollup, the days after them from raw visits in the
 *   rollup's shape (sql/rollup-rows.ts), merged.
 * - event_filter_rollup (migration 013): what event_rollup answers, under the same visit filters besides its own,
 *   on the same days, once the range's events carry their visit (migration 012).
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
/** Local rows stay in the old zone up to a change; a day either side covers any two zones' dates overlapping. */
export const ZONE_MARGIN = 2 * DAY_MS;
const MONDAY = 4 * DAY_MS; // 1970-01-05, the first Monday after the epoch
/** Bucket starts of each span at or before t, coarsest first; each span's starts are also starts of the finer ones. */
export const SPANS: { span: Span; floor: (t: number) => number; next: (t: number) => number }[] = [
  { span: 'month', floor: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); },
    next: (t) => { const d = new Date(t); return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1); } },
  { span: 'week', floor: monday, next: (t) => t + 7 * DAY_MS },
  // Half-weeks (migration 011): Monday to Wednesday, Thursday to Sunday.
  { span: 'half', floor: (t) => (t - monday(t) >= 3 * DAY_MS ? monday(t) + 3 * DAY_MS : monday(t)), next: (t) => t + (t === monday(t) ? 3 : 4) * DAY_MS },
  { span: 'day', floor: (t) => Math.floor(t / DAY_MS) * DAY_MS, next: (t) => t + DAY_MS },
];
function monday(t: number): number {
  return Math.floor((t - MONDAY) / (7 * DAY_MS)) * 7 * DAY_MS + MONDAY;
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
  for (let t = range.from; t < range.to; t += DAY_MS) if (offsetMs(t, range.tz) % HOUR !== 0) return false;
  return offsetMs(range.to - 1, range.tz) % HOUR === 0;
}

/** Whether the window's rows can bucket a time dimension of granularity g. */
export function rollupTimeAble(w: RollupWindow, g: Granularity): boolean {
  return g === 'minute' ? false : g === 'hour' ? w.hours : w.days !== null || w.hours;
}

/** The visit dimensions (their visit_rollup keys) visit_filter_rollup keeps as a filter (core/migrations/013_visit_filter_rollup.sql). */
export const FILTER_KEYS = ['source', 'channel', 'country', 'device'];
/**
 * The event dimensions (their event_rollup keys) it keeps as a filter of visit figures (migration 014): a visit's rows
 * once for each distinct page it viewed and each event name it sent.
 */
export const EVENT_FILTER_KEYS = ['pathname', 'name'];
/** The fdim of custom properties (migration 017): a visit's rows once under each key and value its events carry. */
export const PROP_FILTER_KEY = 'prop';
/**
 * Two of FILTER_KEYS are also kept together (migration 017) under the fdim 'a+b', in this order within a pair: source
 * last, since its value is the one that may hold any text (sql/rollup-rows.ts reads each part).
 */
export const PAIR_ORDER = ['channel', 'country', 'device', 'source'];
export const pairKey = (a: string, b: string) => [a, b].sort((x, y) => PAIR_ORDER.indexOf(x) - PAIR_ORDER.indexOf(y)).join('+');

/** A site's rolled days as UTC ms of local dates (as RollupWindow.days), and the instant the first unrolled one starts. */
export interface Rolled { from: number; until: number; untilAt: number }
export const rolledIn = (r: RolledDays | undefined, tz: string): Rolled | undefined =>
  r && r.until > r.from ? { from: dayMs(r.from), until: dayMs(r.until), untilAt: startOfDay(r.until, tz) } : undefined;

/**
 * Where visit_filter_rollup answers: the filter's key (fdim) and dimension, the rolled part of the window, and where
 * raw visits take over.
 */
export interface FilterRows { key: string; on: string; window: RollupWindow; tailFrom: number | null }

/** One aggregation as the planner sees it: its raw source, dimensions, filters and the metrics it computes. */
export interface Aggregation {
  source: WebSource; dims: DimRef[]; filters: Filter[]; metrics: string[];
  /** Events: every event of the range carries its visit's attributes (it starts after the site's stamping began). */
  stamped?: boolean;
  /** The site's days rolled up for filtered views. */
  rolled?: Rolled;
  /** Visitors: repeat visits only, from visit links (sql/sources.ts visitorsRelation). */
  linked?: boolean;
  /** Visitors: sample when the range holds more cookie visits than this (absent: never; see sampleWhy). */
  sampleAbove?: number;
}

/** The planner's pick for one aggregation: the table that answers it and, in words, why (and for visit_filter_rollup, which rows). */
export interface SourcePlan { table: WebTable; why: string; rows?: FilterRows;
  /** event_props: the property filter its rows are read by (plan/event-props.ts). */
  prop?: Leaf;
  /** Per-visitor rows of 1 in k visitors, k sized from the window's visit_totals rows (sql/sample.ts). */
  sample?: { above: number; window: RollupWindow } }

/** The table that answers `a`: its rollup when allowed and able (see above), else the raw source. */
export function tableFor(a: Aggregation, w: RollupWindow | null): WebTable {
  return planSource(a, w).table;
}

/**
 * How raw events read their visit dimensions (filters, breakdowns): from each event's stamp, or by looking the visit
 * up (session_id IN matching visits, a join for a breakdown) for what the stamp lacks or where events are unstamped.
 */
function visitReads(a: Aggregation): string {
  const visitDims = [...a.dims, ...leaves(a.filters).map((l) => l.dim)].filter((d) => d.def.level === 'visit');
  if (!visitDims.length) return '';
  const looked = [...new Set(visitDims.filter((d) => !(a.stamped && stampable(d))).map((d) => d.name))];
  if (!looked.length) return "; visit attributes from each event's stamp";
  return `; ${looked.join(', ')} by visit lookup${a.stamped ? '' : " (the range starts before the site's events carry their visit)"}`;
}

/**
 * The one source decider: raw rows, a rollup, or event_props for aggregation `a` over window `w` (null: rollups not
 * allowed or unable; event_props is read only where rollups are allowed, so that `rollups: false` stays the plain
 * rows to compare with).
 */
export function planSource(a: Aggregation, w: RollupWindow | null): SourcePlan {
  const plan = pickSource(a, w);
  if (plan.table !== 'events' || !w) return plan;
  const prop = eventPropsLeaf(a.dims, a.filters, a.metrics);
  if (typeof prop === 'string') return plan;
  const what = a.dims.filter((d) => !isTime(d)).map((d) => d.name).join(', ') || 'totals';
  return { table: 'event_props', prop, why: `event_props: ${what} of the events with ${prop.dim.name} (${plan.why.replace(/^events: /, 'no rollup: ')})` };
}

function pickSource(a: Aggregation, w: RollupWindow | null): SourcePlan {
  const props = a.source !== 'events' && w && leaves(a.filters).some((l) => propLeaf(l)) ? '; a visit\'s test for an event with a property from event_props where one property answers it' : '';
  const raw = (why: string): SourcePlan => ({ table: a.source, why: `${a.source}: ${why}${a.source === 'events' ? visitReads(a) : props}` });
  if (a.source === 'visitors') return visitorsPlan(a, w, raw);
  if (!w) return raw('no rollup rows cover the range (realtime, not whole hours, or rollups off)');
  const time = a.dims.find((d) => isTime(d) && !rollupTimeAble(w, d.granularity!));
  if (time) return raw(`rollup rows cannot bucket by ${time.granularity} here`);
  const keyed = a.dims.filter((d) => !isTime(d));
  if (a.source === 'sessions') {
    const dim = keyed[0];
    if (keyed.length > 1) return raw('the visit rollup keeps one dimension per row');
    if (dim && (dim.def.level !== 'visit' || !dim.def.rollup)) return raw(`the visit rollup does not keep ${dim.name}`);
    const bad = a.metrics.find((m) => {
      const def = webMetric(m);
      return !def.visit_rollup || (def.byVisitorType && dim && dim.name !== 'visit:visitor_type') || (dim?.def.mutable && !def.additive);
    });
    if (bad) return raw(`${bad} has no visit-rollup form${dim ? ` by ${dim.name}` : ''}`);
    if (a.filters.length) return filterRollup(a, w, dim?.name ?? 'totals', raw);
    return { table: 'visit_rollup', why: `visit_rollup: ${dim ? dim.name : 'totals'} over ${w.cover.length} bucket range(s)` };
  }
  const kept = (d: DimRef) => d.def.level === 'event' && d.def.rollup !== undefined && d.prop === undefined;
  const notKept = (ds: DimRef[]) => ds.find((d) => !kept(d));
  const dimOut = notKept(keyed);
  const filterOut = leaves(a.filters).map((l) => l.dim).filter((d) => !kept(d));
  const out = dimOut ?? filterOut.find((d) => d.def.level !== 'visit');
  if (out) return raw(`the event rollup does not keep ${out.name}${out.prop !== undefined ? ` (a custom property)` : ''}`);
  const bad = a.metrics.find((m) => !webMetric(m).event_rollup);
  if (bad) return raw(`${bad} has no event-rollup form`);
  const what = keyed.map((d) => d.name).join(', ') || 'totals';
  if (!filterOut.length) return { table: 'event_rollup', why: `event_rollup: ${what} over ${w.cover.length} bucket range(s)` };
  // Visit filters on events: the event filter rollup, read from each event's stamp.
  if (!a.stamped) return raw(`the event filter rollup needs events that carry their visit (the range starts before)`);
  const rows = filterRows(a, w, filterKey(a, filterOut, false));
  if (typeof rows === 'string') return raw(rows);
  return { table: 'event_filter_rollup', rows, why: `event_filter_rollup: ${what} under ${rows.on}${rowsWhy(rows, a.rolled!)}` };
}

/**
 * The filter rollups (visit_filter_rollup, event_filter_rollup) for a filtered aggregation their unfiltered rollup
 * would answer: every filter is on the one kept filter dimension `key` (see filterKey), the range is whole local days
 * starting on a rolled day, and no time bucket is finer than a day. The reason if not.
 */
function filterRows(a: Aggregation, w: RollupWindow, key: { key: string; on: string } | string): FilterRows | string {
  if (typeof key === 'string') return key;
  if (!w.days || a.dims.some((d) => isTime(d) && d.granularity === 'hour')) return 'the filter rollup holds local days, and the range or its buckets are not whole ones';
  const r = a.rolled;
  if (!r || w.days.from < r.from || w.days.from >= r.until) {
    return r ? `the filter rollup holds the days from ${iso(r.from)} to ${iso(r.until)} (not including), not this range's start` : 'no days of the site are in the filter rollup yet';
  }
  const to = Math.min(w.days.to, r.until);
  return { ...key, window: { cover: cover(w.days.from, to), days: { from: w.days.from, to }, hours: false }, tailFrom: w.days.to > r.until ? r.untilAt : null };
}

/**
 * The kept filter dimension of filters on `on`: one of FILTER_KEYS, or two of them (their pair), under any operator
 * and any combination (each visit has one value of each); for visit figures (`eventKeys`), also one page or event name as the only filter, one value, positive and
 * case-sensitive, since a visit is in the rollup once under each page it viewed: `is` /pricing counts it once, but an
 * OR of two of its pages would count it twice, and a negation needs the visits it is not under. The reason if none.
 */
function filterKey(a: Aggregation, on: DimRef[], eventKeys: boolean): { key: string; on: string } | string {
  const names = new Set(on.map((d) => d.name));
  const dim = names.size === 1 ? on[0]! : undefined;
  const kept = (d: DimRef) => d.def.level === 'visit' && FILTER_KEYS.includes(d.def.rollup ?? '');
  if (dim && kept(dim)) return { key: dim.def.rollup!, on: dim.name };
  if (names.size === 2 && on.every(kept)) {
    const [a, b] = [...names].map((n) => on.find((d) => d.name === n)!);
    return { key: pairKey(a!.def.rollup!, b!.def.rollup!), on: `${a!.name} and ${b!.name}` };
  }
  const only = a.filters.length === 1 && 'dim' in a.filters[0]! ? a.filters[0] : undefined;
  const eventKey = dim?.def.level !== 'event' ? undefined : dim.prop !== undefined ? PROP_FILTER_KEY
    : EVENT_FILTER_KEYS.includes(dim.def.rollup ?? '') ? dim.def.rollup : undefined;
  if (eventKeys && eventKey) {
    // An empty property value is also every event without the key, which the rollup does not hold.
    if (only && only.op === 'is' && only.values.length === 1 && only.caseSensitive && (eventKey !== PROP_FILTER_KEY || only.values[0] !== '')) return { key: eventKey, on: dim!.name };
    return `the filter rollup keeps ${dim!.name} as the only filter with one value, is and case-sensitive (a visit is there once per page, event name or property value)`;
  }
  return `the filter rollup keeps filters on one or two of ${FILTER_KEYS.map((k) => `visit:${k}`).join(', ')}${eventKeys ? ', or one event:page, event:name or event:props:<key>' : ''} only`;
}
const rowsWhy = (rows: FilterRows, r: Rolled) =>
  ` over ${rows.window.cover.length} bucket range(s)${rows.tailFrom !== null ? `, the days from ${iso(r.until)} from raw rows` : ''}`;

function filterRollup(a: Aggregation, w: RollupWindow, what: string, raw: (why: string) => SourcePlan): SourcePlan {
  const rows = filterRows(a, w, filterKey(a, leaves(a.filters).map((l) => l.dim), true));
  if (typeof rows === 'string') return raw(rows);
  return { table: 'visit_filter_rollup', rows, why: `visit_filter_rollup: ${what} under ${rows.on}${rowsWhy(rows, a.rolled!)}` };
}
/**
 * Per-visitor counts (visitor:frequency) group every visitor of the range, which over a year of a busy site is most
 * of the overview's time; visit links answer short unfiltered ranges with repeat visits only. Past `sampleAbove`
 * cookie visits, an unfiltered range groups the visitors of 1 in k visitor-id hashes and scales by k (k the smallest
 * power of 2 that keeps the sample within the bound), sized in the statement from visit_totals, where the count is
 * nearly free. A filtered range groups only its matching visitors, and its size would need a scan of its own: it is
 * counted whole.
 */
function visitorsPlan(a: Aggregation, w: RollupWindow | null, raw: (why: string) => SourcePlan): SourcePlan {
  const whole = 'per-visitor counts have no rollup';
  if (a.linked) return raw(`${whole}; repeat visits only, from visit links`);
  if (a.sampleAbove === undefined) return raw(`${whole}; every visitor grouped (sampling off)`);
  if (a.filters.length) return raw(`${whole}; every matching visitor grouped (only unfiltered ranges are sampled)`);
  if (!w) return raw(`${whole}; every visitor grouped (no rollup rows size the range)`);
  return { ...raw(`${whole}; 1 in k visitors above ${a.sampleAbove.toLocaleString('en')} cookie visits in the range (k sized from visit_totals)`),
    sample: { above: a.sampleAbove, window: w } };
}
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
