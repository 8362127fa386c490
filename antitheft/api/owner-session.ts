import type { Context } from 'koa';
import { unauthorized } from '../../core/errors.ts';
import { asOwner, type OwnerId } from '../store/owner.ts';

/**
 * The owner behind a request: the account of its signed-in dashboard session (loaded, with its CSRF check, by the
 * dashboard's session middleware). Nothing else counts: share links, API keys and administrator rights open no
 * anti-theft data, since only the owner may ever see it.
 */
export function ownerOf(ctx: Context): OwnerId {
  const account = (ctx.state as { account?: { accountId?: unknown } }).account;
  if (!account || typeof account.accountId !== 'string') throw unauthorized('sign in first');
  return asOwner(account.accountId);
}
