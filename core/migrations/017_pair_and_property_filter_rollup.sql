-- Two visit filters combined from the filter rollup: visit_filter_rollup's and event_filter_rollup's rows once more
-- for each pair of the filter keys (source, channel, country, device), under fdim 'a+b' with fvalue a's value, a unit
-- separator (\x1F) and b's value; source always last, the one value that may hold any text, so the planner reads the
-- first part up to the first separator and the second part after it (dashboard/api/query/sql/rollup-rows.ts). Each
-- visit has one value of each key, so any combination of filters on the two keys (is, is_not, contains, or, not)
-- selects whole rows, as a single key's filters do. "Germany on mobile", "Google on mobile" read a few hundred rows
-- instead of every matching visit. Six pairs about double the rollups' rows and add about half again to the roll's
-- CPU (measured: BENCHMARKS.md section 3).
--
-- And each visit once under every distinct custom property (key and value) its events were sent with (fdim 'prop',
-- fvalue the key's length in bytes, ':', the key, '=', the value: unambiguous, as keys may hold any text), so a
-- property filter's visit panels and chart read it as a page or goal filter's do: one positive, case-sensitive value
-- as the only filter (`is` plan = pro). Few events carry properties (under 2% in the demo), so these rows are few.
--
-- The views are 014's (visits) and 013's (events) with these added: a migration restates what it replaces.
CREATE OR REPLACE VIEW visit_filter_day AS
SELECT site_id, kf.1 AS fdim, kf.2 AS fvalue, 'day' AS span, toDateTime({day:Date}, 'UTC') AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedState(12)(visitor_id) AS visitors, toInt64(count()) AS visits, sum(pageviews) AS pageviews,
  sum(events) AS custom_events, sum(is_bounce) AS bounces, sum(duration_ms) AS duration_ms
FROM (SELECT site_id, c_visitor_id AS visitor_id, c_entry_page AS entry_page, c_exit_page AS exit_page, c_referrer_source AS referrer_source,
    c_channel AS channel, c_utm_source AS utm_source, c_utm_medium AS utm_medium, c_utm_campaign AS utm_campaign,
    c_country_code AS country_code, c_region AS region, c_city AS city, c_browser AS browser, c_os AS os, c_device_type AS device_type,
    c_screen_size AS screen_size, c_id_type AS id_type, c_new_visitor AS new_visitor,
    c_pageviews AS pageviews, c_events AS events, c_is_bounce AS is_bounce, c_duration_ms AS duration_ms, e_pages AS pages, e_names AS names, e_props AS prop_pairs
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
    LEFT JOIN (SELECT session_id, groupUniqArray(pathname) AS e_pages, groupUniqArray(name) AS e_names,
      groupUniqArrayArray(arrayMap((k, x) -> concat(toString(length(k)), ':', k, '=', x), mapKeys(props), mapValues(props))) AS e_props FROM events
      WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} + INTERVAL 1 DAY AND name != 'engagement'
      GROUP BY session_id) AS e USING (session_id))
ARRAY JOIN arrayConcat([('source', if(referrer_source = '', 'Direct / None', referrer_source)), ('channel', channel),
  ('country', country_code), ('device', device_type)], arrayMap(x -> ('pathname', x), pages), arrayMap(x -> ('name', x), names), arrayMap(x -> ('prop', x), prop_pairs),
  [('channel+country', concat(channel, '\x1F', country_code)),
  ('channel+device', concat(channel, '\x1F', device_type)),
  ('channel+source', concat(channel, '\x1F', if(referrer_source = '', 'Direct / None', referrer_source))),
  ('country+device', concat(country_code, '\x1F', device_type)),
  ('country+source', concat(country_code, '\x1F', if(referrer_source = '', 'Direct / None', referrer_source))),
  ('device+source', concat(device_type, '\x1F', if(referrer_source = '', 'Direct / None', referrer_source)))]) AS kf
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, fdim, fvalue, dim, value;

CREATE OR REPLACE VIEW event_filter_day AS
SELECT site_id, kf.1 AS fdim, kf.2 AS fvalue, 'day' AS span, toDateTime({day:Date}, 'UTC') AS bucket, name, pathname,
  uniqCombinedState(12)(visitor_id) AS visitors, count() AS events
FROM events
ARRAY JOIN arrayConcat([('source', if(visit.referrer_source = '', 'Direct / None', visit.referrer_source)), ('channel', visit.channel),
  ('country', visit.country_code), ('device', visit.device_type)],
  [('channel+country', concat(visit.channel, '\x1F', visit.country_code)),
  ('channel+device', concat(visit.channel, '\x1F', visit.device_type)),
  ('channel+source', concat(visit.channel, '\x1F', if(visit.referrer_source = '', 'Direct / None', visit.referrer_source))),
  ('country+device', concat(visit.country_code, '\x1F', visit.device_type)),
  ('country+source', concat(visit.country_code, '\x1F', if(visit.referrer_source = '', 'Direct / None', visit.referrer_source))),
  ('device+source', concat(visit.device_type, '\x1F', if(visit.referrer_source = '', 'Direct / None', visit.referrer_source)))]) AS kf
WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement'
GROUP BY site_id, fdim, fvalue, name, pathname;

-- The days rolled before this migration have no pair rows, and a day is rolled once: empty both rollups and their
-- state, so the worker's roller rolls every day again, newest first (until then filtered views read raw rows, and
-- TRUNCATE also forgets the tables' insert deduplication tokens). As for 014: stop separate worker services first.
TRUNCATE TABLE IF EXISTS visit_filter_rollup;
TRUNCATE TABLE IF EXISTS event_filter_rollup;
TRUNCATE TABLE IF EXISTS filter_rollup_state;
