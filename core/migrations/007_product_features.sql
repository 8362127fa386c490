-- Each product's feature catalog: a named feature with a description and the events that count as using it, so
-- product managers compare features rather than raw event names.
CREATE TABLE IF NOT EXISTS product_features (
  product_id String,
  feature_id String,
  name String,
  description String,
  events Array(String),
  deleted UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (product_id, feature_id);
