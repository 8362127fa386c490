-- Product views by app version, OS or country from a daily rollup: each product's events per UTC day and value of
-- one of those attributes (attr names the product dimension: app_version, os, country), with a sketch of the installs
-- that sent them, filled by a materialized view at insert. product_daily (016) keeps name and feature tag; keeping the
-- attributes there too would multiply its rows by their combinations, so each attribute has its own rows here, about
-- fifty a day a product. "DAU by OS" over 91 days of 100 M product events read every event (past the 2 GB memory limit);
-- it reads a few thousand rows from here (dashboard/api/query/plan/product-rollup.ts decides).
CREATE TABLE IF NOT EXISTS product_attr_daily (
  product_id LowCardinality(String),
  day Date,
  attr LowCardinality(String),
  value LowCardinality(String),
  installs AggregateFunction(uniqCombined(12), String),
  events SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (product_id, attr, day, value)
TTL day + INTERVAL 25 MONTH
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS product_attr_daily_mv TO product_attr_daily AS
SELECT product_id, toDate(timestamp) AS day, a.1 AS attr, a.2 AS value, uniqCombinedState(12)(install_id) AS installs, count() AS events
FROM product_events
ARRAY JOIN [('app_version', toString(app_version)), ('os', toString(os)), ('country', toString(country_code))] AS a
GROUP BY product_id, day, attr, value;

-- The events stored before the view existed (core/migrate.ts, BACKFILL).
BACKFILL product_attr_daily FROM product_attr_daily_mv;
