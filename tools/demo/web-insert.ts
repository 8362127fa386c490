import { PAGES } from './catalog.ts';
import { strArray } from './sql.ts';
import { visitsSql } from './web-sql.ts';

/**
 * The statements that store the demo site's visits (see web-sql.ts): a chunk of visits goes into a scratch table once,
 * then becomes sessions rows and events rows, so both are built from exactly the same visits.
 */

const ms = (col: string) => `fromUnixTimestamp64Milli(toInt64(${col}), 'UTC')`;
const ID_TYPE = "if(cookieless, 'cookieless', 'cookie')";
const NO_PROPS = "CAST(map(), 'Map(String, String)')";
const PATHS = strArray(PAGES.map((p) => p[0]));

/** Visit columns kept in the scratch table between the generation and the two inserts. */
export const VISIT_COLUMNS = `session_id, visitor_id, start_ms, end_ms, pv, customs, eng, eng_total, page_ids, ev_ts, ev_kind, ev_page, goal,
  goal_plan, goal_product, link, link_url, ref, utm_source, utm_medium, utm_campaign, utm_term, utm_content, country_code, geo, browser,
  browser_version, os, os_version, device_type, screen_width, screen_size, cookieless, cookieless_reason, new_visitor`;

/**
 * Each cookie visit's link to its visitor's previous visit, as the ingest script records it (migration 010): the start
 * of the visitor's latest earlier visit, among this chunk's visits and those stored in the link window before it, or
 * 0 when there is none within the window. Parameters: site, c0 (the chunk's start, ms), linkWindow (ms).
 */
function linksSql(source: string): string {
  return `SELECT session_id, if(prev > 0 AND start_ms - prev <= {linkWindow:UInt64}, prev, 0) AS prev_ms
    FROM (SELECT session_id, start_ms, own,
        lagInFrame(start_ms, 1, toUInt64(0)) OVER (PARTITION BY visitor_id ORDER BY start_ms ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
      FROM (SELECT session_id, visitor_id, toUInt64(start_ms) AS start_ms, 1 AS own FROM ${source} WHERE NOT cookieless
        UNION ALL
        SELECT session_id, visitor_id, toUInt64(toUnixTimestamp64Milli(start)), 0 FROM sessions
        WHERE site_id = {site:String} AND id_type = 'cookie' AND sign = 1
          AND start >= fromUnixTimestamp64Milli(toInt64({c0:UInt64} - {linkWindow:UInt64}), 'UTC') AND start < fromUnixTimestamp64Milli(toInt64({c0:UInt64}), 'UTC')
          AND visitor_id IN (SELECT visitor_id FROM ${source} WHERE NOT cookieless)))
    WHERE own = 1`;
}

/** Sessions rows of the visits in `source` (a table holding VISIT_COLUMNS): one +1 row per visit, linked as above. */
export function sessionsInsertSql(source: string): string {
  return `INSERT INTO sessions (site_id, session_id, sign, version, visitor_id, start, prev_start, end, duration_ms, pageviews, events,
      engagement_ms, is_bounce, entry_page, exit_page, hostname, referrer, referrer_source, channel, utm_source, utm_medium, utm_campaign,
      utm_term, utm_content, country_code, region, city, browser, browser_version, os, os_version, device_type, screen_size, id_type,
      cookieless_reason, new_visitor)
    SELECT {site:String}, session_id, 1, 1, visitor_id, ${ms('start_ms')}, ${ms('l.prev_ms')}, ${ms('end_ms')}, toUInt32(end_ms - start_ms),
      pv, customs, eng_total, pv <= 1 AND customs = 0, ${PATHS}[page_ids[1]], ${PATHS}[page_ids[pv]], {domain:String}, ref.1, ref.2, ref.3,
      utm_source, utm_medium, utm_campaign, utm_term, utm_content, country_code, geo.1, geo.2, browser, browser_version, os, os_version,
      device_type, screen_size, ${ID_TYPE}, cookieless_reason, new_visitor
    FROM ${source} LEFT JOIN (${linksSql(source)}) AS l USING (session_id)
    SETTINGS optimize_on_insert = 0, max_insert_threads = 2`; // only +1 rows: nothing to collapse on insert (which is slow)
}

/** The visit's attributes as sessionsInsertSql stores them, in the order of events.visit (core/event.ts VISIT_STAMP). */
const VISIT_STAMP_SQL = `tuple({domain:String}, ref.1, ref.2, ref.3, utm_source, utm_medium, utm_campaign, utm_term, utm_content, country_code,
        geo.1, geo.2, browser, browser_version, os, os_version, device_type, screen_size, ${ID_TYPE}, new_visitor)`;

/**
 * Events rows of the visits in `source`, as the collector stores them: the visit's referrer and UTM tags ride on the
 * events of its first page only (later pages are referred by the site itself, which the collector records as direct).
 * Every event carries its visit's stamp (events.visit), as the worker writes it.
 */
export function eventsInsertSql(source: string): string {
  const first = (col: string, other = "''") => `if(pg = 1, ${col}, ${other})`;
  return `INSERT INTO events (site_id, event_id, timestamp, name, visitor_id, session_id, id_type, cookieless_reason, new_visitor,
      hostname, pathname, referrer, referrer_source, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, country_code,
      region, city, browser, browser_version, os, os_version, device_type, screen_width, screen_size, engagement_ms, props, visit)
    SELECT {site:String}, generateUUIDv4(), ${ms('ts')},
      multiIf(kind = 1, 'pageview', kind = 2, 'engagement', kind = 3, if(goal = 1, 'Signup', 'Download'),
        if(link = 1, 'Outbound Link: Click', 'File Download')),
      visitor_id, session_id, ${ID_TYPE}, cookieless_reason, new_visitor AND ei = 1, {domain:String}, ${PATHS}[page_ids[pg]],
      ${first('ref.1')}, ${first('ref.2')}, ${first('ref.3', "'direct'")}, ${first('utm_source')}, ${first('utm_medium')},
      ${first('utm_campaign')}, ${first('utm_term')}, ${first('utm_content')}, country_code, geo.1, geo.2, browser, browser_version, os,
      os_version, device_type, screen_width, screen_size, if(kind = 2, eng[pg], 0),
      if(kind < 3, ${NO_PROPS}, multiIf(kind = 3 AND goal = 1, map('plan', goal_plan), kind = 3, map('product', goal_product, 'os', os),
        map('url', link_url))),
      ${VISIT_STAMP_SQL}
    FROM ${source}
    ARRAY JOIN ev_ts AS ts, ev_kind AS kind, ev_page AS pg, arrayEnumerate(ev_ts) AS ei
    SETTINGS max_insert_threads = 2`;
}

/** Fills `table` (a new scratch table) with the visits of visitors k0 .. k0+n-1 that start in the chunk, on small blocks. */
export function scratchSql(table: string, domain: string): string {
  return `CREATE TABLE ${table} ENGINE = Memory AS SELECT ${VISIT_COLUMNS} FROM (${visitsSql(domain)}) SETTINGS max_block_size = 8192`;
}

/** Visits and events of a sample of visitors, for sizing a run. */
export function countSql(domain: string): string {
  return `SELECT sum(length(ev_ts)) AS events, count() AS visits FROM (${visitsSql(domain)}) SETTINGS max_block_size = 8192`;
}
