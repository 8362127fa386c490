import type Router from '@koa/router';
import { z } from 'zod';
import type { Member } from '../../../core/api/manage.ts';
import { badRequest, notFound } from '../../../core/errors.ts';
import { readBodyAs } from '../../../core/http.ts';
import type { AccountStore, ResourceType } from '../accounts/store.ts';
import type { Access } from '../auth/access.ts';
import { currentAccount } from '../auth/middleware.ts';

const Grant = z.object({ email: z.string().max(320), role: z.enum(['owner', 'viewer']) });

/**
 * GET/POST/DELETE <base>/:id/members for sites and products: owners give and take access by e-mail. Members who hide
 * their identity show as a pseudonym to everyone but themselves and administrators.
 */
export function addMemberRoutes(router: Router, type: ResourceType, deps: { accounts: AccountStore; access: Access }): void {
  const resolve = (ctx: Parameters<Parameters<Router['get']>[1]>[0], need: 'owner' | 'viewer') =>
    type === 'site' ? deps.access.site(ctx, ctx.params.id!, need).then((s) => s.siteId) : deps.access.product(ctx, ctx.params.id!, need).then((p) => p.productId);

  router.get('/:id/members', async (ctx) => {
    const id = await resolve(ctx, 'viewer');
    const me = currentAccount(ctx);
    const members = await deps.accounts.members(type, id);
    ctx.body = {
      members: await Promise.all(members.map(async (m): Promise<Member> => {
        const a = await deps.accounts.get(m.accountId);
        const visible = a && (!a.hideIdentity || a.accountId === me.accountId || me.isAdmin);
        return { accountId: m.accountId, role: m.role, name: visible ? a.name : `Member ${m.accountId.slice(2, 6)}`, email: visible ? a.email : null };
      })),
    };
  });

  router.post('/:id/members', async (ctx) => {
    const id = await resolve(ctx, 'owner');
    const { email, role } = await readBodyAs(ctx, Grant);
    const account = await deps.accounts.withPassword(email);
    if (!account) throw notFound(`no account with ${email}; create it first (npx vigil user add)`);
    await deps.accounts.grant(account.accountId, type, id, role);
    ctx.status = 201;
    ctx.body = { accountId: account.accountId, role };
  });

  router.delete('/:id/members/:accountId', async (ctx) => {
    const id = await resolve(ctx, 'owner');
    if (ctx.params.accountId === currentAccount(ctx).accountId && !currentAccount(ctx).isAdmin) throw badRequest('you cannot remove yourself; ask another owner');
    await deps.accounts.grant(ctx.params.accountId!, type, id, null);
    ctx.status = 204;
  });
}
