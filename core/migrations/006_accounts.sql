-- Dashboard accounts, their access to sites and products, and read-only share links.
-- Rows change by inserting a newer version (read with FINAL); deleting an account removes its rows outright.
CREATE TABLE IF NOT EXISTS accounts (
  account_id String,
  email String,
  name String,
  contact String,
  hide_identity UInt8,
  password_hash String,
  is_admin UInt8,
  created_at DateTime64(3, 'UTC'),
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY account_id;

CREATE TABLE IF NOT EXISTS memberships (
  account_id String,
  resource_type LowCardinality(String),
  resource_id String,
  role LowCardinality(String),
  deleted UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (account_id, resource_type, resource_id);

-- Only a SHA-256 of each share secret is kept.
CREATE TABLE IF NOT EXISTS share_links (
  link_id String,
  site_id String,
  secret_hash String,
  label String,
  created_by String,
  created_at DateTime64(3, 'UTC'),
  revoked UInt8,
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY link_id;
