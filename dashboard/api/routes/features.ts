import Router from '@koa/router';
import { z } from 'zod';
import { HttpError } from '../../../core/errors.ts';
import { readBodyAs } from '../../../core/http.ts';
import type { Access } from '../auth/access.ts';
import type { FeatureCatalog } from '../features/catalog.ts';

const FeatureInput = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).default(''),
  events: z.array(z.string().max(120)).max(100).default([]),
});

/** The per-product feature catalog: viewers read it, owners edit it. */
export function createFeaturesRouter({ catalog, access }: { catalog: FeatureCatalog; access: Access }): Router {
  const router = new Router({ prefix: '/api/products/:id/features' });
  router.get('/', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!);
    ctx.body = { features: await catalog.list(product.productId) };
  });
  router.post('/', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    const input = await readBodyAs(ctx, FeatureInput);
    if ((await catalog.list(product.productId)).some((f) => f.name.toLowerCase() === input.name.toLowerCase())) {
      throw new HttpError(409, 'conflict', `a feature named "${input.name}" exists`, 'name');
    }
    ctx.status = 201;
    ctx.body = { feature: await catalog.save(product.productId, input) };
  });
  router.put('/:featureId', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    if (!(await catalog.list(product.productId)).some((f) => f.featureId === ctx.params.featureId)) throw new HttpError(404, 'not_found', 'no such feature');
    ctx.body = { feature: await catalog.save(product.productId, { ...(await readBodyAs(ctx, FeatureInput)), featureId: ctx.params.featureId }) };
  });
  router.delete('/:featureId', async (ctx) => {
    const product = await access.product(ctx, ctx.params.id!, 'owner');
    if (!(await catalog.remove(product.productId, ctx.params.featureId!))) throw new HttpError(404, 'not_found', 'no such feature');
    ctx.status = 204;
  });
  return router;
}
