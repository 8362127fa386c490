import { randomInt } from 'node:crypto';
import { exec, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { deleteFrom } from '../../core/cluster.ts';
import { forgetFilterRollup } from '../../core/filter-rollup-state.ts';
import { VISIT_LINK_WINDOW_MS } from '../../core/ingest-stream.ts';
import { normaliseDomain, RegistryError, type Product, type Registry, type Site } from '../../core/registry.ts';
import { FeatureCatalog } from '../../dashboard/api/features/catalog.ts';
import { birthWeeks, CHUNK_EVENTS, chunks, DAY, localDay, periodStart } from './plan.ts';
import { DEMO_PRODUCTS, productCountSql, productInsertSql } from './products.ts';
import { countSql, eventsInsertSql, scratchSql, sessionsInsertSql } from './web-insert.ts';

/**
 * `vigil demo`: a demo site and two demo products filled with months of synthetic traffic, generated inside ClickHouse
 * (INSERT ... SELECT from numbers(), no rows built in JS). A new run replaces the previous demo data.
 */
export interface DemoOptions { events: number; months: number; domain: string }
export interface DemoProgress { done: number; total: number }
export interface DemoResult {
  site: Site;
  products: Array<Product & { events: number }>;
  /** Rows in `events` for the site, and its visits. */
  events: number;
  visits: number;
  seconds: number;
}

export const DEMO_DEFAULTS: DemoOptions = { events: 3_000_000, months: 6, domain: 'demo.vigil.example' };
export const DEMO_TIMEZONE = 'Europe/Berlin';
export const DEMO_LIMITS = { events: [1_000, 50_000_000], months: [1, 24] } as const;
/** Product events generated per site event. */
const PRODUCT_SHARE = 0.3;
const SCRATCH = 'vigil_demo_visits';

/**
 * Domains reserved for examples and tests (RFC 2606/6761): a demo can never overwrite the data of a real site, since
 * a re-run deletes everything stored for its domain.
 */
const RESERVED_TLD = /\.(example|test|invalid|localhost)$/;

export class DemoError extends Error {}

/** Checks and completes options from a request or the command line. */
export function demoOptions(input: { events?: unknown; months?: unknown; domain?: unknown }): DemoOptions {
  const int = (v: unknown, name: 'events' | 'months') => {
    if (v === undefined) return DEMO_DEFAULTS[name];
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    const [min, max] = DEMO_LIMITS[name];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new DemoError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  if (input.domain !== undefined && typeof input.domain !== 'string') throw new DemoError('domain must be a string');
  let domain: string;
  try {
    domain = normaliseDomain((input.domain as string | undefined) ?? DEMO_DEFAULTS.domain);
  } catch (err) {
    throw new DemoError((err as Error).message);
  }
  if (!RESERVED_TLD.test(domain)) {
    throw new DemoError(`the demo replaces all data of its site, so its domain must end in .example, .test, .invalid or .localhost (got ${domain})`);
  }
  return { events: int(input.events, 'events'), months: int(input.months, 'months'), domain };
}

/** The demo site and products, created when missing, and the products' feature catalogs (features added when missing). */
export async function ensureDemoEntities(ch: ClickHouseClient, registry: Registry, domain: string): Promise<{ site: Site; products: Product[] }> {
  const site = (await registry.listSites()).find((s) => s.domain === domain)
    ?? await registry.addSite({ domain, timezone: DEMO_TIMEZONE });
  const products: Product[] = [];
  const catalog = new FeatureCatalog(ch);
  for (const demo of DEMO_PRODUCTS) {
    let product: Product;
    try {
      product = await registry.requireProduct(demo.name);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      product = (await registry.addProduct(demo.name)).product;
    }
    const known = new Set((await catalog.list(product.productId)).map((f) => f.name.toLowerCase()));
    for (const f of demo.features.filter((x) => !known.has(x.name.toLowerCase()))) {
      await catalog.save(product.productId, { name: f.name, description: f.description, events: f.events.map((e) => e[0]) });
    }
    products.push(product);
  }
  return { site, products };
}

/**
 * For tests and benchmarks: a fixed seed and end of the period make a run reproducible; `productEvents` sizes the
 * products' usage apart from the site's (by default PRODUCT_SHARE of `events`), for a store of many product events.
 */
export interface DemoRunOptions { signal?: AbortSignal; seed?: number; now?: number; productEvents?: number }

export async function runDemo(ch: ClickHouseClient, registry: Registry, opts: DemoOptions,
  onProgress: (p: DemoProgress) => void = () => {}, run: DemoRunOptions = {}): Promise<DemoResult> {
  const started = Date.now();
  const { site: found, products } = await ensureDemoEntities(ch, registry, opts.domain);
  // Every visit is rewritten below, linked to its visitor's previous one (see sessionsInsertSql), and every event
  // stamped with its visit (eventsInsertSql).
  const site = found.visitsLinkedSince || found.visitsStampedSince
    ? await registry.setStoredSince(found.domain, { visitsLinkedSince: 0, visitsStampedSince: 0 }) : found;
  const productIds = products.map((p) => p.productId);
  await exec(ch, `${deleteFrom(ch, 'events')} WHERE site_id = {s:String}`, { s: site.siteId });
  await exec(ch, `${deleteFrom(ch, 'sessions')} WHERE site_id = {s:String}`, { s: site.siteId });
  // The rollups' views only ever add: rows deleted above must go from them too (core/migrations/008_rollups.sql).
  await exec(ch, `${deleteFrom(ch, 'visit_rollup')} WHERE site_id = {s:String}`, { s: site.siteId });
  await exec(ch, `${deleteFrom(ch, 'visit_totals')} WHERE site_id = {s:String}`, { s: site.siteId });
  await exec(ch, `${deleteFrom(ch, 'event_rollup')} WHERE site_id = {s:String}`, { s: site.siteId });
  await exec(ch, `${deleteFrom(ch, 'event_props')} WHERE site_id = {s:String}`, { s: site.siteId });
  await forgetFilterRollup(ch, site.siteId);
  await exec(ch, `${deleteFrom(ch, 'product_events')} WHERE product_id IN {p:Array(String)}`, { p: productIds });
  await exec(ch, `${deleteFrom(ch, 'product_daily')} WHERE product_id IN {p:Array(String)}`, { p: productIds });
  await exec(ch, `${deleteFrom(ch, 'product_attr_daily')} WHERE product_id IN {p:Array(String)}`, { p: productIds });

  const now = run.now ?? Date.now();
  const from = periodStart(now, opts.months);
  const tz = site.timezone;
  const [fromDay, lastDay] = [localDay(from, tz), localDay(now, tz)];
  const seed = run.seed ?? randomInt(1, 2 ** 31);
  const common = { seed, tz, from, now, lastDay, site: site.siteId, domain: site.domain };
  // Visitors born up to 8 weeks before the period make its first weeks' returning visits.
  const web = { ...common, ...birthWeeks(fromDay - 56, lastDay, fromDay, seed, 0.55) };
  const app = { ...common, ...birthWeeks(fromDay, lastDay, fromDay, seed + 1, 0.3), firstDay: fromDay };
  const window = (c0: number, c1: number) => ({ c0, c1, d0: Math.floor(c0 / DAY), d1: Math.floor((c1 - 1) / DAY) });

  // Size the run from samples: events per visitor, per install.
  const sample = async (sql: string, params: Record<string, unknown>, n: number) =>
    Number((await queryRows<{ events: string }>(ch, sql, { ...params, k0: 0, n }))[0]?.events ?? 0) / n;
  const perVisitor = await sample(countSql(site.domain), { ...web, ...window(from, now + 1) }, 20_000);
  const visitors = Math.max(1, Math.ceil(opts.events / Math.max(perVisitor, 0.01)));
  const plans = await Promise.all(DEMO_PRODUCTS.map(async (p, index) => {
    const [r2, r3] = p.releases.map((f) => fromDay + Math.round(f * (lastDay - fromDay)));
    const params = { ...app, product: productIds[index]!, r2, r3 };
    const target = Math.round((run.productEvents ?? opts.events * PRODUCT_SHARE) * p.share);
    const installs = Math.max(1, Math.ceil(target / Math.max(await sample(productCountSql(p, index), params, 5_000), 0.01)));
    return { product: p, index, params, target, installs };
  }));
  const total = opts.events + plans.reduce((a, p) => a + p.target, 0);
  let done = 0;
  const step = (events: number) => {
    if (run.signal?.aborted) throw new DemoError('stopped: the client went away');
    done = Math.min(total, done + events);
    onProgress({ done: Math.round(done), total });
  };
  onProgress({ done: 0, total });

  // The site, a chunk of time at a time: visits into a scratch table, then sessions and events from it.
  try {
    for (const [c0, c1] of chunks(from, now, opts.events)) {
      const params = { ...web, ...window(c0, c1), k0: 0, n: visitors, linkWindow: VISIT_LINK_WINDOW_MS };
      await exec(ch, `DROP TABLE IF EXISTS ${SCRATCH}`);
      await exec(ch, scratchSql(SCRATCH, site.domain), params);
      const [n] = await queryRows<{ n: string }>(ch, `SELECT sum(length(ev_ts)) AS n FROM ${SCRATCH}`);
      const events = Number(n?.n ?? 0);
      step(events * 0.45);
      await exec(ch, sessionsInsertSql(SCRATCH), params);
      step(events * 0.1);
      await exec(ch, eventsInsertSql(SCRATCH), params);
      step(events * 0.45);
    }
  } finally {
    await exec(ch, `DROP TABLE IF EXISTS ${SCRATCH}`);
  }

  // The products, a range of installs at a time.
  for (const plan of plans) {
    const size = Math.ceil(plan.installs / Math.ceil(plan.target / CHUNK_EVENTS));
    for (let k0 = 0; k0 < plan.installs; k0 += size) {
      const n = Math.min(size, plan.installs - k0);
      await exec(ch, productInsertSql(plan.product, plan.index), { ...plan.params, k0, n });
      step((n / plan.installs) * plan.target);
    }
  }

  await forgetFilterRollup(ch, site.siteId);
  await registry.reload(); // this process's sites no longer name the dropped days as rolled
  const [counts] = await queryRows<{ events: string; visits: string }>(ch,
    `SELECT (SELECT count() FROM events WHERE site_id = {s:String}) AS events,
      (SELECT sum(sign) FROM sessions WHERE site_id = {s:String}) AS visits`, { s: site.siteId });
  const perProduct = new Map((await queryRows<{ product_id: string; n: string }>(ch,
    'SELECT product_id, count() AS n FROM product_events WHERE product_id IN {p:Array(String)} GROUP BY product_id', { p: productIds }))
    .map((r) => [r.product_id, Number(r.n)]));
  onProgress({ done: total, total });
  return {
    site,
    products: products.map((p) => ({ ...p, events: perProduct.get(p.productId) ?? 0 })),
    events: Number(counts?.events ?? 0),
    visits: Number(counts?.visits ?? 0),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}
