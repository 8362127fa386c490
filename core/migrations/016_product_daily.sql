-- Product views from a daily rollup: each product's events per UTC day, event name and feature tag, with a sketch of
-- the installs that sent them, filled by a materialized view at insert. The feature ranking, products side by side and
-- their charts (dashboard/api/query/sql/product-query.ts) read a few thousand rows instead of every event: active
-- installs and feature users merge the sketches over the range; dau, wau and mau merge, for each day of the range, the
-- sketches of the 1, 7 or 30 days ending on it. Name and tag are both kept because the feature catalog maps an event
-- by either (FEATURE_SQL); other dimensions (version, OS, country, properties) and hours read product_events.
-- Installs are uniqCombined(12) sketches, as the web rollups' visitors (migration 008): about 1% from exact.
CREATE TABLE IF NOT EXISTS product_daily (
  product_id LowCardinality(String),
  day Date,
  feature LowCardinality(String),
  name LowCardinality(String),
  installs AggregateFunction(uniqCombined(12), String),
  events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (product_id, day, feature, name)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS product_daily_mv TO product_daily AS
SELECT product_id, toDate(timestamp) AS day, feature, name, uniqCombinedState(12)(install_id) AS installs, count() AS events
FROM product_events
GROUP BY product_id, day, feature, name;

-- The events stored before the view existed (core/migrate.ts, BACKFILL).
BACKFILL product_daily FROM product_daily_mv;
