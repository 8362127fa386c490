import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyInfo, Product as ApiProduct } from './api/manage.ts';
import { queryRows, type ClickHouseClient } from './clickhouse.ts';
import { toChTime } from './event.ts';
import { readRolledDays, type RolledDays } from './filter-rollup-state.ts';
import { writeSiteZone, zoneChangeAt } from './site-zones.ts';

/**
 * Sites, products and product API keys: kept in small ReplacingMergeTree tables (a change is a newer version of the
 * row, read with FINAL) and cached in memory. A lookup that misses reloads at most once a second, so a site added by
 * another process receives events at once; a periodic refresh picks up removals.
 */
export interface Site {
  siteId: string; domain: string; timezone: string; honorDnt: boolean; createdAt: string;
  /** When the time zone last changed (UTC ms; absent or 0: never). Rollup rows before it are in the old zone. */
  timezoneSince?: number;
  /** Since when its visits record the previous visit's start (UTC ms; absent or 0: always). See migration 010. */
  visitsLinkedSince?: number;
  /** Since when its events carry their visit's attributes (UTC ms; absent or 0: always). See migration 012. */
  visitsStampedSince?: number;
  /** The local days rolled up for filtered views (core/filter-rollup-state.ts); absent: none. */
  filtersRolled?: RolledDays;
}
export type Product = Omit<ApiProduct, 'role'>;
export type { ApiKeyInfo };

export class RegistryError extends Error {}

/** What a collector looks up: a site by the domain a snippet names, a product by its API key. */
export interface RegistryLookup {
  siteForDomain(domain: string): Promise<Site | undefined>;
  productForKey(apiKey: string): Promise<Product | undefined>;
}

/** The registry as plain data, for a process that cannot read the store (a collector process, bin/collectors.ts). */
export interface RegistrySnapshot { sites: Site[]; products: Product[]; keys: { hash: string; key: ApiKeyInfo }[] }

/** A snippet's data-domain as sites are keyed: case and 'www.' ignored. */
export const domainKey = (domain: string): string => domain.toLowerCase().replace(/^www\./, '');

const DOMAIN_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function normaliseDomain(input: string): string {
  const d = input.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, '').replace(/^www\./, '').replace(/\.$/, '');
  if (!DOMAIN_RE.test(d)) throw new RegistryError(`"${input}" is not a domain name (for example example.com)`);
  return d;
}

export function isTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; }
}

export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');
const newId = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

interface SiteRow { site_id: string; domain: string; timezone: string; honor_dnt: number; created_at: string; since: string; linked: string; stamped: string }
interface ProductRow { product_id: string; name: string; created_at: string }
interface KeyRow { key_id: string; product_id: string; key_hash: string; prefix: string; created_at: string }

/** The maps a registry looks up in; a lookup that misses calls afterMiss (a reload, or asking for one) and looks again. */
export abstract class RegistryMaps implements RegistryLookup {
  protected sitesByDomain = new Map<string, Site>();
  protected productsById = new Map<string, Product>();
  protected keysByHash = new Map<string, ApiKeyInfo>();
  /** True when the maps may have changed since the miss. */
  protected abstract afterMiss(): Promise<boolean>;

  /** The site a snippet's data-domain names ('www.' and case ignored). */
  async siteForDomain(domain: string): Promise<Site | undefined> {
    const d = domainKey(domain);
    const hit = this.sitesByDomain.get(d);
    if (hit || !(await this.afterMiss())) return hit;
    return this.sitesByDomain.get(d);
  }

  async productForKey(apiKey: string): Promise<Product | undefined> {
    const h = hashApiKey(apiKey);
    let k = this.keysByHash.get(h);
    if (!k && (await this.afterMiss())) k = this.keysByHash.get(h);
    return k ? this.productsById.get(k.productId) : undefined;
  }
}

export class Registry extends RegistryMaps {
  private lastLoad = 0;
  private loading: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly ch: ClickHouseClient, private readonly missReloadMs = 1000) { super(); }

  /** Calls `listener` after every load and every change made here (collector processes get each new snapshot). */
  onChange(listener: () => void): void { this.listeners.push(listener); }
  private changed(): void { for (const l of this.listeners) l(); }

  snapshot(): RegistrySnapshot {
    return { sites: [...this.sitesByDomain.values()], products: [...this.productsById.values()],
      keys: [...this.keysByHash].map(([hash, key]) => ({ hash, key })) };
  }

  /** Loads everything, then refreshes every `refreshMs` until close(). */
  async start(refreshMs = 30_000): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => { this.reload().catch(() => undefined); }, refreshMs);
    this.timer.unref();
  }

  close(): void { if (this.timer) clearInterval(this.timer); }

  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => { this.loading = null; });
    return this.loading;
  }

  private async load(): Promise<void> {
    const [sites, products, keys, rolled] = await Promise.all([
      queryRows<SiteRow>(this.ch, `SELECT site_id, domain, timezone, honor_dnt, created_at, toUnixTimestamp64Milli(timezone_since) AS since,
        toUnixTimestamp64Milli(visits_linked_since) AS linked, toUnixTimestamp64Milli(visits_stamped_since) AS stamped
        FROM sites FINAL WHERE deleted = 0`),
      queryRows<ProductRow>(this.ch, 'SELECT product_id, name, created_at FROM products FINAL WHERE deleted = 0'),
      queryRows<KeyRow>(this.ch, 'SELECT key_id, product_id, key_hash, prefix, created_at FROM api_keys FINAL WHERE revoked = 0'),
      readRolledDays(this.ch),
    ]);
    this.sitesByDomain = new Map(sites.map((s) => [s.domain, { siteId: s.site_id, domain: s.domain, timezone: s.timezone,
      honorDnt: Number(s.honor_dnt) === 1, createdAt: s.created_at, timezoneSince: Number(s.since),
      visitsLinkedSince: Number(s.linked), visitsStampedSince: Number(s.stamped), ...(rolled.has(s.site_id) ? { filtersRolled: rolled.get(s.site_id)! } : {}) }]));
    this.productsById = new Map(products.map((p) => [p.product_id, { productId: p.product_id, name: p.name, createdAt: p.created_at }]));
    this.keysByHash = new Map(keys.filter((k) => this.productsById.has(k.product_id))
      .map((k) => [k.key_hash, { keyId: k.key_id, productId: k.product_id, prefix: k.prefix, createdAt: k.created_at }]));
    this.lastLoad = Date.now();
    this.changed();
  }

  protected async afterMiss(): Promise<boolean> {
    if (Date.now() - this.lastLoad < this.missReloadMs) return false;
    await this.reload();
    return true;
  }

  async siteById(siteId: string): Promise<Site | undefined> {
    const find = () => [...this.sitesByDomain.values()].find((s) => s.siteId === siteId);
    const hit = find();
    if (hit || !siteId.startsWith('s_') || !(await this.afterMiss())) return hit;
    return find();
  }

  /** Reloads when the cache is older than two seconds: lists stay current without three FINAL reads per request. */
  private async fresh(): Promise<void> {
    if (Date.now() - this.lastLoad > 2000) await this.reload();
  }

  async listSites(): Promise<Site[]> { await this.fresh(); return [...this.sitesByDomain.values()].sort((a, b) => a.domain.localeCompare(b.domain)); }
  async listProducts(): Promise<Product[]> { await this.fresh(); return [...this.productsById.values()].sort((a, b) => a.name.localeCompare(b.name)); }
  async listKeys(productId: string): Promise<ApiKeyInfo[]> { await this.fresh(); return [...this.keysByHash.values()].filter((k) => k.productId === productId); }

  async addSite(input: { domain: string; timezone?: string; honorDnt?: boolean }): Promise<Site> {
    const domain = normaliseDomain(input.domain);
    const timezone = input.timezone ?? 'UTC';
    if (!isTimeZone(timezone)) throw new RegistryError(`"${timezone}" is not an IANA time zone (for example Europe/Berlin)`);
    await this.reload();
    if (this.sitesByDomain.has(domain)) throw new RegistryError(`site ${domain} already exists`);
    const site: Site = { siteId: newId('s_'), domain, timezone, honorDnt: input.honorDnt ?? true, createdAt: toChTime(Date.now()), timezoneSince: 0 };
    // Its offsets first: the rollups' views file its first events by them.
    await writeSiteZone(this.ch, site.siteId, timezone);
    await this.writeSite(site, false);
    this.sitesByDomain.set(domain, site);
    this.changed();
    return site;
  }

  async updateSite(domain: string, change: { timezone?: string; honorDnt?: boolean }): Promise<Site> {
    const site = await this.requireSite(domain);
    if (change.timezone !== undefined && !isTimeZone(change.timezone)) throw new RegistryError(`"${change.timezone}" is not an IANA time zone`);
    const next = { ...site, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) } as Site;
    if (next.timezone !== site.timezone) {
      next.timezoneSince = zoneChangeAt(Date.now());
      await writeSiteZone(this.ch, site.siteId, next.timezone, next.timezoneSince);
    }
    await this.writeSite(next, false);
    this.sitesByDomain.set(next.domain, next);
    this.changed();
    return next;
  }

  /**
   * Records since when the site's stored visits are linked to their previous one and its events stamped with their
   * visit (0: all; the demo rewrites them all).
   */
  async setStoredSince(domain: string, since: Pick<Site, 'visitsLinkedSince' | 'visitsStampedSince'>): Promise<Site> {
    const next = { ...(await this.requireSite(domain)), ...since };
    await this.writeSite(next, false);
    this.sitesByDomain.set(next.domain, next);
    this.changed();
    return next;
  }

  async removeSite(domain: string): Promise<Site> {
    const site = await this.requireSite(domain);
    await this.writeSite(site, true);
    this.sitesByDomain.delete(site.domain);
    this.changed();
    return site;
  }

  private async requireSite(domain: string): Promise<Site> {
    await this.reload();
    const site = this.sitesByDomain.get(normaliseDomain(domain));
    if (!site) throw new RegistryError(`no site ${domain}`);
    return site;
  }

  private async writeSite(s: Site, deleted: boolean): Promise<void> {
    await this.ch.insert({ table: 'sites', format: 'JSONEachRow', values: [{ site_id: s.siteId, domain: s.domain, timezone: s.timezone,
      honor_dnt: s.honorDnt ? 1 : 0, created_at: s.createdAt, timezone_since: toChTime(s.timezoneSince ?? 0),
      visits_linked_since: toChTime(s.visitsLinkedSince ?? 0), visits_stamped_since: toChTime(s.visitsStampedSince ?? 0), deleted: deleted ? 1 : 0, version: Date.now() }] });
  }

  /** Creates a product with its first API key; the key is returned once and only its hash is kept. */
  async addProduct(name: string): Promise<{ product: Product; apiKey: string }> {
    const clean = name.trim();
    if (clean.length < 1 || clean.length > 100) throw new RegistryError('a product name is 1 to 100 characters');
    await this.reload();
    if ([...this.productsById.values()].some((p) => p.name.toLowerCase() === clean.toLowerCase())) throw new RegistryError(`product "${clean}" already exists`);
    const product: Product = { productId: newId('p_'), name: clean, createdAt: toChTime(Date.now()) };
    await this.writeProduct(product, false);
    this.productsById.set(product.productId, product);
    this.changed();
    return { product, apiKey: await this.createKey(product.productId) };
  }

  async removeProduct(nameOrId: string): Promise<Product> {
    const product = await this.requireProduct(nameOrId);
    await this.writeProduct(product, true);
    this.productsById.delete(product.productId);
    for (const [h, k] of this.keysByHash) if (k.productId === product.productId) this.keysByHash.delete(h);
    this.changed();
    return product;
  }

  async requireProduct(nameOrId: string): Promise<Product> {
    await this.fresh();
    const p = this.productsById.get(nameOrId) ?? [...this.productsById.values()].find((x) => x.name.toLowerCase() === nameOrId.trim().toLowerCase());
    if (!p) throw new RegistryError(`no product ${nameOrId}`);
    return p;
  }

  private async writeProduct(p: Product, deleted: boolean): Promise<void> {
    await this.ch.insert({ table: 'products', format: 'JSONEachRow', values: [{ product_id: p.productId, name: p.name,
      created_at: p.createdAt, deleted: deleted ? 1 : 0, version: Date.now() }] });
  }

  async createKey(productId: string): Promise<string> {
    const apiKey = `vk_${randomBytes(24).toString('base64url')}`;
    const info: ApiKeyInfo = { keyId: newId('k_'), productId, prefix: apiKey.slice(0, 9), createdAt: toChTime(Date.now()) };
    await this.ch.insert({ table: 'api_keys', format: 'JSONEachRow', values: [{ key_id: info.keyId, product_id: productId,
      key_hash: hashApiKey(apiKey), prefix: info.prefix, created_at: info.createdAt, revoked: 0, version: Date.now() }] });
    this.keysByHash.set(hashApiKey(apiKey), info);
    this.changed();
    return apiKey;
  }

  async revokeKey(keyId: string): Promise<void> {
    await this.reload();
    const entry = [...this.keysByHash.entries()].find(([, k]) => k.keyId === keyId);
    if (!entry) throw new RegistryError(`no active API key ${keyId}`);
    const [h, k] = entry;
    await this.ch.insert({ table: 'api_keys', format: 'JSONEachRow', values: [{ key_id: k.keyId, product_id: k.productId,
      key_hash: h, prefix: k.prefix, created_at: k.createdAt, revoked: 1, version: Date.now() }] });
    this.keysByHash.delete(h);
    this.changed();
  }
}
