import { createRequire } from 'node:module';
import type { BenchRequest } from './traffic.ts';

/** Drives HTTP load with autocannon (programmatic API; the package ships no types, hence the narrow ones here). */

interface AutocannonHistogram { p50: number; p90: number; p99: number; average: number; max: number }
/** One run's raw result (skipAggregateResult): histograms still encoded, so runs can be merged. */
export interface RawRun { start: Date; finish: Date; errors: number; timeouts: number; statusCodeStats: Record<string, { count: number }> }
interface Aggregated { latency: AutocannonHistogram; errors: number; timeouts: number; statusCodeStats: Record<string, { count: number }> }
interface AutocannonClient { setRequests(requests: unknown[]): void }
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  pipelining?: number;
  timeout?: number;
  requests?: unknown[];
  skipAggregateResult?: boolean;
  sampleInt?: number;
  setupClient?: (client: AutocannonClient) => void;
}
type Instance = Promise<RawRun> & { on(event: 'start', fn: () => void): void };
type Autocannon = ((opts: AutocannonOptions) => Instance) & { aggregateResult(runs: RawRun[], opts: object): Aggregated };

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
export async function runRound(url: string, pool: BenchRequest[], connections: number, seconds: number): Promise<RawRun> {
  let nextOffset = 0;
  const stride = Math.max(1, Math.floor(pool.length / connections));
  // Each connection cycles through its own window of the pool; together the windows cover all of it.
  const perClient = Math.min(pool.length, Math.max(100, stride));
  const run = autocannon({
    url,
    connections,
    duration: seconds,
    pipelining: 1,
    timeout: 10,
    skipAggregateResult: true,
    // autocannon stops at the first sample tick after `duration`: tick often so a run lasts what was asked.
    sampleInt: 100,
    requests: [pool[0]],
    setupClient(client) {
      const offset = (nextOffset++ * stride) % pool.length;
      const mine = [...pool.slice(offset), ...pool.slice(0, offset)].slice(0, perClient);
      client.setRequests(mine.map((r) => ({ ...r, headers: { ...r.headers } })));
    },
  });
  // autocannon's own start time includes building every connection's requests; the load starts after that.
  let loadStart = 0;
  run.on('start', () => { loadStart = Date.now(); });
  const result = await run;
  return loadStart ? { ...result, start: new Date(loadStart) } : result;
}

/** Merges rounds (latency histograms included) into one result; the time is the sum of the rounds' times. */
export function summarise(runs: RawRun[], url: string, connections: number): LoadResult {
  const seconds = runs.reduce((s, r) => s + (r.finish.getTime() - r.start.getTime()) / 1000, 0);
  const codes: Record<string, number> = {};
  for (const r of runs) for (const [code, { count }] of Object.entries(r.statusCodeStats)) codes[code] = (codes[code] ?? 0) + count;
  const agg = autocannon.aggregateResult(runs.map((r) => ({ ...r, statusCodeStats: structuredClone(r.statusCodeStats) })), { url, connections });
  const accepted = codes['202'] ?? 0;
  const otherStatus = Object.fromEntries(Object.entries(codes).filter(([c]) => c !== '202'));
  return {
    seconds,
    accepted,
    acceptedPerSec: accepted / seconds,
    p50: agg.latency.p50,
    p90: agg.latency.p90,
    p99: agg.latency.p99,
    max: agg.latency.max,
    otherStatus,
    errors: agg.errors,
    timeouts: agg.timeouts,
    total: Object.values(codes).reduce((s, n) => s + n, 0),
  };
}

export async function runLoad(url: string, pool: BenchRequest[], connections: number, seconds: number): Promise<LoadResult> {
  return summarise([await runRound(url, pool, connections, seconds)], url, connections);
}
