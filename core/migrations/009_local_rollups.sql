-- Rollup days, weeks and months in each site's own time zone (migration 008 kept them in UTC). A 30-day range in
-- Europe/Berlin then reads 4 weeks and 2 days of rows instead of 4 weeks, a day and 24 edge hours, and a daily chart
-- 30 day rows instead of 720 hours; DST days and half-hour zones (Asia/Kolkata) are covered too. 'hour' rows stay UTC:
-- hourly charts bucket them in the zone. See dashboard/api/query/rollups.ts for how ranges are covered.
--
-- An event's local day needs its site's UTC offset at that instant; ClickHouse takes a zone only as a constant, so
-- each site's offsets are rows (site_zones, written by core/site-zones.ts) and the views look them up with ASOF JOIN.
-- When a site changes its zone, rows from the change on are rewritten and sites.timezone_since records the change:
-- rollup rows filed before it are in the old zone, so ranges starting before it (plus a margin) read 'hour' rows.

CREATE TABLE IF NOT EXISTS site_zones (
  site_id String,
  from_utc DateTime64(3, 'UTC'),
  offset_s Int32
)
ENGINE = MergeTree
ORDER BY (site_id, from_utc);

ALTER TABLE sites ADD COLUMN IF NOT EXISTS timezone_since DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC');

SITE ZONES;

DROP VIEW IF EXISTS visit_rollup_mv;
DROP VIEW IF EXISTS visit_totals_mv;
DROP VIEW IF EXISTS event_rollup_mv;

-- Same figures as in 008; only the buckets of 'day', 'week' and 'month' change: the local day at 00:00 (as a UTC
-- DateTime, so the table is unchanged), its Monday and its first of the month.
CREATE MATERIALIZED VIEW IF NOT EXISTS visit_rollup_mv TO visit_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedStateIf(12)(visitor_id, sign > 0) AS visitors, sum(sign) AS visits, sum(sign * pageviews) AS pageviews,
  sum(sign * events) AS custom_events, sum(sign * is_bounce) AS bounces, sum(sign * duration_ms) AS duration_ms
FROM (SELECT s.*, toDate(s.start + toIntervalSecond(z.offset_s)) AS local_day
  FROM sessions AS s ASOF LEFT JOIN site_zones AS z ON s.site_id = z.site_id AND s.start >= z.from_utc)
ARRAY JOIN [('hour', toStartOfHour(toDateTime(start))), ('day', toDateTime(local_day, 'UTC')), ('week', toDateTime(toMonday(local_day), 'UTC')),
  ('month', toDateTime(toStartOfMonth(local_day), 'UTC'))] AS b
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, span, bucket, dim, value;

-- visit_totals holds visit_rollup's visitor_type rows (they are every visit): a view on visit_rollup's inserts copies
-- them, so the offsets are looked up and the spans listed once. It fires for the backfill of visit_rollup too; the
-- BACKFILL of visit_totals below empties it first, so nothing counts twice.
CREATE MATERIALIZED VIEW IF NOT EXISTS visit_totals_mv TO visit_totals AS
SELECT site_id, span, bucket, value, visitors, visits, pageviews, custom_events, bounces, duration_ms
FROM visit_rollup
WHERE dim = 'visitor_type';

CREATE MATERIALIZED VIEW IF NOT EXISTS event_rollup_mv TO event_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, name, pathname, uniqCombinedState(12)(visitor_id) AS visitors, count() AS events
FROM (SELECT e.site_id AS site_id, e.name AS name, e.pathname AS pathname, e.visitor_id AS visitor_id, e.timestamp AS timestamp,
    toDate(e.timestamp + toIntervalSecond(z.offset_s)) AS local_day
  FROM events AS e ASOF LEFT JOIN site_zones AS z ON e.site_id = z.site_id AND e.timestamp >= z.from_utc
  WHERE e.name != 'engagement')
ARRAY JOIN [('hour', toStartOfHour(toDateTime(timestamp))), ('day', toDateTime(local_day, 'UTC')), ('week', toDateTime(toMonday(local_day), 'UTC')),
  ('month', toDateTime(toStartOfMonth(local_day), 'UTC'))] AS b
GROUP BY site_id, span, bucket, name, pathname;

BACKFILL visit_rollup FROM visit_rollup_mv;
BACKFILL visit_totals FROM visit_totals_mv;
BACKFILL event_rollup FROM event_rollup_mv;
