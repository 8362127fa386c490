import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
const ch = createClient({ connection: createChdbConnection({ path: '/tmp/qx/bench' }) } as any);
const P = { site: 's_bench', from: '2026-05-02 00:00:00.000', to: '2026-06-01 00:00:00.000', tz: 'Europe/Berlin' };
const q = async (sql: string) => (await ch.query({ query: sql, query_params: P, format: 'JSONEachRow' })).json();
const W = `WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}`;
async function time(label: string, sql: string, n = 7) {
  await q(sql);
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await q(sql); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); console.log(label.padEnd(40), ts[Math.floor(n / 2)]!.toFixed(1), 'ms');
}
await time('count only', `SELECT count() FROM sessions ${W}`);
await time('sum(sign)', `SELECT sum(sign) FROM sessions ${W}`);
await time('uniq', `SELECT uniq(visitor_id) FROM sessions ${W}`);
await time('uniqHLL12', `SELECT uniqHLL12(visitor_id) FROM sessions ${W}`);
await time('uniqCombined', `SELECT uniqCombined(visitor_id) FROM sessions ${W}`);
await time('uniqCombined(12)', `SELECT uniqCombined(12)(visitor_id) FROM sessions ${W}`);
await time('country sum', `SELECT country_code, sum(sign) FROM sessions ${W} GROUP BY country_code`);
await time('country uniq', `SELECT country_code, uniq(visitor_id) FROM sessions ${W} GROUP BY country_code`);
await time('country uniqHLL12', `SELECT country_code, uniqHLL12(visitor_id) FROM sessions ${W} GROUP BY country_code`);
await time('country uniqCombined12', `SELECT country_code, uniqCombined(12)(visitor_id) FROM sessions ${W} GROUP BY country_code`);
await time('country uniq maxthreads1', `SELECT country_code, uniq(visitor_id) FROM sessions ${W} GROUP BY country_code SETTINGS max_threads = 1`);
await time('entry uniq', `SELECT entry_page, uniq(visitor_id) FROM sessions ${W} GROUP BY entry_page`);
await time('entry uniqHLL12', `SELECT entry_page, uniqHLL12(visitor_id) FROM sessions ${W} GROUP BY entry_page`);
await time('gsets 6 uniq', `SELECT country_code, browser, os, device_type, screen_size, channel, uniq(visitor_id) FROM sessions ${W} GROUP BY GROUPING SETS ((country_code),(browser),(os),(device_type),(screen_size),(channel))`);
await time('gsets 6 hll', `SELECT country_code, browser, os, device_type, screen_size, channel, uniqHLL12(visitor_id) FROM sessions ${W} GROUP BY GROUPING SETS ((country_code),(browser),(os),(device_type),(screen_size),(channel))`);
await time('pages uniq', `SELECT pathname, uniq(visitor_id), countIf(name='pageview') FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement' GROUP BY pathname`);
await time('pages hll', `SELECT pathname, uniqHLL12(visitor_id), countIf(name='pageview') FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement' GROUP BY pathname`);
await time('pages count', `SELECT pathname, count() FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement' GROUP BY pathname`);
await ch.close();
