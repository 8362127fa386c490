import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis.ts';
import type { RegistryLookup } from '../core/registry.ts';
import type { BacklogMonitor } from './ingest/backlog.ts';
import type { DropCounter } from './ingest/drops.ts';
import type { GeoLookup } from '../core/geo.ts';
import type { RateLimiter } from '../core/rate-limit.ts';
import type { UaInfo } from './ingest/user-agent.ts';
import type { DailySalt } from './ingest/visitor-id.ts';

/** What the collector's routes need; built once by collector/create.ts, or by a test with its own services. */
export interface CollectorDeps {
  cfg: Pick<Config, 'visitorCookieMonths' | 'maxBacklog'>;
  log: Logger;
  redis: Redis;
  prefix: string;
  registry: RegistryLookup;
  geo: GeoLookup;
  parseUa: (ua: string, headers: Record<string, string | string[] | undefined>) => UaInfo;
  salt: DailySalt;
  backlog: BacklogMonitor;
  drops: DropCounter;
  limiter: RateLimiter;
}
