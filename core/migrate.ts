import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, queryRows, type ClickHouseClient } from './clickhouse.ts';
import { clusterOf, clusterStatements, distributedReads, localName, mutationTarget } from './cluster.ts';
import type { Logger } from './log.ts';
import { writeMissingSiteZones } from './site-zones.ts';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
/** The anti-theft database's own migrations, applied with its own client (a user granted only that database). */
export const ANTITHEFT_MIGRATIONS = { dir: join(MIGRATIONS_DIR, 'antitheft'), table: 'antitheft.schema_migrations' } as const;
const ANALYTICS_MIGRATIONS = { dir: MIGRATIONS_DIR, table: 'schema_migrations' } as const;
/** Tables whose rows expire with the analytics retention. */
const RETAINED_TABLES = [
  { table: 'events', expr: 'toDateTime(timestamp)' },
  { table: 'product_events', expr: 'toDateTime(timestamp)' },
  { table: 'ingest_drops', expr: 'day' },
  { table: 'sessions', expr: 'toDateTime(start)' },
  { table: 'visit_rollup', expr: 'bucket' },
  { table: 'visit_totals', expr: 'bucket' },
  { table: 'event_rollup', expr: 'bucket' },
  { table: 'visit_filter_rollup', expr: 'bucket' },
  { table: 'event_filter_rollup', expr: 'bucket' },
  { table: 'product_daily', expr: 'toDateTime(day)' },
  { table: 'product_attr_daily', expr: 'toDateTime(day)' },
  { table: 'event_props', expr: 'toDateTime(timestamp)' },
] as const;

export interface Migration { version: number; name: string; statements: string[] }

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8').replace(/^\s*--.*$/gm, '');
      return {
        version: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ''),
        statements: sql.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter(Boolean),
      };
    });
}

/** Applies the migrations not yet recorded. Every statement is idempotent, so two processes racing here is harmless. */
export async function migrate(ch: ClickHouseClient, log?: Logger, set: { dir: string; table: string } = ANALYTICS_MIGRATIONS): Promise<number[]> {
  // set.table is one of our two constants above, never input. On a cluster, once it exists here nothing is sent to
  // every node: a start with nothing to migrate does not wait for a node that is down.
  const [db, name] = set.table.includes('.') ? set.table.split('.') : [null, set.table];
  const [have] = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM system.tables WHERE database = if({db:String} = \'\', currentDatabase(), {db:String}) AND name = {t:String}',
    { db: db ?? '', t: name });
  if (!clusterOf(ch) || Number(have!.n) === 0) {
    await runMigrationStatement(ch, `CREATE TABLE IF NOT EXISTS ${set.table} (version UInt32, name String, applied_at DateTime DEFAULT now())
    ENGINE = ReplacingMergeTree ORDER BY version`);
  }
  const done = new Set((await queryRows<{ version: number }>(ch, `SELECT version FROM ${set.table} FINAL`)).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of loadMigrations(set.dir)) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) await runMigrationStatement(ch, statement);
    await ch.insert({ table: set.table, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    applied.push(m.version);
    log?.info({ migration: m.name }, 'applied migration');
  }
  return applied;
}

/**
 * `BACKFILL <table> FROM <view>` in a migration: empties the materialized view's table, then fills it from the rows
 * stored before the view existed with the view's own query, read back from the store (system.tables.as_select), so a
 * migration states that query once. insert_deduplicate = 0: a re-run inserts the same blocks again, which a table's
 * deduplication window would otherwise drop. Run it before any writer starts (`vigil` migrates before its worker):
 * rows inserted meanwhile would be counted by the view and by the backfill.
 */
const BACKFILL = /^BACKFILL\s+([a-z_][a-z0-9_]*)\s+FROM\s+([a-z_][a-z0-9_]*)$/i;

/** How long a migration's ON CLUSTER statement waits for every node before it fails (distributed_ddl_task_timeout). */
export const DDL_WAIT_S = 600;

/** One statement of a migration; on a cluster (core/cluster.ts), in cluster form. */
export async function runMigrationStatement(ch: ClickHouseClient, statement: string): Promise<void> {
  const cluster = clusterOf(ch);
  if (!cluster) return runOne(ch, statement, undefined);
  // The Distributed tables name the database of their local tables (the connection's own).
  const [db] = await queryRows<{ d: string }>(ch, 'SELECT currentDatabase() AS d');
  for (const s of clusterStatements(statement, { cluster, database: db!.d })) await runOne(ch, s, cluster);
}

async function runOne(ch: ClickHouseClient, statement: string, cluster: string | undefined): Promise<void> {
  // `SITE ZONES`: each existing site's UTC offsets into site_zones (core/site-zones.ts), before views look them up.
  if (/^SITE\s+ZONES$/i.test(statement)) return writeMissingSiteZones(ch);
  const backfill = BACKFILL.exec(statement);
  // A server's per-request settings are its own (only the embedded engine keeps them): each DDL waits for every node.
  if (!backfill) return cluster ? void await ch.command({ query: statement, clickhouse_settings: { distributed_ddl_task_timeout: String(DDL_WAIT_S) } }) : exec(ch, statement);
  const [, table, view] = backfill as unknown as [string, string, string];
  const [row] = await queryRows<{ q: string }>(ch, `SELECT as_select AS q FROM system.tables
    WHERE database = currentDatabase() AND name = {v:String} AND engine = 'MaterializedView'`, { v: view });
  if (!row?.q) throw new Error(`BACKFILL ${table} FROM ${view}: there is no materialized view ${view}`);
  for (const s of backfillStatements(table, row.q, cluster)) await runOne(ch, s, cluster);
}

/**
 * The statements of `BACKFILL table FROM view`, given the view's query. The view's GROUP BY over every stored row:
 * past 1 GB of state it spills to disk, so a large store can be migrated on a small machine (a view of four times
 * visit_rollup's rows over the 10 M-event demo: 6.2 GB resident without this, 1.9 GB with it, 261 -> 280 s). On a
 * cluster each node's view reads its local tables; the backfill reads every shard through the Distributed tables
 * and inserts through the target's (its rows spread by the target's key; reads merge shards as they merge parts).
 */
export function backfillStatements(table: string, viewSelect: string, cluster: string | undefined): string[] {
  const settings = 'SETTINGS insert_deduplicate = 0, max_bytes_before_external_group_by = 1000000000';
  if (!cluster) return [`TRUNCATE TABLE ${table}`, `INSERT INTO ${table} ${viewSelect} ${settings}`];
  return [`TRUNCATE TABLE ${localName(table)} ON CLUSTER ${cluster}`,
    `INSERT INTO ${table} ${distributedReads(viewSelect)} ${settings}, distributed_foreground_insert = 1`];
}

/**
 * Keeps each retained table's TTL equal to the configured months. `months` is a validated integer from the operator's
 * config, not client input; DDL cannot take query parameters, so it is formatted here after an integer check.
 */
export async function applyRetention(ch: ClickHouseClient, months: number, log?: Logger): Promise<void> {
  if (!Number.isInteger(months) || months < 1) throw new Error(`retention months must be a positive integer, got ${months}`);
  for (const { table, expr } of RETAINED_TABLES) {
    // On a cluster the rows, and so the TTL, are in each node's local table (core/cluster.ts).
    const target = mutationTarget(ch, table);
    const [row] = await queryRows<{ q: string }>(ch,
      'SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: target.table });
    if (!row || row.q.includes(`toIntervalMonth(${months})`)) continue;
    // materialize_ttl_after_modify = 0: the new TTL applies at the next merges instead of rewriting every part now.
    await exec(ch, `ALTER TABLE ${target.table}${target.on} MODIFY TTL ${expr} + toIntervalMonth(${months}) SETTINGS materialize_ttl_after_modify = 0`);
    log?.info({ table, months }, 'retention changed');
  }
}

/** Anti-theft reports and snapshots expire this many days after they were received (ANTITHEFT_RETENTION_DAYS). */
export async function applyAntitheftRetention(ch: ClickHouseClient, days: number, log?: Logger): Promise<void> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`retention days must be a positive integer, got ${days}`);
  for (const table of ['reports', 'snapshots'] as const) {
    const target = mutationTarget(ch, `antitheft.${table}`);
    const [row] = await queryRows<{ q: string }>(ch,
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'antitheft' AND name = {t:String}", { t: target.table.slice('antitheft.'.length) });
    if (!row || row.q.includes(`toIntervalDay(${days})`)) continue;
    await exec(ch, `ALTER TABLE ${target.table}${target.on} MODIFY TTL toDateTime(received_at) + toIntervalDay(${days}) SETTINGS materialize_ttl_after_modify = 0`);
    log?.info({ table: `antitheft.${table}`, days }, 'anti-theft retention changed');
  }
}
