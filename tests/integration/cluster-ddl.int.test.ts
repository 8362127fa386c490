import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { insertRows, openClickHouse, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { clusterStatements, deleteFrom, localName, mutationTarget, TABLE_LAYOUT, withCluster } from '../../core/cluster.ts';
import { ANTITHEFT_MIGRATIONS, backfillStatements, loadMigrations } from '../../core/migrate.ts';

/**
 * No ClickHouse server can run here, so the cluster form of the schema is checked as far as one machine can: every
 * migration statement rendered for a cluster is parsed by the embedded engine (formatQuery), and its shape is
 * checked (docs/scale-out.md says what this leaves to a real cluster).
 */
const CLUSTER = 'vigil_cluster';
const AT = { cluster: CLUSTER, database: 'vigil' };
const MIGRATIONS = [...loadMigrations(), ...loadMigrations(ANTITHEFT_MIGRATIONS.dir)];
const BACKFILL = /^BACKFILL\s+(\S+)\s+FROM\s+(\S+)$/i;
const MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\S+) ON CLUSTER \S+ TO (\S+) AS\n([\s\S]*)$/;

/** Every statement of every migration in cluster form, in order, BACKFILLs expanded with their view's query. */
function renderAll(): { migration: string; sql: string }[] {
  const views = new Map<string, string>();
  const out: { migration: string; sql: string }[] = [];
  const schemaTables = ['schema_migrations', 'antitheft.schema_migrations'].map((t) => `CREATE TABLE IF NOT EXISTS ${t} (version UInt32, name String, applied_at DateTime DEFAULT now())
    ENGINE = ReplacingMergeTree ORDER BY version`);
  for (const s of schemaTables) for (const sql of clusterStatements(s, AT)) out.push({ migration: 'schema_migrations', sql });
  for (const m of MIGRATIONS) {
    for (const statement of m.statements) {
      for (const sql of clusterStatements(statement, AT)) {
        const mv = MV.exec(sql);
        if (mv) views.set(mv[1]!, mv[3]!);
        const b = BACKFILL.exec(sql);
        if (b) {
          const select = views.get(b[2]!);
          assert.ok(select, `${m.name}: BACKFILL of a view not created before it`);
          for (const s of backfillStatements(b[1]!, select, CLUSTER)) out.push({ migration: m.name, sql: s });
        } else if (!/^SITE\s+ZONES$/i.test(sql)) {
          out.push({ migration: m.name, sql });
        }
      }
    }
  }
  return out;
}

describe('the schema in cluster form (CLICKHOUSE_CLUSTER), checked by parsing in the embedded engine', () => {
  let ch: ClickHouseClient;
  let dir: string;
  const rendered = renderAll();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
    ch = await openClickHouse({ dataDir: dir, clickhouse: { username: 'default', password: '', database: 'default' } });
  });
  after(async () => { await ch.close(); rmSync(dir, { recursive: true, force: true }); });

  it('parses every statement of every migration in cluster form', async () => {
    assert.ok(rendered.length > 60, `${rendered.length} statements`);
    for (const { migration, sql } of rendered) {
      const [row] = await queryRows<{ f: string }>(ch, 'SELECT formatQuery({q:String}) AS f', { q: sql });
      assert.ok(row!.f.length > 0, `${migration}: ${sql.slice(0, 80)}`);
    }
  });

  it('names the cluster in every DDL statement, so each runs on every node', () => {
    for (const { migration, sql } of rendered.filter((r) => !/^INSERT\b/.test(r.sql))) {
      assert.match(sql, new RegExp(`\\bON CLUSTER ${CLUSTER}\\b`), `${migration}: ${sql.slice(0, 80)}`);
    }
  });

  it('spreads each sharded table over replicated local tables, under {shard} and {replica}, behind a Distributed table with its key', () => {
    const creates = rendered.filter((r) => /^CREATE TABLE/.test(r.sql));
    for (const [table, layout] of Object.entries(TABLE_LAYOUT)) {
      const own = creates.filter((r) => r.sql.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `) || r.sql.startsWith(`CREATE TABLE IF NOT EXISTS ${localName(table)} `));
      assert.ok(own.length > 0, `${table} is created by a migration`);
      if ('everyNode' in layout) {
        assert.equal(own.length, 1, table);
        assert.match(own[0]!.sql, /ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/all\/\{database\}\/\{table\}', '\{replica\}'/, table);
        assert.doesNotMatch(own[0]!.sql, /\{shard\}|Distributed/, table);
        continue;
      }
      const local = own.find((r) => r.sql.startsWith(`CREATE TABLE IF NOT EXISTS ${localName(table)} `));
      const dist = own.find((r) => r.sql.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `));
      assert.match(local!.sql, /ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/, table);
      assert.doesNotMatch(local!.sql, /non_replicated_deduplication_window/, table);
      const name = table.split('.').at(-1)!;
      const db = table.includes('.') ? table.split('.')[0] : 'vigil';
      assert.ok(dist!.sql.endsWith(`AS ${localName(table)}\nENGINE = Distributed(${CLUSTER}, '${db}', '${name}_local', ${layout.shardBy})`), `${table}: ${dist!.sql}`);
    }
  });

  it('keeps a visitor\'s visits, events and event properties on one shard (one key for all three)', () => {
    const keys = ['events', 'sessions', 'event_props'].map((t) => (TABLE_LAYOUT[t] as { shardBy: string }).shardBy);
    assert.deepEqual(new Set(keys), new Set(['cityHash64(site_id, visitor_id)']));
  });

  it('has every node\'s materialized views read and fill its own local tables', () => {
    const views = rendered.filter((r) => r.sql.startsWith('CREATE MATERIALIZED VIEW'));
    assert.ok(views.length >= 8);
    for (const { migration, sql } of views) {
      const [, , target, select] = MV.exec(sql)!;
      assert.ok(target!.endsWith('_local'), `${migration}: ${target}`);
      for (const [, t] of select!.matchAll(/\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)/g)) {
        const layout = TABLE_LAYOUT[t!.replace(/_local$/, '')];
        if (layout && 'shardBy' in layout) assert.ok(t!.endsWith('_local'), `${migration}: reads ${t} through the Distributed table`);
      }
    }
  });

  it('backfills a rollup through the Distributed tables after emptying each node\'s local rows', () => {
    const [truncate, insert] = backfillStatements('visit_rollup', 'SELECT site_id FROM sessions_local AS s ASOF LEFT JOIN site_zones AS z ON 1', CLUSTER);
    assert.equal(truncate, `TRUNCATE TABLE visit_rollup_local ON CLUSTER ${CLUSTER}`);
    assert.match(insert!, /^INSERT INTO visit_rollup SELECT site_id FROM sessions AS s ASOF LEFT JOIN site_zones AS z ON 1 SETTINGS insert_deduplicate = 0, .*distributed_foreground_insert = 1$/);
    // As the server keeps a view's query: with the database written in.
    const [, stored] = backfillStatements('event_props', 'SELECT site_id FROM vigil.events_local ARRAY JOIN x', CLUSTER);
    assert.match(stored!, /^INSERT INTO event_props SELECT site_id FROM vigil\.events ARRAY JOIN x SETTINGS/);
  });

  it('refuses a kind of statement it has no cluster form for, and a table without a layout', () => {
    assert.throws(() => clusterStatements('OPTIMIZE TABLE events FINAL', AT), /no cluster form/);
    assert.throws(() => clusterStatements('CREATE TABLE IF NOT EXISTS mystery (a UInt8) ENGINE = MergeTree ORDER BY a', AT), /mystery has no cluster layout/);
    assert.throws(() => clusterStatements('DROP VIEW IF EXISTS v', { cluster: 'bad-name', database: 'vigil' }), /letters, digits and _/);
  });

  it('deletes and changes TTLs on each node\'s local rows of a spread table, and on the replicated table itself otherwise', async () => {
    const cluster = withCluster(ch, CLUSTER);
    assert.equal(deleteFrom(cluster, 'events'), `DELETE FROM events_local ON CLUSTER ${CLUSTER}`);
    assert.equal(deleteFrom(cluster, 'antitheft.reports'), `DELETE FROM antitheft.reports_local ON CLUSTER ${CLUSTER}`);
    assert.equal(deleteFrom(cluster, 'accounts'), 'DELETE FROM accounts');
    assert.equal(deleteFrom(ch, 'events'), 'DELETE FROM events');
    assert.deepEqual(mutationTarget(cluster, 'sessions'), { table: 'sessions_local', on: ` ON CLUSTER ${CLUSTER}` });
    const [row] = await queryRows<{ f: string }>(ch, 'SELECT formatQuery({q:String}) AS f', { q: `${deleteFrom(cluster, 'events')} WHERE site_id = 'a'` });
    assert.equal(row!.f, `DELETE FROM events_local ON CLUSTER ${CLUSTER} WHERE site_id = 'a'`);
  });

  it('has an insert on a cluster wait for the shards\' replicas, keeping its deduplication token', async () => {
    const sent: string[] = [];
    const capture = new Proxy(withCluster(ch, CLUSTER), {
      get(target, prop, receiver) {
        if (prop === 'insert') return async (p: { table: string }) => { sent.push(p.table); };
        return Reflect.get(target, prop, receiver);
      },
    });
    await insertRows(capture, 'events', [{ site_id: 'a' }], 'drain:1-0');
    assert.deepEqual(sent, ["events SETTINGS insert_deduplication_token = 'drain:1-0', distributed_foreground_insert = 1, insert_quorum = 'auto'"]);
    const [row] = await queryRows<{ f: string }>(ch, 'SELECT formatQuery({q:String}) AS f', { q: `INSERT INTO ${sent[0]} FORMAT JSONEachRow` });
    assert.match(row!.f, /insert_quorum = 'auto'/);
  });
});
