import type { ClickHouseClient } from '@clickhouse/client';

/**
 * The store on a ClickHouse cluster (CLICKHOUSE_CLUSTER=name, docs/scale-out.md). Each table of the migrations lives
 * in one of two ways, declared here once:
 * - spread over the shards (`shardBy`): `<t>_local` on every node, Replicated*MergeTree under {shard}/{replica}, and
 *   `<t>`, a Distributed table over them, which every query and insert names as on one machine. Visit data is spread
 *   by site and visitor, so a visitor's visits and events share a shard: a visit's events meet it on its own shard
 *   and each shard's distinct counts are of its own visitors. Rollups are filled on each shard by views on the local
 *   tables; a read merges the shards' sums and sketches as it merges parts.
 * - on every node (`everyNode`): registry and state tables, small and read on every request: one Replicated*MergeTree
 *   that every node holds a replica of, read locally.
 * The migrations stay single-node SQL; `clusterStatements` renders each statement in cluster form.
 */
export type TableLayout = { shardBy: string } | { everyNode: true };

const VISITOR = { shardBy: 'cityHash64(site_id, visitor_id)' };
const SITE = { shardBy: 'cityHash64(site_id)' };
const PRODUCT = { shardBy: 'cityHash64(product_id)' };
const EVERY_NODE = { everyNode: true } as const;

export const TABLE_LAYOUT: Record<string, TableLayout> = {
  events: VISITOR,
  sessions: VISITOR,
  event_props: VISITOR,
  product_events: { shardBy: 'cityHash64(product_id, install_id)' },
  // Filled on each shard by views on the local tables (or the worker's filter rollup, through the Distributed table).
  visit_rollup: SITE,
  visit_totals: SITE,
  event_rollup: SITE,
  visit_filter_rollup: SITE,
  event_filter_rollup: SITE,
  product_daily: PRODUCT,
  product_attr_daily: PRODUCT,
  ingest_drops: SITE,
  schema_migrations: EVERY_NODE,
  sites: EVERY_NODE,
  products: EVERY_NODE,
  api_keys: EVERY_NODE,
  accounts: EVERY_NODE,
  memberships: EVERY_NODE,
  share_links: EVERY_NODE,
  product_features: EVERY_NODE,
  site_zones: EVERY_NODE,
  filter_rollup_state: EVERY_NODE,
  // Anti-theft: an owner's reports and snapshots on one shard; keys and devices on every node.
  'antitheft.schema_migrations': EVERY_NODE,
  'antitheft.owner_keys': EVERY_NODE,
  'antitheft.devices': EVERY_NODE,
  'antitheft.server_keys': EVERY_NODE,
  'antitheft.reports': { shardBy: 'cityHash64(owner_id, device_id)' },
  'antitheft.snapshots': { shardBy: 'cityHash64(owner_id, device_id)' },
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isClusterName = (name: string): boolean => NAME.test(name);

export function layoutOf(table: string): TableLayout {
  const layout = TABLE_LAYOUT[table];
  if (!layout) throw new Error(`table ${table} has no cluster layout: add it to TABLE_LAYOUT (core/cluster.ts)`);
  return layout;
}
const sharded = (table: string): boolean => 'shardBy' in layoutOf(table);
/** The name of a spread table's part on each node (`antitheft.reports` -> `antitheft.reports_local`). */
export const localName = (table: string): string => `${table}_local`;

const CLUSTER = Symbol('vigil.cluster');
/** The client of a cluster: statements that name a node's own tables (DDL, DELETE) take the cluster form. */
export function withCluster(ch: ClickHouseClient, cluster: string): ClickHouseClient {
  if (!isClusterName(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)}: letters, digits and _ only`);
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === CLUSTER) return cluster;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
export const clusterOf = (ch: ClickHouseClient): string | undefined => (ch as unknown as Record<symbol, string | undefined>)[CLUSTER];

/**
 * Per-request settings of a report on a cluster (a server keeps them to the request; the embedded engine, which
 * would keep them, is never a cluster): a subquery over a spread table inside a query over another (`session_id IN
 * (SELECT ... FROM events)`) is run once and its result sent to every shard (GLOBAL), which holds whatever the
 * tables' keys; ClickHouse refuses such a query by default.
 */
export function clusterReadSettings(ch: ClickHouseClient): { clickhouse_settings?: { distributed_product_mode: 'global' } } {
  return clusterOf(ch) ? { clickhouse_settings: { distributed_product_mode: 'global' } } : {};
}

/**
 * The table a mutation or a TTL change acts on, with its ON CLUSTER clause: on a cluster a spread table's rows are in
 * its local parts (a Distributed table holds none), an every-node table is one replicated table.
 */
export function mutationTarget(ch: ClickHouseClient, table: string): { table: string; on: string } {
  const cluster = clusterOf(ch);
  if (!cluster) return { table, on: '' };
  return sharded(table) ? { table: localName(table), on: ` ON CLUSTER ${cluster}` } : { table, on: '' };
}

/** `DELETE FROM <table>` in the form the store takes (a lightweight delete on each shard's rows on a cluster). */
export function deleteFrom(ch: ClickHouseClient, table: string): string {
  const t = mutationTarget(ch, table);
  return `DELETE FROM ${t.table}${t.on}`;
}

const TABLE_REF = '([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)?)';
const CREATE_TABLE = new RegExp(`^CREATE TABLE IF NOT EXISTS ${TABLE_REF}\\s*\\(([\\s\\S]*)\\)\\s*ENGINE\\s*=\\s*(\\w*MergeTree)(?:\\(([^)]*)\\))?([\\s\\S]*)$`);
const CREATE_MV = new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLE_REF}\\s+TO\\s+${TABLE_REF}\\s+AS\\s+([\\s\\S]*)$`);
const CREATE_VIEW = new RegExp(`^(CREATE (?:OR REPLACE )?VIEW (?:IF NOT EXISTS )?)${TABLE_REF}(\\s+AS\\s+[\\s\\S]*)$`);
const DROP_VIEW = new RegExp(`^DROP VIEW IF EXISTS ${TABLE_REF}$`);
const ALTER = new RegExp(`^ALTER TABLE ${TABLE_REF}\\s+([\\s\\S]*)$`);
const TRUNCATE = new RegExp(`^TRUNCATE TABLE (IF EXISTS )?${TABLE_REF}$`);
const CREATE_DATABASE = /^CREATE DATABASE IF NOT EXISTS ([A-Za-z_][A-Za-z0-9_]*)$/;
const INSERT_SELECT = new RegExp(`^INSERT INTO ${TABLE_REF}\\s+SELECT\\b`);
const PSEUDO = /^(SITE\s+ZONES|BACKFILL\s+\S+\s+FROM\s+\S+)$/i;
/** Column changes reach the Distributed table too, which must show the same columns as its local tables. */
const COLUMN_CHANGE = /^(ADD|MODIFY|DROP|RENAME|COMMENT) COLUMN\b/i;

/**
 * The layout name of a table as a query names it: the server writes the database into a stored view's query
 * (`vigil.sessions_local`), the migrations do not; `antitheft.` is part of those tables' names.
 */
const layoutKey = (ref: string): string | null => {
  if (TABLE_LAYOUT[ref]) return ref;
  const bare = ref.includes('.') ? ref.slice(ref.indexOf('.') + 1) : ref;
  return TABLE_LAYOUT[bare] ? bare : null;
};
const isSpread = (ref: string) => { const k = layoutKey(ref); return k !== null && sharded(k); };

/** Reads of spread tables in a view's query name their local tables: each node's view reads its own rows. */
function localReads(select: string): string {
  return select.replace(new RegExp(`\\b(FROM|JOIN)\\s+${TABLE_REF}\\b`, 'g'), (m, kw: string, t: string) =>
    (isSpread(t) ? `${kw} ${localName(t)}` : m));
}
/** The inverse, for a backfill that reads through the Distributed tables (runMigrationStatement). */
export function distributedReads(select: string): string {
  return select.replace(new RegExp(`\\b(FROM|JOIN)\\s+${TABLE_REF}_local\\b`, 'g'), (m, kw: string, t: string) =>
    (isSpread(t) ? `${kw} ${t}` : m));
}

const dbAndName = (table: string) => (table.includes('.') ? table.split('.') as [string, string] : [null, table] as const);

/**
 * One migration statement in cluster form: a statement list to run in order. Only the kinds of statement the
 * migrations use are known; any other is refused, so a new kind gets its cluster form before it can ship.
 */
export function clusterStatements(statement: string, { cluster, database }: { cluster: string; database: string }): string[] {
  if (!isClusterName(cluster)) throw new Error(`cluster name ${JSON.stringify(cluster)}: letters, digits and _ only`);
  if (!isClusterName(database)) throw new Error(`database name ${JSON.stringify(database)}: letters, digits and _ only`);
  const on = `ON CLUSTER ${cluster}`;
  const s = statement.trim();
  let m: RegExpExecArray | null;
  if (PSEUDO.test(s)) return [s];
  if ((m = CREATE_DATABASE.exec(s))) return [`CREATE DATABASE IF NOT EXISTS ${m[1]} ${on}`];
  if ((m = CREATE_TABLE.exec(s))) {
    const [, table, columns, engine, args, rest] = m as unknown as [string, string, string, string, string | undefined, string];
    const layout = layoutOf(table);
    // Replicated tables keep their own deduplication window (insert tokens), not the single-node one.
    const settings = rest.replace(/\bnon_replicated_deduplication_window\b/, 'replicated_deduplication_window');
    const [db, name] = dbAndName(table);
    const replicated = (path: string) => `Replicated${engine}('${path}', '{replica}'${args?.trim() ? `, ${args.trim()}` : ''})`;
    if ('everyNode' in layout) {
      return [`CREATE TABLE IF NOT EXISTS ${table} ${on} (${columns})\nENGINE = ${replicated('/clickhouse/tables/all/{database}/{table}')}${settings}`];
    }
    const local = localName(table);
    return [
      `CREATE TABLE IF NOT EXISTS ${local} ${on} (${columns})\nENGINE = ${replicated('/clickhouse/tables/{shard}/{database}/{table}')}${settings}`,
      `CREATE TABLE IF NOT EXISTS ${table} ${on} AS ${local}\nENGINE = Distributed(${cluster}, '${db ?? database}', '${name}_local', ${layout.shardBy})`,
    ];
  }
  if ((m = CREATE_MV.exec(s))) {
    const [, view, target, select] = m as unknown as [string, string, string, string];
    return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${view} ${on} TO ${sharded(target) ? localName(target) : target} AS\n${localReads(select)}`];
  }
  if ((m = CREATE_VIEW.exec(s))) return [`${m[1]}${m[2]} ${on}${m[3]}`];
  if ((m = DROP_VIEW.exec(s))) return [`DROP VIEW IF EXISTS ${m[1]} ${on}`];
  if ((m = TRUNCATE.exec(s))) {
    const [, ifExists = '', table] = m as unknown as [string, string | undefined, string];
    return [`TRUNCATE TABLE ${ifExists}${sharded(table) ? localName(table) : table} ${on}`];
  }
  if ((m = ALTER.exec(s))) {
    const [, table, action] = m as unknown as [string, string, string];
    if (!sharded(table)) return [`ALTER TABLE ${table} ${on} ${action}`];
    const local = `ALTER TABLE ${localName(table)} ${on} ${action}`;
    return COLUMN_CHANGE.test(action) ? [local, `ALTER TABLE ${table} ${on} ${action}`] : [local];
  }
  // An INSERT ... SELECT goes through the Distributed table (or the every-node table's replication) as it is.
  if ((m = INSERT_SELECT.exec(s))) { layoutOf(m[1]!); return [s]; }
  throw new Error(`no cluster form for this migration statement: ${s.slice(0, 80)}`);
}
