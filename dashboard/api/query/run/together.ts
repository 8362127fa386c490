import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import { clusterReadSettings } from '../../../../core/cluster.ts';
import type { Compiled } from '../sql/params.ts';
import { BATCHER, QUERY_SETTINGS, limitError, runAlone, type Batcher } from './run.ts';

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
      if (prop === BATCHER) return together;
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

interface Waiting { q: Compiled; resolve: (rows: unknown[]) => void; reject: (e: unknown) => void }

/**
 * Splits statements into batches whose parameters can be merged as they are: engine statements name their values
 * with their own prefix (sql/params.ts), so they never clash; a statement that names a value another in the batch
 * names differently (hand-written SQL, the catalog's fixed names) waits for the next batch.
 */
export function mergeable(qs: Compiled[]): { batch: Compiled[]; params: Record<string, unknown> }[] {
  const out: { batch: Compiled[]; params: Record<string, unknown> }[] = [];
  let rest = qs;
  while (rest.length) {
    const params: Record<string, unknown> = {};
    const batch: Compiled[] = [];
    const later: Compiled[] = [];
    for (const q of rest) {
      const clash = Object.entries(q.params).some(([k, v]) => k in params && JSON.stringify(params[k]) !== JSON.stringify(v));
      if (clash) { later.push(q); continue; }
      Object.assign(params, q.params);
      batch.push(q);
    }
    out.push({ batch, params });
    rest = later;
  }
  return out;
}

class Together implements Batcher {
  private waiting: Waiting[] = [];

  constructor(private readonly ch: ClickHouseClient) {}

  run(q: Compiled): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ q, resolve, reject }) === 1) setImmediate(() => { void this.flush(); });
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = [];
    const of = new Map(waiting.map((w) => [w.q, w]));
    await Promise.all(mergeable(waiting.map((w) => w.q)).map(({ batch, params }) => this.send(batch.map((q) => of.get(q)!), params)));
  }

  private async send(batch: Waiting[], params: Record<string, unknown>): Promise<void> {
    if (batch.length === 1) {
      const [w] = batch;
      await runAlone(this.ch, w!.q).then(w!.resolve, w!.reject);
      return;
    }
    const branches = batch.map(({ q }, i) => `SELECT ${i} AS q, formatRowNoNewline('JSONEachRow', *) AS r FROM (\n${q.sql}\n)`);
    try {
      // Each branch streams its statement's sorted result; keep that order (no sort is dropped as redundant).
      const rs = await this.ch.query({ query: `${branches.join('\nUNION ALL\n')}\n${QUERY_SETTINGS}, query_plan_remove_redundant_sorting = 0`,
        query_params: params, format: 'JSONEachRow', ...clusterReadSettings(this.ch) });
      const rows = await rs.json<{ q: number; r: string }>();
      const out: unknown[][] = batch.map(() => []);
      for (const row of rows) out[Number(row.q)]!.push(JSON.parse(row.r));
      batch.forEach((w, i) => w.resolve(out[i]!));
    } catch (e) {
      for (const w of batch) w.reject(limitError(e));
    }
  }
}
