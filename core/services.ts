import type { Config } from './config.ts';
import { openClickHouse, type ClickHouseClient } from './clickhouse.ts';
import type { Logger } from './log.ts';
import { applyRetention, migrate } from './migrate.ts';
import { checkRedisDurability, connectRedis, DEFAULT_PREFIX, RedisSetupError, type Redis } from './redis.ts';
import { startPrivateRedis, type PrivateRedis } from './redis-server.ts';

export interface Services {
  ch: ClickHouseClient;
  redis: Redis;
  /** The collector's connection: never resends a command whose reply was lost (see connectRedis). */
  ingestRedis: Redis;
  prefix: string;
  privateRedis: PrivateRedis | null;
  close(): Promise<void>;
}

/** Opens the store (migrated, retention applied) and Redis (a private server when REDIS_URL is unset). */
export async function openServices(cfg: Config, log: Logger, { needRedis = true } = {}): Promise<Services> {
  const ch = await openClickHouse(cfg);
  try {
    await migrate(ch, log);
    await applyRetention(ch, cfg.retentionMonths, log);
  } catch (err) {
    await ch.close();
    throw err;
  }
  let privateRedis: PrivateRedis | null = null;
  let url = cfg.redis.url;
  if (!url && needRedis) {
    privateRedis = await startPrivateRedis(cfg.dataDir, cfg.redis.serverBin);
    url = privateRedis.url;
    log.info({ port: privateRedis.port, dir: `${cfg.dataDir}/redis` }, 'started a private redis-server (append-only)');
  }
  const redis = connectRedis({ url: url ?? 'redis://127.0.0.1:6379' });
  const ingestRedis = connectRedis({ url: url ?? 'redis://127.0.0.1:6379', resendUnfulfilled: false });
  const close = async () => {
    redis.disconnect();
    ingestRedis.disconnect();
    await privateRedis?.stop();
    await ch.close();
  };
  if (needRedis) {
    try {
      await Promise.all([redis.connect(), ingestRedis.connect()]);
      const problems = await checkRedisDurability(redis);
      if (problems.length && !cfg.redis.allowVolatile) {
        throw new RedisSetupError(`Refusing to start: ${problems.join('; ')}. (For throwaway test setups only: VIGIL_ALLOW_VOLATILE_REDIS=1.)`);
      }
      if (problems.length) log.warn({ problems }, 'Redis may lose acknowledged events (allowed by VIGIL_ALLOW_VOLATILE_REDIS)');
    } catch (err) {
      await close();
      if (err instanceof RedisSetupError) throw err;
      throw new RedisSetupError(`Cannot reach Redis at ${cfg.redis.url ?? url}: ${(err as Error).message}`);
    }
  }
  return { ch, redis, ingestRedis, prefix: DEFAULT_PREFIX, privateRedis, close };
}
