import Router from '@koa/router';
import { z } from 'zod';
import type { Role, SiteView } from '../../../core/api/manage.ts';
import { HttpError } from '../../../core/errors.ts';
import { ownOrigin, readBodyAs } from '../../../core/http.ts';
import { RegistryError, type Registry, type Site } from '../../../core/registry.ts';
import type { AccountStore } from '../accounts/store.ts';
import type { Access } from '../auth/access.ts';
import { currentAccount } from '../auth/middleware.ts';
import type { ShareLinks } from '../auth/share-links.ts';
import { addMemberRoutes } from './members.ts';

const NewSite = z.object({ domain: z.string().max(253), timezone: z.string().max(64).optional(), honorDnt: z.boolean().optional() });
const SiteChange = z.object({ timezone: z.string().max(64).optional(), honorDnt: z.boolean().optional() }).strict();
const NewShare = z.object({ label: z.string().max(100).default('') });

export interface SitesDeps { registry: Registry; accounts: AccountStore; access: Access; shares: ShareLinks }

/** The snippet a site's pages embed, pointing at this Vigil. */
export const snippetFor = (site: Site, origin: string) => `<script defer data-domain="${site.domain}" src="${origin}/t.js"></script>`;

/** Managing sites over HTTP, through the same Registry the CLI uses. */
export function createSitesRouter(deps: SitesDeps): Router {
  const { registry, accounts, access, shares } = deps;
  const router = new Router({ prefix: '/api/sites' });
  const view = (s: Site, origin: string, role?: Role): SiteView => ({ ...s, ...(role ? { role } : {}), snippet: snippetFor(s, origin) });
  const registryErrors = async (fn: () => Promise<void>) => {
    try { await fn(); } catch (err) {
      if (err instanceof RegistryError) throw new HttpError(/already exists/.test(err.message) ? 409 : 400, 'invalid_request', err.message);
      throw err;
    }
  };

  router.get('/', async (ctx) => { ctx.body = { sites: (await access.visible(ctx)).sites.map((s) => view(s, ownOrigin(ctx), s.role)) }; });

  // Any signed-in account may add a site; it becomes the site's owner.
  router.post('/', async (ctx) => {
    const me = currentAccount(ctx);
    const body = await readBodyAs(ctx, NewSite);
    await registryErrors(async () => {
      const site = await registry.addSite(body);
      await accounts.grant(me.accountId, 'site', site.siteId, 'owner');
      ctx.status = 201;
      ctx.body = { site: view(site, ownOrigin(ctx), 'owner') };
    });
  });

  router.get('/:id', async (ctx) => { ctx.body = { site: view(await access.site(ctx, ctx.params.id!), ownOrigin(ctx)) }; });

  router.patch('/:id', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!, 'owner');
    const change = await readBodyAs(ctx, SiteChange);
    await registryErrors(async () => { ctx.body = { site: view(await registry.updateSite(site.domain, change), ownOrigin(ctx)) }; });
  });

  router.delete('/:id', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!, 'owner');
    await registry.removeSite(site.domain);
    ctx.status = 204;
  });

  router.get('/:id/shares', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!, 'owner');
    ctx.body = { shares: await shares.list(site.siteId) };
  });

  router.post('/:id/shares', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!, 'owner');
    const { label } = await readBodyAs(ctx, NewShare);
    const { link, secret } = await shares.create(site.siteId, label, currentAccount(ctx).accountId);
    ctx.status = 201;
    ctx.body = { share: link, url: `${ownOrigin(ctx)}/share/${secret}` };
  });

  router.delete('/:id/shares/:linkId', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!, 'owner');
    if (!(await shares.revoke(site.siteId, ctx.params.linkId!))) throw new HttpError(404, 'not_found', 'no such share link');
    ctx.status = 204;
  });

  addMemberRoutes(router, 'site', deps);
  return router;
}
