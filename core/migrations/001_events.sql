-- Web analytics events: one row per pageview, custom event or engagement ping.
-- Ordered for per-site time-range scans; visitor_id and session_id are salted hashes or random ids, never an IP.
CREATE TABLE IF NOT EXISTS events (
  site_id LowCardinality(String),
  event_id UUID,
  timestamp DateTime64(3, 'UTC'),
  name LowCardinality(String),
  visitor_id UInt64,
  session_id UInt64,
  id_type LowCardinality(String),
  cookieless_reason LowCardinality(String),
  new_visitor UInt8,
  hostname LowCardinality(String),
  pathname String,
  referrer String,
  referrer_source LowCardinality(String),
  channel LowCardinality(String),
  utm_source String,
  utm_medium String,
  utm_campaign String,
  utm_term String,
  utm_content String,
  country_code LowCardinality(String),
  region LowCardinality(String),
  city LowCardinality(String),
  browser LowCardinality(String),
  browser_version LowCardinality(String),
  os LowCardinality(String),
  os_version LowCardinality(String),
  device_type LowCardinality(String),
  screen_width UInt16,
  screen_size LowCardinality(String),
  engagement_ms UInt32,
  props Map(String, String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site_id, toDate(timestamp), name, visitor_id, timestamp)
TTL toDateTime(timestamp) + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;
