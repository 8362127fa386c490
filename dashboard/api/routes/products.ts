import Router from '@koa/router';
import { z } from 'zod';
import { HttpError } from '../../../core/errors.ts';
import { readBodyAs } from '../../../core/http.ts';
import { RegistryError, type Registry } from '../../../core/registry.ts';
import type { AccountStore } from '../accounts/store.ts';
import type { Access } from '../auth/access.ts';
import { currentAccount } from '../auth/middleware.ts';
import { addMemberRoutes } from './members.ts';

const NewProduct = z.object({ name: z.string().max(100) });

/** Managing products and their API keys over HTTP, through the same Registry the CLI uses. */
export function createProductsRouter(deps: { registry: Registry; accounts: AccountStore; access: Access }): Router {
  const { registry, accounts, access } = deps;
  const router = new Router({ prefix: '/api/products' });

  router.get('/', async (ctx) => { ctx.body = { products: (await access.visible(ctx)).products }; });

  router.post('/', async (ctx) => {
    const me = currentAccount(ctx);
    const { name } = await readBodyAs(ctx, NewProduct);
    try {
      const { product, apiKey } = await registry.addProduct(name);
      await accounts.grant(me.accountId, 'product', product.productId, 'owner');
      ctx.status = 201;
      ctx.body = { product, apiKey };
    } catch (err) {
      if (err instanceof RegistryError) throw new HttpError(/already exists/.test(err.message) ? 409 : 400, 'invalid_request', err.message, 'name');
      throw err;
    }
  });

  router.get('/:id', async (ctx) => { ctx.body = { product: await access.product(ctx, ctx.params.id!) }; });

  router.delete('/:id', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    await registry.removeProduct(product.productId);
    ctx.status = 204;
  });

  router.get('/:id/keys', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    ctx.body = { keys: await registry.listKeys(product.productId) };
  });

  router.post('/:id/keys', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    ctx.status = 201;
    ctx.body = { apiKey: await registry.createKey(product.productId) };
  });

  // Rotation: a new key now, the old one revoked now; the app is updated with the new key.
  router.post('/:id/keys/:keyId/rotate', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    const key = (await registry.listKeys(product.productId)).find((k) => k.keyId === ctx.params.keyId);
    if (!key) throw new HttpError(404, 'not_found', 'no such active key for this product');
    const apiKey = await registry.createKey(product.productId);
    await registry.revokeKey(key.keyId);
    ctx.status = 201;
    ctx.body = { apiKey, revoked: key.keyId };
  });

  router.delete('/:id/keys/:keyId', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    if (!(await registry.listKeys(product.productId)).some((k) => k.keyId === ctx.params.keyId)) {
      throw new HttpError(404, 'not_found', 'no such active key for this product');
    }
    await registry.revokeKey(ctx.params.keyId!);
    ctx.status = 204;
  });

  addMemberRoutes(router, 'product', deps);
  return router;
}
