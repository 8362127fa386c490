import type { Config } from './config.ts';
import { openClickHouse, queryRows, type ClickHouseClient } from './clickhouse.ts';
import type { Logger } from './log.ts';
import { ANTITHEFT_MIGRATIONS, applyAntitheftRetention, applyRetention, migrate, runMigrationStatement } from './migrate.ts';
import { checkRedisDurability, connectRedis, DEFAULT_PREFIX, RedisSetupError, type Redis } from './redis.ts';
import { startPrivateRedis, type PrivateRedis } from './redis-server.ts';

export interface Services {
  ch: ClickHouseClient;
  /**
   * The anti-theft module's connection to its database `antitheft`: on a server, its own user (ANTITHEFT_CLICKHOUSE_USER)
   * granted only that database; embedded, the same engine as `ch` (one per process), kept apart by code alone.
   */
  antitheftCh: ClickHouseClient;
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
  let antitheftCh = ch;
  try {
    await migrate(ch, log);
    await applyRetention(ch, cfg.retentionMonths, log);
    if (cfg.clickhouse.url && cfg.antitheft.clickhouseUser) {
      antitheftCh = await openClickHouse({ ...cfg, clickhouse: { ...cfg.clickhouse, username: cfg.antitheft.clickhouseUser,
        password: cfg.antitheft.clickhousePassword ?? '', database: 'antitheft' } });
    } else {
      // Embedded (or one shared server user): the database is ours to create. On a server with users apart, the
      // operator's init script creates it and its grants (docker-compose.yml).
      // On every node of a cluster; once it is here, a start sends nothing that would wait for a node that is down.
      const [have] = await queryRows<{ n: string }>(ch, "SELECT count() AS n FROM system.databases WHERE name = 'antitheft'");
      if (Number(have!.n) === 0) await runMigrationStatement(ch, 'CREATE DATABASE IF NOT EXISTS antitheft');
    }
    await migrate(antitheftCh, log, ANTITHEFT_MIGRATIONS);
    await applyAntitheftRetention(antitheftCh, cfg.antitheft.retentionDays, log);
  } catch (err) {
    if (antitheftCh !== ch) await antitheftCh.close();
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
  const { redis, ingestRedis } = redisPair(url);
  const close = async () => {
    redis.disconnect();
    ingestRedis.disconnect();
    await privateRedis?.stop();
    if (antitheftCh !== ch) await antitheftCh.close();
    await ch.close();
  };
  if (needRedis) await connectChecked(cfg, log, { redis, ingestRedis }, cfg.redis.url ?? url, close);
  return { ch, antitheftCh, redis, ingestRedis, prefix: DEFAULT_PREFIX, privateRedis, close };
}

/** Redis alone, for a collector process (bin/collector-process.ts): the store process gave it `url`. */
export async function openRedisServices(cfg: Config, log: Logger, url: string): Promise<Pick<Services, 'redis' | 'ingestRedis' | 'prefix' | 'close'>> {
  const pair = redisPair(url);
  const close = async () => { pair.redis.disconnect(); pair.ingestRedis.disconnect(); };
  await connectChecked(cfg, log, pair, url, close);
  return { ...pair, prefix: DEFAULT_PREFIX, close };
}

/** The two connections: one for everything, one for the collector's appends, which never resends (see connectRedis). */
function redisPair(url: string | undefined): { redis: Redis; ingestRedis: Redis } {
  return { redis: connectRedis({ url: url ?? 'redis://127.0.0.1:6379' }), ingestRedis: connectRedis({ url: url ?? 'redis://127.0.0.1:6379', resendUnfulfilled: false }) };
}

/** Connects both, and refuses a Redis that may lose acknowledged events (unless allowed). */
async function connectChecked(cfg: Config, log: Logger, { redis, ingestRedis }: { redis: Redis; ingestRedis: Redis }, url: string | undefined,
  close: () => Promise<void>): Promise<void> {
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
    throw new RedisSetupError(`Cannot reach Redis at ${url}: ${(err as Error).message}`);
  }
}
