import Router from '@koa/router';
import { z } from 'zod';
import { badRequest, unauthorized } from '../../../core/errors.ts';
import { readBodyAs } from '../../../core/http.ts';
import type { AccountStore } from '../accounts/store.ts';
import { passwordProblem, verifyPassword } from '../accounts/password.ts';
import { currentAccount, type AuthState } from '../auth/middleware.ts';
import { SignInSessions } from '../auth/sessions.ts';
import type { Access } from '../auth/access.ts';
import { selfView } from './auth.ts';

const Profile = z.object({
  name: z.string().max(100).optional(),
  email: z.string().max(320).optional(),
  contact: z.string().max(500).optional(),
  hideIdentity: z.boolean().optional(),
}).strict();
const PasswordChange = z.object({ current: z.string().max(200), next: z.string().max(200) });
const Deletion = z.object({ password: z.string().max(200) });

/**
 * The privacy controls the policy promises: correct name and contact details, hide them from other members
 * (pseudonymous display), export everything kept about the account, delete it.
 */
export function createAccountRouter({ accounts, sessions, access }: { accounts: AccountStore; sessions: SignInSessions; access: Access }): Router {
  const router = new Router({ prefix: '/api/account' });
  const confirm = async (accountId: string, email: string, password: string) => {
    const found = await accounts.withPassword(email);
    if (!found || found.accountId !== accountId || !(await verifyPassword(password, found.passwordHash))) throw unauthorized('wrong password');
  };

  router.patch('/', async (ctx) => {
    const me = currentAccount(ctx);
    ctx.body = { account: selfView(await accounts.update(me.accountId, await readBodyAs(ctx, Profile))) };
  });

  router.post('/password', async (ctx) => {
    const me = currentAccount(ctx);
    const { current, next } = await readBodyAs(ctx, PasswordChange);
    await confirm(me.accountId, me.email, current);
    const problem = passwordProblem(next, me.email);
    if (problem) throw badRequest(problem, 'next');
    await accounts.setPassword(me.accountId, next);
    await sessions.endAll(me.accountId, (ctx.state as AuthState).token); // other devices must sign in again
    ctx.status = 204;
  });

  router.get('/export', async (ctx) => {
    const me = currentAccount(ctx);
    const visible = await access.visible(ctx);
    ctx.set('Content-Disposition', 'attachment; filename="vigil-account.json"');
    ctx.body = {
      exportedAt: new Date().toISOString(),
      account: selfView(me),
      memberships: (await accounts.memberships(me.accountId)).map(({ resourceType, resourceId, role }) => ({ resourceType, resourceId, role })),
      sites: visible.sites.map((s) => ({ domain: s.domain, role: s.role })),
      products: visible.products.map((p) => ({ name: p.name, role: p.role })),
    };
  });

  router.delete('/', async (ctx) => {
    const me = currentAccount(ctx);
    const { password } = await readBodyAs(ctx, Deletion);
    await confirm(me.accountId, me.email, password);
    if (me.isAdmin && (await accounts.list()).filter((a) => a.isAdmin).length === 1 && (await accounts.count()) > 1) {
      throw badRequest('you are the last administrator: make another account administrator first');
    }
    await sessions.endAll(me.accountId);
    await accounts.delete(me.accountId);
    ctx.append('Set-Cookie', SignInSessions.cookie('', ctx.secure, 0));
    ctx.status = 204;
  });

  return router;
}
