import type { Context } from 'koa';
import { HttpError, forbidden, notFound } from '../../../../core/errors.ts';
import type { Product, Registry, Site } from '../../../../core/registry.ts';

/** What a query is about: one site, or one or more products (already authorised). */
export type EngineScope = { kind: 'site'; site: Site } | { kind: 'product'; products: Product[] };

export type Authorize = (ctx: Context, scope: { kind: 'site' | 'product'; id: string }) => Promise<void>;

/**
 * Finds the site or products a request names and checks access to each before anything is queried. An unknown name
 * is checked too (with the name as given), so a caller without access learns nothing about what exists: it gets the
 * same 401/403 as for a real site, and only a caller allowed everywhere sees the 404.
 */
export async function resolveSite(registry: Registry, ctx: Context, authorize: Authorize, name: string): Promise<EngineScope & { kind: 'site' }> {
  const site = (await findSite(registry, name));
  await authorize(ctx, { kind: 'site', id: site?.siteId ?? name });
  if (!site) throw notFound(`no site ${name}`);
  return { kind: 'site', site };
}

async function findSite(registry: Registry, name: string): Promise<Site | undefined> {
  if (!name.startsWith('s_')) {
    const byDomain = await registry.siteForDomain(name.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/.*$/, ''));
    if (byDomain) return byDomain;
  }
  return (await registry.listSites()).find((s) => s.siteId === name);
}

/** product_id: names or ids; '*' is every product the caller may see (those `authorize` lets through). */
export async function resolveProducts(registry: Registry, ctx: Context, authorize: Authorize, names: string[] | '*'): Promise<EngineScope & { kind: 'product' }> {
  const all = await registry.listProducts();
  if (names === '*') {
    const visible = [];
    for (const p of all) {
      try {
        await authorize(ctx, { kind: 'product', id: p.productId });
        visible.push(p);
      } catch (err) {
        if (!(err instanceof HttpError) || err.status !== 403) throw err; // 401 and failures stop the request
      }
    }
    if (!visible.length) throw forbidden('no product is visible to this account');
    return { kind: 'product', products: visible };
  }
  const products = [];
  for (const name of names) {
    const p = all.find((x) => x.productId === name) ?? all.find((x) => x.name.toLowerCase() === name.trim().toLowerCase());
    await authorize(ctx, { kind: 'product', id: p?.productId ?? name });
    if (!p) throw notFound(`no product ${name}`);
    products.push(p);
  }
  return { kind: 'product', products: [...new Map(products.map((p) => [p.productId, p])).values()] };
}
