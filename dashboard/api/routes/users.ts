import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { readBodyAs } from '../../../core/http.ts';
import type { AccountStore } from '../accounts/store.ts';
import { passwordProblem } from '../accounts/password.ts';
import { badRequest } from '../../../core/errors.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { selfView } from './auth.ts';

export const NewUser = z.object({ email: z.string().max(320), name: z.string().max(100).optional(), password: z.string().max(200).optional(),
  isAdmin: z.boolean().optional() });

/** Creates an account; without a password one is generated and returned once. Shared by the HTTP API and the CLI. */
export async function addUser(accounts: AccountStore, input: z.infer<typeof NewUser>) {
  const password = input.password ?? randomBytes(12).toString('base64url');
  const problem = passwordProblem(password, input.email);
  if (problem) throw badRequest(problem, 'password');
  const account = await accounts.create({ ...input, password });
  return { account: selfView(account), password: input.password ? undefined : password };
}

/** Administrators manage accounts: list, create (with a one-time password), make administrator. */
export function createUsersRouter({ accounts }: { accounts: AccountStore }): Router {
  const router = new Router({ prefix: '/api/users' });
  router.get('/', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = { users: (await accounts.list()).map(selfView) };
  });
  router.post('/', async (ctx) => {
    requireAdmin(ctx);
    ctx.status = 201;
    ctx.body = await addUser(accounts, await readBodyAs(ctx, NewUser));
  });
  return router;
}
