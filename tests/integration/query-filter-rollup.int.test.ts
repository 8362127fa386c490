import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exec, type ClickHouseClient } from '../../core/clickhouse.ts';
import { readRolledDays, type RolledDays } from '../../core/filter-rollup-state.ts';
import type { Site } from '../../core/registry.ts';
import { siteOverview } from '../../dashboard/api/query/assemble/overview.ts';
import { createLogger } from '../../core/log.ts';
import { rollSite, startFilterRoller } from '../../worker/roll-visit-filters.ts';
import { fvalueSql, propFvalue } from '../../dashboard/api/query/sql/rollup-rows.ts';
import { resolveDimension } from '../../dashboard/api/query/catalog/dimensions.ts';
import { FIXTURE_NOW, loadQueryFixture, startQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { recordingClient } from '../helpers/recording-client.ts';

/**
 * The filter rollup (core/migrations/013_visit_filter_rollup.sql) on the query fixture, loaded through the real
 * ingest path (+1/-1 visit rows), rolled by the worker's roller (worker/roll-visit-filters.ts). Filtered overviews
 * read it where it answers and must equal the raw answer (the fixture's sets are small, so even visitor sketches
 * are exact), whether the range lies wholly in the rolled days or runs past them into raw visits.
 */
describe('filter rollup: filtered overviews from settled visits and their events rolled up', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let ch: ClickHouseClient;
  const statements: string[] = [];
  const week = ['2026-03-23', '2026-03-29'];
  const as = (filtersRolled: RolledDays): Site => ({ ...fx.site, filtersRolled });
  const rolled = async () => (await readRolledDays(ch)).get(fx.site.siteId);
  const roll = (storedUntil: number, from?: RolledDays) => rollSite(ch, fx.site, from, storedUntil, { budgetMs: 120_000, backTo: '2026-03-16' });
  const count = async (sql: string) => Number((await p.rows<{ n: string }>(sql, { s: fx.site.siteId }))[0]!.n);

  before(async () => {
    ({ p, fx } = await startQueryFixture());
    const real = p.services.ch;
    ch = recordingClient(real, statements);
  });
  after(async () => { await p?.close(); });

  it('rolls a day only once every visit that started in it has ended, a visit timeout and a margin before everything was stored', async () => {
    // C1 starts Fri 27 at 23:50 and has its last event at 00:10 on Saturday: at 00:40 Saturday it may still go on.
    assert.deepEqual(await roll(Date.parse('2026-03-28T00:40:00+01:00')), { from: '2026-03-28', until: '2026-03-28' });
    assert.equal(await rolled(), undefined, 'nothing rolled, nothing recorded');
    // On Sunday evening, 10 minutes after D1's last event, every day before Sunday is settled; Sunday is not.
    assert.deepEqual(await roll(Date.parse('2026-03-29T23:41:00+02:00')), { from: '2026-03-16', until: '2026-03-29' });
    assert.deepEqual(await rolled(), { from: '2026-03-16', until: '2026-03-29' });
    // Each visit of those days once per filter dimension (4) and panel dimension (visit_rollup's 15, visitor types included).
    const visits = await count(`SELECT sum(sign) AS n FROM sessions WHERE site_id = {s:String}
      AND start >= toDateTime64('2026-03-15 23:00:00', 3) AND start < toDateTime64('2026-03-28 23:00:00', 3)`);
    assert.equal(await count(`SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String} AND span = 'day'
      AND fdim IN ('source', 'channel', 'country', 'device')`), visits * 4 * 15);
    // And once under each distinct page it viewed and each event name it sent (migration 014), engagement pings left out.
    const ofVisits = `FROM events WHERE site_id = {s:String} AND name != 'engagement' AND session_id IN (SELECT session_id FROM sessions
      WHERE site_id = {s:String} AND start >= toDateTime64('2026-03-15 23:00:00', 3) AND start < toDateTime64('2026-03-28 23:00:00', 3))`;
    for (const [fdim, col] of [['pathname', 'pathname'], ['name', 'name']]) {
      const pairs = await count(`SELECT count() AS n FROM (SELECT DISTINCT session_id, ${col} ${ofVisits})`);
      assert.ok(pairs > visits, `${fdim}: some visits have several`);
      assert.equal(await count(`SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String} AND span = 'day' AND fdim = '${fdim}'`), pairs * 15, fdim);
    }
    // And once under each distinct property key and value of its events (migration 017), the value as the planner encodes it.
    const props = await count(`SELECT count() AS n FROM (SELECT DISTINCT session_id, arrayJoin(arrayZip(mapKeys(props), mapValues(props))) AS kv ${ofVisits})`);
    assert.ok(props > 0);
    assert.equal(await count(`SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String} AND span = 'day' AND fdim = 'prop'`), props * 15);
    assert.equal(await count(`SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String} AND span = 'day' AND fdim = 'prop'
      AND fvalue = '${propFvalue('plan', 'pro')}'`), 15);
    // And once under each of the six pairs of filter dimensions (migration 017).
    assert.equal(await count(`SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String} AND span = 'day'
      AND fdim IN ('channel+country', 'channel+device', 'channel+source', 'country+device', 'country+source', 'device+source')`), visits * 6 * 15);
    // And each of their events (engagement pings left out) once per filter dimension and pair, by its day.
    const events = await count(`SELECT count() AS n FROM events WHERE site_id = {s:String} AND name != 'engagement'
      AND timestamp >= toDateTime64('2026-03-15 23:00:00', 3) AND timestamp < toDateTime64('2026-03-28 23:00:00', 3)`);
    assert.equal(await count("SELECT sum(events) AS n FROM event_filter_rollup WHERE site_id = {s:String} AND span = 'day'"), events * (4 + 6));
  });

  it('answers a filtered overview wholly from rolled days, equal to raw visits, for every operator on a kept filter dimension', async () => {
    await roll(Date.parse('2026-04-02T12:00:00+02:00'), await rolled());
    const site = as((await rolled())!);
    assert.ok(site.filtersRolled!.until >= '2026-04-01', `rolled up to ${site.filtersRolled!.until}`);
    for (const filters of [
      [['is', 'visit:source', ['Google']]],
      [['is', 'visit:country', ['DE']]],
      [['is_not', 'visit:device', ['mobile']]],
      [['contains', 'visit:channel', ['SEARCH']]],
      [['or', [['is', 'visit:country', ['FR']], ['is', 'visit:country', ['US']]]]],
      [['not', ['is', 'visit:country', ['DE']]]],
    ]) {
      statements.length = 0;
      const got = await siteOverview(ch, site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, together: false });
      assert.ok(statements.some((s) => /FROM visit_filter_rollup\b/.test(s)), `${JSON.stringify(filters)} reads the filter rollup`);
      assert.ok(statements.some((s) => /FROM event_filter_rollup\b/.test(s)), `${JSON.stringify(filters)}: top pages and goals too`);
      assert.ok(!statements.some((s) => /UNION ALL/.test(s)), 'no raw days after the rolled ones');
      const raw = await siteOverview(ch, site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, rollups: false, together: false });
      assert.deepEqual(got, raw, JSON.stringify(filters));
    }
    const de = await siteOverview(ch, site, { dateRange: week, now: FIXTURE_NOW, filters: [['is', 'visit:country', ['DE']]] });
    assert.equal(de.headline.visits!.value, 4, 'A1, A2, A3 and C1 (the hand-computed set)');
  });

  it('answers visit figures under one page, goal or property value from rolled days and raw days after them, equal to raw visits', async () => {
    const site = as((await rolled())!);
    // /pricing: A2, B1, C1 (its /pricing at 23:55 Friday) and D1; Signup: A2 and D1. /docs: C1 again past midnight.
    // plan = pro: A1's Signup only (D1's Signup is plan = free); migration 017.
    const expected = new Map([['/pricing', 4], ['Signup', 2], ['/docs', 2], ['pro', 1]]);
    for (const filters of [[['is', 'event:page', ['/pricing']]], [['is', 'event:name', ['Signup']]], [['is', 'event:page', ['/docs']]], [['is', 'event:props:plan', ['pro']]]]) {
      for (const s0 of [site, as({ from: '2026-03-16', until: '2026-03-26' })]) {
        statements.length = 0;
        const got = await siteOverview(ch, s0, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, together: false });
        assert.ok(statements.some((s) => /FROM visit_filter_rollup\b/.test(s)), `${JSON.stringify(filters)} reads the filter rollup`);
        assert.equal(statements.some((s) => /UNION ALL/.test(s)), s0 !== site, 'raw days only after the rolled ones');
        const raw = await siteOverview(ch, s0, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, rollups: false, together: false });
        assert.deepEqual(got, raw, JSON.stringify(filters));
        assert.equal(got.headline.visits!.value, expected.get((filters[0]![2] as string[])[0]!), JSON.stringify(filters));
      }
    }
  });

  it('answers two filter dimensions combined from their pair\'s rows, rolled days and raw days after them, equal to raw visits', async () => {
    const full = as((await rolled())!);
    const cases: unknown[][] = [
      [['is', 'visit:country', ['DE']], ['is', 'visit:device', ['desktop']]],
      [['is', 'visit:device', ['desktop']], ['is', 'visit:browser', ['Chrome']]], // browser is no filter key: raw
      [['is_not', 'visit:device', ['mobile']], ['is', 'visit:source', ['Google']]],
      [['or', [['is', 'visit:country', ['FR']], ['is', 'visit:channel', ['direct']]]]],
      [['not', ['and', [['is', 'visit:country', ['DE']], ['contains', 'visit:source', ['oo']]]]]],
      [['is', 'visit:country', ['DE', 'US']], ['is', 'visit:channel', ['direct', 'organic_search']]],
    ];
    for (const filters of cases) {
      const pair = !JSON.stringify(filters).includes('visit:browser');
      for (const s0 of [full, as({ from: '2026-03-16', until: '2026-03-26' })]) {
        statements.length = 0;
        const got = await siteOverview(ch, s0, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, together: false });
        assert.equal(statements.some((s) => /FROM visit_filter_rollup\b/.test(s)), pair, `${JSON.stringify(filters)} reads the pair's rows`);
        assert.equal(statements.some((s) => /FROM event_filter_rollup\b/.test(s)), pair, `${JSON.stringify(filters)}: top pages and goals too`);
        const raw = await siteOverview(ch, s0, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, filters, rollups: false, together: false });
        assert.deepEqual(got, raw, JSON.stringify(filters));
      }
    }
    // By hand: Germany on a desktop is A1, A2, A3 and C1; from Google on a desktop, A1 and C1.
    const two = (filters: unknown[]) => siteOverview(ch, full, { dateRange: week, now: FIXTURE_NOW, filters });
    assert.equal((await two([['is', 'visit:country', ['DE']], ['is', 'visit:device', ['desktop']]])).headline.visits!.value, 4);
    assert.equal((await two([['is', 'visit:source', ['Google']], ['is', 'visit:device', ['desktop']]])).headline.visits!.value, 2);
  });

  it('encodes in the roller\'s view what the engine reads: a property key of any text in bytes, a source holding the separator', async () => {
    // One visit of a scratch site straight into the tables (no registered site: the fixture's figures and the roller's
    // sites stay as they are): its source holds the unit separator, its event a non-ASCII key.
    const s = 's_encoding_probe';
    await exec(ch, `INSERT INTO sessions (site_id, session_id, sign, version, visitor_id, start, end, pageviews, referrer_source, channel, country_code, device_type, id_type)
      VALUES ({s:String}, 1, 1, 1, 7, '2026-03-24 10:00:00', '2026-03-24 10:01:00', 1, {src:String}, 'referral', 'DE', 'desktop', 'cookie')`, { s, src: 'a\x1Fb' });
    await exec(ch, `INSERT INTO events (site_id, timestamp, name, visitor_id, session_id, pathname, props)
      VALUES ({s:String}, '2026-03-24 10:00:00', 'Signup', 7, 1, '/', map('prénom', 'x'))`, { s });
    const rows = await p.rows<{ fdim: string; fvalue: string }>(`SELECT DISTINCT fdim, fvalue FROM visit_filter_day(site = {s:String}, day = '2026-03-24',
      from = '2026-03-24 00:00:00.000', to = '2026-03-25 00:00:00.000') WHERE fdim IN ('prop', 'country+source')`, { s });
    assert.deepEqual(rows.find((r) => r.fdim === 'prop')?.fvalue, propFvalue('prénom', 'x'), 'the key length in bytes on both sides');
    const country = resolveDimension('web', 'visit:country', 'f', 'day');
    const source = resolveDimension('web', 'visit:source', 'f', 'day');
    const [parts] = await p.rows<{ a: string; b: string }>(`SELECT ${fvalueSql('country+source', country)} AS a, ${fvalueSql('country+source', source)} AS b
      FROM (SELECT {v:String} AS fvalue)`, { v: rows.find((r) => r.fdim === 'country+source')!.fvalue });
    assert.deepEqual(parts, { a: 'DE', b: 'a\x1Fb' }, 'the source whole, separator and all');
  });

  it('reads the days after the rolled ones from raw visits in the same statement, and the sum equals raw rows', async () => {
    // Rolled up to Wednesday: Thursday to Sunday come from sessions.
    const site = as({ from: '2026-03-16', until: '2026-03-26' });
    for (const filters of [[['is', 'visit:source', ['Google']]], [['is_not', 'visit:country', ['US']]]]) {
      statements.length = 0;
      const got = await siteOverview(ch, site, { dateRange: week, now: FIXTURE_NOW, filters, together: false });
      assert.ok(statements.some((s) => /FROM visit_filter_rollup\b[\s\S]*UNION ALL[\s\S]*FROM sessions/.test(s)), 'rolled days and raw days in one');
      assert.ok(statements.some((s) => /FROM event_filter_rollup\b[\s\S]*UNION ALL[\s\S]*FROM events/.test(s)), 'for events too');
      assert.deepEqual(got, await siteOverview(ch, site, { dateRange: week, now: FIXTURE_NOW, filters, rollups: false, together: false }));
    }
  });

  it('reads raw visits for a range starting before the rolled days, or a filter the rollup does not keep', async () => {
    const site = as({ from: '2026-03-24', until: '2026-03-31' });
    statements.length = 0;
    await siteOverview(ch, site, { dateRange: week, now: FIXTURE_NOW, filters: [['is', 'visit:country', ['DE']]], together: false });
    assert.ok(!statements.some((s) => /visit_filter_rollup/.test(s)), 'starts on Monday 23, rolled from Tuesday');
    statements.length = 0;
    await siteOverview(ch, as((await rolled())!), { dateRange: week, now: FIXTURE_NOW, together: false,
      filters: [['is', 'visit:country', ['DE']], ['is', 'visit:device', ['desktop']], ['is', 'visit:source', ['Google']]] });
    assert.ok(!statements.some((s) => /visit_filter_rollup/.test(s)), 'three filter dimensions');
  });

  it('stores a day rolled again (a pass cut off before it recorded its state) once', async () => {
    const before = await rolled();
    const rows = await count('SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String}');
    await exec(ch, `INSERT INTO filter_rollup_state VALUES ({s:String}, '2026-03-16', '2026-03-25', {v:UInt64})`, { s: fx.site.siteId, v: Date.now() + 60_000 });
    assert.deepEqual(await roll(Date.parse('2026-04-02T12:00:00+02:00'), await rolled()), before);
    assert.equal(await count('SELECT sum(visits) AS n FROM visit_filter_rollup WHERE site_id = {s:String}'), rows, 'every insert deduplicated by its token');
    const filters = [['is', 'visit:source', ['Google']]];
    assert.deepEqual(await siteOverview(ch, as(before!), { dateRange: week, now: FIXTURE_NOW, filters }),
      await siteOverview(ch, as(before!), { dateRange: week, now: FIXTURE_NOW, filters, rollups: false }));
  });
});

describe('filter rollup: the worker\'s background passes', () => {
  it('roll every site\'s settled days, newest first, back to the Monday before the month of its first visit, one worker at a time', async () => {
    const p = await startTestPlatform({}, ['worker']);
    try {
      // The fixture sends past event times straight to the ingest script, which the collector never does: the passes
      // start once it is loaded, as they would over settled traffic.
      const fx = await loadQueryFixture(p);
      const roller = startFilterRoller(p.services.ch, p.services.redis, p.services.prefix, createLogger('silent'), { everyMs: 100, budgetMs: 2_000, retentionMonths: 25 });
      let run: RolledDays | undefined;
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && !(run && run.from <= '2026-02-23')) {
        await new Promise((r) => setTimeout(r, 200));
        run = (await readRolledDays(p.services.ch)).get(fx.site.siteId);
      }
      await roller.stop();
      assert.equal(run?.from, '2026-02-23', 'the first visit is in March 2026');
      assert.ok(run!.until >= '2026-12-01', `up to the settled days of now (${run!.until})`);
      assert.equal(await p.services.redis.exists(`${p.services.prefix}filter-roller`), 0, 'the lock is given back');
      const filters = [['is', 'visit:country', ['DE']]];
      const site = { ...fx.site, filtersRolled: run! };
      assert.deepEqual(await siteOverview(p.services.ch, site, { dateRange: week, now: FIXTURE_NOW, filters }),
        await siteOverview(p.services.ch, site, { dateRange: week, now: FIXTURE_NOW, filters, rollups: false }));
    } finally {
      await p.close();
    }
  });
  const week = ['2026-03-23', '2026-03-29'];
});
