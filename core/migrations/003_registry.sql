-- Configuration: small tables, rewritten by inserting a newer version and read with FINAL.
CREATE TABLE IF NOT EXISTS sites (
  site_id String,
  domain String,
  timezone String,
  honor_dnt UInt8,
  created_at DateTime64(3, 'UTC'),
  deleted UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY site_id;

CREATE TABLE IF NOT EXISTS products (
  product_id String,
  name String,
  created_at DateTime64(3, 'UTC'),
  deleted UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY product_id;

-- Only a SHA-256 of each key is kept; the key itself is shown once, when it is made.
CREATE TABLE IF NOT EXISTS api_keys (
  key_id String,
  product_id String,
  key_hash String,
  prefix String,
  created_at DateTime64(3, 'UTC'),
  revoked UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY key_id;
