import { queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { VISIT_STAMP } from '../../core/event.ts';

/**
 * Events of a site whose stamp (events.visit, migration 012) differs from their visit's own row in sessions, and how
 * many events were compared: every stamp must equal the visit's attributes, id type and new-visitor flag.
 */
export async function stampMismatches(ch: ClickHouseClient, siteId: string): Promise<{ events: number; mismatched: number; sample: unknown[] }> {
  const visitCols = VISIT_STAMP.map((c) => `any(${c})`).join(', ');
  const [row] = await queryRows<{ events: string; mismatched: string; sample: unknown[] }>(ch, `
    SELECT count() AS events, countIf(e.visit != s.stamp) AS mismatched, groupArrayIf(5)((e.visit, s.stamp), e.visit != s.stamp) AS sample
    FROM events AS e
    INNER JOIN (SELECT session_id, tuple(${visitCols}) AS stamp FROM sessions WHERE site_id = {s:String} AND sign = 1 GROUP BY session_id) AS s
      USING (session_id)
    WHERE e.site_id = {s:String}`, { s: siteId });
  return { events: Number(row!.events), mismatched: Number(row!.mismatched), sample: row!.sample };
}
