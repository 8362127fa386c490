import { createRequire } from 'node:module';
import type { BenchRequest } from './traffic.ts';

/** Drives HTTP load with autocannon (programmatic API; the package ships no types, hence the narrow ones here). */

interface AutocannonHistogram { p50: number; p90: number; p99: number; p99_9?: number; average: number; max: number }
export interface AutocannonResult {
  start: Date;
  finish: Date;
  duration: number;
  latency: AutocannonHistogram;
  requests: { total: number; average: number; sent: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats?: Record<string, { count: number }>;
  '2xx': number;
}
interface AutocannonClient { setRequests(requests: unknown[]): void }
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  timeout?: number;
  requests?: unknown[];
  setupClient?: (client: AutocannonClient) => void;
}
type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult> & { stop(): void };

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  seconds: number;
  accepted: number;
  acceptedPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Responses that were not 202, by status. */
  otherStatus: Record<string, number>;
  errors: number;
  timeouts: number;
  total: number;
}

/**
 * Sends the pool for `seconds` over `connections` keep-alive connections. Each connection walks the whole pool from
 * its own starting point, so connections do not send the same request at the same moment. Every request is built
 * once up front (static requests), so the load generator spends no time building them during the run.
 */
export async function runLoad(url: string, pool: BenchRequest[], connections: number, seconds: number): Promise<LoadResult> {
  let nextOffset = 0;
  const stride = Math.max(1, Math.floor(pool.length / connections));
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    requests: [pool[0]],
    setupClient(client) {
      const offset = (nextOffset++ * stride) % pool.length;
      client.setRequests([...pool.slice(offset), ...pool.slice(0, offset)].map((r) => ({ ...r, headers: { ...r.headers } })));
    },
  });
  const codes = result.statusCodeStats ?? {};
  const accepted = codes['202']?.count ?? 0;
  const otherStatus: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(codes)) if (code !== '202') otherStatus[code] = count;
  const secs = (result.finish.getTime() - result.start.getTime()) / 1000 || result.duration;
  return {
    seconds: secs,
    accepted,
    acceptedPerSec: accepted / secs,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    otherStatus,
    errors: result.errors,
    timeouts: result.timeouts,
    total: Object.values(codes).reduce((s, c) => s + c.count, 0),
  };
}
