import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import { HttpError } from '../../../core/errors.ts';

/**
 * The engine's one way to run SQL. Settings travel in the statement's SETTINGS clause, never per call: the embedded
 * engine keeps per-call settings for every later call (see docs/notes). `readonly = 2` in a SELECT's SETTINGS clause
 * is scoped to that SELECT on chDB (pinned by tests/integration/query-safety.int.test.ts), so a report query can never
 * write, while ingest on the same embedded session keeps writing.
 */
export const QUERY_LIMITS = { seconds: 15, memoryBytes: 2_000_000_000 } as const;
export const QUERY_SETTINGS = `SETTINGS max_execution_time = ${QUERY_LIMITS.seconds}, max_memory_usage = ${QUERY_LIMITS.memoryBytes}, readonly = 2`;

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

/** A statement built by the engine: constants, allow-list outputs and {name:Type} placeholders only. */
export interface Compiled {
  /** Log key and test handle, e.g. 'web:sessions'. */
  name: string;
  sql: string;
  params: Record<string, unknown>;
  /** Its first row (`tot` = 1) holds the metrics over all rows (Spec.totals). */
  totals?: boolean;
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
  const together = (ch as { [TOGETHER]?: Together })[TOGETHER];
  if (together) return together.run(q) as Promise<T[]>;
  try {
    const rs = await ch.query({ query: `${q.sql}\n${QUERY_SETTINGS}`, query_params: q.params, format: 'JSONEachRow' });
    return await rs.json<T>();
  } catch (err) {
    throw limitError(err);
  }
}

const TOGETHER = Symbol('run statements together');

/**
 * The client `ch`, except that the engine's statements issued in the same turn of the event loop run as ONE statement:
 * a UNION ALL of them, each row tagged with its statement and carried as a JSON string, so every statement keeps its
 * own columns. The embedded engine runs one statement at a time, and a small one on one core; the branches of one
 * statement run side by side on every core (the site overview: 1.4x faster on 2 cores, BENCHMARKS.md section 3).
 * Callers see each statement's rows as runCompiled alone gives them.
 */
export function runTogether(ch: ClickHouseClient): ClickHouseClient {
  const together = new Together(ch);
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === TOGETHER) return together;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

interface Waiting { q: Compiled; resolve: (rows: unknown[]) => void; reject: (e: unknown) => void }

class Together {
  private waiting: Waiting[] = [];

  constructor(private readonly ch: ClickHouseClient) {}

  run(q: Compiled): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ q, resolve, reject }) === 1) setImmediate(() => { void this.flush(); });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 1) {
      const [w] = batch;
      runCompiled(this.ch, w!.q).then(w!.resolve, w!.reject);
      return;
    }
    const params: Record<string, unknown> = {};
    // Each statement's placeholders get its own prefix; the SQL holds no other `{name:` text (values are parameters).
    const branches = batch.map(({ q }, i) => {
      for (const [k, v] of Object.entries(q.params)) params[`q${i}_${k}`] = v;
      return `SELECT ${i} AS q, formatRowNoNewline('JSONEachRow', *) AS r FROM (\n${q.sql.replace(/\{([A-Za-z_]\w*):/g, `{q${i}_$1:`)}\n)`;
    });
    try {
      // Each branch streams its statement's sorted result; keep that order (no sort is dropped as redundant).
      const rs = await this.ch.query({ query: `${branches.join('\nUNION ALL\n')}\n${QUERY_SETTINGS}, query_plan_remove_redundant_sorting = 0`,
        query_params: params, format: 'JSONEachRow' });
      const rows = await rs.json<{ q: number; r: string }>();
      const out: unknown[][] = batch.map(() => []);
      for (const row of rows) out[Number(row.q)]!.push(JSON.parse(row.r));
      batch.forEach((w, i) => w.resolve(out[i]!));
    } catch (e) {
      for (const w of batch) w.reject(limitError(e));
    }
  }
}

/** ClickHouse returns 64-bit integers as strings in JSON; every metric is a number to the API. */
export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}
