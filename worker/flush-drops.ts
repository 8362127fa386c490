import { randomUUID } from 'node:crypto';
import { insertRows, type ClickHouseClient } from '../core/clickhouse.ts';
import { keys } from '../core/ingest-stream.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis.ts';

/**
 * Moves the collector's drop counters (Redis hash) into ingest_drops. The hash is renamed first so new counts go to
 * a fresh one, and given an id that becomes the insert's token, so a flush retried after a crash is stored once.
 */
export async function flushDrops(ch: ClickHouseClient, redis: Redis, prefix: string): Promise<number> {
  const k = keys(prefix);
  if (!(await redis.exists(k.dropsFlushing))) {
    if (!(await redis.exists(k.drops))) return 0;
    await redis.renamenx(k.drops, k.dropsFlushing);
  }
  await redis.hsetnx(k.dropsFlushing, '#id', randomUUID());
  const counts = await redis.hgetall(k.dropsFlushing);
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  const rows = entries.map(([field, n]) => {
    const [day, siteId, reason] = field.split('|');
    return { day, site_id: siteId ?? '', reason: reason ?? '', count: Number(n) };
  }).filter((r) => r.count > 0 && /^\d{4}-\d{2}-\d{2}$/.test(r.day ?? ''));
  const token = `drops-${counts['#id']}`;
  await insertRows(ch, 'ingest_drops', rows, token);
  await redis.del(k.dropsFlushing);
  return rows.length;
}

export function startDropFlusher(ch: ClickHouseClient, redis: Redis, prefix: string, log: Logger, everyMs = 10_000) {
  let busy: Promise<unknown> = Promise.resolve();
  const tick = () => {
    busy = flushDrops(ch, redis, prefix).catch((err) => log.warn({ err: (err as Error).message }, 'drop counters not flushed; will retry'));
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    /** Flushes once more, then stops. */
    async stop() { clearInterval(timer); await busy; tick(); await busy; },
  };
}
