-- Visits, kept current at ingest: each change of a visit adds its new state (+1) and cancels the previous one (-1),
-- so visit metrics are sums weighted by sign, with no FINAL and no GROUP BY session over raw events.
CREATE TABLE IF NOT EXISTS sessions (
  site_id LowCardinality(String),
  session_id UInt64,
  sign Int8,
  version UInt32,
  visitor_id UInt64,
  start DateTime64(3, 'UTC'),
  end DateTime64(3, 'UTC'),
  duration_ms UInt32,
  pageviews UInt32,
  events UInt32,
  engagement_ms UInt32,
  is_bounce UInt8,
  entry_page String,
  exit_page String,
  hostname LowCardinality(String),
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
  screen_size LowCardinality(String),
  id_type LowCardinality(String),
  cookieless_reason LowCardinality(String),
  new_visitor UInt8
)
ENGINE = VersionedCollapsingMergeTree(sign, version)
PARTITION BY toYYYYMM(start)
ORDER BY (site_id, toDate(start), session_id)
TTL toDateTime(start) + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;
