-- Custom property filters on raw rows: "visits with an event sent with plan = pro", and top pages, goals and the
-- chart's pageviews under such a filter, read the properties of every event of the range, a Map column of every
-- event (about 55 ms per read at 10 M events, and an overview reads it for each of its aggregations). Few events carry
-- properties (under 2% in the demo), so this table keeps each key and value of each event once more as a row, with the
-- few columns those reads need, ordered by site, key and value: the engine reads only the rows of the key and value
-- asked for (dashboard/api/query/plan/event-props.ts says when). Filled by a materialized view at insert, with the
-- events' own deduplication tokens; the events stored before it by BACKFILL.
CREATE TABLE IF NOT EXISTS event_props (
  site_id LowCardinality(String),
  key String,
  value String,
  timestamp DateTime64(3, 'UTC'),
  name LowCardinality(String),
  pathname String,
  session_id UInt64,
  visitor_id UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, key, value, timestamp)
TTL toDateTime(timestamp) + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_props_mv TO event_props AS
SELECT site_id, kv.1 AS key, kv.2 AS value, timestamp, name, pathname, session_id, visitor_id
FROM events
ARRAY JOIN arrayZip(mapKeys(props), mapValues(props)) AS kv;

BACKFILL event_props FROM event_props_mv;
