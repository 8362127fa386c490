import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
const ch = createClient({ connection: createChdbConnection({ path: '/tmp/qx/bench' }) } as any);
const P = { site: 's_bench', from: '2026-05-02 00:00:00.000', to: '2026-06-01 00:00:00.000', tz: 'Europe/Berlin' };
const q = async (sql: string) => (await ch.query({ query: sql, query_params: P, format: 'JSONEachRow' })).json();
const W = `WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}`;
async function time(label: string, f: () => Promise<unknown>, n = 7) {
  await f(); const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); console.log(label.padEnd(40), ts[Math.floor(n / 2)]!.toFixed(1), 'ms');
}
const c = (mt: number) => `SELECT country_code, uniq(visitor_id) FROM sessions ${W} GROUP BY country_code SETTINGS max_threads = ${mt}`;
await time('1x mt2', () => q(c(2)));
await time('1x mt1', () => q(c(1)));
await time('2x seq mt2', async () => { await q(c(2)); await q(c(2)); });
await time('2x par mt1', () => Promise.all([q(c(1)), q(c(1))]));
await time('2x par mt2', () => Promise.all([q(c(2)), q(c(2))]));
await time('4x par mt1', () => Promise.all([q(c(1)), q(c(1)), q(c(1)), q(c(1))]));
await ch.close();
