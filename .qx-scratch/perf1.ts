import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
const ch = createClient({ connection: createChdbConnection({ path: '/tmp/qx/bench' }) } as any);
const P = { site: 's_bench', from: '2026-05-02 00:00:00.000', to: '2026-06-01 00:00:00.000', tz: 'Europe/Berlin' };
const q = async (sql: string) => (await ch.query({ query: sql, query_params: P, format: 'JSONEachRow' })).json();
const bare = `SELECT count(), uniq(visitor_id) FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}`;
const top = `SELECT sum(sign) v, uniq(visitor_id) u, sum(sign*pageviews) pv, sum(sign*is_bounce) b, sum(sign*duration_ms) d FROM sessions WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)}`;
const br = (c: string) => `SELECT ${c} AS d0, uniq(visitor_id) u, sum(sign) v FROM sessions WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)} GROUP BY d0 ORDER BY u DESC LIMIT 10`;
const pages = `SELECT pathname d0, uniq(visitor_id) u, countIf(name='pageview') pv FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND name != 'engagement' GROUP BY d0 ORDER BY u DESC LIMIT 10`;
const ts = `SELECT toString(toDate(start, {tz:String})) d0, uniq(visitor_id) u, sum(sign) v FROM sessions WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)} GROUP BY d0`;
async function time(label: string, f: () => Promise<unknown>, n = 7) {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); console.log(label, ts[Math.floor(n / 2)]!.toFixed(1), 'ms');
}
console.log(await q(bare), await q(top));
await time('bare', () => q(bare));
await time('top', () => q(top));
await time('country', () => q(br('country_code')));
await time('city', () => q(br('city')));
await time('entry', () => q(br('entry_page')));
await time('pages', () => q(pages));
await time('ts', () => q(ts));
const panels = [top, ts, pages, br('entry_page'), br('referrer_source'), br('channel'), br('utm_source'), br('utm_medium'), br('utm_campaign'), br('country_code'), br('region'), br('city'), br('browser'), br('os'), br('device_type'), br('screen_size')];
await time('16 seq', async () => { for (const p of panels) await q(p); }, 5);
await time('16 concurrent', () => Promise.all(panels.map(q)), 5);
await time('2 concurrent bare', () => Promise.all([q(bare), q(bare)]), 5);
await ch.close();
