import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/** Key prefix for everything Vigil keeps in Redis; tests use their own to share a server safely. */
export const DEFAULT_PREFIX = 'vigil:';

export interface RedisConnectOptions {
  url: string;
  /** false for the collector: a command whose reply was lost must fail, not be sent twice (it could duplicate an event). */
  resendUnfulfilled?: boolean;
}

export function connectRedis({ url, resendUnfulfilled = true }: RedisConnectOptions): Redis {
  const options: RedisOptions = {
    enableAutoPipelining: true,
    autoResendUnfulfilledCommands: resendUnfulfilled,
    maxRetriesPerRequest: resendUnfulfilled ? 20 : 1,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: true,
  };
  return new Redis(url, options);
}

export class RedisSetupError extends Error {}

/**
 * Acknowledged events live in Redis until the worker stores them, so Redis must keep them: persistence on and no
 * eviction. Returns the problems found; the caller refuses to start unless the operator allowed a volatile Redis.
 */
export async function checkRedisDurability(redis: Redis): Promise<string[]> {
  const get = async (name: string) => ((await redis.config('GET', name)) as string[])[1] ?? '';
  const problems: string[] = [];
  const aof = await get('appendonly');
  const save = await get('save');
  if (aof !== 'yes' && save.trim() === '') {
    problems.push('Redis keeps nothing on disk: set "appendonly yes" (recommended) or a "save" schedule');
  } else if (aof !== 'yes') {
    problems.push('Redis only takes RDB snapshots, which lose recent writes on a crash: set "appendonly yes"');
  }
  const policy = await get('maxmemory-policy');
  if (policy !== 'noeviction') {
    problems.push(`Redis maxmemory-policy is "${policy}", which can evict queued events: set "maxmemory-policy noeviction"`);
  }
  return problems;
}
