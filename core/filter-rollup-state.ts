import { exec, queryRows, type ClickHouseClient } from './clickhouse.ts';
import { deleteFrom } from './cluster.ts';

/**
 * Which local days of each site are in visit_filter_rollup and event_filter_rollup (core/migrations/013_visit_filter_rollup.sql): a
 * contiguous run [from, until) of 'YYYY-MM-DD' days in the site's zone. The worker's roller extends it
 * (worker/roll-visit-filters.ts); the registry hands it to the query planner with each site.
 */
export interface RolledDays { from: string; until: string }

export async function readRolledDays(ch: ClickHouseClient): Promise<Map<string, RolledDays>> {
  const rows = await queryRows<{ site_id: string; f: string; u: string }>(ch,
    'SELECT site_id, toString(rolled_from) AS f, toString(rolled_until) AS u FROM filter_rollup_state FINAL');
  return new Map(rows.map((r) => [r.site_id, { from: r.f, until: r.u }]));
}

/**
 * Drops a site's filter rollup and its state, for a site whose visits are rewritten (the demo generator): the roller
 * then rolls its days again from the new rows. Run it again once the rewrite is done, in case a pass rolled a day of
 * the half-written rows meanwhile.
 */
export async function forgetFilterRollup(ch: ClickHouseClient, siteId: string): Promise<void> {
  await exec(ch, `${deleteFrom(ch, 'filter_rollup_state')} WHERE site_id = {s:String}`, { s: siteId });
  await exec(ch, `${deleteFrom(ch, 'visit_filter_rollup')} WHERE site_id = {s:String}`, { s: siteId });
  await exec(ch, `${deleteFrom(ch, 'event_filter_rollup')} WHERE site_id = {s:String}`, { s: siteId });
}
