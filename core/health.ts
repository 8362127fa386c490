import type { Middleware } from 'koa';

/**
 * GET /healthz: 200 while the process serves, 503 once it is shutting down (so balancers stop sending). The process
 * id says which process answered where several share a port (`vigil start --collectors N`).
 */
/** What /healthz reports, and whether the process is shutting down. */
export interface HealthState { roles: string[]; stopping: boolean; backlog?: () => number }

export function healthRoute(state: HealthState): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/healthz' || ctx.method !== 'GET') return next();
    ctx.status = state.stopping ? 503 : 200;
    ctx.body = { status: state.stopping ? 'stopping' : 'ok', service: 'vigil', roles: state.roles, pid: process.pid, ...(state.backlog ? { backlog: state.backlog() } : {}) };
  };
}
