import type { Middleware } from 'koa';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { RegistryLookup } from '../core/registry.ts';
import type { Services } from '../core/services.ts';
import { defineIngestCommands } from '../core/ingest-stream.ts';
import type { CollectorDeps } from './deps.ts';
import { BacklogMonitor } from './ingest/backlog.ts';
import { DropCounter } from './ingest/drops.ts';
import { openGeo } from '../core/geo.ts';
import { RateLimiter } from '../core/rate-limit.ts';
import { createUaParser } from './ingest/user-agent.ts';
import { DailySalt } from './ingest/visitor-id.ts';
import { createEventRouter } from './routes/event.ts';
import { createProductEventsRouter } from './routes/product-events.ts';
import { createSnippetRoute } from './routes/snippet.ts';

export interface Collector { middleware: Middleware<any, any>[]; deps: CollectorDeps; stop(): void }

/** Builds the collector's routes and the state they share; the caller mounts them on a Koa app. It needs Redis and the
 * registry only, so it runs in the store process or in a collector process of its own (bin/collector-process.ts). */
export async function createCollector(cfg: Config, services: Pick<Services, 'redis' | 'ingestRedis' | 'prefix'>, registry: RegistryLookup,
  log: Logger): Promise<Collector> {
  const redis = services.ingestRedis;
  defineIngestCommands(redis);
  const backlog = new BacklogMonitor(services.redis, services.prefix, cfg.maxBacklog);
  backlog.start();
  const deps: CollectorDeps = {
    cfg,
    log,
    redis,
    prefix: services.prefix,
    registry,
    geo: await openGeo(cfg.geoipDb),
    parseUa: createUaParser(),
    salt: new DailySalt(services.redis, services.prefix),
    backlog,
    drops: new DropCounter(services.redis, services.prefix),
    limiter: new RateLimiter(cfg.rateLimitPerMinute),
  };
  const event = createEventRouter(deps);
  const product = createProductEventsRouter(deps);
  return {
    middleware: [await createSnippetRoute(), event.routes(), event.allowedMethods(), product.routes(), product.allowedMethods()],
    deps,
    stop: () => { backlog.stop(); deps.geo.close(); },
  };
}
