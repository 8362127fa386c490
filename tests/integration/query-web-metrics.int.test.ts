import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startQueryFixture, table, type QueryOutput } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** Web metrics over the fixture's week 2026-03-23..29 (see tests/fixtures/query-fixture.ts for the visits). */
describe('query engine: web metrics on real embedded ClickHouse', () => {
  let p: TestPlatform;
  let web: (body: Record<string, unknown>) => Promise<QueryOutput>;
  const week = ['2026-03-23', '2026-03-29'];

  before(async () => { ({ p, web } = await startQueryFixture()); });
  after(() => p?.close());

  it('loads visits that span worker batches, so the sessions table holds cancelled (-1) rows', async () => {
    // One per continued batch: A0 1, A1 2, B1 2, C1 2, D1 1 (merges are stopped, as between background merges).
    const [r] = await p.rows<{ neg: string }>('SELECT countIf(sign = -1) AS neg FROM sessions');
    assert.equal(Number(r!.neg), 8);
  });

  it('counts visitors, visits, pageviews and events of the week, without engagement pings or the visit after midnight', async () => {
    // Visits A1 A2 A3 B1 B2 C1 D1; visitors A B C D; pageviews 2+1+1+2+1+3+1; events = pageviews + 2 Signups.
    const out = await web({ date_range: week, metrics: ['visitors', 'visits', 'pageviews', 'events'] });
    assert.deepEqual(table(out), [[4, 7, 11, 13]]);
    assert.deepEqual(out.meta.time_range, { from: '2026-03-23T00:00:00+01:00', to: '2026-03-29T23:59:59+02:00', time_zone: 'Europe/Berlin' });
  });

  it('computes bounce rate, visit duration and views per visit from the visits', async () => {
    // Bounces A2 A3 B2: 3/7 = 42.9 %; durations 600+0+0+180+0+1200+60 = 2040 s / 7 = 291 s; 11 pageviews / 7 visits.
    const out = await web({ date_range: week, metrics: ['bounce_rate', 'visit_duration', 'views_per_visit'] });
    assert.deepEqual(table(out), [[42.9, 291, 1.57]]);
  });

  it('counts the same pageviews from events as from visits (both tables agree)', async () => {
    const out = await web({ date_range: week, metrics: ['pageviews', 'visitors'], dimensions: ['event:hostname'] });
    assert.deepEqual(table(out), [['fixture.test', 11, 4]]);
  });

  it('ranks pages by visitors, counting each page\'s pageviews', async () => {
    const out = await web({ date_range: week, metrics: ['visitors', 'pageviews'], dimensions: ['event:page'] });
    assert.deepEqual(table(out), [['/pricing', 4, 4], ['/', 2, 3], ['/docs', 2, 3], ['/blog', 1, 1]]);
  });

  it('breaks visits down by entry page with each page\'s bounce rate', async () => {
    const out = await web({ date_range: week, metrics: ['visits', 'visitors', 'bounce_rate'], dimensions: ['visit:entry_page'] });
    assert.deepEqual(table(out), [['/', 3, 2, 66.7], ['/pricing', 2, 2, 0], ['/blog', 1, 1, 100], ['/docs', 1, 1, 0]]);
  });

  it('breaks visits down by their latest exit page, not by the exit page of an earlier, cancelled state', async () => {
    // A1 went / then /pricing in two batches: its cancelled state (exit /) must not count A for /.
    const out = await web({ date_range: week, metrics: ['visitors', 'visits'], dimensions: ['visit:exit_page'] });
    assert.deepEqual(table(out), [['/', 2, 2], ['/docs', 2, 2], ['/pricing', 2, 2], ['/blog', 1, 1]]);
    const filtered = await web({ date_range: week, metrics: ['visitors'], filters: [['is', 'visit:exit_page', ['/']]] });
    assert.deepEqual(table(filtered), [[2]], 'A (A3) and B (B2)');
    // Signed sums need no collapsing: A1's cancelled state (exit /) nets out of the visits of /.
    const sums = await web({ date_range: week, metrics: ['visits', 'pageviews', 'bounce_rate'], dimensions: ['visit:exit_page'] });
    assert.deepEqual(table(sums), [['/', 2, 2, 100], ['/docs', 2, 5, 0], ['/pricing', 2, 3, 0], ['/blog', 1, 1, 100]]);
    // Events take their visit's latest exit page: A1's events count once, under /pricing.
    const events = await web({ date_range: week, metrics: ['pageviews'], dimensions: ['visit:exit_page'], filters: [['contains', 'event:page', ['/']]] });
    assert.deepEqual(table(events), [['/docs', 5], ['/pricing', 3], ['/', 2], ['/blog', 1]]);
  });

  it('names sources (Direct / None for none) and channels of visits', async () => {
    const sources = await web({ date_range: week, metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'] });
    assert.deepEqual(table(sources), [['Direct / None', 2, 3, 66.7], ['Google', 2, 2, 0], ['Newsletter', 1, 1, 0], ['Twitter', 1, 1, 100]]);
    const channels = await web({ date_range: week, metrics: ['visitors'], dimensions: ['visit:channel'] });
    assert.deepEqual(table(channels), [['direct', 2], ['organic_search', 2], ['email', 1], ['social', 1]]);
    const campaigns = await web({ date_range: week, metrics: ['visits'], dimensions: ['visit:utm_source', 'visit:utm_medium', 'visit:utm_campaign'],
      filters: [['is_not', 'visit:utm_campaign', ['']]] });
    assert.deepEqual(table(campaigns), [['newsletter', 'email', 'spring', 1]]);
  });

  it('breaks visitors down by country, browser and device', async () => {
    assert.deepEqual(table(await web({ date_range: week, metrics: ['visitors', 'visits'], dimensions: ['visit:country'] })),
      [['DE', 2, 4], ['FR', 1, 1], ['US', 1, 2]]);
    assert.deepEqual(table(await web({ date_range: week, metrics: ['visitors'], dimensions: ['visit:browser'] })),
      [['Chrome', 2], ['Firefox', 1], ['Safari', 1]]);
    assert.deepEqual(table(await web({ date_range: week, metrics: ['visitors', 'percentage'], dimensions: ['visit:device'] })),
      [['desktop', 3, 75], ['mobile', 1, 25]]);
  });

  it('tells new from returning cookie visitors and counts visits per cookie visitor', async () => {
    // B and D got their cookie this week (new); A had one (returning); C is cookieless. Cookie visits 6 / 3 visitors.
    const out = await web({ date_range: week, metrics: ['visitors', 'new_visitors', 'returning_visitors', 'visits_per_visitor'] });
    assert.deepEqual(table(out), [[4, 2, 1, 2]]);
    const types = await web({ date_range: week, metrics: ['visits', 'visitors'], dimensions: ['visit:visitor_type'], order_by: [['visit:visitor_type', 'asc']] });
    assert.deepEqual(table(types), [['cookieless', 1, 1], ['new', 2, 2], ['returning', 4, 2]]);
  });

  it('buckets cookie visitors by their number of visits in the range (visit frequency)', async () => {
    const out = await web({ date_range: week, metrics: ['visitors', 'visits', 'percentage'], dimensions: ['visitor:frequency'],
      order_by: [['visitor:frequency', 'asc']] });
    assert.deepEqual(table(out), [['1', 1, 1, 33.3], ['2', 1, 2, 33.3], ['3-5', 1, 3, 33.3]]);
  });

  it('counts custom events (goals) and their conversion rate among all visitors', async () => {
    const out = await web({ date_range: week, metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:name'],
      filters: [['is_not', 'event:name', ['pageview']]] });
    assert.deepEqual(table(out), [['Signup', 2, 2, 50]]);
    const props = await web({ date_range: week, metrics: ['events'], dimensions: ['event:props:plan'], filters: [['is', 'event:name', ['Signup']]] });
    assert.deepEqual(table(props), [['free', 1], ['pro', 1]]);
  });

  it('lists the property keys sent with an event, for a breakdown without knowing them', async () => {
    const keys = await web({ date_range: week, metrics: ['visitors', 'events'], dimensions: ['event:prop_key'], filters: [['is', 'event:name', ['Signup']]] });
    assert.deepEqual(table(keys), [['plan', 2, 2]]);
    const none = await web({ date_range: week, metrics: ['events'], dimensions: ['event:prop_key'], filters: [['is', 'event:name', ['pageview']]] });
    assert.deepEqual(table(none), [], 'events without properties give no keys');
  });

  it('pages results and reports the total number of rows', async () => {
    const out = await web({ date_range: week, metrics: ['visitors'], dimensions: ['event:page'], pagination: { limit: 2, offset: 1 }, include: { total_rows: true } });
    assert.deepEqual(table(out), [['/', 2], ['/docs', 2]]);
    assert.equal(out.meta.total_rows, 4);
    const past = await web({ date_range: week, metrics: ['visitors'], dimensions: ['event:page'], pagination: { limit: 2, offset: 10 }, include: { total_rows: true } });
    assert.deepEqual([past.results.length, past.meta.total_rows], [0, 4]);
  });

  it('resolves "all" from the first visit on record to the reference day', async () => {
    const out = await web({ date_range: 'all', date: '2026-03-29', metrics: ['visits'] });
    assert.equal(out.meta.time_range.from, '2026-03-18T00:00:00+01:00');
    assert.deepEqual(table(out), [[9]], 'F, A0 and the week\'s 7 visits');
  });
});
