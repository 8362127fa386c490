/**
 * Calendar days ('YYYY-MM-DD') and instants in an IANA time zone: the query engine's ranges and the worker's local-day
 * rollups (worker/roll-visit-filters.ts) cut days the same way.
 */
/** A UTC day in milliseconds (local days vary with offsets: see startOfDay). */
export const DAY_MS = 86_400_000;

// ---- calendar days as 'YYYY-MM-DD' ----

export const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
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
