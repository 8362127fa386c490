import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FIXTURE_NOW, startQueryFixture, table, type LoadedFixture, type QueryOutput } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { stampMismatches } from '../helpers/visit-stamps.ts';

/** Filters over the fixture's week 2026-03-23..29: visits A1 A2 A3 (DE) B1 B2 (US) C1 (DE, cookieless) D1 (FR). */
describe('query engine: filters on real embedded ClickHouse', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let web: (body: Record<string, unknown>) => Promise<QueryOutput>;
  let webAs: Awaited<ReturnType<typeof startQueryFixture>>['webAs'];
  const week = ['2026-03-23', '2026-03-29'];
  const visits = (filters: unknown[], metrics = ['visitors', 'visits']) => web({ date_range: week, metrics, filters }).then(table);

  before(async () => { ({ p, fx, web, webAs } = await startQueryFixture()); });
  after(() => p?.close());

  it('keeps the visits of a country (is), and the others (is_not)', async () => {
    assert.deepEqual(await visits([['is', 'visit:country', ['DE']]], ['visitors', 'visits', 'pageviews']), [[2, 4, 7]]);
    assert.deepEqual(await visits([['is_not', 'visit:country', ['DE']]]), [[2, 3]]);
    assert.deepEqual(await visits([['is', 'visit:country', ['DE', 'FR']]]), [[3, 5]]);
  });

  it('matches parts of values (contains, contains_not), case-sensitive unless asked otherwise', async () => {
    assert.deepEqual(await visits([['contains', 'visit:source', ['oog']]]), [[2, 2]], 'Google: A1 and C1');
    assert.deepEqual(await visits([['contains', 'visit:source', ['GOOG']]]), [[0, 0]]);
    assert.deepEqual(await visits([['contains', 'visit:source', ['GOOG'], { case_sensitive: false }]]), [[2, 2]]);
    assert.deepEqual(await visits([['is', 'visit:browser', ['chrome'], { case_sensitive: false }]]), [[2, 3]], 'B1 B2 D1');
    assert.deepEqual(await visits([['contains_not', 'visit:source', ['oog', 'witt']]]), [[3, 4]], 'A2 A3 B1 D1');
  });

  it('keeps the visits that contain a matching event when an event filter meets visit metrics', async () => {
    // Visits with a Signup: A1 and D1, neither a bounce.
    assert.deepEqual(await visits([['is', 'event:name', ['Signup']]], ['visitors', 'visits', 'bounce_rate']), [[2, 2, 0]]);
    // Visits with a /docs page: B1 and C1; their pageviews of /docs only.
    assert.deepEqual(await visits([['is', 'event:page', ['/docs']]], ['visits', 'pageviews']), [[2, 3]]);
    assert.deepEqual(await visits([['is', 'event:page', ['/docs']]], ['pageviews']), [[3]]);
  });

  it('keeps the visits without a matching event for a negative event filter', async () => {
    // No /pricing event: A2, A3, B2.
    assert.deepEqual(await visits([['is_not', 'event:page', ['/pricing']]]), [[2, 3]]);
  });

  it('tests positive event filters joined by "and" on one event: a Signup on /pricing, not a Signup and a /blog view', async () => {
    assert.deepEqual(await visits([['and', [['is', 'event:name', ['Signup']], ['is', 'event:page', ['/pricing']]]]]), [[2, 2]]);
    assert.deepEqual(await visits([['is', 'event:name', ['Signup']], ['is', 'event:page', ['/blog']]]), [[0, 0]]);
  });

  it('combines filters with or, and and not', async () => {
    assert.deepEqual(await visits([['or', [['is', 'visit:country', ['FR']], ['is', 'visit:source', ['Twitter']]]]]), [[2, 2]], 'D1 and B2');
    // DE visits without a /pricing event: A2 and A3 (A1 and C1 have one).
    assert.deepEqual(await visits([['and', [['is', 'visit:country', ['DE']], ['not', ['is', 'event:page', ['/pricing']]]]]]), [[1, 2]]);
    // A visit filter or an event filter: FR visits (D1) or visits with a /blog view (A2).
    assert.deepEqual(await visits([['or', [['is', 'visit:country', ['FR']], ['is', 'event:page', ['/blog']]]]]), [[2, 2]]);
  });

  it('keeps the events of matching visits when a visit filter meets event metrics', async () => {
    // Google visits A1 (/, /pricing, Signup on /pricing) and C1 (/docs, /pricing, /docs).
    const out = await web({ date_range: week, metrics: ['visitors', 'pageviews', 'events'], dimensions: ['event:page'], filters: [['is', 'visit:source', ['Google']]] });
    assert.deepEqual(table(out), [['/pricing', 2, 2, 3], ['/', 1, 1, 1], ['/docs', 1, 2, 2]]);
  });

  it('breaks event counts down by a visit dimension through each event\'s visit', async () => {
    // Pageviews of /pricing by the source of their visit: A1 Google, B1 Newsletter, C1 Google, D1 direct.
    const out = await web({ date_range: week, metrics: ['pageviews'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/pricing']]] });
    assert.deepEqual(table(out), [['Google', 2], ['Direct / None', 1], ['Newsletter', 1]]);
  });

  it('filters on custom properties, with the key passed as a parameter', async () => {
    assert.deepEqual(await visits([['is', 'event:props:plan', ['pro']]]), [[1, 1]], 'A1');
  });

  it('computes conversion rate per visit dimension against the visitors of each group', async () => {
    // Signup: DE A of A,C (50 %), FR D of D (100 %); US has no conversion.
    const out = await web({ date_range: week, metrics: ['visitors', 'conversion_rate'], dimensions: ['visit:country'], filters: [['is', 'event:name', ['Signup']]] });
    assert.deepEqual(table(out), [['DE', 1, 50], ['FR', 1, 100]]);
    const overall = await web({ date_range: week, metrics: ['conversion_rate'], filters: [['is', 'event:name', ['Signup']], ['is', 'visit:device', ['desktop']]] });
    assert.deepEqual(table(overall), [[66.67]], 'A and D of the desktop visitors A, C, D');
  });

  it("stamps every event with its visit's attributes on the way in (the worker, from the ingest script's visit)", async () => {
    const stamps = await stampMismatches(p.services.ch, fx.site.siteId);
    assert.equal(stamps.mismatched, 0, JSON.stringify(stamps.sample));
    assert.ok(stamps.events >= 20, `${stamps.events} events compared`);
  });

  it("answers visit filters on event figures the same from each event's stamp as by looking its visit up", async () => {
    // The same site as if its events predated stamping: every visit attribute of an event is looked up in sessions.
    const lookup = (body: Record<string, unknown>) => webAs({ ...fx.site, visitsStampedSince: FIXTURE_NOW * 2 }, body);
    const pages = { date_range: week, metrics: ['visitors', 'pageviews', 'events'], dimensions: ['event:page'] };
    const cases: Record<string, unknown>[] = [
      { ...pages, filters: [['is', 'visit:source', ['Google']]] },
      { ...pages, filters: [['is_not', 'visit:country', ['DE']]] },
      { ...pages, filters: [['contains', 'visit:browser', ['FIRE'], { case_sensitive: false }], ['is', 'visit:device', ['desktop']]] },
      { ...pages, filters: [['is', 'visit:visitor_type', ['returning', 'cookieless']]] },
      { ...pages, filters: [['or', [['is', 'visit:country', ['FR']], ['is', 'visit:channel', ['email']]]]] },
      { ...pages, filters: [['not', ['is', 'visit:utm_campaign', ['spring']]], ['is', 'event:name', ['pageview', 'Signup']]] },
      { ...pages, filters: [['is', 'visit:entry_page', ['/']], ['is', 'visit:country', ['DE']]] },
      { date_range: week, metrics: ['pageviews', 'visitors'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/pricing']]] },
      { date_range: week, metrics: ['events'], dimensions: ['visit:visitor_type', 'event:name'] },
      { date_range: week, metrics: ['visitors', 'events'], dimensions: ['event:name'], filters: [['is_not', 'visit:source', ['Direct / None']]] },
    ];
    for (const body of cases) {
      const [stamped, looked] = [await web(body), await lookup(body)];
      assert.deepEqual(table(stamped), table(looked), JSON.stringify(body));
      assert.ok(table(stamped).length > 0, `${JSON.stringify(body)} keeps some rows`);
    }
    assert.deepEqual(table(await web(cases[0]!)), [['/pricing', 2, 2, 3], ['/', 1, 1, 1], ['/docs', 1, 2, 2]]);
  });

  it('refuses a conversion rate without a goal, naming the metric', async () => {
    await assert.rejects(web({ date_range: week, metrics: ['visitors', 'conversion_rate'] }),
      (err: { status: number; field: string; message: string }) => err.status === 400 && err.field === 'metrics[1]' && /goal/.test(err.message));
  });
});
