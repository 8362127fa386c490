import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveDateRange } from '../../dashboard/api/query/request/date-range.ts';
import { resolveDimension } from '../../dashboard/api/query/catalog/dimensions.ts';
import { runEngine } from '../../dashboard/api/query/run/engine.ts';
import { parseFilters } from '../../dashboard/api/query/catalog/filters.ts';
import { PANELS, siteOverview, type SiteOverview } from '../../dashboard/api/query/assemble/overview.ts';
import { startQueryApi, statsStatements, type QueryApi } from '../fixtures/query-api.ts';
import { FIXTURE_NOW, startQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** The site view in one call: every panel an engine query, over the fixture's week 2026-03-23..29. */
describe('site overview and POST /api/v1/overview', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let api: QueryApi;
  let view: SiteOverview;
  const week = ['2026-03-23', '2026-03-29'];
  const rows = (name: keyof SiteOverview['panels']) => view.panels[name].map((r) => Object.values(r));

  before(async () => {
    ({ p, fx } = await startQueryFixture());
    api = await startQueryApi(p.services.ch, p.registry, { now: FIXTURE_NOW });
    const res = await api.post('/api/v1/overview', { site_id: 'fixture.test', date_range: week, comparison: 'previous_period' });
    assert.equal(res.status, 200);
    view = await res.json();
  });
  after(async () => { await api?.close(); await p?.close(); });

  it('gives the headline figures with their previous-period values and changes', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(view.headline).map(([k, f]) => [k, [f.value, f.comparison, f.change]])), {
      visitors: [4, 2, 100], visits: [7, 2, 250], pageviews: [11, 3, 267], views_per_visit: [1.57, 1.5, 5], bounce_rate: [42.9, 50, -7.1],
      visit_duration: [291, 60, 385], new_visitors: [2, 0, 100], returning_visitors: [1, 2, -50], visits_per_visitor: [2, 1, 100],
    });
  });

  it('gives a daily time series with every day, the empty one as 0, and the previous week beside it', () => {
    assert.equal(view.timeseries.granularity, 'day');
    assert.deepEqual(view.timeseries.labels, ['2026-03-23', '2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29']);
    assert.deepEqual(view.timeseries.series.visits, [1, 1, 1, 1, 1, 0, 2]);
    assert.deepEqual(view.timeseries.series.pageviews, [2, 2, 1, 1, 3, 0, 2]);
    assert.deepEqual(view.timeseries.comparison!.labels[0], '2026-03-16');
    assert.deepEqual(view.timeseries.comparison!.series.visits, [0, 0, 1, 0, 1, 0, 0]);
  });

  it('lists top pages, entry and exit pages', () => {
    assert.deepEqual(rows('pages'), [['/pricing', 4, 4], ['/', 2, 3], ['/docs', 2, 3], ['/blog', 1, 1]]);
    assert.deepEqual(rows('entry_pages'), [['/', 3, 66.7], ['/pricing', 2, 0], ['/blog', 1, 100], ['/docs', 1, 0]]);
    assert.deepEqual(rows('exit_pages'), [['/', 2], ['/docs', 2], ['/pricing', 2], ['/blog', 1]]);
  });

  it('lists sources, channels and UTM tags', () => {
    assert.deepEqual(rows('sources'), [['Direct / None', 2, 66.7], ['Google', 2, 0], ['Newsletter', 1, 0], ['Twitter', 1, 100]]);
    assert.deepEqual(rows('channels'), [['direct', 2], ['organic_search', 2], ['email', 1], ['social', 1]]);
    assert.deepEqual(rows('utm_campaigns'), [['', 4], ['spring', 1]]);
  });

  it('lists locations and devices', () => {
    assert.deepEqual(rows('countries'), [['DE', 2], ['FR', 1], ['US', 1]]);
    assert.deepEqual(rows('browsers'), [['Chrome', 2], ['Firefox', 1], ['Safari', 1]]);
    assert.deepEqual(rows('operating_systems'), [['Android', 1], ['Linux', 1], ['Windows', 1], ['macOS', 1]]);
    assert.deepEqual(rows('devices'), [['desktop', 3], ['mobile', 1]]);
    assert.deepEqual(rows('screens'), [['desktop', 3], ['mobile', 1]]);
  });

  it('lists goals with conversion rates, visit types and the visit frequency with empty buckets', () => {
    assert.deepEqual(rows('goals'), [['Signup', 2, 2, 50]]);
    assert.deepEqual(rows('visit_types'), [['new', 2, 2], ['returning', 2, 4], ['cookieless', 1, 1]]);
    assert.deepEqual(rows('frequency'), [['1', 1, 1], ['2', 1, 2], ['3-5', 1, 3], ['6-10', 0, 0], ['11+', 0, 0]]);
  });

  it('applies a clicked row (a filter) to every panel', async () => {
    const de = await siteOverview(p.services.ch, fx.site, { dateRange: week, filters: [['is', 'visit:country', ['DE']]], now: FIXTURE_NOW });
    assert.equal(de.headline.visitors!.value, 2);
    assert.deepEqual(de.panels.countries.map((r) => r.value), ['DE']);
    assert.deepEqual(de.panels.browsers.map((r) => [r.value, r.visitors]), [['Firefox', 1], ['Safari', 1]]);
    assert.deepEqual(de.panels.goals.map((r) => [r.value, r.visitors, r.conversion_rate]), [['Signup', 1, 50]]);
  });

  it('counts a picked goal\'s conversions in the headline and the chart', async () => {
    const goal = await siteOverview(p.services.ch, fx.site, { dateRange: week, filters: [['is', 'event:name', ['Signup']]], now: FIXTURE_NOW });
    // Signup: A (A1, pro) and C (C1, free); 4 visitors in the week.
    assert.deepEqual([goal.headline.visitors!.value, goal.headline.events!.value, goal.headline.conversion_rate!.value], [2, 2, 50]);
    assert.equal(goal.timeseries.series.events!.reduce((a, b) => a + b, 0), 2);
    assert.deepEqual(goal.panels.pages.map((r) => [r.value, r.visitors, r.events]), [['/pricing', 2, 2]], 'conversions per page');
    assert.equal(view.headline.events, undefined, 'without a goal the headline has no conversions');
  });

  it('gives each panel exactly what the engine gives for that panel alone', async () => {
    const range = resolveDateRange(week, { tz: fx.site.timezone, now: FIXTURE_NOW });
    for (const filters of [[], [['is', 'visit:country', ['DE']]], [['is', 'event:page', ['/pricing']]]]) {
      const together = await siteOverview(p.services.ch, fx.site, { dateRange: week, filters, now: FIXTURE_NOW, limit: 3 });
      for (const [name, panel] of Object.entries(PANELS) as [keyof typeof PANELS, (typeof PANELS)[keyof typeof PANELS]][]) {
        const alone = await runEngine(p.services.ch, { kind: 'site', site: fx.site }, { range, metrics: panel.metrics, limit: 3,
          dimensions: panel.dimensions.map((d, i) => resolveDimension('web', d, `dimensions[${i}]`, range.auto)),
          filters: parseFilters([...filters, ...((panel as { filters?: unknown[] }).filters ?? [])], 'web'),
          orderBy: (panel as { orderBy?: [string, 'asc' | 'desc'][] }).orderBy ?? [] });
        const expected = alone.results.map((r) => ({ value: r.dimensions[0], ...Object.fromEntries(panel.metrics.map((m, k) => [m, r.metrics[k]])) }));
        const got = name === 'frequency' ? together.panels[name].filter((r) => Number(r.visitors) > 0) : together.panels[name];
        assert.deepEqual(got, expected, `${name} with ${JSON.stringify(filters)}`);
      }
    }
  });

  it('lists no exit page that no current visit has (a visit moved on from it: its +1 and -1 net to zero)', async () => {
    // Under /pricing, a visit that left /pricing for another page once had /pricing as its exit page.
    for (const [filters, rollups] of [[[['is', 'event:page', ['/pricing']]], true], [[], true], [[], false]] as const) {
      const v = await siteOverview(p.services.ch, fx.site, { dateRange: week, filters: [...filters], now: FIXTURE_NOW, rollups });
      assert.ok(v.panels.exit_pages.length > 0);
      assert.deepEqual(v.panels.exit_pages.filter((r) => Number(r.visits) <= 0), [], JSON.stringify([filters, rollups]));
    }
  });

  it('reads the visits once for all visit panels, and sends every panel as one statement with the engine\'s SETTINGS', async () => {
    api.statements.length = 0;
    const started = performance.now();
    const res = await api.post('/api/v1/overview', { site_id: 'fixture.test', date_range: week, comparison: 'previous_period' });
    const ms = performance.now() - started;
    assert.equal(res.status, 200);
    const stats = statsStatements(api);
    assert.equal(stats.length, 1, 'one statement (runTogether)');
    // The chart with the headline as its totals, and its comparison; one branch for 15 visit panels (ranked per panel),
    // one for pages and goals, frequency.
    const branches = stats[0]!.split('\nUNION ALL\n');
    assert.equal(branches.length, 5);
    assert.equal(branches.filter((s) => s.includes('FROM event_rollup') && s.includes('GROUP BY GROUPING SETS ((k0), (k1))')).length, 1);
    assert.equal(branches.filter((s) => s.includes('GROUP BY GROUPING SETS ((d0), ())')).length, 2);
    assert.equal(branches.filter((s) => /LIMIT \{p\d+_f\d+:UInt32\} BY dim/.test(s)).length, 1);
    assert.ok(stats[0]!.includes('\nSETTINGS max_execution_time = 15, max_memory_usage = 2000000000, readonly = 2'));
    process.stdout.write(`# overview of the fixture: ${ms.toFixed(0)} ms for ${branches.length} statements as one\n`);
  });

  it('refuses a bad comparison or filter naming the field', async () => {
    const bad = await api.post('/api/v1/overview', { site_id: 'fixture.test', date_range: week, comparison: 'last_week' });
    assert.deepEqual([bad.status, (await bad.json()).field], [400, 'comparison']);
    const badFilter = await api.post('/api/v1/overview', { site_id: 'fixture.test', date_range: week, filters: [['is', 'visit:colour', ['red']]] });
    assert.deepEqual([badFilter.status, (await badFilter.json()).field], [400, 'filters[0][1]']);
  });
});
