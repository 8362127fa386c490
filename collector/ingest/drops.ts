import { keys } from '../../core/ingest-stream.ts';
import type { Redis } from '../../core/redis.ts';

export type DropReason = 'bot' | 'invalid' | 'unknown_site' | 'unknown_key' | 'rate_limited' | 'backlog_full' | 'stale_engagement' | 'too_large';

/**
 * Counts what the collector refused, per day, site and reason, in a Redis hash; the worker moves the counts into
 * ClickHouse (ingest_drops) for the data-quality view. Counting never delays or fails a request.
 */
export class DropCounter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  count(reason: DropReason, siteId = '', n = 1): void {
    const day = new Date().toISOString().slice(0, 10);
    this.redis.hincrby(keys(this.prefix).drops, `${day}|${siteId}|${reason}`, n).catch(() => undefined);
  }
}
