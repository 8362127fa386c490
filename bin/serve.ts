import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import type { Config } from '../core/config.ts';
import { healthRoute, type HealthState } from '../core/health.ts';
import { errorMiddleware } from '../core/http.ts';
import type { Logger } from '../core/log.ts';

/** A process's Koa app before its roles' routes: errors logged once, `Connection: close` while stopping, /healthz. */
export function baseApp(cfg: Pick<Config, 'trustProxy'>, log: Logger, state: HealthState): Koa {
  const app = new Koa({ proxy: cfg.trustProxy });
  app.silent = true; // errors are logged once, by errorMiddleware
  app.use(errorMiddleware(log));
  app.use(async (ctx, next) => {
    // While stopping, answer what arrives on open keep-alive connections, then let them close.
    if (state.stopping) ctx.set('Connection', 'close');
    await next();
  });
  app.use(healthRoute(state));
  return app;
}

/** Serves `app` on port and host; resolves once listening. */
export async function listen(app: Koa, port: number, host: string): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 30_000 }, app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Stops accepting and finishes the requests in flight; keep-alive clients that keep sending are cut after 5 s. */
export async function closeGracefully(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), 5000);
  await closed;
  clearTimeout(cut);
}
