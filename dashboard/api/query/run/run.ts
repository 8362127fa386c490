import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import { clusterReadSettings } from '../../../../core/cluster.ts';
import { HttpError } from '../../../../core/errors.ts';
import type { Compiled } from '../sql/params.ts';

/**
 * The engine's one way to run SQL. Settings travel in the statement's SETTINGS clause, never per call: the embedded
 * engine keeps per-call settings for every later call (see docs/notes). `readonly = 2` in a SELECT's SETTINGS clause
 * is scoped to that SELECT on chDB (pinned by tests/integration/query-safety.int.test.ts), so a report query can never
 * write, while ingest on the same embedded session keeps writing.
 */
export const QUERY_LIMITS = { seconds: 15, memoryBytes: 2_000_000_000 } as const;
/**
 * use_index_for_in_with_subqueries = 0: the engine's `session_id IN (SELECT ...)` tests (a visit with such an event)
 * would otherwise check the primary key of sessions against the whole set, which costs more than the test itself:
 * 82 against 507-1,596 ms for the visits that viewed /pricing in 30 days at 100 M events (BENCHMARKS.md section 3).
 * No engine statement skips rows by such a set (session_id follows the day in the sessions key and is not in the
 * events key).
 */
export const QUERY_SETTINGS = `SETTINGS max_execution_time = ${QUERY_LIMITS.seconds}, max_memory_usage = ${QUERY_LIMITS.memoryBytes}, readonly = 2, use_index_for_in_with_subqueries = 0`;

/**
 * A statement stopped at its time or memory limit is the request's size, not a fault of the platform: the reader gets
 * a 422 saying which limit and what to change, instead of a hung page or a 500. Other errors pass through.
 */
export function limitError(err: unknown): unknown {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'TIMEOUT_EXCEEDED') {
    return new HttpError(422, 'query_too_long', `this view ran past its ${QUERY_LIMITS.seconds} s time limit; try a shorter date range or fewer filters`);
  }
  if (type === 'MEMORY_LIMIT_EXCEEDED') {
    return new HttpError(422, 'query_too_large', `this view needs more than its ${QUERY_LIMITS.memoryBytes / 1e9} GB memory limit; try a shorter date range, fewer filters or fewer rows`);
  }
  return err;
}

/** A client that gathers statements to send them as one (together.ts) answers under this key. */
export const BATCHER = Symbol('statement batcher');
export interface Batcher { run(q: Compiled): Promise<unknown[]> }

/** Runs one engine statement, through the client's batcher if it has one. */
export async function runCompiled<T = Record<string, unknown>>(ch: ClickHouseClient, q: Compiled): Promise<T[]> {
  const batcher = (ch as { [BATCHER]?: Batcher })[BATCHER];
  return batcher ? batcher.run(q) as Promise<T[]> : runAlone<T>(ch, q);
}

/** Runs one statement by itself, with the engine's limits. */
export async function runAlone<T = Record<string, unknown>>(ch: ClickHouseClient, q: Compiled): Promise<T[]> {
  try {
    const rs = await ch.query({ query: `${q.sql}\n${QUERY_SETTINGS}`, query_params: q.params, format: 'JSONEachRow', ...clusterReadSettings(ch) });
    return await rs.json<T>();
  } catch (err) {
    throw limitError(err);
  }
}

/** ClickHouse returns 64-bit integers as strings in JSON; every metric is a number to the API. */
export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
