import Router from '@koa/router';
import { forbidden } from '../../../core/errors.ts';
import type { Registry } from '../../../core/registry.ts';
import type { ShareLinks } from '../auth/share-links.ts';

/** GET /api/share: which site a share secret (header X-Vigil-Share) opens, for the read-only view. */
export function createShareRouter({ shares, registry }: { shares: ShareLinks; registry: Registry }): Router {
  const router = new Router();
  router.get('/api/share', async (ctx) => {
    const id = await shares.siteFor(ctx.get('x-vigil-share'));
    const site = id ? await registry.siteById(id) : undefined;
    if (!site) throw forbidden('this share link does not exist or was revoked');
    ctx.body = { site: { siteId: site.siteId, domain: site.domain, timezone: site.timezone } };
  });
  return router;
}
