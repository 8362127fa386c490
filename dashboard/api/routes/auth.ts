import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { badRequest, tooManyRequests, unauthorized } from '../../../core/errors.ts';
import { readBodyAs } from '../../../core/http.ts';
import type { Account, AccountStore } from '../accounts/store.ts';
import { passwordProblem, verifyPassword } from '../accounts/password.ts';
import { currentAccount, type AuthState } from '../auth/middleware.ts';
import { SignInSessions, type SignInThrottle } from '../auth/sessions.ts';

const Credentials = z.object({ email: z.string().max(320), password: z.string().max(200) });
const Setup = Credentials.extend({ name: z.string().max(100).optional() });

/** How an account shows itself to its owner (never the password hash). */
export const selfView = (a: Account): Account => ({ accountId: a.accountId, email: a.email, name: a.name, contact: a.contact,
  hideIdentity: a.hideIdentity, isAdmin: a.isAdmin, createdAt: a.createdAt });

export interface AuthDeps { accounts: AccountStore; sessions: SignInSessions; throttle: SignInThrottle }

/** First set-up, sign-in, sign-out and the current session (with its CSRF token). */
export function createAuthRouter({ accounts, sessions, throttle }: AuthDeps): Router {
  const router = new Router({ prefix: '/api' });
  const signIn = async (ctx: Context, account: Account) => {
    const { token, session } = await sessions.create(account.accountId);
    ctx.append('Set-Cookie', SignInSessions.cookie(token, ctx.secure));
    ctx.body = { account: selfView(account), csrf: session.csrf };
  };

  router.get('/setup', async (ctx) => { ctx.body = { needed: (await accounts.count()) === 0 }; });

  // The first account of an empty install becomes its administrator.
  router.post('/setup', async (ctx) => {
    const body = await readBodyAs(ctx, Setup);
    const problem = passwordProblem(body.password, body.email);
    if (problem) throw badRequest(problem, 'password');
    const account = await accounts.create({ ...body, isAdmin: true, onlyIfEmpty: true });
    ctx.status = 201;
    await signIn(ctx, account);
  });

  router.post('/sign-in', async (ctx) => {
    const { email, password } = await readBodyAs(ctx, Credentials);
    const wait = await throttle.retryAfter(email.toLowerCase(), ctx.ip);
    if (wait > 0) throw tooManyRequests(wait);
    const found = await accounts.withPassword(email);
    // Same answer and similar time whether the e-mail exists or not.
    const ok = await verifyPassword(password, found?.passwordHash ?? 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA');
    if (!found || !ok) {
      await throttle.failed(email.toLowerCase(), ctx.ip);
      throw unauthorized('wrong e-mail or password');
    }
    await throttle.succeeded(email.toLowerCase());
    const { passwordHash: _, ...account } = found;
    await signIn(ctx, account);
  });

  router.post('/sign-out', async (ctx) => {
    const { token } = ctx.state as AuthState;
    if (token) await sessions.end(token);
    ctx.append('Set-Cookie', SignInSessions.cookie('', ctx.secure, 0));
    ctx.status = 204;
  });

  router.get('/session', async (ctx) => {
    const account = currentAccount(ctx);
    ctx.body = { account: selfView(account), csrf: (ctx.state as AuthState).session!.csrf };
  });

  return router;
}

