import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '../core/clickhouse.ts';
import { migrate } from '../core/migrate.ts';
import type { Site } from '../core/registry.ts';
import { siteOverview } from '../dashboard/api/query/overview.ts';
import { runCompiled } from '../dashboard/api/query/sql.ts';
import { loadSyntheticWeb } from './lib/query-bench-data.ts';

/**
 * The query benchmark (meant for `npm run bench:query`): loads EVENTS synthetic events (default 10 M, 120 days) into an
 * embedded ClickHouse, then times the site overview (every panel) for the last 30 days, median of RUNS runs, beside a
 * bare `SELECT count(), uniq(visitor_id) FROM events WHERE site AND range` in the same store and run.
 *   node --import tsx tests/fixtures/query-bench.ts    EVENTS=10000000 RUNS=7 CONCURRENCY=1 BENCH_DIR=/path (reused when it holds the data)
 * Prints a Markdown table for BENCHMARKS.md, with the time of each statement of the last run.
 */
const EVENTS = Number(process.env.EVENTS ?? 10_000_000);
const RUNS = Number(process.env.RUNS ?? 7);
/** Statements in flight at once: 1 suits the embedded engine (it runs one at a time and loses time juggling more). */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 1);
const DAYS = 120;
const END = Date.parse('2026-06-01T00:00:00Z');
const site: Site = { siteId: 's_bench', domain: 'bench.example', timezone: 'Europe/Berlin', honorDnt: true, createdAt: '2026-01-01 00:00:00.000' };

const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const { createChdbConnection } = await import('chdb/connection');
const raw = createClient({ connection: createChdbConnection({ path: dir }) } as Parameters<typeof createClient>[0]);
const timings: { sql: string; ms: number }[] = [];
const ch = new Proxy(raw, {
  get(target, prop, receiver) {
    if (prop === 'query') {
      return async (params: { query: string }) => {
        const t = performance.now();
        const rs = await target.query(params as never);
        const rows = await rs.json();
        timings.push({ sql: params.query, ms: performance.now() - t });
        return { json: async () => rows };
      };
    }
    const v = Reflect.get(target, prop, receiver);
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as ClickHouseClient;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  await migrate(raw);
  const [have] = await runCompiled<{ n: string }>(raw, { name: 'count', sql: 'SELECT count() AS n FROM events WHERE site_id = {site:String}', params: { site: site.siteId } });
  if (Number(have?.n ?? 0) < EVENTS * 0.9) {
    const t = performance.now();
    const loaded = await loadSyntheticWeb(raw, { siteId: site.siteId, events: EVENTS, days: DAYS, endMs: END });
    console.log(`loaded ${loaded.events.toLocaleString('en')} events (${loaded.visits.toLocaleString('en')} visits) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const now = END - 12 * 3_600_000;
  const bare = { name: 'bare', sql: 'SELECT count() AS n, uniq(visitor_id) AS v FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}',
    params: { site: site.siteId, from: '2026-05-01 22:00:00.000', to: '2026-05-31 22:00:00.000' } };
  const [scan] = await runCompiled<{ n: string; v: string }>(raw, bare);
  await siteOverview(ch, site, { dateRange: '30d', now }); // warm-up
  const bareMs: number[] = [];
  const overviewMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await runCompiled(raw, bare);
    bareMs.push(performance.now() - t);
    timings.length = 0;
    t = performance.now();
    await siteOverview(ch, site, { dateRange: '30d', now, concurrency: CONCURRENCY });
    overviewMs.push(performance.now() - t);
  }
  timings.length = 0;
  await siteOverview(ch, site, { dateRange: '30d', now, concurrency: 1 }); // one at a time, for the time of each statement
  const b = median(bareMs);
  const o = median(overviewMs);
  console.log(`\n| ${EVENTS.toLocaleString('en')} events, 30 days (${Number(scan!.n).toLocaleString('en')} events, ${Number(scan!.v).toLocaleString('en')} visitors in range) | median of ${RUNS} |`);
  console.log('|---|---|');
  console.log(`| bare count() + uniq(visitor_id) | ${b.toFixed(0)} ms |`);
  console.log(`| site overview (${timings.length} statements, every panel, ${CONCURRENCY} at a time) | ${o.toFixed(0)} ms (${(o / b).toFixed(1)}× the bare scan) |`);
  console.log('\nstatements, run one at a time:');
  for (const s of timings) console.log(`${s.ms.toFixed(0).padStart(6)} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 110)}`);
} finally {
  await raw.close();
  if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
}
