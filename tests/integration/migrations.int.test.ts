import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openClickHouse, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { applyRetention, loadMigrations, migrate } from '../../core/migrate.ts';

describe('schema migrations on embedded ClickHouse', () => {
  let ch: ClickHouseClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-mig-'));
    ch = await openClickHouse({ dataDir: dir, clickhouse: { username: 'default', password: '', database: 'default' } });
  });
  after(async () => { await ch.close(); rmSync(dir, { recursive: true, force: true }); });

  it('applies every migration once and records it; a second run applies nothing', async () => {
    const all = loadMigrations().map((m) => m.version);
    assert.deepEqual(await migrate(ch), all);
    assert.deepEqual(await migrate(ch), []);
    const recorded = await queryRows<{ version: number }>(ch, 'SELECT version FROM schema_migrations FINAL ORDER BY version');
    assert.deepEqual(recorded.map((r) => Number(r.version)), all);
  });

  it('creates event tables partitioned by month, ordered by site and time, with LowCardinality columns and a TTL', async () => {
    const [t] = await queryRows<{ partition_key: string; sorting_key: string; q: string }>(ch,
      "SELECT partition_key, sorting_key, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'events'");
    assert.equal(t!.partition_key, 'toYYYYMM(timestamp)');
    assert.match(t!.sorting_key, /^site_id, toDate\(timestamp\)/);
    assert.match(t!.q, /`browser` LowCardinality\(String\)/);
    assert.match(t!.q, /TTL toDateTime\(timestamp\) \+ toIntervalMonth\(25\)/);
    assert.match(t!.q, /non_replicated_deduplication_window = 10000/);
  });

  it('sets the retention the operator configured on every analytics table', async () => {
    await applyRetention(ch, 14);
    const rows = await queryRows<{ name: string; q: string }>(ch,
      "SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name IN ('events', 'product_events', 'ingest_drops')");
    assert.equal(rows.length, 3);
    for (const r of rows) assert.match(r.q, /toIntervalMonth\(14\)/, r.name);
  });

  it('drops events older than the retention', async () => {
    await ch.command({ query: "INSERT INTO events (site_id, event_id, timestamp, name) VALUES ('s', generateUUIDv4(), now64(3) - INTERVAL 15 MONTH, 'pageview'), ('s', generateUUIDv4(), now64(3), 'pageview')" });
    await ch.command({ query: 'OPTIMIZE TABLE events FINAL' });
    const [row] = await queryRows<{ c: string }>(ch, 'SELECT count() AS c FROM events');
    assert.equal(Number(row!.c), 1);
  });

  it('keeps events again by page (migration 015), so the visits that viewed a page are read from its granules alone; a DELETE still works', async () => {
    await ch.command({ query: `INSERT INTO events (site_id, event_id, timestamp, name, pathname, session_id)
      SELECT 'p', generateUUIDv4(), now64(3) - INTERVAL (number % 1000) MINUTE, 'pageview', concat('/page-', toString(number % 500)), number FROM numbers(200000)` });
    const sql = `SELECT session_id FROM events WHERE site_id = 'p' AND timestamp >= now64(3) - INTERVAL 1 DAY AND timestamp < now64(3) + INTERVAL 1 DAY
      AND name != 'engagement' AND pathname IN ['/page-7']`;
    const plan = (await queryRows<{ explain: string }>(ch, `EXPLAIN indexes = 1, projections = 1 ${sql}`)).map((r) => r.explain).join('\n');
    assert.match(plan, /ReadFromMergeTree \(events_by_page\)/);
    assert.equal((await queryRows(ch, sql)).length, 400);
    await ch.command({ query: "DELETE FROM events WHERE site_id = 'p' AND pathname = '/page-7'" });
    assert.equal((await queryRows(ch, sql)).length, 0, 'deleted rows are gone from the projection too');
  });
});
