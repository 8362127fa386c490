import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClickHouseClient } from '../../core/clickhouse.ts';
import { siteOverview } from '../../dashboard/api/query/assemble/overview.ts';
import { executeQuery } from '../../dashboard/api/query/run/engine.ts';
import { parseQueryRequest } from '../../dashboard/api/query/request/query-request.ts';
import { FIXTURE_NOW, FIXTURE_SITE, startQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { recordingClient } from '../helpers/recording-client.ts';

/**
 * Property filters through event_props (core/migrations/018_event_props.sql) on the query fixture, loaded through
 * the real ingest path: the materialized view keeps each key and value of each event, and every view filtered on a
 * property equals the same view from events alone (rollups: false), whichever of its aggregations read event_props.
 */
describe('event_props: custom property filters from the rows of their key', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let ch: ClickHouseClient;
  const statements: string[] = [];
  const week = ['2026-03-23', '2026-03-29'];

  before(async () => {
    ({ p, fx } = await startQueryFixture());
    ch = recordingClient(p.services.ch, statements);
  });
  after(async () => { await p?.close(); });

  it('holds each key and value of each stored event once, with its time, name, page, visit and visitor', async () => {
    const [want] = await p.rows<{ n: string }>('SELECT sum(length(props)) AS n FROM events WHERE site_id = {s:String}', { s: fx.site.siteId });
    const [got] = await p.rows<{ n: string }>('SELECT count() AS n FROM event_props WHERE site_id = {s:String}', { s: fx.site.siteId });
    assert.ok(Number(want!.n) >= 2, 'the fixture sends Signups with plan');
    assert.equal(got!.n, want!.n);
    const rows = await p.rows<Record<string, string>>(`SELECT p.value AS value, p.name AS name, p.pathname AS pathname, p.session_id = e.session_id AS same_visit,
      p.visitor_id = e.visitor_id AS same_visitor FROM event_props AS p INNER JOIN events AS e ON e.site_id = p.site_id AND e.timestamp = p.timestamp
      WHERE p.site_id = {s:String} AND p.key = 'plan' ORDER BY value`, { s: fx.site.siteId });
    assert.deepEqual(rows, [{ value: 'free', name: 'Signup', pathname: '/pricing', same_visit: 1, same_visitor: 1 },
      { value: 'pro', name: 'Signup', pathname: '/pricing', same_visit: 1, same_visitor: 1 }]);
  });

  it('answers every panel of an overview filtered on a property as events alone do, reading event_props where one property test answers', async () => {
    for (const [filters, props] of [
      [[['is', 'event:props:plan', ['pro']]], true],
      [[['contains', 'event:props:plan', ['r']]], true],
      [[['is_not', 'event:props:plan', ['pro']]], true], // the visits with no such event: the positive test, negated
      [[['is', 'event:props:plan', ['pro']], ['is', 'visit:country', ['DE']]], true],
      [[['and', [['is', 'event:name', ['Signup']], ['is', 'event:props:plan', ['free']]]]], true],
      [[['or', [['is', 'event:props:plan', ['pro']], ['is', 'event:page', ['/blog']]]]], false], // an event without the key could match
      [[['is', 'event:props:plan', ['']]], false], // every event without the key
    ] as [unknown[], boolean][]) {
      statements.length = 0;
      const got = await siteOverview(ch, fx.site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, together: false });
      assert.equal(statements.some((s) => /FROM event_props\b/.test(s)), props, `${JSON.stringify(filters)} reads event_props`);
      statements.length = 0;
      const raw = await siteOverview(ch, fx.site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, rollups: false, together: false });
      assert.ok(!statements.some((s) => /event_props/.test(s)), 'rollups: false reads events');
      assert.deepEqual(got, raw, JSON.stringify(filters));
    }
  });

  it('counts the hand-computed figures under plan = pro: A1 alone, its Signup on /pricing', async () => {
    const q = (body: Record<string, unknown>) => executeQuery(ch, { kind: 'site', site: fx.site },
      parseQueryRequest({ site_id: FIXTURE_SITE.domain, date_range: week, filters: [['is', 'event:props:plan', ['pro']]], ...body }), FIXTURE_NOW);
    const pages = await q({ metrics: ['visitors', 'events'], dimensions: ['event:page'] });
    assert.deepEqual(pages.results.map((r) => [...r.dimensions, ...r.metrics]), [['/pricing', 1, 1]]);
    const visits = await q({ metrics: ['visitors', 'visits', 'pageviews'] });
    // A1's three events: two pageviews and the Signup; pageviews under an event filter count the matching events (none).
    assert.deepEqual(visits.results[0]!.metrics, [1, 1, 0]);
  });
});
