import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openClickHouse, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { loadConfig } from '../../core/config.ts';
import { migrate } from '../../core/migrate.ts';
import { Registry, type Site } from '../../core/registry.ts';
import type { QueryResponse, ResultRow } from '../../core/api/stats.ts';
import { siteOverview } from '../../dashboard/api/query/assemble/overview.ts';
import { executeQuery } from '../../dashboard/api/query/run/engine.ts';
import { parseQueryRequest } from '../../dashboard/api/query/request/query-request.ts';
import { buildWebQuery } from '../../dashboard/api/query/sql/web-query.ts';
import { resolveDimension } from '../../dashboard/api/query/catalog/dimensions.ts';
import { resolveDateRange } from '../../dashboard/api/query/request/date-range.ts';
import { runDemo } from '../../tools/demo/generate.ts';

/**
 * Visit frequency from a sample of visitors (plan/rollups.ts visitorsPlan, sql/sample.ts) on a real embedded
 * ClickHouse with three months of demo traffic: the factor k is sized from visit_totals, the estimate is exactly k
 * times the sampled visitors' own counts, each figure lies within a few of its stated margins of the whole count, and
 * what is not sampled (small ranges, filters, linked ranges, the setting off) answers exactly.
 */
describe('visit frequency estimated from a sample of visitors on long, busy ranges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sampling-'));
  const NOW = Date.parse('2026-06-01T10:00:00Z');
  let ch: ClickHouseClient;
  let site: Site;
  let cookieVisits = 0;
  const FREQ = { metrics: ['visitors', 'visits'], dimensions: ['visitor:frequency'], order_by: [['visitor:frequency', 'asc']] };
  const run = (body: Record<string, unknown>, sampleAbove?: number) =>
    executeQuery(ch, { kind: 'site', site }, parseQueryRequest({ site_id: site.domain, date_range: '12mo', ...FREQ, ...body }), NOW,
      sampleAbove ? { sampleAbove } : {});
  const byBucket = (r: QueryResponse): Record<string, ResultRow> => Object.fromEntries(r.results.map((x) => [x.dimensions[0]!, x]));

  before(async () => {
    ch = await openClickHouse(loadConfig({ DATA_DIR: dir }));
    await migrate(ch);
    const registry = new Registry(ch);
    await registry.reload();
    const out = await runDemo(ch, registry, { events: 120_000, months: 3, domain: 'sampling.vigil.example' }, () => {}, { seed: 11, now: NOW });
    site = out.site;
    registry.close();
    const [row] = await queryRows<{ n: string }>(ch, "SELECT sum(sign) AS n FROM sessions WHERE site_id = {s:String} AND id_type = 'cookie'", { s: site.siteId });
    cookieVisits = Number(row!.n);
  });
  after(async () => {
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every visitor while the range holds at most sampleAbove cookie visits, and says so', async () => {
    const whole = await run({});
    const roomy = await run({}, cookieVisits + 1);
    assert.ok(cookieVisits > 10_000, `the demo made ${cookieVisits} cookie visits`);
    assert.equal(whole.meta.sample, undefined);
    assert.equal(roomy.meta.sample, undefined);
    assert.deepEqual(roomy.results, whole.results);
    assert.ok(whole.results.every((r) => r.margin === undefined));
    assert.equal(whole.results.reduce((s, r) => s + r.metrics[1]!, 0), cookieVisits, 'every cookie visit is in a bucket');
  });

  it('samples 1 in k visitors, k the smallest power of 2 bringing the cookie visits within the bound', async () => {
    const above = Math.floor(cookieVisits / 6); // visits / above is just over 6: k = 8
    const got = await run({}, above);
    assert.deepEqual(got.meta.sample, { fraction: 1 / 8 });
    // Exactly 8 times the visitors whose id hashes to 0 modulo 8, counted in full, bucket by bucket.
    const sampled = await queryRows<{ b: string; v: string; n: string; sq: string }>(ch, `SELECT multiIf(visits = 1, '1', visits = 2, '2', visits <= 5, '3-5',
      visits <= 10, '6-10', '11+') AS b, count() AS v, sum(visits) AS n, sum(visits * visits) AS sq FROM (SELECT visitor_id, sum(sign) AS visits FROM sessions
      WHERE site_id = {s:String} AND id_type = 'cookie' AND intHash64(visitor_id) % 8 = 0 GROUP BY visitor_id HAVING visits > 0) GROUP BY b`, { s: site.siteId });
    const rows = byBucket(got);
    assert.equal(got.results.length, sampled.length);
    for (const s of sampled) {
      const r = rows[s.b]!;
      assert.deepEqual(r.metrics, [8 * Number(s.v), 8 * Number(s.n)], `bucket ${s.b}`);
      // The margins: 1.96 standard errors, variance (k - 1) * k * sum(y^2) over the sample.
      assert.deepEqual(r.margin, [Math.round(1.96 * Math.sqrt(7 * 8 * Number(s.v))), Math.round(1.96 * Math.sqrt(7 * 8 * Number(s.sq)))], `bucket ${s.b}`);
    }
  });

  it('lands each estimate near the whole count: within three margins, visitors in all buckets within 10 %', async () => {
    const whole = byBucket(await run({}));
    const est = await run({}, Math.floor(cookieVisits / 3)); // k = 4
    assert.deepEqual(est.meta.sample, { fraction: 1 / 4 });
    let total = 0;
    for (const r of est.results) {
      const w = whole[r.dimensions[0]!]!;
      r.metrics.forEach((v, i) => assert.ok(Math.abs(v - w.metrics[i]!) <= 3 * r.margin![i]!, `${r.dimensions[0]} metric ${i}: ${v} vs ${w.metrics[i]} ± ${r.margin![i]}`));
      total += r.metrics[0]!;
    }
    const exact = Object.values(whole).reduce((s, r) => s + r.metrics[0]!, 0);
    assert.ok(Math.abs(total - exact) / exact < 0.1, `${total} vs ${exact} visitors`);
  });

  it('counts filtered ranges, ranges within the visit-link window and the setting off whole, and the plan says why', async () => {
    const above = 100;
    const filtered = await run({ filters: [['is', 'visit:device', ['desktop']]] }, above);
    assert.equal(filtered.meta.sample, undefined);
    const month = await run({ date_range: '30d' }, above);
    assert.equal(month.meta.sample, undefined);
    const range30 = resolveDateRange('30d', { tz: site.timezone, now: NOW });
    const range = resolveDateRange('12mo', { tz: site.timezone, now: NOW });
    const dims = [resolveDimension('web', 'visitor:frequency', 'dimensions[0]', 'day')];
    const spec = { metrics: ['visitors'], dimensions: dims, orderBy: [], limit: 10, offset: 0 };
    const plan = (extra: Record<string, unknown>) => buildWebQuery(site.siteId, range, { ...spec, filters: [], ...extra }).plan![0]!;
    assert.match(plan({ sampleAbove: above }), /1 in k visitors above 100 cookie visits/);
    // 30 days of a site linked from the start: counted whole from visit links, whatever the size.
    assert.match(buildWebQuery(site.siteId, range30, { ...spec, filters: [], sampleAbove: above, linkedSince: 0 }).plan![0]!, /repeat visits only, from visit links/);
    assert.match(plan({}), /every visitor grouped \(sampling off\)/);
    assert.match(plan({ sampleAbove: above, rollups: false }), /every visitor grouped/);
    const f = parseQueryRequest({ site_id: site.domain, date_range: '12mo', metrics: ['visitors'], dimensions: ['visitor:frequency'], filters: [['is', 'visit:device', ['desktop']]] }).filters;
    assert.match(buildWebQuery(site.siteId, range, { ...spec, filters: f, sampleAbove: above }).plan![0]!, /only unfiltered ranges are sampled/);
  });

  it('says a percentage-only answer is sampled, and sizes a comparison period on its own', async () => {
    const only = await run({ metrics: ['percentage'] }, Math.floor(cookieVisits / 6));
    assert.deepEqual(only.meta.sample, { fraction: 1 / 8 });
    // The last 45 days against the 45 before: the bound between their sizes samples the busier one alone.
    const visitsIn = async (from: string, to: string) => Number((await queryRows<{ n: string }>(ch, `SELECT sum(sign) AS n FROM sessions WHERE site_id = {s:String}
      AND id_type = 'cookie' AND start >= toDateTime64({a:String}, 3, {tz:String}) AND start < toDateTime64({b:String}, 3, {tz:String})`,
    { s: site.siteId, a: from, b: to, tz: site.timezone }))[0]!.n);
    const main = ['2026-04-18', '2026-06-01'];
    const [a, b] = [await visitsIn('2026-04-18', '2026-06-02'), await visitsIn('2026-03-04', '2026-04-18')];
    assert.notEqual(a, b);
    const got = await run({ date_range: main, include: { comparisons: { mode: 'previous_period' } } }, Math.min(a, b));
    const sampledMain = a > b;
    assert.equal(got.meta.sample!.fraction < 1, sampledMain, `main ${a} cookie visits, previous period ${b}`);
    assert.equal(got.meta.sample!.comparison_fraction !== undefined, !sampledMain);
  });

  it('estimates percentage from the same sample, and its margin is not given', async () => {
    const got = await run({ metrics: ['visitors', 'percentage'] }, Math.floor(cookieVisits / 6));
    assert.deepEqual(got.meta.sample, { fraction: 1 / 8 });
    const sum = got.results.reduce((s, r) => s + r.metrics[1]!, 0);
    assert.ok(Math.abs(sum - 100) < 0.6, `shares add up to ${sum}`);
    assert.ok(got.results.every((r) => r.margin![1] === null && r.margin![0]! > 0));
  });

  it('the overview marks its frequency panel as estimated, with a margin for each shown bucket, and no other panel', async () => {
    const view = await siteOverview(ch, site, { dateRange: '12mo', now: NOW, sampleAbove: Math.floor(cookieVisits / 6) });
    assert.deepEqual(Object.keys(view.samples ?? {}), ['frequency']);
    const s = view.samples!.frequency!;
    assert.equal(s.fraction, 1 / 8);
    assert.equal(s.margins.length, view.panels.frequency.length);
    view.panels.frequency.forEach((row, i) => {
      assert.ok(typeof s.margins[i]!.visitors === 'number' && typeof s.margins[i]!.visits === 'number', `bucket ${row.value}`);
    });
    // A tiny sample leaves buckets without a sampled visitor: shown as 0, margin unknown (null), not 0 ± 0.
    const tiny = await siteOverview(ch, site, { dateRange: '12mo', now: NOW, sampleAbove: 20 });
    const empty = tiny.panels.frequency.map((r, i) => ({ r, m: tiny.samples!.frequency!.margins[i]! })).filter(({ r }) => r.visitors === 0);
    assert.ok(empty.length > 0, `1 in ${1 / tiny.samples!.frequency!.fraction}`);
    for (const { m } of empty) assert.deepEqual(m, { visitors: null, visits: null });
    const plain = await siteOverview(ch, site, { dateRange: '12mo', now: NOW });
    assert.equal(plain.samples, undefined);
    assert.deepEqual(plain.panels.countries, view.panels.countries);
  });
});
