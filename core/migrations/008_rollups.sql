-- Rollups for the dashboard (dashboard/api/query/rollups.ts): pre-aggregated visits and events, filled by materialized
-- views at insert, so the site overview reads a few thousand rows instead of every visit. The same SQL runs on embedded
-- chDB and on a ClickHouse server; the collector and worker are unaware of them.
--
-- Every row is stored at four spans of UTC time: hour, day, week (from Monday) and month. A range in a whole-hour time
-- zone is covered by the largest whole buckets that fit, hours at its ends (a 30-day range: ~4 weeks, a day and ~24
-- hours instead of 720 hours); time series read 'hour' rows in the site's zone. Rows are ordered by bucket first, so a
-- cover is a handful of contiguous reads.
-- Distinct visitors are uniqCombined(12) sketches: merging uniq states (exact to 65,536) or uniqCombined(14) was 2-3x
-- slower (BENCHMARKS.md section 3); sums are weighted by sign, so a visit's cancelled states net out as in `sessions`.
-- non_replicated_deduplication_window: a batch the worker retries with the same insert_deduplication_token reaches
-- the views again (ClickHouse 26 derives the views' tokens from the source's) and is stored once here too.

CREATE TABLE IF NOT EXISTS visit_rollup (
  site_id LowCardinality(String),
  span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4),
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
ORDER BY (site_id, span, bucket, dim, value)
TTL bucket + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

-- One row per visit dimension of dashboard/api/query/dimensions.ts (same expressions; a unit test compares them);
-- visitor_type rows double as the totals. Visitors count only +1 rows: a visit's fixed attributes are the same in all.
CREATE MATERIALIZED VIEW IF NOT EXISTS visit_rollup_mv TO visit_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedStateIf(12)(visitor_id, sign > 0) AS visitors, sum(sign) AS visits, sum(sign * pageviews) AS pageviews,
  sum(sign * events) AS custom_events, sum(sign * is_bounce) AS bounces, sum(sign * duration_ms) AS duration_ms
FROM sessions
ARRAY JOIN [('hour', toStartOfHour(toDateTime(start))), ('day', toStartOfDay(toDateTime(start))), ('week', toDateTime(toMonday(toDateTime(start)), 'UTC')),
  ('month', toDateTime(toStartOfMonth(toDateTime(start)), 'UTC'))] AS b
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, span, bucket, dim, value;

-- The same figures by visitor type alone, apart: the totals (headline, time series) read them hour by hour, which in
-- visit_rollup (ordered by bucket for the breakdowns) would mean reading every dimension's rows of those hours.
CREATE TABLE IF NOT EXISTS visit_totals (
  site_id LowCardinality(String),
  span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4),
  bucket DateTime('UTC'),
  value LowCardinality(String),
  visitors AggregateFunction(uniqCombined(12), UInt64),
  visits SimpleAggregateFunction(sum, Int64),
  pageviews SimpleAggregateFunction(sum, Int64),
  custom_events SimpleAggregateFunction(sum, Int64),
  bounces SimpleAggregateFunction(sum, Int64),
  duration_ms SimpleAggregateFunction(sum, Int64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (site_id, span, bucket, value)
TTL bucket + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS visit_totals_mv TO visit_totals AS
SELECT site_id, b.1 AS span, b.2 AS bucket, multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning') AS value,
  uniqCombinedStateIf(12)(visitor_id, sign > 0) AS visitors, sum(sign) AS visits, sum(sign * pageviews) AS pageviews,
  sum(sign * events) AS custom_events, sum(sign * is_bounce) AS bounces, sum(sign * duration_ms) AS duration_ms
FROM sessions
ARRAY JOIN [('hour', toStartOfHour(toDateTime(start))), ('day', toStartOfDay(toDateTime(start))), ('week', toDateTime(toMonday(toDateTime(start)), 'UTC')),
  ('month', toDateTime(toStartOfMonth(toDateTime(start)), 'UTC'))] AS b
GROUP BY site_id, span, bucket, value;

-- Events (append-only) by name and page, engagement pings left out as every report leaves them out.
CREATE TABLE IF NOT EXISTS event_rollup (
  site_id LowCardinality(String),
  span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4),
  bucket DateTime('UTC'),
  name LowCardinality(String),
  pathname String,
  visitors AggregateFunction(uniqCombined(12), UInt64),
  events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (site_id, span, bucket, name, pathname)
TTL bucket + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_rollup_mv TO event_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, name, pathname, uniqCombinedState(12)(visitor_id) AS visitors, count() AS events
FROM events
ARRAY JOIN [('hour', toStartOfHour(toDateTime(timestamp))), ('day', toStartOfDay(toDateTime(timestamp))),
  ('week', toDateTime(toMonday(toDateTime(timestamp)), 'UTC')), ('month', toDateTime(toStartOfMonth(toDateTime(timestamp)), 'UTC'))] AS b
WHERE name != 'engagement'
GROUP BY site_id, span, bucket, name, pathname;

-- Backfill from the rows stored before the views existed, with each view's own query (core/migrate.ts, BACKFILL).
-- Each table is emptied first, so a migration interrupted here and run again does not count twice.
BACKFILL visit_rollup FROM visit_rollup_mv;
BACKFILL visit_totals FROM visit_totals_mv;
BACKFILL event_rollup FROM event_rollup_mv;
