import type { Server } from 'node:http';
import { createAntitheftApi, type AntitheftApi } from '../antitheft/api/create.ts';
import { createCollector, type Collector } from '../collector/create.ts';
import { ensureAdminToken } from '../core/admin-token.ts';
import type { Config } from '../core/config.ts';
import type { HealthState } from '../core/health.ts';
import type { Logger } from '../core/log.ts';
import { Registry } from '../core/registry.ts';
import { openServices, type Services } from '../core/services.ts';
import { createDashboard, type Dashboard } from '../dashboard/create.ts';
import { createDemoRouter } from '../tools/demo/admin-route.ts';
import { startWorker, type Worker } from '../worker/create.ts';
import { startCollectorProcesses, type CollectorProcesses } from './collectors.ts';
import { baseApp, closeGracefully, listen } from './serve.ts';

export const ROLES = ['collector', 'dashboard', 'worker'] as const;
export type Role = (typeof ROLES)[number];

export interface Platform {
  url: string;
  /** The collector processes' address, when there are some (PlatformOptions.collectors). */
  collectorsUrl?: string;
  collectorProcesses: CollectorProcesses | null;
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
export interface PlatformOptions {
  /** Collector processes besides this one, on `cfg.collectorPort` (0: none; `vigil start --collectors N`). */
  collectors?: number;
}

export async function startPlatform(cfg: Config, roles: readonly Role[], log: Logger, opts: PlatformOptions = {}): Promise<Platform> {
  const services = await openServices(cfg, log);
  const registry = new Registry(services.ch);
  const state: HealthState = { roles: [...roles], stopping: false };
  let collector: Collector | null = null;
  let worker: Worker | null = null;
  let dashboard: Dashboard | null = null;
  let antitheft: AntitheftApi | null = null;
  let server: Server | null = null;
  let processes: CollectorProcesses | null = null;
  try {
    await registry.start();
    const app = baseApp(cfg, log, state);
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
    server = await listen(app, cfg.port, cfg.host);
    // More collectors, each a process of its own on the collector port (bin/collectors.ts).
    if (opts.collectors) {
      processes = await startCollectorProcesses({ cfg, count: opts.collectors,
        redisUrl: services.privateRedis?.url ?? cfg.redis.url ?? 'redis://127.0.0.1:6379', registry, log });
    }
  } catch (err) {
    await processes?.stop();
    if (server?.listening) await closeGracefully(server);
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
    ...(processes ? { collectorsUrl: `http://${host}:${processes.port}` } : {}),
    collectorProcesses: processes,
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
        await Promise.all([closeGracefully(server!), processes?.stop()]);
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
