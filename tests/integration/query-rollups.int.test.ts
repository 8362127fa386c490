import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { toChTime, type SessionRow } from '../../core/event.ts';
import { resolveDateRange } from '../../dashboard/api/query/request/date-range.ts';
import { resolveDimension } from '../../dashboard/api/query/catalog/dimensions.ts';
import { runEngine } from '../../dashboard/api/query/run/engine.ts';
import { siteOverview } from '../../dashboard/api/query/assemble/overview.ts';
import { parseFilters } from '../../dashboard/api/query/catalog/filters.ts';
import { Registry } from '../../core/registry.ts';
import { FIXTURE_NOW, startQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { recordingClient } from '../helpers/recording-client.ts';

/** A visit's session row as the worker writes it: `pageviews` pages, one minute apart, from `at`. */
function visitRow(site: string, n: number, at: number, pageviews = 1): SessionRow {
  return { site_id: site, session_id: String(n), sign: 1, version: 1, visitor_id: String(4000 + n),
    start: toChTime(at), prev_start: toChTime(0), end: toChTime(at + pageviews * 60_000), duration_ms: (pageviews - 1) * 60_000, pageviews, events: 0, engagement_ms: 0,
    is_bounce: pageviews === 1 ? 1 : 0, entry_page: '/', exit_page: pageviews === 1 ? '/' : '/next', hostname: 'rollup.test', referrer: '',
    referrer_source: '', channel: 'direct', utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '', country_code: 'DE',
    region: '', city: '', browser: 'Firefox', browser_version: '1', os: 'Linux', os_version: '', device_type: 'desktop', screen_size: 'desktop',
    id_type: 'cookie', cookieless_reason: '', new_visitor: 1 } as unknown as SessionRow;
}

/**
 * The rollups (core/migrations/008_rollups.sql, 009_local_rollups.sql) on the query fixture, loaded through the real ingest path, so the
 * views saw the worker's batches with their +1/-1 visit rows. Every answer from the rollups must equal the raw one
 * (the fixture's sets are small, so even distinct visitors are exact), and what they cannot answer must go raw.
 */
describe('rollups: the site overview from pre-aggregated rows', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let ch: ClickHouseClient;
  const statements: string[] = [];
  const week = ['2026-03-23', '2026-03-29'];
  const rollupReads = () => statements.filter((s) => /FROM (visit_rollup|visit_totals|event_rollup)\b/.test(s));
  const rawReads = () => statements.filter((s) => /FROM (sessions|events)\b/.test(s));

  before(async () => {
    ({ p, fx } = await startQueryFixture());
    const real = p.services.ch;
    ch = recordingClient(real, statements);
  });
  after(async () => { await p?.close(); });

  it('answers every panel but visit frequency from the rollups, equal to the raw answer', async () => {
    statements.length = 0;
    const rolled = await siteOverview(ch, fx.site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, together: false });
    // The chart with the headline as its totals, and its comparison; the 15 visit panels in one statement, pages and
    // goals in another.
    assert.equal(rollupReads().length, 4, rollupReads().join('\n\n'));
    assert.equal(rawReads().length, 1, 'only visit frequency reads sessions');
    assert.match(rawReads()[0]!, /prev_start >= \{p\d+_from:DateTime64\(3\)\}/, 'grouping repeat visits only, from visit links');
    const raw = await siteOverview(ch, fx.site, { dateRange: week, comparison: 'previous_period', now: FIXTURE_NOW, rollups: false, together: false });
    assert.deepEqual(rolled, raw);
    assert.equal(rolled.headline.visitors!.value, 4, 'the hand-computed figure (query-overview test)');
  });

  it('links each cookie visit to the start of its visitor\'s previous visit, as the ingest script saw them', async () => {
    const links = await p.rows<{ start: string; prev: string }>(`SELECT DISTINCT toString(start) AS start, toString(prev_start) AS prev
      FROM sessions WHERE site_id = {s:String} AND prev_start > 0 ORDER BY start`, { s: fx.site.siteId });
    const utc = (s: string) => `${s}:00.000`;
    assert.deepEqual(links.map((l) => [l.start, l.prev]), [
      ['2026-03-23 09:00', '2026-03-20 09:00'], ['2026-03-25 17:00', '2026-03-23 09:00'], ['2026-03-26 08:00', '2026-03-24 11:00'], // A1 A2 B2
      ['2026-03-28 23:30', '2026-03-25 17:00'], // A3
      ['2026-10-25 00:30', '2026-10-24 22:30'], ['2026-10-25 01:30', '2026-10-25 00:30'], ['2026-10-25 22:30', '2026-10-25 01:30'],
      ['2026-10-25 23:30', '2026-10-25 22:30'], // G2..G5, across the autumn DST change
    ].map(([a, b]) => [utc(a!), utc(b!)]));
    // First visits (A0 B1 D1 E1 F1 G1) and the cookieless one (C1) link to nothing.
    const [none] = await p.rows<{ n: string }>('SELECT uniqExact(session_id) AS n FROM sessions WHERE site_id = {s:String} AND prev_start = 0', { s: fx.site.siteId });
    assert.equal(Number(none!.n), 7);
  });

  it('counts visit frequency from the links as grouping every visitor does, on ranges within the link window and beyond', async () => {
    const site = { kind: 'site' as const, site: fx.site };
    const all: [string, string, unknown[]][] = [
      // A1 links to A0 before the range: A's first visit in it. A 3, B 2, D 1.
      ['2026-03-21', '2026-03-29', [['1', 1, 1], ['2', 1, 2], ['3-5', 1, 3]]],
      // March (31 days, linked) and 46 days (grouped): A 4, B 2, D E F 1 each.
      ['2026-03-01', '2026-03-31', [['1', 3, 3], ['2', 1, 2], ['3-5', 1, 4]]],
      ['2026-03-01', '2026-04-15', [['1', 3, 3], ['2', 1, 2], ['3-5', 1, 4]]],
      // The 25-hour day holds G1..G4; the next day's G5 links to G4, before that range.
      ['2026-10-25', '2026-10-25', [['3-5', 1, 4]]],
      ['2026-10-26', '2026-10-26', [['1', 1, 1]]],
    ];
    for (const [from, to, expected] of all) {
      const range = resolveDateRange([from, to], { tz: fx.site.timezone, now: FIXTURE_NOW });
      const q = { range, metrics: ['visitors', 'visits'], filters: [], dimensions: [resolveDimension('web', 'visitor:frequency', 'dimensions[0]', range.auto)],
        orderBy: [['visitor:frequency', 'asc']] as [string, 'asc'][] };
      statements.length = 0;
      const linked = await runEngine(ch, site, q);
      assert.equal(/prev_start/.test(statements[0]!), range.to - range.from <= 32 * 86_400_000, `${from} ${to}`);
      assert.deepEqual(linked.results.map((r) => [...r.dimensions, ...r.metrics]), expected, `${from} ${to}`);
      assert.deepEqual(linked, await runEngine(ch, site, { ...q, rollups: false }), `${from} ${to}`);
    }
  });

  it('gives a chart\'s totals (the headline) from the chart\'s own scan, equal to the query without dimensions', async () => {
    const site = { kind: 'site' as const, site: fx.site };
    const metrics = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'new_visitors', 'returning_visitors', 'visits_per_visitor'];
    const cases: { days: string[]; dim: string; filters?: unknown[]; metrics?: string[]; rollups?: false; inline: boolean }[] = [
      { days: week, dim: 'time:day', inline: true },
      { days: week, dim: 'time:day', rollups: false, inline: true },
      { days: ['2026-10-25', '2026-10-25'], dim: 'time:hour', inline: true },
      { days: week, dim: 'time:day', filters: [['is', 'visit:country', ['DE']]], inline: true },
      // Several aggregations joined on the day (conversions and their denominators; a page's visits and its
      // pageviews): each holds its totals row too, joined on it.
      { days: week, dim: 'time:day', filters: [['is', 'event:name', ['Signup']]], metrics: [...metrics, 'events', 'conversion_rate'], inline: true },
      { days: week, dim: 'time:day', filters: [['is', 'event:page', ['/pricing']]], inline: true },
      { days: week, dim: 'time:day', filters: [['is', 'event:page', ['/pricing']]], rollups: false, inline: true },
    ];
    for (const c of cases) {
      const range = resolveDateRange(c.days, { tz: fx.site.timezone, now: FIXTURE_NOW });
      const comparison = resolveDateRange(['2026-03-16', '2026-03-22'], { tz: fx.site.timezone, now: FIXTURE_NOW });
      const q = { range, comparison, metrics: c.metrics ?? metrics, filters: parseFilters(c.filters ?? [], 'web'),
        dimensions: [resolveDimension('web', c.dim, 'dimensions[0]', range.auto)], ...(c.rollups === false ? { rollups: false } : {}) };
      statements.length = 0;
      const chart = await runEngine(ch, site, { ...q, totals: true });
      const label = JSON.stringify(c);
      assert.equal(statements.length, c.inline ? 2 : 4, label);
      assert.equal(statements.filter((x) => x.includes('GROUP BY GROUPING SETS')).length, c.inline ? 2 : 0, label);
      const alone = await runEngine(ch, site, { ...q, dimensions: [] });
      assert.deepEqual(chart.totals, alone.results[0], label);
      assert.deepEqual(chart.results, (await runEngine(ch, site, q)).results, `${label}: the chart's own rows are unchanged`);
      assert.ok(chart.totals!.metrics[1]! > 0, label);
    }
  });

  it('answers top pages and goals from one scan of the event rollup, ranked and cut as each alone', async () => {
    const pair = (q: string) => q.includes('FROM event_rollup') && q.includes('GROUP BY GROUPING SETS ((k0), (k1))');
    for (const limit of [1, 2, 10]) {
      statements.length = 0;
      const rolled = await siteOverview(ch, fx.site, { dateRange: week, now: FIXTURE_NOW, limit, together: false });
      assert.equal(statements.filter(pair).length, 1, `limit ${limit}`);
      const raw = await siteOverview(ch, fx.site, { dateRange: week, now: FIXTURE_NOW, limit, together: false, rollups: false });
      assert.deepEqual([rolled.panels.pages, rolled.panels.goals], [raw.panels.pages, raw.panels.goals], `limit ${limit}`);
      assert.equal(rolled.panels.pages.length, Math.min(limit, 4)); // /, /pricing, /blog, /docs
    }
    // A clicked row filters every panel: the event rollup cannot answer, so each panel goes alone.
    statements.length = 0;
    await siteOverview(ch, fx.site, { dateRange: week, now: FIXTURE_NOW, filters: [['is', 'visit:country', ['DE']]], together: false });
    assert.equal(statements.filter(pair).length, 0);
  });

  it('covers ranges that start or end mid-week with half-week rows, answering as raw rows do', async () => {
    // Wed 18 .. Sun 29: a day, Thursday-Sunday, a week. Mon 23 .. Sat 28: Monday-Wednesday and three days.
    for (const dateRange of [['2026-03-18', '2026-03-29'], ['2026-03-23', '2026-03-28'], ['2026-03-19', '2026-10-28']]) {
      statements.length = 0;
      const rolled = await siteOverview(ch, fx.site, { dateRange, comparison: 'previous_period', now: FIXTURE_NOW });
      assert.ok(rollupReads().length > 0 && statements.some((q) => /UNION ALL/.test(q)), JSON.stringify(dateRange));
      assert.deepEqual(rolled, await siteOverview(ch, fx.site, { dateRange, comparison: 'previous_period', now: FIXTURE_NOW, rollups: false }), JSON.stringify(dateRange));
    }
    const [half] = await p.rows<{ n: string }>("SELECT count() AS n FROM visit_rollup WHERE site_id = {s:String} AND span = 'half'", { s: fx.site.siteId });
    assert.ok(Number(half!.n) > 0);
  });

  it('sends the overview as one statement and answers exactly as one statement per panel group', async () => {
    for (const opts of [{ dateRange: week, comparison: 'previous_period' as const }, { dateRange: ['2026-03-01', '2026-10-31'] },
      { dateRange: week, filters: [['is', 'visit:country', ['DE']]] }, { dateRange: week, filters: [['is', 'event:name', ['Signup']]] }]) {
      statements.length = 0;
      const together = await siteOverview(ch, fx.site, { ...opts, now: FIXTURE_NOW });
      // The comparison of the headline and series is sent with them; that of nothing else waits for a main result.
      assert.ok(statements.length <= 2, `${statements.length} statements`);
      assert.match(statements[0]!, /UNION ALL/);
      assert.deepEqual(together, await siteOverview(ch, fx.site, { ...opts, now: FIXTURE_NOW, together: false }), JSON.stringify(opts));
    }
  });

  it('gives hourly series across both DST changes and monthly ones as raw rows do', async () => {
    const site = { kind: 'site' as const, site: fx.site };
    for (const [days, dim] of [[['2026-10-25', '2026-10-25'], 'time:hour'], [['2026-03-29', '2026-03-29'], 'time:hour'], [['2026-03-01', '2026-10-31'], 'time:month'],
      [['2026-03-16', '2026-03-29'], 'time:week']] as const) {
      const range = resolveDateRange(days, { tz: fx.site.timezone, now: FIXTURE_NOW });
      const q = { range, metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], filters: [],
        dimensions: [resolveDimension('web', dim, 'dimensions[0]', range.auto)] };
      statements.length = 0;
      const rolled = await runEngine(ch, site, q);
      assert.equal(rollupReads().length, 1, `${dim} ${days}`);
      assert.deepEqual(rolled, await runEngine(ch, site, { ...q, rollups: false }), `${dim} ${days}`);
      assert.ok(rolled.results.length > 0);
    }
    // 2026-10-25 has 25 hours: the repeated 02:00 holds the visits at 02:30 CEST and 02:30 CET.
    const autumn = resolveDateRange(['2026-10-25', '2026-10-25'], { tz: fx.site.timezone, now: FIXTURE_NOW });
    const hours = await runEngine(ch, site, { range: autumn, metrics: ['visits'], filters: [], dimensions: [resolveDimension('web', 'time:hour', 'd', 'hour')] });
    assert.deepEqual(hours.results.map((r) => [r.dimensions[0], r.metrics[0]]),
      [['2026-10-25 00:00:00', 1], ['2026-10-25 02:00:00', 2], ['2026-10-25 23:00:00', 1]]);
  });

  it('falls back to raw rows for a filter, a half-hour time zone, and exit-page visitors', async () => {
    statements.length = 0;
    const de = await siteOverview(ch, fx.site, { dateRange: week, filters: [['is', 'visit:country', ['DE']]], now: FIXTURE_NOW });
    assert.deepEqual(rollupReads(), []);
    assert.equal(de.headline.visitors!.value, 2);

    // A site that has just moved to Asia/Kolkata (+05:30): its rollup rows are in Berlin days, and Kolkata's local
    // midnights are not whole UTC hours, so nothing but raw rows answers. In its week, D1 and E (Sunday night in
    // Berlin) fall on Monday: A1-A3, B1, B2 and C1 remain.
    const kolkata = { ...fx.site, timezone: 'Asia/Kolkata', timezoneSince: FIXTURE_NOW };
    statements.length = 0;
    const k = await siteOverview(ch, kolkata, { dateRange: week, now: FIXTURE_NOW });
    assert.deepEqual(rollupReads(), []);
    assert.deepEqual([k.headline.visitors!.value, k.headline.visits!.value], [3, 6]);
    assert.deepEqual(k, await siteOverview(ch, kolkata, { dateRange: week, now: FIXTURE_NOW, rollups: false }));

    // Visitors by exit page need each visit's latest row; visits by exit page net out in the rollup.
    const range = resolveDateRange(week, { tz: fx.site.timezone, now: FIXTURE_NOW });
    const exit = [resolveDimension('web', 'visit:exit_page', 'd', 'day')];
    statements.length = 0;
    const visitors = await runEngine(ch, { kind: 'site', site: fx.site }, { range, metrics: ['visitors'], dimensions: exit, filters: [] });
    assert.deepEqual(rollupReads(), []);
    assert.deepEqual(visitors.results.map((r) => [r.dimensions[0], r.metrics[0]]), [['/', 2], ['/docs', 2], ['/pricing', 2], ['/blog', 1]]);
    const visits = await runEngine(ch, { kind: 'site', site: fx.site }, { range, metrics: ['visits'], dimensions: exit, filters: [] });
    assert.equal(rollupReads().length, 1);
    assert.deepEqual(visits.results.map((r) => [r.dimensions[0], r.metrics[0]]), [['/', 2], ['/docs', 2], ['/pricing', 2], ['/blog', 1]]);
  });

  it('files visits and events under the local days of a half-hour zone, as raw rows count them', async () => {
    const registry = new Registry(p.services.ch);
    const site = await registry.addSite({ domain: 'kolkata-rollup.test', timezone: 'Asia/Kolkata' });
    // 18:15 and 18:45 UTC are 23:45 on one day and 00:15 on the next in Kolkata (+05:30).
    const times = ['2026-03-23T18:15:00Z', '2026-03-23T18:45:00Z', '2026-03-24T18:45:00Z', '2026-03-29T18:15:00Z', '2026-03-29T18:45:00Z'];
    const visits = times.map((t, i) => ({ ...visitRow(site.siteId, i + 1, Date.parse(t)), country_code: i % 2 ? 'IN' : 'DE' }));
    await insertRows(p.services.ch, 'sessions', visits, 'kolkata-visits');
    await insertRows(p.services.ch, 'events', visits.map((v, i) => ({ site_id: site.siteId, event_id: `00000000-0000-4000-8000-0000000001${i}0`,
      timestamp: v.start, name: 'pageview', visitor_id: v.visitor_id, session_id: v.session_id, pathname: '/' })), 'kolkata-events');
    const scope = { kind: 'site' as const, site };
    const range = resolveDateRange(week, { tz: site.timezone, now: FIXTURE_NOW });
    for (const dims of [[], ['time:day'], ['visit:country'], ['event:page']]) {
      const q = { range, metrics: dims[0] === 'event:page' ? ['visitors', 'pageviews'] : ['visitors', 'visits', 'pageviews'], filters: [],
        dimensions: dims.map((d) => resolveDimension('web', d, 'dimensions[0]', range.auto)) };
      statements.length = 0;
      const rolled = await runEngine(ch, scope, q);
      assert.equal(rollupReads().length, 1, dims.join());
      assert.deepEqual(rolled, await runEngine(ch, scope, { ...q, rollups: false }), dims.join());
    }
    const days = await runEngine(ch, scope, { range, metrics: ['visits'], filters: [], dimensions: [resolveDimension('web', 'time:day', 'd', 'day')] });
    // 18:15 on the 29th is the 29th's last minutes; 18:45 already the 30th, outside the week.
    assert.deepEqual(days.results.map((r) => [r.dimensions[0], r.metrics[0]]), [['2026-03-23', 1], ['2026-03-24', 1], ['2026-03-25', 1], ['2026-03-29', 1]]);

    // After a change of zone, ranges that start before it read raw rows (or UTC hours) until local rows are consistent.
    const moved = await registry.updateSite('kolkata-rollup.test', { timezone: 'Europe/Berlin' });
    assert.ok(moved.timezoneSince! > FIXTURE_NOW);
    statements.length = 0;
    const berlin = await runEngine(ch, { kind: 'site', site: moved }, { range: resolveDateRange(week, { tz: moved.timezone, now: FIXTURE_NOW }),
      metrics: ['visits'], filters: [], dimensions: [resolveDimension('web', 'time:day', 'd', 'day')] });
    assert.ok(statements.every((q) => !/span = 'day'/.test(q)), 'no local day rows of the old zone');
    assert.deepEqual(berlin.results.map((r) => [r.dimensions[0], r.metrics[0]]), [['2026-03-23', 2], ['2026-03-24', 1], ['2026-03-29', 2]]);
  });

  it('counts a batch the worker retries with the same deduplication token once', async () => {
    const site = 's_dedup_test';
    const at = Date.parse('2026-03-24T09:00:00Z');
    const visit = (sign: 1 | -1, version: number, pageviews: number) => ({ ...visitRow(site, 77, at, pageviews), sign, version });
    const event = (n: number) => ({ site_id: site, event_id: `00000000-0000-4000-8000-00000000000${n}`, timestamp: toChTime(at + n * 60_000), name: 'pageview',
      visitor_id: '4242', session_id: '77', pathname: n === 1 ? '/' : '/next' });
    const totals = async () => {
      const [r] = await p.rows<Record<string, string>>(`SELECT
        (SELECT sum(visits) FROM visit_rollup WHERE site_id = {s:String} AND dim = 'exit_page' AND span = 'hour') AS visits,
        (SELECT sum(pageviews) FROM visit_totals WHERE site_id = {s:String} AND span = 'week') AS pageviews,
        (SELECT groupArray((value, toInt64(visits))) FROM (SELECT value, sum(visits) AS visits FROM visit_rollup WHERE site_id = {s:String} AND dim = 'exit_page' AND span = 'day' GROUP BY value ORDER BY value)) AS exits,
        (SELECT sum(events) FROM event_rollup WHERE site_id = {s:String} AND span = 'day') AS events,
        (SELECT uniqCombinedMerge(12)(visitors) FROM event_rollup WHERE site_id = {s:String} AND span = 'hour') AS visitors`, { s: site });
      return [Number(r!.visits), Number(r!.pageviews), JSON.stringify(r!.exits), Number(r!.events), Number(r!.visitors)];
    };
    // Batch 1: the visit starts. Batch 2: it continues (cancel the old state, add the new one), sent twice.
    await insertRows(p.services.ch, 'sessions', [visit(1, 1, 1)], 'dedup-batch-1');
    await insertRows(p.services.ch, 'events', [event(1)], 'dedup-batch-1');
    for (let attempt = 0; attempt < 2; attempt++) {
      await insertRows(p.services.ch, 'sessions', [visit(-1, 1, 1), visit(1, 2, 2)], 'dedup-batch-2');
      await insertRows(p.services.ch, 'events', [event(2)], 'dedup-batch-2');
    }
    assert.deepEqual(await totals(), [1, 2, JSON.stringify([['/', 0], ['/next', 1]]), 2, 1]);
    // The same rows under a new token are a new batch, and count (as in the raw tables).
    await insertRows(p.services.ch, 'events', [event(2)], 'dedup-batch-3');
    assert.deepEqual((await totals())[3], 3);
    const [raw] = await p.rows<{ n: string }>("SELECT count() AS n FROM events WHERE site_id = {s:String}", { s: site });
    assert.equal(Number(raw!.n), 3);
  });
});
