-- Events the collector refused, by day, site and reason (bot, invalid, unknown_site, rate_limited, opt_out...).
CREATE TABLE IF NOT EXISTS ingest_drops (
  day Date,
  site_id LowCardinality(String),
  reason LowCardinality(String),
  count UInt64
)
ENGINE = SummingMergeTree
ORDER BY (day, site_id, reason)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;
