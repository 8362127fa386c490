import { timingSafeEqual } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import { parse as parseCookie } from 'cookie';
import { HttpError, forbidden, unauthorized } from '../../../core/errors.ts';
import { ownOrigin } from '../../../core/http.ts';
import type { Account, AccountStore } from '../accounts/store.ts';
import { SESSION_COOKIE, type SignInSession, type SignInSessions } from './sessions.ts';

export interface AuthState { account?: Account; session?: SignInSession; token?: string }

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Loads the signed-in account (if any) into ctx.state, and protects every state-changing request:
 * with a session it must carry the session's CSRF token in X-CSRF-Token; without one (sign-in, first set-up) it must
 * come from our own origin as JSON, which a cross-site form cannot send. The cookie is also SameSite=Strict.
 */
export function loadAccount(sessions: SignInSessions, accounts: AccountStore): Middleware {
  return async (ctx: Context, next: Next) => {
    // Dashboard API only; the collector's ingest endpoints have their own rules (public, or product API keys), and so
    // do the anti-theft agent's (signed by the device key).
    if (!/^\/api\/(?!event$|product-events$|antitheft\/agent\/)/.test(ctx.path)) return next();
    const token = parseCookie(ctx.get('cookie') || '')[SESSION_COOKIE];
    const state = ctx.state as AuthState;
    if (token) {
      const session = await sessions.get(token);
      const account = session ? await accounts.get(session.accountId) : undefined;
      if (session && account) Object.assign(state, { session, account, token });
    }
    if (!SAFE.has(ctx.method)) {
      if (state.session) {
        if (!same(ctx.get('x-csrf-token'), state.session.csrf)) throw new HttpError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
      } else {
        const origin = ctx.get('origin');
        if (origin && origin !== ownOrigin(ctx)) throw new HttpError(403, 'csrf', 'cross-site request refused');
        if (ctx.get('content-type') && !ctx.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'send JSON (Content-Type: application/json)');
      }
    }
    await next();
  };
}

export function currentAccount(ctx: Context): Account {
  const account = (ctx.state as AuthState).account;
  if (!account) throw unauthorized('sign in first');
  return account;
}

export function requireAdmin(ctx: Context): Account {
  const account = currentAccount(ctx);
  if (!account.isAdmin) throw forbidden('only an administrator may do this');
  return account;
}
