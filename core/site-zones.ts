import { exec, queryRows, type ClickHouseClient } from './clickhouse.ts';
import { deleteFrom } from './cluster.ts';
import { toChTime } from './event.ts';

/**
 * Each site's UTC offsets over time, one row per change (site_zones, core/migrations/009_local_rollups.sql). The
 * rollups' views look an event's offset up with an ASOF JOIN to file it under its local day, week and month: ClickHouse
 * takes a time zone only as a constant, and each site has its own.
 *
 * The rows come from ClickHouse's own zone data: offsets sampled every 15 minutes (every real transition, including
 * Lord Howe's half-hour ones, falls on a quarter hour of UTC), keeping the samples where the offset changes.
 */
const STEP_S = 900;
const FIRST = Date.UTC(1990, 0, 1);
const LAST = Date.UTC(2060, 0, 1);

/** The zone a change applies from: its quarter hour, so the samples stay on the grid. */
export const zoneChangeAt = (t: number): number => Math.floor(t / (STEP_S * 1000)) * STEP_S * 1000;

/**
 * Records `tz` as the site's zone from `since` (UTC ms, a quarter hour; 0: always): rows from `since` on are replaced,
 * earlier ones kept, so the rollup rows already filed under the old zone stay consistent with their lookups.
 */
export async function writeSiteZone(ch: ClickHouseClient, siteId: string, tz: string, since = 0): Promise<void> {
  const from = Math.max(FIRST, since);
  await exec(ch, `${deleteFrom(ch, 'site_zones')} WHERE site_id = {site:String} AND from_utc >= {from:DateTime64(3)}`, { site: siteId, from: toChTime(from) });
  await exec(ch, `INSERT INTO site_zones (site_id, from_utc, offset_s)
    SELECT {site:String}, t, timeZoneOffset(toDateTime(t, {tz:String})) AS offset_s
    FROM (SELECT {from:DateTime64(3)} + toIntervalSecond(number * ${STEP_S}) AS t, number AS n FROM numbers({n:UInt64}))
    WHERE n = 0 OR offset_s != timeZoneOffset(toDateTime(t - toIntervalSecond(${STEP_S}), {tz:String}))`,
  { site: siteId, tz, from: toChTime(from), n: Math.max(1, Math.ceil((LAST - from) / (STEP_S * 1000))) });
}

/** Fills site_zones for every site that has no rows yet (a migration step: sites created before the table existed). */
export async function writeMissingSiteZones(ch: ClickHouseClient): Promise<void> {
  const sites = await queryRows<{ site_id: string; timezone: string }>(ch, `SELECT site_id, timezone FROM sites FINAL
    WHERE site_id NOT IN (SELECT site_id FROM site_zones)`);
  for (const s of sites) await writeSiteZone(ch, s.site_id, s.timezone);
}
