-- The anti-theft module's own database. Nothing in it says where a device is in plaintext: payloads, the server's
-- network records and snapshots are sealed to each owner's key. Only antitheft/store reads it (owner-filtered);
-- on a ClickHouse server it belongs to its own user (docs/antitheft.md).

-- The owner's report key: its public half and two wrapped copies of the private half (passphrase, recovery key).
-- Deleting a row deletes it (DELETE), which leaves every report of that owner unreadable, in backups too.
CREATE TABLE IF NOT EXISTS antitheft.owner_keys (
  owner_id String,
  key_id String,
  public_key String,
  passphrase_wrap String,
  recovery_wrap String,
  created_at DateTime64(3, 'UTC'),
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY owner_id;

-- Devices: rewritten by inserting a newer version (read with FINAL). status: active, revoked (key refused),
-- deactivated (told to forget its keys; its reports deleted), removed.
CREATE TABLE IF NOT EXISTS antitheft.devices (
  device_id String,
  owner_id String,
  name String,
  platform String,
  agent_version String,
  public_key String,
  fingerprint String,
  owner_key_id String,
  mode LowCardinality(String),
  status LowCardinality(String),
  created_at DateTime64(3, 'UTC'),
  mode_changed_at DateTime64(3, 'UTC'),
  version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY device_id;

-- One row per report id (a job retried after a crash may insert it again; FINAL keeps one).
CREATE TABLE IF NOT EXISTS antitheft.reports (
  owner_id String,
  device_id String,
  report_id UUID,
  sequence UInt64,
  received_at DateTime64(3, 'UTC'),
  captured_at DateTime64(3, 'UTC'),
  mode LowCardinality(String),
  header String,
  payload String,
  network String,
  signature String,
  report_hash String,
  receipt String,
  report_size UInt32,
  snapshot_size UInt32,
  snapshot_hash String
)
ENGINE = ReplacingMergeTree
ORDER BY (owner_id, device_id, report_id)
TTL toDateTime(received_at) + toIntervalDay(90);

-- Snapshot ciphertext (base64url), apart from the reports so listing a timeline never reads image bytes.
CREATE TABLE IF NOT EXISTS antitheft.snapshots (
  owner_id String,
  device_id String,
  report_id UUID,
  received_at DateTime64(3, 'UTC'),
  iv String,
  sealed String,
  size UInt32,
  sha256 String
)
ENGINE = ReplacingMergeTree
ORDER BY (owner_id, device_id, report_id)
TTL toDateTime(received_at) + toIntervalDay(90);

-- The server's Ed25519 key that countersigns receipts and check-in answers; every process uses the oldest row.
CREATE TABLE IF NOT EXISTS antitheft.server_keys (
  key_id String,
  public_key String,
  private_key String,
  created_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY key_id;
