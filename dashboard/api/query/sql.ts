import type { ClickHouseClient } from '../../../core/clickhouse.ts';

/**
 * The engine's one way to run SQL. Settings travel in the statement's SETTINGS clause, never per call: the embedded
 * engine keeps per-call settings for every later call (see docs/notes). `readonly = 2` in a SELECT's SETTINGS clause
 * is scoped to that SELECT on chDB (pinned by tests/integration/query-safety.int.test.ts), so a report query can never
 * write, while ingest on the same embedded session keeps writing.
 */
export const QUERY_SETTINGS = 'SETTINGS max_execution_time = 15, readonly = 2';

/** A statement built by the engine: constants, allow-list outputs and {name:Type} placeholders only. */
export interface Compiled {
  /** Log key and test handle, e.g. 'web:sessions'. */
  name: string;
  sql: string;
  params: Record<string, unknown>;
}

/**
 * Collects the values a statement needs and hands out their placeholders. Names are generated (f0, f1...), so no
 * request-derived text ever becomes part of the SQL, not even as a parameter name.
 */
export class Params {
  private n = 0;
  readonly values: Record<string, unknown> = {};

  constructor(fixed: Record<string, unknown> = {}) {
    Object.assign(this.values, fixed);
  }

  /** A new placeholder for `value`, typed `type` (a constant from the engine, e.g. 'Array(String)'). */
  add(value: unknown, type: string): string {
    const name = `f${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

export async function runCompiled<T = Record<string, unknown>>(ch: ClickHouseClient, q: Compiled): Promise<T[]> {
  const rs = await ch.query({ query: `${q.sql}\n${QUERY_SETTINGS}`, query_params: q.params, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** ClickHouse returns 64-bit integers as strings in JSON; every metric is a number to the API. */
export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
