import type { Context } from 'koa';
import { tooManyRequests, unavailable } from '../../core/errors.ts';
import type { CollectorDeps } from '../deps.ts';

/** Checks made before a body is read: the client's request rate, then the room left in the ingest buffer. */
export function admit(ctx: Context, deps: Pick<CollectorDeps, 'limiter' | 'backlog' | 'drops'>): void {
  const wait = deps.limiter.hit(ctx.ip);
  if (wait > 0) {
    deps.drops.count('rate_limited');
    throw tooManyRequests(wait);
  }
  if (deps.backlog.full) {
    deps.drops.count('backlog_full');
    throw unavailable('the ingest backlog is full; retry later', 30);
  }
}

/** Lets pages on other origins post with credentials (the visitor cookie) and read the answer. */
export function allowCors(ctx: Context): void {
  const origin = ctx.get('origin');
  if (!origin) return;
  ctx.set('Access-Control-Allow-Origin', origin);
  ctx.set('Access-Control-Allow-Credentials', 'true');
  ctx.set('Vary', 'Origin');
}

export function preflight(ctx: Context): void {
  allowCors(ctx);
  ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
  ctx.set('Access-Control-Allow-Headers', 'Content-Type, Authorization');
  ctx.set('Access-Control-Max-Age', '86400');
  ctx.status = 204;
}

/** Runs the durable append; when Redis cannot take it, the client is told to retry (503), never told it was kept. */
export async function durably<T>(deps: Pick<CollectorDeps, 'log'>, append: () => Promise<T>): Promise<T> {
  try {
    return await append();
  } catch (err) {
    deps.log.warn({ err: (err as Error).message }, 'ingest buffer unavailable');
    throw unavailable('the event buffer is unavailable; retry later', 5);
  }
}
