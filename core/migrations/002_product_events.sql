-- Product-usage events sent by applications with a product API key.
CREATE TABLE IF NOT EXISTS product_events (
  product_id LowCardinality(String),
  event_id UUID,
  timestamp DateTime64(3, 'UTC'),
  received_at DateTime64(3, 'UTC'),
  feature LowCardinality(String),
  name LowCardinality(String),
  install_id String,
  app_version LowCardinality(String),
  os LowCardinality(String),
  os_version LowCardinality(String),
  country_code LowCardinality(String),
  props Map(String, String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (product_id, toDate(timestamp), feature, name, install_id, timestamp)
TTL toDateTime(timestamp) + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;
