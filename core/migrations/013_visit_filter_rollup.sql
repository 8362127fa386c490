-- Filtered figures, pre-aggregated: visit_rollup's (and event_rollup's) figures once more for each value of a filter dimension
-- (source, channel, country, device: the visit attributes a marketing user clicks most), so an overview filtered on
-- one of them reads a few thousand rows instead of every matching visit (dashboard/api/query/plan/rollups.ts).
--
-- Not a materialized view: one on sessions would see each +1/-1 state of a visit on every insert and cost about 5x
-- the ingest CPU (BENCHMARKS.md section 3). The worker rolls up each local day of a site once its visits are settled
-- (worker/roll-visit-filters.ts), each visit once from its collapsed rows; the days after the rolled ones, and before
-- them while older days are still being rolled, are read from raw visits. filter_rollup_state records which days
-- are rolled: a contiguous run [rolled_from, rolled_until) of the site's local days.
CREATE TABLE IF NOT EXISTS visit_filter_rollup (
  site_id LowCardinality(String),
  fdim LowCardinality(String),
  fvalue String,
  span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4, 'half' = 5),
  bucket DateTime('UTC'),
  dim LowCardinality(String),
  value String,
  visitors AggregateFunction(uniqCombined(12), UInt64),
  visits SimpleAggregateFunction(sum, Int64),
  pageviews SimpleAggregateFunction(sum, Int64),
  custom_events SimpleAggregateFunction(sum, Int64),
  bounces SimpleAggregateFunction(sum, Int64),
  duration_ms SimpleAggregateFunction(sum, Int64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (site_id, fdim, fvalue, span, bucket, dim, value)
TTL bucket + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

-- The event panels (top pages, goals) under the same filters: event_rollup's figures per filter value, read from the
-- visit stamp every event carries (migration 012). Days before a site's events were stamped have no event rows.
CREATE TABLE IF NOT EXISTS event_filter_rollup (
  site_id LowCardinality(String),
  fdim LowCardinality(String),
  fvalue String,
  span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4, 'half' = 5),
  bucket DateTime('UTC'),
  name LowCardinality(String),
  pathname String,
  visitors AggregateFunction(uniqCombined(12), UInt64),
  events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (site_id, fdim, fvalue, span, bucket, name, pathname)
TTL bucket + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE TABLE IF NOT EXISTS filter_rollup_state (
  site_id String,
  rolled_from Date,
  rolled_until Date,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY site_id;

-- One local day of a site (`day` in zone `tz`), its visits collapsed to their latest state: a row per filter value
-- and panel dimension value. The panel dimensions are visit_rollup_mv's (migration 011), the same expressions as the
-- dimension catalog (a unit test compares them). Inner names are prefixed so no alias shadows a column.
CREATE VIEW IF NOT EXISTS visit_filter_day AS
SELECT site_id, kf.1 AS fdim, kf.2 AS fvalue, 'day' AS span, toDateTime({day:Date}, 'UTC') AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedState(12)(visitor_id) AS visitors, toInt64(count()) AS visits, sum(pageviews) AS pageviews,
  sum(events) AS custom_events, sum(is_bounce) AS bounces, sum(duration_ms) AS duration_ms
FROM (SELECT site_id, c_visitor_id AS visitor_id, c_entry_page AS entry_page, c_exit_page AS exit_page, c_referrer_source AS referrer_source,
    c_channel AS channel, c_utm_source AS utm_source, c_utm_medium AS utm_medium, c_utm_campaign AS utm_campaign,
    c_country_code AS country_code, c_region AS region, c_city AS city, c_browser AS browser, c_os AS os, c_device_type AS device_type,
    c_screen_size AS screen_size, c_id_type AS id_type, c_new_visitor AS new_visitor,
    c_pageviews AS pageviews, c_events AS events, c_is_bounce AS is_bounce, c_duration_ms AS duration_ms
  FROM (SELECT site_id, session_id, any(visitor_id) AS c_visitor_id, any(entry_page) AS c_entry_page,
      argMax(exit_page, version) AS c_exit_page, any(referrer_source) AS c_referrer_source, any(channel) AS c_channel,
      any(utm_source) AS c_utm_source, any(utm_medium) AS c_utm_medium, any(utm_campaign) AS c_utm_campaign,
      any(country_code) AS c_country_code, any(region) AS c_region, any(city) AS c_city, any(browser) AS c_browser, any(os) AS c_os,
      any(device_type) AS c_device_type, any(screen_size) AS c_screen_size, any(id_type) AS c_id_type, any(new_visitor) AS c_new_visitor,
      sum(sign * pageviews) AS c_pageviews, sum(sign * events) AS c_events, sum(sign * is_bounce) AS c_is_bounce,
      sum(sign * duration_ms) AS c_duration_ms
    FROM sessions
    WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}
    GROUP BY site_id, session_id HAVING sum(sign) > 0))
ARRAY JOIN [('source', if(referrer_source = '', 'Direct / None', referrer_source)), ('channel', channel), ('country', country_code),
  ('device', device_type)] AS kf
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, fdim, fvalue, dim, value;

-- A half-week, week or month bucket (`span`, starting on local day `bucket`, up to local day `end`) from its day
-- rows, written once all its days are rolled (to_span, to_bucket: the column names would shadow them in WHERE).
CREATE VIEW IF NOT EXISTS visit_filter_span AS
SELECT site_id, fdim, fvalue, {span:String} AS to_span, toDateTime({bucket:Date}, 'UTC') AS to_bucket, dim, value,
  uniqCombinedMergeState(12)(visitors) AS visitors, sum(visits) AS visits, sum(pageviews) AS pageviews,
  sum(custom_events) AS custom_events, sum(bounces) AS bounces, sum(duration_ms) AS duration_ms
FROM visit_filter_rollup
WHERE site_id = {site:String} AND span = 'day' AND bucket >= toDateTime({bucket:Date}, 'UTC') AND bucket < toDateTime({end:Date}, 'UTC')
GROUP BY site_id, fdim, fvalue, dim, value;

-- The events of one local day by filter value, name and page, engagement pings left out as in event_rollup; the
-- filter values are the stamp's, the same expressions as the dimension catalog's stamped forms (a unit test compares).
CREATE VIEW IF NOT EXISTS event_filter_day AS
SELECT site_id, kf.1 AS fdim, kf.2 AS fvalue, 'day' AS span, toDateTime({day:Date}, 'UTC') AS bucket, name, pathname,
  uniqCombinedState(12)(visitor_id) AS visitors, count() AS events
FROM events
ARRAY JOIN [('source', if(visit.referrer_source = '', 'Direct / None', visit.referrer_source)), ('channel', visit.channel),
  ('country', visit.country_code), ('device', visit.device_type)] AS kf
WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement'
GROUP BY site_id, fdim, fvalue, name, pathname;

CREATE VIEW IF NOT EXISTS event_filter_span AS
SELECT site_id, fdim, fvalue, {span:String} AS to_span, toDateTime({bucket:Date}, 'UTC') AS to_bucket, name, pathname,
  uniqCombinedMergeState(12)(visitors) AS visitors, sum(events) AS events
FROM event_filter_rollup
WHERE site_id = {site:String} AND span = 'day' AND bucket >= toDateTime({bucket:Date}, 'UTC') AND bucket < toDateTime({end:Date}, 'UTC')
GROUP BY site_id, fdim, fvalue, name, pathname;
