import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveDateRange } from '../../dashboard/api/query/request/date-range.ts';
import { FeatureCatalog } from '../../dashboard/api/features/catalog.ts';
import { parseFilters } from '../../dashboard/api/query/catalog/filters.ts';
import { retention } from '../../dashboard/api/query/assemble/retention.ts';
import { FIXTURE_NOW, startQueryFixture, table, type LoadedFixture, type QueryOutput } from '../fixtures/query-fixture.ts';
import { executeQuery } from '../../dashboard/api/query/run/engine.ts';
import { parseQueryRequest } from '../../dashboard/api/query/request/query-request.ts';
import { resolveDimension } from '../../dashboard/api/query/catalog/dimensions.ts';
import { planProductSource } from '../../dashboard/api/query/plan/product-rollup.ts';
import { recordingClient } from '../helpers/recording-client.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/**
 * Product metrics over 2026-03-02..15 (UTC), fixture product Cleaner:
 *   i0 Feb 20, Mar 04 · i1 Mar 02, 03, 09 · i2 Mar 02, (Mar 16) · i3 Mar 09 ×2;  Photos: j1 Mar 05.
 */
describe('query engine: products and retention on real embedded ClickHouse', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let product: (body: Record<string, unknown>) => Promise<QueryOutput>;
  const fortnight = ['2026-03-02', '2026-03-15'];

  before(async () => { ({ p, fx, product } = await startQueryFixture()); });
  after(() => p?.close());
  /** Queries over both fixture products, rollups on or off, and the statements they sent. */
  const bothProducts = () => {
    const statements: string[] = [];
    const ch = recordingClient(p.services.ch, statements);
    const run = (body: Record<string, unknown>, rollups: boolean) => executeQuery(ch, { kind: 'product', products: [fx.cleaner, fx.photos] },
      parseQueryRequest({ product_id: ['Cleaner', 'Photos'], ...body }), FIXTURE_NOW, { rollups });
    return { statements, run };
  };

  it('counts active installs, events and events per install of a product', async () => {
    const out = await product({ date_range: fortnight, metrics: ['active_installs', 'events', 'events_per_install'] });
    assert.deepEqual(table(out), [[4, 7, 1.75]]);
    assert.equal(out.meta.time_range.time_zone, 'UTC');
  });

  it('averages daily, weekly and monthly active installs over the days of the range', async () => {
    // dau: (2+1+1+2)/14; wau: rolling 7 days, 35/14 (i0's Feb 20 is outside every window); mau: (3×7 + 4×7)/14.
    const out = await product({ date_range: fortnight, metrics: ['dau', 'wau', 'mau'] });
    assert.deepEqual(table(out), [[0.4, 2.5, 3.5]]);
  });

  it('averages daily active installs per week over the days of each week', async () => {
    // Week of Mar 2: (2+1+1)/7; week of Mar 9: 2/7.
    const out = await product({ date_range: fortnight, metrics: ['dau', 'events'], dimensions: ['time:week'] });
    assert.deepEqual(table(out), [['2026-03-02', 0.6, 4], ['2026-03-09', 0.3, 3]]);
  });

  it('gives weekly and monthly actives per day and per week that average to the range\'s figure (two whole weeks)', async () => {
    const total = table(await product({ date_range: fortnight, metrics: ['dau', 'wau', 'mau'] }))[0]!;
    const byDay = table(await product({ date_range: fortnight, metrics: ['dau', 'wau', 'mau'], dimensions: ['time:day'] }));
    const byWeek = table(await product({ date_range: fortnight, metrics: ['dau', 'wau', 'mau'], dimensions: ['time:week'] }));
    assert.equal(byWeek.length, 2);
    const mean = (rows: unknown[][], k: number, n: number) => Math.round((rows.reduce((s, r) => s + Number(r[k]), 0) / n) * 10) / 10;
    // Daily figures are whole installs; a day no install covers has no row.
    for (const r of byDay) for (const v of r.slice(1)) assert.ok(Number.isInteger(v), JSON.stringify(r));
    for (const k of [1, 2, 3]) {
      assert.ok(Math.abs(mean(byDay, k, 14) - Number(total[k - 1])) <= 0.05, `by day, metric ${k}`);
      assert.ok(Math.abs(mean(byWeek, k, 2) - Number(total[k - 1])) <= 0.1, `by week, metric ${k}`);
    }
  });

  it('ranks features by users and their share of the product\'s active installs', async () => {
    const out = await product({ date_range: fortnight, metrics: ['feature_users', 'feature_share', 'events'], dimensions: ['feature'],
      filters: [['is_not', 'feature', ['']]] });
    assert.deepEqual(table(out), [['Disk scan', 3, 75, 4], ['Duplicate finder', 2, 50, 2]]);
    const one = await product({ date_range: fortnight, metrics: ['feature_users', 'feature_share'], filters: [['is', 'feature', ['Duplicate finder']]] });
    assert.deepEqual(table(one), [[2, 50]], 'a feature filter narrows the users, not the installs they are a share of');
  });

  it('compares products side by side and names them', async () => {
    const out = await product({ product_id: ['Cleaner', 'Photos'], date_range: fortnight, metrics: ['active_installs', 'events'], dimensions: ['product'] });
    assert.deepEqual(table(out), [['Cleaner', 4, 7], ['Photos', 1, 1]]);
  });

  it('breaks installs down by app version, OS and event name, and filters on them', async () => {
    assert.deepEqual(table(await product({ date_range: fortnight, metrics: ['active_installs'], dimensions: ['app_version'] })), [['2.0.0', 3], ['2.1.0', 1]]);
    assert.deepEqual(table(await product({ date_range: fortnight, metrics: ['active_installs'], dimensions: ['os'], filters: [['is', 'event:name', ['used']]] })),
      [['macOS', 3], ['Windows', 1]]);
    assert.deepEqual(table(await product({ date_range: fortnight, metrics: ['events'], dimensions: ['event:name'] })), [['used', 6], ['opened', 1]]);
  });

  it('answers from the daily rollup (migration 016) what it keeps, with the figures of raw events, and the rest from raw events', async () => {
    const { statements, run } = bothProducts();
    for (const body of [
      { date_range: fortnight, metrics: ['active_installs', 'events', 'events_per_install', 'dau', 'wau', 'mau'], dimensions: ['product'] },
      { date_range: fortnight, metrics: ['feature_users', 'feature_share', 'events'], dimensions: ['feature'], filters: [['is_not', 'feature', ['']]] },
      { date_range: fortnight, metrics: ['feature_users', 'feature_share'], dimensions: ['feature', 'product'] },
      { date_range: fortnight, metrics: ['active_installs', 'dau', 'wau', 'mau'], dimensions: ['time:week', 'product'] },
      { date_range: fortnight, metrics: ['dau', 'mau', 'events'], dimensions: ['time:day'], filters: [['is', 'event:name', ['used']]] },
      { date_range: ['2026-02-15', '2026-03-20'], metrics: ['wau', 'mau', 'active_installs'], dimensions: ['time:month'] },
    ]) {
      statements.length = 0;
      const got = await run(body, true);
      assert.ok(statements.some((q) => /FROM product_daily\b/.test(q)) && !statements.some((q) => /FROM product_events\b/.test(q)),
        `${JSON.stringify(body)} reads the daily rollup only`);
      assert.deepEqual(got.results, (await run(body, false)).results, JSON.stringify(body));
    }
    statements.length = 0;
    await run({ date_range: fortnight, metrics: ['active_installs'], dimensions: ['app_version', 'os'] }, true);
    assert.ok(statements.every((q) => !/product_(attr_)?daily/.test(q)), 'two attributes together are not kept');
    const range = resolveDateRange(fortnight, { tz: 'UTC', now: FIXTURE_NOW });
    const dims = (names: string[]) => names.map((n, i) => resolveDimension('product', n, `dimensions[${i}]`, 'day'));
    assert.match(planProductSource(range, dims(['os', 'feature']), [], ['active_installs']).why, /^product_events: no daily rollup keeps os with feature/);
    assert.match(planProductSource(range, dims(['country']), parseFilters([['is', 'os', ['macOS']]], 'product'), ['events']).why,
      /^product_events: no daily rollup keeps country with os/);
    assert.match(planProductSource(range, dims(['os']), [], ['feature_users']).why, /^product_events: the os rollup cannot count feature_users/);
    assert.match(planProductSource(range, dims(['time:hour']), [], ['events']).why, /^product_events: the daily rollup cannot bucket by hour/);
    assert.match(planProductSource({ ...range, from: range.from + 3_600_000 }, [], [], ['events']).why, /^product_events: the range is not whole UTC days/);
    assert.match(planProductSource(range, dims(['feature', 'product']), [], ['feature_users']).why, /^product_daily: feature, product over 14 day/);
    assert.match(planProductSource(range, [], parseFilters([['is', 'country', ['DE']]], 'product'), ['events']).why, /^product_attr_daily: totals over 14 day/);
  });

  it('answers by app version, OS or country from their daily rollup (migration 019), with the figures of raw events', async () => {
    const { statements, run } = bothProducts();
    for (const body of [
      { date_range: fortnight, metrics: ['active_installs', 'events', 'events_per_install', 'dau', 'wau', 'mau'], dimensions: ['os'] },
      { date_range: fortnight, metrics: ['dau', 'events'], dimensions: ['time:day', 'app_version'] },
      { date_range: ['2026-02-15', '2026-03-20'], metrics: ['mau', 'active_installs'], dimensions: ['time:month', 'product'], filters: [['is', 'country', ['DE']]] },
      { date_range: fortnight, metrics: ['events', 'active_installs'], dimensions: ['os'], filters: [['is_not', 'os', ['Windows']]] },
      { date_range: fortnight, metrics: ['active_installs', 'wau'], dimensions: ['country', 'product'] },
      { date_range: fortnight, metrics: ['events'], filters: [['contains', 'app_version', ['2.1']]] },
    ]) {
      statements.length = 0;
      const got = await run(body, true);
      assert.ok(statements.some((q) => /FROM product_attr_daily\b/.test(q)) && !statements.some((q) => /FROM product_(events|daily)\b/.test(q)),
        `${JSON.stringify(body)} reads the attribute rollup only`);
      assert.ok(got.results.length > 0, `${JSON.stringify(body)} has rows`);
      assert.deepEqual(got.results, (await run(body, false)).results, JSON.stringify(body));
    }
    // The fixture's figures, as a reader sees them: i2 alone runs Windows (one event in the range); i3 alone 2.1.0 (two).
    assert.deepEqual(table(await product({ date_range: fortnight, metrics: ['active_installs', 'events'], dimensions: ['os'] })), [['macOS', 3, 6], ['Windows', 1, 1]]);
    assert.deepEqual(table(await product({ date_range: fortnight, metrics: ['events'], filters: [['contains', 'app_version', ['2.1']]] })), [[2]]);
  });

  it('refuses dau by hour, naming the metric', async () => {
    await assert.rejects(product({ date_range: fortnight, metrics: ['events', 'dau'], dimensions: ['time:hour'] }),
      (err: { status: number; field: string }) => err.status === 400 && err.field === 'metrics[1]');
  });

  it('builds the weekly retention grid of installs by first-seen week', async () => {
    // First seen: i1, i2 in the week of Mar 2 (i0 earlier, so in no cohort); i3 in the week of Mar 9. Week 1: i1 only.
    const range = resolveDateRange(fortnight, { tz: 'UTC', now: Date.now() });
    const grid = await retention(p.services.ch, { kind: 'product', products: [fx.cleaner] }, range, 'week', []);
    assert.deepEqual(grid.cohorts, [
      { cohort: '2026-03-02', size: 2, periods: [{ index: 0, active: 2, share: 100 }, { index: 1, active: 1, share: 50 }] },
      { cohort: '2026-03-09', size: 1, periods: [{ index: 0, active: 1, share: 100 }] },
    ]);
    const mac = await retention(p.services.ch, { kind: 'product', products: [fx.cleaner] }, range, 'week', parseFilters([['is', 'os', ['macOS']]], 'product'));
    assert.deepEqual(mac.cohorts.map((c) => [c.cohort, c.size, c.periods.map((x) => x.active)]), [['2026-03-02', 1, [1, 1]], ['2026-03-09', 1, [1]]]);
  });

  it('counts features through the product\'s catalog: tagged events and the catalog\'s event names', async () => {
    // Cleaner's catalog: "Cleanup" is the events "used" and "opened" (every Cleaner event in the range: i0..i3), but a tag
    // naming a catalog feature wins: "Disk scan" (i0, i1, i2). i1's and i3's "Duplicate finder" tag is not in the
    // catalog, so their "used" events count as Cleanup, and i3's untagged "opened" too. Photos has no catalog.
    const catalog = new FeatureCatalog(p.services.ch);
    const cleanup = await catalog.save(fx.cleaner.productId, { name: 'Cleanup', description: 'Any cleanup', events: ['used', 'opened'] });
    const disk = await catalog.save(fx.cleaner.productId, { name: 'Disk scan', description: 'Scans a disk', events: [] });
    try {
      const out = await product({ date_range: fortnight, metrics: ['feature_users', 'feature_share', 'events'], dimensions: ['feature'],
        filters: [['is_not', 'feature', ['']]] });
      assert.deepEqual(table(out), [['Disk scan', 3, 75, 4], ['Cleanup', 2, 50, 3]]);
      const one = await product({ date_range: fortnight, metrics: ['feature_users', 'feature_share'], filters: [['is', 'feature', ['Cleanup']]] });
      assert.deepEqual(table(one), [[2, 50]], 'a filter on a catalog feature matches the events it maps');
      const byProduct = await product({ product_id: ['Cleaner', 'Photos'], date_range: fortnight, metrics: ['feature_users'], dimensions: ['product', 'feature'] });
      assert.deepEqual(table(byProduct), [['Cleaner', 'Disk scan', 3], ['Cleaner', 'Cleanup', 2], ['Photos', 'Editor', 1]],
        'a product without a catalog keeps its own feature values');
      const range = resolveDateRange(fortnight, { tz: 'UTC', now: Date.now() });
      const grid = await retention(p.services.ch, { kind: 'product', products: [fx.cleaner] }, range, 'week', parseFilters([['is', 'feature', ['Cleanup']]], 'product'));
      assert.deepEqual(grid.cohorts.map((c) => [c.cohort, c.size]), [['2026-03-02', 0], ['2026-03-09', 2]],
        'retention filters through the catalog: i1 and i3 first used Cleanup in the week of Mar 9');
    } finally {
      await catalog.remove(fx.cleaner.productId, cleanup.featureId);
      await catalog.remove(fx.cleaner.productId, disk.featureId);
    }
    const after = await product({ date_range: fortnight, metrics: ['feature_users'], dimensions: ['feature'], filters: [['is_not', 'feature', ['']]] });
    assert.deepEqual(table(after), [['Disk scan', 3], ['Duplicate finder', 2]], 'without a catalog the feature column is read as it is');
  });

  it('builds the retention grid of cookie visitors of a site by first-visit week, in the site\'s zone', async () => {
    // First visits: F (Mar 18), A (A0, Mar 20) in the week of Mar 16; B (24), D (29) in the week of Mar 23. A came back.
    const range = resolveDateRange(['2026-03-16', '2026-03-29'], { tz: 'Europe/Berlin', now: Date.now() });
    const grid = await retention(p.services.ch, { kind: 'site', site: fx.site }, range, 'week', []);
    assert.deepEqual(grid.cohorts, [
      { cohort: '2026-03-16', size: 2, periods: [{ index: 0, active: 2, share: 100 }, { index: 1, active: 1, share: 50 }] },
      { cohort: '2026-03-23', size: 2, periods: [{ index: 0, active: 2, share: 100 }] },
    ]);
  });
});
