import { randomUUID } from 'node:crypto';
import { exec, insertSelect, queryRows, type ClickHouseClient } from '../core/clickhouse.ts';
import { toChTime } from '../core/event.ts';
import { readRolledDays, type RolledDays } from '../core/filter-rollup-state.ts';
import { keys, SESSION_TIMEOUT_MS } from '../core/ingest-stream.ts';
import { addDays, addMonths, daysBetween, localDate, monday, startOfDay, startOfMonth } from '../core/local-time.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis.ts';

/**
 * Rolls each site's settled visits up into visit_filter_rollup, and their events into event_filter_rollup
 * (core/migrations/013_visit_filter_rollup.sql), one local day at a time, each visit once. The rolled days of a site
 * are a contiguous run [from, until) (filter_rollup_state): new days join at the end as their visits settle, and
 * older days are filled in backwards, newest first, so the ranges people read most are rolled first after an upgrade.
 * The query planner reads the rolled days from the rollup and the rest from raw rows (dashboard/api/query/plan/rollups.ts).
 *
 * A day is settled when every visit that started in it has ended: its last event is more than the visit timeout
 * (plus a margin for clocks) before everything up to now was stored. The collector timestamps web events when it
 * receives them and the worker stores the stream in order, so no visit can join a settled day later.
 *
 * Each insert carries a deduplication token of its site, span and bucket: a roll interrupted between its insert and
 * the state row is done again on the next pass and stored once.
 */
export const SETTLE_MS = SESSION_TIMEOUT_MS + 5 * 60_000;
/** How far back the rollup is filled by default: the default retention (RETENTION_MONTHS). */
const RETAIN_MONTHS = 25;

/** A site as the roller needs it: its zone, and since when its events carry their visit (UTC ms; migration 012). */
interface SiteZone { siteId: string; timezone: string; visitsStampedSince?: number }

/** The half-week, week and month holding local day `d`, each [start, end). */
function bucketsOf(d: string): { span: 'half' | 'week' | 'month'; start: string; end: string }[] {
  const mon = monday(d);
  const half = daysBetween(mon, d) >= 3 ? addDays(mon, 3) : mon;
  return [
    { span: 'half', start: half, end: half === mon ? addDays(mon, 3) : addDays(mon, 7) },
    { span: 'week', start: mon, end: addDays(mon, 7) },
    { span: 'month', start: startOfMonth(d), end: addMonths(startOfMonth(d), 1) },
  ];
}

/** A roll's deduplication token: its site, span and bucket (the same roll again is the same token). */
const token = (site: string, span: string, bucket: string) => `vfr:${site}:${span}:${bucket}`;

/** Whether local day `d` of the site is settled by `storedUntil` (UTC ms: everything before it is stored). */
async function settled(ch: ClickHouseClient, site: SiteZone, d: string, storedUntil: number): Promise<boolean> {
  const to = startOfDay(addDays(d, 1), site.timezone);
  if (to + SETTLE_MS > storedUntil) return false;
  const [r] = await queryRows<{ last: string; n: string }>(ch, `SELECT toUnixTimestamp64Milli(max(end)) AS last, count() AS n FROM sessions
    WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}`,
  { site: site.siteId, from: toChTime(startOfDay(d, site.timezone)), to: toChTime(to) });
  return Number(r?.n ?? 0) === 0 || Number(r!.last) + SETTLE_MS <= storedUntil;
}

/** Writes day `d`'s rows, and those of each coarser bucket the day completes within `next`. */
async function rollDay(ch: ClickHouseClient, site: SiteZone, d: string, next: RolledDays): Promise<void> {
  const start = startOfDay(d, site.timezone);
  const p = { site: site.siteId, day: d, from: toChTime(start), to: toChTime(startOfDay(addDays(d, 1), site.timezone)) };
  const day = 'day = {day:Date}, from = {from:DateTime64(3)}, to = {to:DateTime64(3)}';
  await insertSelect(ch, 'visit_filter_rollup', `SELECT * FROM visit_filter_day(site = {site:String}, ${day})`, p, token(site.siteId, 'day', d));
  // Events unstamped (before migration 012) cannot say their visit's attributes: their days get no event rows, and
  // the planner reads them only for ranges after stamping began.
  const stamped = start >= (site.visitsStampedSince ?? 0);
  if (stamped) await insertSelect(ch, 'event_filter_rollup', `SELECT * FROM event_filter_day(site = {site:String}, ${day})`, p, token(site.siteId, 'eday', d));
  const span = 'site = {site:String}, span = {span:String}, bucket = {bucket:Date}, end = {end:Date}';
  for (const b of bucketsOf(d)) {
    if (b.start < next.from || b.end > next.until) continue;
    const q = { site: site.siteId, span: b.span, bucket: b.start, end: b.end };
    await insertSelect(ch, 'visit_filter_rollup', `SELECT * FROM visit_filter_span(${span})`, q, token(site.siteId, b.span, b.start));
    if (stamped) await insertSelect(ch, 'event_filter_rollup', `SELECT * FROM event_filter_span(${span})`, q, token(site.siteId, `e${b.span}`, b.start));
  }
  await exec(ch, `INSERT INTO filter_rollup_state (site_id, rolled_from, rolled_until, version)
    VALUES ({site:String}, {from:Date}, {until:Date}, {v:UInt64})`, { site: site.siteId, from: next.from, until: next.until, v: version() });
}
/** State versions: increasing within the process even within one millisecond (the newest row wins). */
let lastVersion = 0;
const version = () => (lastVersion = Math.max(Date.now(), lastVersion + 1));

/**
 * Rolls up days of one site until `budgetMs` has passed: first the days that settled since the last pass, then older
 * days back to `backTo` (default: the month of its first visit, within the retention). Returns the rolled run.
 */
export async function rollSite(ch: ClickHouseClient, site: SiteZone, rolled: RolledDays | undefined, storedUntil: number,
  opts: { budgetMs: number; backTo?: string; forwardOnly?: boolean; retentionMonths?: number }): Promise<RolledDays> {
  const deadline = Date.now() + opts.budgetMs;
  // A site never rolled starts at the day being filled now: nothing before it is rolled yet.
  let run = rolled ?? (() => { const d = localDate(storedUntil - SETTLE_MS, site.timezone); return { from: d, until: d }; })();
  while (Date.now() < deadline && await settled(ch, site, run.until, storedUntil)) {
    const next = { from: run.from, until: addDays(run.until, 1) };
    await rollDay(ch, site, run.until, next);
    run = next;
  }
  if (opts.forwardOnly) return run;
  const floor = opts.backTo ?? await firstDayToRoll(ch, site, storedUntil, opts.retentionMonths ?? RETAIN_MONTHS);
  while (Date.now() < deadline && floor !== null && run.from > floor) {
    const d = addDays(run.from, -1);
    if (!await settled(ch, site, d, storedUntil)) break;
    const next = { from: d, until: run.until };
    await rollDay(ch, site, d, next);
    run = next;
  }
  return run;
}

/** The Monday before the first of the month of the site's first visit (so that its weeks and month complete), or null. */
async function firstDayToRoll(ch: ClickHouseClient, site: SiteZone, now: number, months: number): Promise<string | null> {
  const [r] = await queryRows<{ first: string; n: string }>(ch,
    'SELECT toUnixTimestamp64Milli(min(start)) AS first, count() AS n FROM sessions WHERE site_id = {site:String}', { site: site.siteId });
  if (!r || Number(r.n) === 0) return null;
  const retained = addMonths(localDate(now, site.timezone), -months);
  const first = localDate(Number(r.first), site.timezone);
  return monday(startOfMonth(first > retained ? first : retained));
}

/** Everything before this instant is stored: the oldest entry still in the ingest stream (entries leave once stored). */
export async function storedUntil(redis: Redis, prefix: string): Promise<number> {
  const [first] = (await redis.xrange(keys(prefix).stream, '-', '+', 'COUNT', 1)) as [string, string[]][];
  return first ? Number(first[0].split('-')[0]) : Date.now();
}

export interface FilterRollerOptions { everyMs: number; budgetMs: number; retentionMonths: number }

/**
 * The worker's background roller: every `everyMs`, one pass over the sites, spending at most `budgetMs` in all.
 * One worker at a time rolls (a Redis lock), so two never roll the same day at once.
 */
export function startFilterRoller(ch: ClickHouseClient, redis: Redis, prefix: string, log: Logger, opts: FilterRollerOptions) {
  const lock = `${prefix}filter-roller`;
  const owner = randomUUID();
  let stopped = false;
  let running: Promise<void> | null = null;
  const pass = async () => {
    if (stopped || !(await redis.set(lock, owner, 'PX', opts.budgetMs * 3 + 60_000, 'NX'))) return;
    try {
      const until = await storedUntil(redis, prefix);
      const sites = await queryRows<{ site_id: string; timezone: string; stamped: string }>(ch,
        'SELECT site_id, timezone, toUnixTimestamp64Milli(visits_stamped_since) AS stamped FROM sites FINAL WHERE deleted = 0');
      const rolled = await readRolledDays(ch);
      const deadline = Date.now() + opts.budgetMs;
      // Every site's newly settled days first, then older days: one site's backfill never holds up another's today.
      for (const forwardOnly of [true, false]) {
        for (const s of sites) {
          if (stopped || Date.now() >= deadline) break;
          const zone = { siteId: s.site_id, timezone: s.timezone, visitsStampedSince: Number(s.stamped) };
          rolled.set(s.site_id, await rollSite(ch, zone, rolled.get(s.site_id), until, { budgetMs: deadline - Date.now(), forwardOnly,
            retentionMonths: opts.retentionMonths }));
        }
      }
    } finally {
      // Only our own lock: a pass that outlived it must not free another worker's.
      await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, lock, owner).catch(() => undefined);
    }
  };
  const tick = () => {
    running = pass().catch((err) => { log.warn({ err: (err as Error).message }, 'filter rollup: pass failed, retrying next time'); })
      .finally(() => { running = null; if (!stopped) { timer = setTimeout(tick, opts.everyMs); timer.unref(); } });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, Math.min(opts.everyMs, 1000));
  timer.unref();
  return {
    async stop() { stopped = true; clearTimeout(timer); await running; },
  };
}
