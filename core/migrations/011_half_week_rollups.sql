-- Half-week rollup rows: Monday to Wednesday and Thursday to Sunday, in the site's zone (bucket: the local Monday or
-- Thursday at 00:00, as 009's local rows). A 30-day range starting on a Tuesday to Friday was covered by 3 weeks and
-- up to 9 single days; with half-weeks its ends take at most 2-4 rows each (7 rows on average over the weekdays
-- instead of 9.4, at most 10 instead of 12), and the overview merges that many fewer visitor sketches per value.
-- The views are 009's with the one span added (a migration restates what it changes); visit_totals_mv copies
-- visit_rollup's visitor_type rows, half-weeks included, unchanged. Deriving half-weeks from the day rows by a view
-- on visit_rollup itself (as visit_totals is derived) would state only the new span, but ClickHouse refuses a view
-- into its own source table ("Dependencies of the table ... are cyclic", tried on chDB 3.4), and half-week rows in
-- tables of their own would make every rollup read two tables.

ALTER TABLE visit_rollup MODIFY COLUMN span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4, 'half' = 5);
ALTER TABLE visit_totals MODIFY COLUMN span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4, 'half' = 5);
ALTER TABLE event_rollup MODIFY COLUMN span Enum8('hour' = 1, 'day' = 2, 'week' = 3, 'month' = 4, 'half' = 5);

DROP VIEW IF EXISTS visit_rollup_mv;
DROP VIEW IF EXISTS event_rollup_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS visit_rollup_mv TO visit_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, kv.1 AS dim, kv.2 AS value,
  uniqCombinedStateIf(12)(visitor_id, sign > 0) AS visitors, sum(sign) AS visits, sum(sign * pageviews) AS pageviews,
  sum(sign * events) AS custom_events, sum(sign * is_bounce) AS bounces, sum(sign * duration_ms) AS duration_ms
FROM (SELECT s.*, toDate(s.start + toIntervalSecond(z.offset_s)) AS local_day
  FROM sessions AS s ASOF LEFT JOIN site_zones AS z ON s.site_id = z.site_id AND s.start >= z.from_utc)
ARRAY JOIN [('hour', toStartOfHour(toDateTime(start))), ('day', toDateTime(local_day, 'UTC')), ('week', toDateTime(toMonday(local_day), 'UTC')),
  ('half', toDateTime(toMonday(local_day) + if(toDayOfWeek(local_day) <= 3, 0, 3), 'UTC')),
  ('month', toDateTime(toStartOfMonth(local_day), 'UTC'))] AS b
ARRAY JOIN [('entry_page', entry_page), ('exit_page', exit_page), ('source', if(referrer_source = '', 'Direct / None', referrer_source)),
  ('channel', channel), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
  ('country', country_code), ('region', region), ('city', city), ('browser', browser), ('os', os), ('device', device_type),
  ('screen', screen_size), ('visitor_type', multiIf(id_type != 'cookie', 'cookieless', new_visitor = 1, 'new', 'returning'))] AS kv
GROUP BY site_id, span, bucket, dim, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_rollup_mv TO event_rollup AS
SELECT site_id, b.1 AS span, b.2 AS bucket, name, pathname, uniqCombinedState(12)(visitor_id) AS visitors, count() AS events
FROM (SELECT e.site_id AS site_id, e.name AS name, e.pathname AS pathname, e.visitor_id AS visitor_id, e.timestamp AS timestamp,
    toDate(e.timestamp + toIntervalSecond(z.offset_s)) AS local_day
  FROM events AS e ASOF LEFT JOIN site_zones AS z ON e.site_id = z.site_id AND e.timestamp >= z.from_utc
  WHERE e.name != 'engagement')
ARRAY JOIN [('hour', toStartOfHour(toDateTime(timestamp))), ('day', toDateTime(local_day, 'UTC')), ('week', toDateTime(toMonday(local_day), 'UTC')),
  ('half', toDateTime(toMonday(local_day) + if(toDayOfWeek(local_day) <= 3, 0, 3), 'UTC')),
  ('month', toDateTime(toStartOfMonth(local_day), 'UTC'))] AS b
GROUP BY site_id, span, bucket, name, pathname;

BACKFILL visit_rollup FROM visit_rollup_mv;
BACKFILL visit_totals FROM visit_totals_mv;
BACKFILL event_rollup FROM event_rollup_mv;
