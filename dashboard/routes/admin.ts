import Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { badRequest, HttpError, unauthorized } from '../../core/errors.ts';
import { readJson } from '../../core/http.ts';
import { Registry, RegistryError } from '../../core/registry.ts';
import type { AccountStore } from '../api/accounts/store.ts';
import { addUser, NewUser } from '../api/routes/users.ts';

/**
 * The management API the `vigil` CLI uses while the platform runs (the running process holds the embedded store).
 * It answers only requests carrying the admin token kept in DATA_DIR, readable by the operator alone.
 */
export function createAdminRouter(registry: Registry, adminToken: string, accounts: AccountStore): Router {
  const expected = Buffer.from(adminToken);
  const requireToken = async (ctx: Context, next: Next) => {
    const got = Buffer.from(/^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1] ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw unauthorized('admin token required');
    try {
      await next();
    } catch (err) {
      if (err instanceof RegistryError) throw new HttpError(/^no /.test(err.message) ? 404 : 400, 'invalid_request', err.message);
      throw err;
    }
  };
  const body = async (ctx: Context) => {
    const b = await readJson(ctx, 16 * 1024);
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw badRequest('body must be a JSON object');
    return b as Record<string, unknown>;
  };
  const str = (b: Record<string, unknown>, name: string) => {
    if (b[name] === undefined) return undefined;
    if (typeof b[name] !== 'string') throw badRequest(`${name} must be a string`, name);
    return b[name] as string;
  };
  const router = new Router({ prefix: '/internal/admin' });
  router.use(requireToken);
  router.get('/sites', async (ctx) => { ctx.body = { sites: await registry.listSites() }; });
  router.post('/sites', async (ctx) => {
    const b = await body(ctx);
    const domain = str(b, 'domain');
    if (!domain) throw badRequest('domain is required', 'domain');
    if (b.honorDnt !== undefined && typeof b.honorDnt !== 'boolean') throw badRequest('honorDnt must be true or false', 'honorDnt');
    ctx.status = 201;
    ctx.body = { site: await registry.addSite({ domain, timezone: str(b, 'timezone'), honorDnt: b.honorDnt as boolean | undefined }) };
  });
  router.delete('/sites/:domain', async (ctx) => { ctx.body = { site: await registry.removeSite(ctx.params.domain!) }; });
  router.get('/products', async (ctx) => {
    const products = await registry.listProducts();
    ctx.body = { products: await Promise.all(products.map(async (p) => ({ ...p, keys: await registry.listKeys(p.productId) }))) };
  });
  router.post('/products', async (ctx) => {
    const name = str(await body(ctx), 'name');
    if (!name) throw badRequest('name is required', 'name');
    ctx.status = 201;
    ctx.body = await registry.addProduct(name);
  });
  router.delete('/products/:product', async (ctx) => { ctx.body = { product: await registry.removeProduct(ctx.params.product!) }; });
  router.post('/products/:product/keys', async (ctx) => {
    const product = await registry.requireProduct(ctx.params.product!);
    ctx.status = 201;
    ctx.body = { product, apiKey: await registry.createKey(product.productId) };
  });
  router.delete('/keys/:keyId', async (ctx) => { await registry.revokeKey(ctx.params.keyId!); ctx.body = { revoked: ctx.params.keyId }; });
  router.post('/users', async (ctx) => {
    ctx.status = 201;
    ctx.body = await addUser(accounts, NewUser.parse(await body(ctx)));
  });
  router.get('/users', async (ctx) => { ctx.body = { users: (await accounts.list()).map(({ accountId, email, name, isAdmin }) => ({ accountId, email, name, isAdmin })) }; });
  return router;
}
