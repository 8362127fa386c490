import type { Redis } from './redis.ts';

/** BullMQ's keys live under the platform's Redis prefix (tests and deployments sharing a server stay apart). */
export const bullPrefix = (prefix: string) => `${prefix}bull`;

/**
 * A connection for BullMQ: its workers block on Redis and must never give up on a command (maxRetriesPerRequest
 * null, as BullMQ requires), and auto-pipelining stays off because BullMQ pipelines its own calls.
 */
export function bullConnection(redis: Redis): Redis {
  return redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false, lazyConnect: false });
}
