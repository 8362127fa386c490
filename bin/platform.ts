import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { createAntitheftApi, type AntitheftApi } from '../antitheft/api/create.ts';
import { createCollector, type Collector } from '../collector/create.ts';
import { ensureAdminToken } from '../core/admin-token.ts';
import type { Config } from '../core/config.ts';
import { healthRoute } from '../core/health.ts';
import { errorMiddleware } from '../core/http.ts';
import type { Logger } from '../core/log.ts';
import { Registry } from '../core/registry.ts';
import { openServices, type Services } from '../core/services.ts';
import { createDashboard, type Dashboard } from '../dashboard/create.ts';
import { createDemoRouter } from '../tools/demo/admin-route.ts';
import { startWorker, type Worker } from '../worker/create.ts';

export const ROLES = ['collector', 'dashboard', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export interface Platform {
  url: string;
  server: Server;
  services: Services;
  registry: Registry;
  collector: Collector | null;
  dashboard: Dashboard | null;
  antitheft: AntitheftApi | null;
  worker: Worker | null;
  stop(): Promise<void>;
}

/**
 * The one composition point: opens the store and Redis, builds the requested roles and serves them on one port.
 * Every role also answers GET /healthz. stop() is the graceful shutdown: refuse new requests, finish the ones in
 * flight, let the worker store what it has (and, all-in-one, what is waiting), then close the services.
 */
export async function startPlatform(cfg: Config, roles: readonly Role[], log: Logger): Promise<Platform> {
  const services = await openServices(cfg, log);
  const registry = new Registry(services.ch);
  const state = { roles: [...roles], stopping: false, backlog: undefined as undefined | (() => number) };
  let collector: Collector | null = null;
  let worker: Worker | null = null;
  let dashboard: Dashboard | null = null;
  let antitheft: AntitheftApi | null = null;
  let server: Server | null = null;
  try {
    await registry.start();
    const app = new Koa({ proxy: cfg.trustProxy });
    app.silent = true; // errors are logged once, by errorMiddleware
    app.use(errorMiddleware(log));
    app.use(async (ctx, next) => {
      // While stopping, answer what arrives on open keep-alive connections, then let them close.
      if (state.stopping) ctx.set('Connection', 'close');
      await next();
    });
    app.use(healthRoute(state));
    if (roles.includes('collector')) {
      collector = await createCollector(cfg, services, registry, log);
      state.backlog = () => collector!.deps.backlog.size;
      for (const m of collector.middleware) app.use(m);
    }
    // The anti-theft API: the agent's endpoints with the collector (they share its geo database), the owner's with
    // the dashboard (after its session middleware, before the web app's catch-all).
    if (collector || roles.includes('dashboard')) {
      antitheft = await createAntitheftApi(cfg, services, collector?.deps.geo ?? null);
      if (collector) for (const m of antitheft.agentMiddleware) app.use(m);
    }
    if (roles.includes('dashboard')) {
      dashboard = createDashboard(cfg, services, registry);
      for (const m of dashboard.middleware) app.use(m);
      // `vigil demo` writes where the store is open, so a running platform serves the tool's route (admin token only);
      // the tool itself lives in tools/demo, outside the dashboard it fills.
      const demo = createDemoRouter(services.ch, registry, ensureAdminToken(cfg.dataDir));
      app.use(demo.routes()).use(demo.allowedMethods());
      for (const m of antitheft!.ownerMiddleware) app.use(m);
      app.use(dashboard.webApp);
    }
    if (roles.includes('worker')) worker = await startWorker(cfg, services, log);
    server = createServer({ keepAliveTimeout: 5000, requestTimeout: 30_000 }, app.callback());
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(cfg.port, cfg.host, () => resolve());
    });
  } catch (err) {
    collector?.stop();
    await antitheft?.close();
    await worker?.stop();
    registry.close();
    await services.close();
    throw err;
  }
  const address = server.address() as { port: number };
  const host = cfg.host === '0.0.0.0' || cfg.host === '::' ? '127.0.0.1' : cfg.host;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    server,
    services,
    registry,
    collector,
    dashboard,
    antitheft,
    worker,
    stop() {
      stopping ??= (async () => {
        state.stopping = true;
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server!.closeIdleConnections();
        // Keep-alive clients that keep sending would hold the server open: cut them after a grace period.
        const cut = setTimeout(() => server!.closeAllConnections(), 5000);
        await closed;
        clearTimeout(cut);
        collector?.stop();
        await antitheft?.close();
        await worker?.stop(roles.includes('collector') ? 10_000 : 0);
        registry.close();
        await services.close();
      })();
      return stopping;
    },
  };
}
