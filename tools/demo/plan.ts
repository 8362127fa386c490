import { bucketTable, dayNumber } from './sql.ts';

/** Dates and time chunks of a demo run. */

export const DAY = 86_400_000;
/** Events per chunk: each chunk is a few statements (each with a fixed cost of a few tenths of a second). */
export const CHUNK_EVENTS = 2_000_000;

/** The day number (days since 1970-01-01) of the calendar date of a time in a time zone. */
export const localDay = (ms: number, tz: string) =>
  dayNumber(new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms));
const isoOf = (dayNum: number) => new Date(dayNum * DAY).toISOString().slice(0, 10);
const mondayOnOrBefore = (dayNum: number) => dayNum - ((new Date(dayNum * DAY).getUTCDay() + 6) % 7);

/** The first moment of the period: `months` calendar months before `now`. */
export function periodStart(now: number, months: number): number {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.getTime();
}

/**
 * Time chunks [c0, c1) covering [from, now]: UTC months (the partitions, so each chunk's inserts touch few parts),
 * consecutive months merged while small, large ones split, aiming at `CHUNK_EVENTS` (expected from the time share).
 */
export function chunks(from: number, now: number, events: number): Array<[number, number]> {
  const bounds = [from];
  const d = new Date(from);
  d.setUTCDate(1);
  d.setUTCHours(0, 0, 0, 0);
  for (d.setUTCMonth(d.getUTCMonth() + 1); d.getTime() <= now; d.setUTCMonth(d.getUTCMonth() + 1)) bounds.push(d.getTime());
  bounds.push(now + 1);
  const expected = (a: number, b: number) => (events * (b - a)) / (now + 1 - from);
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const [a, b] = [bounds[i]!, bounds[i + 1]!];
    const last = out[out.length - 1];
    if (last && expected(last[0], b) <= CHUNK_EVENTS) { last[1] = b; continue; }
    const parts = Math.ceil(expected(a, b) / CHUNK_EVENTS);
    for (let p = 0; p < parts; p++) out.push([a + Math.floor(((b - a) * p) / parts), a + Math.floor(((b - a) * (p + 1)) / parts)]);
  }
  return out;
}

/**
 * Birth weeks (Mondays from `firstDay` to `lastDay`) and a lookup table drawing them: growth from `base` at the start
 * of the period (`fromDay`) to 1 at its end, with a little week-to-week noise.
 */
export function birthWeeks(firstDay: number, lastDay: number, fromDay: number, seed: number, base: number): { weeks: string[]; weekTable: number[] } {
  const mondays: number[] = [];
  for (let d = mondayOnOrBefore(firstDay); d <= lastDay; d += 7) mondays.push(d);
  const weights = mondays.map((d, i) => {
    const progress = Math.min(1, Math.max(0, (d + 3.5 - fromDay) / Math.max(1, lastDay - fromDay)));
    return (base + (1 - base) * progress) * (1 + 0.07 * Math.sin(i * 1.7 + seed));
  });
  return { weeks: mondays.map(isoOf), weekTable: bucketTable(weights, 10) };
}
