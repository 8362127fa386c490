-- Page and goal filters from the filter rollup: visit_filter_rollup's rows once more for each page a visit viewed
-- (fdim 'pathname') and each event name it sent (fdim 'name'; 'pageview' included), the distinct ones of its events
-- up to a day after its own day ends (engagement pings left out), as a raw visit filter on event:page or event:name
-- reads them (dashboard/api/query/sql/sources.ts, visitHasEvent). A visit counts once under each page it viewed, so
-- the planner reads these rows only for one positive, case-sensitive value (`is` /pricing, `is` Signup): an OR of two
-- pages, or a negation, would count some visits twice (plan/rollups.ts).
--
-- About 2.3 distinct pages and 1.1 names per visit in the demo data: the day's roll takes about 2.5x the CPU of 013's
-- and its rows grow about 2.4x (BENCHMARKS.md section 3). A site with very many rarely viewed pages pays more: each
-- visit of such a page adds its own rows (a cap on kept pages is a noted follow-up).
CREATE OR REPLACE VIEW visit_filter_day AS
SELECT site_id, kf.1 AS fdim, kf.2 AS fvalue, 'day' AS span, toDateTime({day:Date}, 'UTC') AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedState(12)(visitor_id) AS visitors, toInt64(count()) AS visits, sum(pageviews) AS pageviews,
  sum(events) AS custom_events, sum(is_bounce) AS bounces, sum(duration_ms) AS duration_ms
FROM (SELECT site_id, c_visitor_id AS visitor_id, c_entry_page AS entry_page, c_exit_page AS exit_page, c_referrer_source AS referrer_source,
    c_channel AS channel, c_utm_source AS utm_source, c_utm_medium AS utm_medium, c_utm_campaign AS utm_campaign,
    c_country_code AS country_code, c_region AS region, c_city AS city, c_browser AS browser, c_os AS os, c_device_type AS device_type,
    c_screen_size AS screen_size, c_id_type AS id_type, c_new_visitor AS new_visitor,
    c_pageviews AS pageviews, c_events AS events, c_is_bounce AS is_bounce, c_duration_ms AS duration_ms, e_pages AS pages, e_names AS names
  FROM (SELECT site_id, session_id, any(visitor_id) AS c_visitor_id, any(entry_page) AS c_entry_page,
      argMax(exit_page, version) AS c_exit_page, any(referrer_source) AS c_referrer_source, any(channel) AS c_channel,
      any(utm_source) AS c_utm_source, any(utm_medium) AS c_utm_medium, any(utm_campaign) AS c_utm_campaign,
      any(country_code) AS c_country_code, any(region) AS c_region, any(city) AS c_city, any(browser) AS c_browser, any(os) AS c_os,
      any(device_type) AS c_device_type, any(screen_size) AS c_screen_size, any(id_type) AS c_id_type, any(new_visitor) AS c_new_visitor,
      sum(sign * pageviews) AS c_pageviews, sum(sign * events) AS c_events, sum(sign * is_bounce) AS c_is_bounce,
      sum(sign * duration_ms) AS c_duration_ms
    FROM sessions
    WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}
    GROUP BY site_id, session_id HAVING sum(sign) > 0) AS v
    LEFT JOIN (SELECT session_id, groupUniqArray(pathname) AS e_pages, groupUniqArray(name) AS e_names FROM events
      WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} + INTERVAL 1 DAY AND name != 'engagement'
      GROUP BY session_id) AS e USING (session_id))
ARRAY JOIN arrayConcat([('source', if(referrer_source = '', 'Direct / None', referrer_source)), ('channel', channel),
  ('country', country_code), ('device', device_type)], arrayMap(x -> ('pathname', x), pages), arrayMap(x -> ('name', x), names)) AS kf
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, fdim, fvalue, dim, value;

-- The days rolled before this migration have no page or goal rows, and a day is rolled once: empty both rollups and
-- their state, so the worker's roller rolls every day again, newest first (until then filtered views read raw rows).
-- TRUNCATE also forgets the tables' insert deduplication tokens, so the same days' tokens store again.
TRUNCATE TABLE IF EXISTS visit_filter_rollup;
TRUNCATE TABLE IF EXISTS event_filter_rollup;
TRUNCATE TABLE IF EXISTS filter_rollup_state;
