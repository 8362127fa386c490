import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addDays, dayRange, realtimeRange } from '../../dashboard/api/query/request/date-range.ts';
import { buildProductQuery } from '../../dashboard/api/query/sql/product-query.ts';
import { parseQueryRequest, withRange } from '../../dashboard/api/query/request/query-request.ts';
import { retentionQuery } from '../../dashboard/api/query/sql/retention-query.ts';
import { QUERY_SETTINGS } from '../../dashboard/api/query/run/run.ts';
import { mergeable } from '../../dashboard/api/query/run/together.ts';
import { buildWebQuery } from '../../dashboard/api/query/sql/web-query.ts';
import { WEB_DIMENSIONS, type DimensionDef } from '../../dashboard/api/query/catalog/dimensions.ts';
import { ROLLUP_VISITORS } from '../../dashboard/api/query/catalog/metrics.ts';
import { EVENT_FILTER_KEYS, FILTER_KEYS, pairKey, rollupWindow } from '../../dashboard/api/query/plan/rollups.ts';
import { propFvalue } from '../../dashboard/api/query/sql/rollup-rows.ts';
import { readFileSync } from 'node:fs';
import type { TupleParam } from '@clickhouse/client';

const range = dayRange('2026-03-23', '2026-03-29', 'Europe/Berlin');
/** Local midnights at half past a UTC hour: local day rows answer, UTC hour rows cannot. */
const kolkata = dayRange('2026-03-23', '2026-03-29', 'Asia/Kolkata');
const INJECTION = "x' OR 1=1 --";
const DAY = 86_400_000;
/** A statement's named value: every name carries the statement's own prefix (p<n>_, sql/params.ts). */
const named = (q: { params: Record<string, unknown> }, name: string) => Object.entries(q.params).find(([k]) => /^p\d+_/.test(k) && k.replace(/^p\d+_/, '') === name)?.[1];
/** A placeholder of a named value, whatever its statement's prefix. */
const placeholder = (name: string, type: string) => new RegExp(`\\{p\\d+_${name}:${type.replace(/[()]/g, '\\$&')}\\}`);

function web(body: Record<string, unknown>, r = range, opts: { rollups?: boolean; zoneSince?: number; linkedSince?: number; stampedSince?: number;
  filtersRolled?: { from: string; until: string } } = {}) {
  const q = parseQueryRequest({ site_id: 'example.com', date_range: '7d', ...body });
  return buildWebQuery('s_site', r, { ...q, dimensions: withRange(q.dimensions, r), limit: q.pagination.limit, offset: q.pagination.offset, ...opts });
}
/** The raw plan, as without rollups. */
const rawWeb = (body: Record<string, unknown>, r = range) => web(body, r, { rollups: false });

/** Every value a request carries is a parameter: none may reach the SQL text. */
describe('query builder: values stay out of the SQL', () => {
  it('keeps filter values with quotes out of the SQL text and passes them as parameters', () => {
    const q = web({ metrics: ['visitors', 'pageviews'], dimensions: ['visit:source'],
      filters: [['is', 'visit:country', [INJECTION]], ['contains', 'event:page', [INJECTION]], ['is_not', 'event:props:plan', [INJECTION]]] });
    assert.ok(!q.sql.includes(INJECTION));
    assert.ok(!q.sql.includes("'x'"));
    assert.ok(Object.values(q.params).filter((v) => JSON.stringify(v).includes(INJECTION)).length >= 3);
    assert.match(q.sql, /country_code IN \{p\d+_f\d+:Array\(String\)\}/);
  });

  it('passes a custom property key as a parameter, in dimensions and filters', () => {
    const key = "plan'] OR 1=1 --";
    const q = web({ metrics: ['events'], dimensions: [`event:props:${key}`], filters: [['is', `event:props:${key}`, ['pro']]] });
    assert.ok(!q.sql.includes(key));
    assert.equal(Object.values(q.params).filter((v) => v === key).length, 2);
    assert.match(q.sql, /props\[\{p\d+_f\d+:String\}\]/);
  });

  it('passes the site, range, time zone and pagination as typed parameters', () => {
    const q = rawWeb({ metrics: ['visitors'], dimensions: ['time:day'], pagination: { limit: 5, offset: 10 } });
    assert.deepEqual(['site', 'from', 'to', 'tz', 'limit', 'offset'].map((n) => named(q, n)),
      ['s_site', '2026-03-22 23:00:00.000', '2026-03-29 22:00:00.000', 'Europe/Berlin', 5, 10]);
    for (const [n, t] of [['site', 'String'], ['from', 'DateTime64(3)'], ['to', 'DateTime64(3)'], ['tz', 'String'], ['limit', 'UInt32'], ['offset', 'UInt32']]) {
      assert.match(q.sql, placeholder(n!, t!), n);
    }
    assert.ok(!q.sql.includes('Europe/Berlin'));
  });

  it('passes product ids and comparison rows as parameters', () => {
    const q = parseQueryRequest({ product_id: 'x', date_range: '7d', metrics: ['active_installs', 'dau', 'feature_share'], dimensions: ['feature'] });
    const built = buildProductQuery([INJECTION], range, { ...q, limit: 10, offset: 0, restrict: [[INJECTION]] });
    assert.ok(!built.sql.includes(INJECTION));
    assert.deepEqual([named(built, 'products'), named(built, 'cmp')], [[INJECTION], [[INJECTION]]]);
    const retention = retentionQuery({ kind: 'product', products: [{ productId: INJECTION, name: 'n', createdAt: '' }] }, range, 'month', []);
    assert.ok(!retention.sql.includes(INJECTION));
  });

  it('leaves the SETTINGS clause to the runner, which appends the scoped limits to every statement', () => {
    assert.equal(QUERY_SETTINGS, 'SETTINGS max_execution_time = 15, max_memory_usage = 2000000000, readonly = 2, use_index_for_in_with_subqueries = 0');
    assert.ok(!web({ metrics: ['visitors'] }).sql.includes('SETTINGS'));
  });
});

describe('query builder: one statement from many, without rewriting SQL', () => {
  it('names every value with its own statement prefix, so statements built apart merge their values as they are', () => {
    const a = web({ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'visit:country', ['DE']]] });
    const b = web({ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'visit:country', ['FR']]] });
    const names = (q: { params: Record<string, unknown> }) => Object.keys(q.params);
    assert.equal(names(a).filter((n) => names(b).includes(n)).length, 0);
    assert.deepEqual(mergeable([a, b]).map((m) => m.batch.length), [2]);
  });

  it('sends a statement whose value names clash with another in the batch in the next batch', () => {
    const q = (site: string) => ({ name: 'hand', sql: 'SELECT 1 WHERE {site:String} != \'\'', params: { site } });
    const batches = mergeable([q('a'), q('b'), q('a')]);
    assert.deepEqual(batches.map((m) => m.batch.map((x) => x.params.site)), [['a', 'a'], ['b']]);
    assert.deepEqual(batches.map((m) => m.params), [{ site: 'a' }, { site: 'b' }]);
  });
});

describe('query builder: choosing the rows that answer', () => {
  it('says, for each aggregation, which rows answer it and why', () => {
    assert.match(web({ metrics: ['visitors'], dimensions: ['visit:source'] }).plan!.join('\n'), /^visit_rollup: visit:source over \d+ bucket range/);
    assert.deepEqual(web({ metrics: ['visitors'], dimensions: ['visit:source'], filters: [['is', 'visit:country', ['DE']]] }).plan,
      ['sessions: no days of the site are in the filter rollup yet'], 'the visit rollup keeps no filter; the filter rollup would, once days are rolled');
    assert.deepEqual(web({ metrics: ['visitors'], dimensions: ['event:props:plan'] }).plan, ['events: the event rollup does not keep event:props:plan (a custom property)']);
    assert.deepEqual(rawWeb({ metrics: ['visitors'] }).plan, ['sessions: no rollup rows cover the range (realtime, not whole hours, or rollups off)']);
  });

  it('answers visit figures from sessions with signed sums, without FINAL', () => {
    const q = rawWeb({ metrics: ['visits', 'bounce_rate', 'visit_duration'], dimensions: ['visit:country'] });
    assert.equal(q.name, 'web:sessions');
    assert.match(q.sql, /sum\(sign \* is_bounce\)/);
    assert.ok(!/FINAL/.test(q.sql));
    assert.ok(!/FROM events/.test(q.sql));
  });

  it('answers page breakdowns from events, without engagement pings', () => {
    const q = rawWeb({ metrics: ['visitors', 'pageviews'], dimensions: ['event:page'] });
    assert.equal(q.name, 'web:events');
    assert.match(q.sql, /name != 'engagement'/);
    assert.ok(!/FROM sessions/.test(q.sql));
  });

  it('turns an event filter on visit metrics into a membership test of the visit', () => {
    const q = web({ metrics: ['visits'], filters: [['is', 'event:name', ['Signup']]] });
    assert.match(q.sql, /session_id IN \(SELECT session_id FROM events WHERE/);
  });

  it("reads a visit filter on event figures from each event's stamp once the site's events carry it", () => {
    const top = { metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:source', ['Google']], ['is_not', 'visit:visitor_type', ['new']]] };
    const stamped = web(top);
    assert.match(stamped.sql, /visit\.referrer_source/);
    assert.match(stamped.sql, /NOT \(multiIf\(visit\.id_type != 'cookie'/);
    assert.ok(!/session_id IN/.test(stamped.sql), 'no visit lookup');
    // Visitor type is no filter key of the event filter rollup (migrations 013, 017).
    assert.deepEqual(stamped.plan, ["events: the filter rollup keeps filters on one or two of visit:source, visit:channel, visit:country, visit:device only; visit attributes from each event's stamp"]);
    // A range starting before stamping began reads events that have none: each event's visit is looked up.
    const older = web(top, range, { stampedSince: range.from + 1 });
    assert.match(older.sql, /session_id IN \(SELECT session_id FROM sessions WHERE/);
    assert.ok(!/visit\./.test(older.sql));
    assert.match(older.plan!.join('\n'), /visit:source, visit:visitor_type by visit lookup \(the range starts before/);
    // What changes during a visit (its entry page is set by its first pageview) is not stamped.
    const entry = web({ ...top, filters: [['is', 'visit:entry_page', ['/']], ['is', 'visit:country', ['DE']]] });
    assert.match(entry.sql, /session_id IN \(SELECT session_id FROM .*entry_page/s);
    assert.match(entry.sql, /visit\.country_code IN/);
  });

  it("breaks event counts down by a stamped visit dimension without joining the visits", () => {
    const q = web({ metrics: ['pageviews'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/pricing']]] });
    assert.ok(!/JOIN/.test(q.sql));
    assert.match(q.sql, /if\(visit\.referrer_source = ''/);
    assert.match(web({ metrics: ['pageviews'], dimensions: ['visit:source'], filters: [['is', 'event:page', ['/pricing']]] }, range,
      { stampedSince: Date.now() }).sql, /INNER JOIN/);
  });

  it('collapses visits only when a distinct count meets a changing attribute (exit page)', () => {
    assert.match(web({ metrics: ['visitors'], dimensions: ['visit:exit_page'] }).sql, /argMax\(exit_page, version\)/);
    assert.ok(!/argMax/.test(web({ metrics: ['visits', 'bounce_rate'], dimensions: ['visit:exit_page'] }).sql));
  });

  it('reads realtime figures from events', () => {
    assert.equal(web({ metrics: ['visitors'] }, realtimeRange(Date.now(), 'UTC')).name, 'web:events');
  });

  it('uses uniq for visitors, never uniqExact', () => {
    const q = rawWeb({ metrics: ['visitors', 'new_visitors', 'percentage'], dimensions: ['visit:browser'] });
    assert.match(q.sql, /uniq\(visitor_id\)/);
    assert.ok(!/uniqExact/.test(q.sql));
  });
});

describe('query builder: rollups where they answer (rollups.ts)', () => {
  const table = (body: Record<string, unknown>, r = range) => web(body, r).name;

  it('reads visit and event rollups for ranges of whole local days, in any zone', () => {
    assert.equal(table({ metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:country'] }), 'web:visit_rollup');
    assert.equal(table({ metrics: ['visitors', 'new_visitors', 'returning_visitors', 'visits_per_visitor'] }), 'web:visit_rollup');
    assert.equal(table({ metrics: ['visitors', 'pageviews'], dimensions: ['time:hour'] }), 'web:visit_rollup');
    assert.equal(table({ metrics: ['visitors', 'pageviews'], dimensions: ['event:page'] }), 'web:event_rollup');
    assert.equal(table({ metrics: ['visitors', 'events'], dimensions: ['event:name'], filters: [['contains', 'event:page', ['/pricing']]] }), 'web:event_rollup');
    assert.equal(table({ metrics: ['visits'], dimensions: ['visit:exit_page'] }), 'web:visit_rollup');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['visit:country'] }, kolkata), 'web:visit_rollup');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['time:day'] }, kolkata), 'web:visit_rollup');
  });

  it('reads raw rows for what the rollups do not hold', () => {
    assert.equal(table({ metrics: ['visitors'], dimensions: ['time:hour'] }, kolkata), 'web:sessions');
    assert.equal(table({ metrics: ['visitors'], filters: [['is', 'visit:country', ['DE']]] }), 'web:sessions');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['visit:exit_page'] }), 'web:sessions');
    assert.equal(table({ metrics: ['new_visitors'], dimensions: ['visit:country'] }), 'web:sessions');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['visit:country', 'visit:browser'] }), 'web:sessions');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['visit:utm_term'] }), 'web:sessions');
    assert.equal(table({ metrics: ['visits'], dimensions: ['event:page'] }), 'web:events');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['event:props:plan'] }), 'web:events');
    assert.equal(table({ metrics: ['pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:country', ['DE']]] }), 'web:events');
    assert.equal(table({ metrics: ['visitors'], dimensions: ['visitor:frequency'] }), 'web:visitors');
    assert.equal(table({ metrics: ['visitors'] }, realtimeRange(Date.now(), 'UTC')), 'web:events');
    assert.equal(buildWebQuery('s_site', range, { metrics: ['visitors'], dimensions: [], filters: [], orderBy: [], limit: 1, offset: 0, rollups: false }).name, 'web:sessions');
  });

  it('covers a range with the largest whole local buckets that fit', () => {
    const iso = (w: ReturnType<typeof rollupWindow>) => w!.cover.map((c) => [c.span, new Date(c.from).toISOString().slice(0, 13), new Date(c.to).toISOString().slice(0, 13)]);
    // Local buckets are local dates (stored at 00:00 UTC): Monday to Sunday in Berlin is one week row.
    assert.deepEqual(iso(rollupWindow(range)), [['week', '2026-03-23T00', '2026-03-30T00']]);
    // 30 days to Monday 2026-06-01 in Berlin: a day, four ISO weeks and a day (not 720 hours).
    assert.deepEqual(iso(rollupWindow(dayRange('2026-05-03', '2026-06-01', 'Europe/Berlin'))), [['day', '2026-05-03T00', '2026-05-04T00'],
      ['week', '2026-05-04T00', '2026-06-01T00'], ['day', '2026-06-01T00', '2026-06-02T00']]);
    assert.deepEqual(iso(rollupWindow(dayRange('2026-01-01', '2026-03-31', 'UTC'))), [['month', '2026-01-01T00', '2026-04-01T00']]);
    // 30 days from Wednesday 2026-04-29 to Thursday 2026-05-28: the ends take half-weeks (Thursday-Sunday,
    // Monday-Wednesday), 7 keys where single days took 12.
    const thursday = rollupWindow(dayRange('2026-04-29', '2026-05-28', 'Europe/Berlin'));
    assert.deepEqual(iso(thursday), [['day', '2026-04-29T00', '2026-04-30T00'], ['half', '2026-04-30T00', '2026-05-04T00'],
      ['week', '2026-05-04T00', '2026-05-25T00'], ['half', '2026-05-25T00', '2026-05-28T00'], ['day', '2026-05-28T00', '2026-05-29T00']]);
    // Every 30-day range: 6 to 10 keys (weeks and days alone: 6 to 12).
    const keyCount = (q: { params: Record<string, unknown> }) => (Object.values(q.params).find(Array.isArray) as TupleParam[]).length;
    const counts = ['2026-05-03', '2026-05-04', '2026-05-05', '2026-05-06', '2026-05-07', '2026-05-08', '2026-05-09']
      .map((d) => keyCount(web({ metrics: ['visitors'] }, dayRange(d, addDays(d, 29), 'Europe/Berlin'))));
    assert.deepEqual(counts, [6, 6, 7, 7, 7, 10, 6]); // starting Sunday .. Saturday
    // Half-hour zones have local day rows, not UTC hours.
    assert.deepEqual(iso(rollupWindow(kolkata)), [['week', '2026-03-23T00', '2026-03-30T00']]);
    assert.equal(rollupWindow(kolkata)!.hours, false);
    assert.deepEqual(iso(rollupWindow(dayRange('2026-03-02', '2026-03-29', 'Australia/Lord_Howe'))), [['week', '2026-03-02T00', '2026-03-30T00']]);
    assert.equal(rollupWindow(realtimeRange(Date.now(), 'UTC')), null);
    // The cover goes to the statement as the set of its bucket keys, one parameter.
    const q = web({ metrics: ['visitors'] });
    assert.match(q.sql, /\(span, bucket\) IN \{p\d+_f\d+:Array\(Tuple\(String, DateTime\('UTC'\)\)\)\}/);
    const keys = Object.values(q.params).find(Array.isArray) as TupleParam[];
    assert.deepEqual(keys.map((k) => k.values), [['week', '2026-03-23 00:00:00']]);
    const month = web({ metrics: ['visitors'] }, dayRange('2026-05-03', '2026-06-01', 'Europe/Berlin'));
    assert.deepEqual((Object.values(month.params).find(Array.isArray) as TupleParam[]).map((k) => k.values.join(' ')),
      ['day 2026-05-03 00:00:00', 'week 2026-05-04 00:00:00', 'week 2026-05-11 00:00:00', 'week 2026-05-18 00:00:00', 'week 2026-05-25 00:00:00', 'day 2026-06-01 00:00:00']);
    const daily = web({ metrics: ['visitors'], dimensions: ['time:day'] }).sql;
    assert.match(daily, /span = 'day' AND bucket >= \{p\d+_f\d+:DateTime64\(3\)\}/);
    assert.match(daily, /toString\(toDate\(bucket\)\)/);
    assert.match(web({ metrics: ['visitors'], dimensions: ['time:hour'] }).sql, /span = 'hour' AND bucket >= \{p\d+_from:DateTime64\(3\)\}/);
  });

  it('reads UTC hours instead of local rows for ranges starting within two days after the site changed its zone', () => {
    const soon = rollupWindow(range, range.from - DAY)!;
    assert.equal(soon.days, null);
    assert.deepEqual(soon.cover, [{ span: 'hour', from: range.from, to: range.to }]);
    assert.equal(rollupWindow(kolkata, kolkata.from - DAY), null);
    assert.match(web({ metrics: ['visitors'], dimensions: ['time:day'] }, range, { zoneSince: range.from - DAY }).sql,
      /span = 'hour' AND bucket >= \{p\d+_from:DateTime64\(3\)\}.*\n?/);
    assert.equal(web({ metrics: ['visitors'] }, kolkata, { zoneSince: kolkata.from - DAY }).name, 'web:sessions');
    assert.notEqual(rollupWindow(range, range.from - 3 * DAY)!.days, null);
  });

  it('keeps in the rollup view the same expression as the dimension catalog, for every kept visit dimension', () => {
    const migration = readFileSync(new URL('../../core/migrations/011_half_week_rollups.sql', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const kept = Object.values(WEB_DIMENSIONS).filter((d: DimensionDef) => d.level === 'visit' && d.rollup);
    assert.equal(kept.length, 15);
    // Listed once, in the view (the backfill runs the view's own query).
    for (const d of kept as DimensionDef[]) assert.equal(migration.split(`('${d.rollup}', ${d.sql})`).length - 1, 1, d.rollup);
    assert.match(migration, /uniqCombinedStateIf\(12\)/);
    assert.match(readFileSync(new URL('../../core/migrations/008_rollups.sql', import.meta.url), 'utf8'), /AggregateFunction\(uniqCombined\(12\), UInt64\)/);
    assert.ok(ROLLUP_VISITORS.startsWith('uniqCombinedMerge(12)('), 'the engine merges the sketch the tables hold');
  });
});

describe('query builder: visit frequency from visit links (migration 010)', () => {
  const freq = { metrics: ['visitors', 'visits', 'percentage'], dimensions: ['visitor:frequency'] };
  const linked = (q: { sql: string }) => /prev_start >= \{p\d+_from:DateTime64\(3\)\}/.test(q.sql);

  it('groups only repeat visits by visitor on an unfiltered range within the link window', () => {
    const q = web(freq);
    assert.ok(linked(q));
    assert.doesNotMatch(q.sql, /GROUP BY visitor_id/);
    assert.match(q.sql, /sum\(n\) AS m0, sum\(n \* visits\) AS m1/);
    // The 30-day preset and a 31-day month fit the 32-day window.
    assert.ok(linked(web(freq, dayRange('2026-01-01', '2026-01-31', 'Europe/Berlin'))));
  });

  it('groups every visitor for longer ranges, under filters, without rollups, and before the site\'s visits were linked', () => {
    const plain = (q: { sql: string }) => !linked(q) && /GROUP BY visitor_id/.test(q.sql);
    assert.ok(plain(web(freq, dayRange('2026-01-01', '2026-02-05', 'Europe/Berlin'))), 'longer than the window');
    assert.ok(plain(web({ ...freq, filters: [['is', 'visit:country', ['DE']]] })), 'a filter could drop the visit a later one links to');
    assert.ok(plain(web({ ...freq, filters: [['is', 'event:page', ['/']]] })));
    assert.ok(plain(rawWeb(freq)));
    assert.ok(plain(web(freq, range, { linkedSince: range.from + 1 })), 'visits before linking began have no link');
    assert.ok(linked(web(freq, range, { linkedSince: range.from })));
  });
});

describe('query builder: refusals name the field and suggest what works', () => {
  const refuses = (body: Record<string, unknown>, field: string, message: RegExp) => assert.throws(() => web(body),
    (err: { status: number; field: string; message: string }) => err.status === 400 && err.field === field && message.test(err.message));

  it('refuses bounce rate by page, pointing to the entry page', () => refuses({ metrics: ['visitors', 'bounce_rate'], dimensions: ['event:page'] }, 'metrics[1]', /use visit:entry_page/));
  it('refuses visit duration by event name', () => refuses({ metrics: ['visit_duration'], dimensions: ['event:name'] }, 'metrics[0]', /use a visit:\* dimension/));
  it('refuses visit metrics for realtime', () => assert.throws(() => web({ metrics: ['bounce_rate'] }, realtimeRange(Date.now(), 'UTC')), /realtime/));
  it('refuses frequency with other dimensions', () => refuses({ metrics: ['visitors'], dimensions: ['visitor:frequency', 'visit:country'] }, 'dimensions', /frequency/));
  it('refuses bounce rate by frequency', () => refuses({ metrics: ['bounce_rate'], dimensions: ['visitor:frequency'] }, 'metrics[0]', /visitors, visits or percentage/));
  it('refuses a filter on time or frequency', () => {
    assert.throws(() => web({ metrics: ['visitors'], filters: [['is', 'time:day', ['2026-03-23']]] }), (e: { field: string }) => e.field === 'filters[0][1]');
    assert.throws(() => web({ metrics: ['visitors'], filters: [['is', 'visitor:frequency', ['1']]] }), (e: { field: string }) => e.field === 'filters[0][1]');
  });
});

describe('query builder: filtered visit figures from the filter rollup (migration 013)', () => {
  const country = { metrics: ['visitors', 'visits', 'bounce_rate'], dimensions: ['visit:source'], filters: [['is', 'visit:country', ['DE']]] };
  const days = { from: range.first, until: addDays(range.last, 1) };

  it('reads the filter rollup for a range within the rolled days, and says so', () => {
    const q = web(country, range, { filtersRolled: days });
    assert.equal(q.name, 'web:visit_filter_rollup');
    assert.match(q.plan!.join('\n'), /^visit_filter_rollup: visit:source under visit:country over \d+ bucket range/);
    assert.match(q.sql, /fdim = \{p\d+_\w+:String\}/);
    assert.doesNotMatch(q.sql, /UNION ALL/);
  });

  it('reads two filter keys combined from their pair\'s rows (source last), narrowed by the values of an is on each', () => {
    const q = web({ ...country, filters: [['is', 'visit:source', ['Google', 'Bing']], ['is', 'visit:device', ['mobile']]] }, range, { filtersRolled: days });
    assert.match(q.plan!.join('\n'), /^visit_filter_rollup: visit:source under visit:source and visit:device over \d+ bucket range/);
    const fdim = Object.entries(q.params).find(([, v]) => v === 'device+source');
    assert.ok(fdim, 'fdim device+source');
    assert.ok(Object.values(q.params).some((v) => JSON.stringify(v) === JSON.stringify(['mobile\x1FGoogle', 'mobile\x1FBing'])), 'fvalue IN the two pairs');
    assert.match(q.sql, /substring\(fvalue, position\(fvalue, '\\x1F'\) \+ 1\) IN/);
    assert.match(q.sql, /substring\(fvalue, 1, position\(fvalue, '\\x1F'\) - 1\) IN/);
    // Past 1,000 pairs of values the list would be a large parameter: the pair's rows are read by their parts alone.
    const many = web({ ...country, filters: [['is', 'visit:country', Array.from({ length: 40 }, (_, i) => `C${i}`)], ['is', 'visit:device', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z']]] }, range, { filtersRolled: days });
    assert.match(many.plan!.join('\n'), /^visit_filter_rollup: visit:source under visit:country and visit:device/);
    assert.doesNotMatch(many.sql, /AND fvalue IN/);
    // Any combination of the two keys selects whole rows: no narrowing without an is on each.
    const or = web({ ...country, filters: [['or', [['is', 'visit:country', ['DE']], ['is_not', 'visit:channel', ['direct']]]]] }, range, { filtersRolled: days });
    assert.match(or.plan!.join('\n'), /^visit_filter_rollup: visit:source under visit:country and visit:channel/);
    assert.ok(Object.values(or.params).includes('channel+country'));
  });

  it('reads the days after the rolled ones from raw visits, in the same statement', () => {
    const q = web(country, range, { filtersRolled: { from: range.first, until: addDays(range.first, 3) } });
    assert.match(q.plan!.join('\n'), new RegExp(`, the days from ${addDays(range.first, 3)} from raw rows`));
    assert.match(q.sql, /FROM visit_filter_rollup[\s\S]*UNION ALL[\s\S]*FROM sessions/);
  });

  it('reads raw visits where the rollup cannot answer, with the reason', () => {
    const reason = (body: Record<string, unknown>, filtersRolled = days) => web(body, range, { filtersRolled }).plan!.join('\n');
    assert.match(reason(country, { from: addDays(range.first, 1), until: days.until }), /^sessions: the filter rollup holds the days from/);
    assert.match(reason({ ...country, filters: [['is', 'visit:country', ['DE']], ['is', 'visit:device', ['mobile']], ['is', 'visit:source', ['Google']]] }),
      /^sessions: the filter rollup keeps filters on one or two of/);
    assert.match(reason({ ...country, filters: [['is', 'visit:browser', ['Firefox']]] }), /^sessions: the filter rollup keeps filters on one or two of/);
    assert.match(reason({ ...country, dimensions: ['time:hour'] }), /^sessions: the filter rollup holds local days/);
    assert.match(web(country).plan!.join('\n'), /^sessions: no days of the site are in the filter rollup yet/);
  });

  it('reads visit figures under one page or event name from the filter rollup (migration 014), and other page filters from raw visits', () => {
    const plan = (filters: unknown[]) => web({ ...country, filters }, range, { filtersRolled: days }).plan!.join('\n');
    assert.match(plan([['is', 'event:page', ['/pricing']]]), /^visit_filter_rollup: visit:source under event:page over \d+ bucket range/);
    assert.match(plan([['is', 'event:name', ['Signup']]]), /^visit_filter_rollup: visit:source under event:name over/);
    const q = web({ ...country, filters: [['is', 'event:page', ['/pricing']]] }, range, { filtersRolled: { from: range.first, until: addDays(range.first, 3) } });
    assert.match(q.sql, /FROM visit_filter_rollup[\s\S]*UNION ALL[\s\S]*FROM sessions[\s\S]*session_id IN \(SELECT session_id FROM events/, 'raw days test each visit for such an event');
    // A visit is in the rollup once under each of its pages: two pages, a negation or a case-folded match would count it
    // twice or need the visits not there.
    for (const filters of [[['is', 'event:page', ['/pricing', '/']]], [['is_not', 'event:page', ['/pricing']]], [['contains', 'event:page', ['/pri']]],
      [['is', 'event:page', ['/Pricing'], { case_sensitive: false }]], [['or', [['is', 'event:page', ['/a']], ['is', 'event:page', ['/b']]]]]]) {
      assert.match(plan(filters), /^sessions: the filter rollup keeps event:page as the only filter with one value, is and case-sensitive/, JSON.stringify(filters));
    }
    assert.match(plan([['is', 'event:page', ['/pricing']], ['is', 'visit:country', ['DE']]]), /^sessions: the filter rollup keeps filters on one or two of .*, or one event:page, event:name or event:props:<key> only/);
  });

  it('reads visit figures under one custom property value from the filter rollup (migration 017), its value as the rows hold it', () => {
    const plan = (filters: unknown[]) => web({ ...country, filters }, range, { filtersRolled: days });
    const q = plan([['is', 'event:props:plan', ['pro']]]);
    assert.match(q.plan!.join('\n'), /^visit_filter_rollup: visit:source under event:props:plan over \d+ bucket range/);
    assert.ok(Object.values(q.params).includes('prop'), 'fdim prop');
    assert.ok(Object.values(q.params).some((v) => JSON.stringify(v) === JSON.stringify(['4:plan=pro'])), 'fvalue: key length, key, value');
    assert.equal(propFvalue('prix', 'été'), '4:prix=été');
    assert.equal(propFvalue('été', 'x'), '5:été=x', 'the length in bytes, as ClickHouse length() counts');
    // An empty value is also every event without the key; a negation or two values as for pages.
    for (const filters of [[['is', 'event:props:plan', ['']]], [['is_not', 'event:props:plan', ['pro']]], [['is', 'event:props:plan', ['pro', 'free']]]]) {
      assert.match(plan(filters).plan!.join('\n'), /^sessions: the filter rollup keeps event:props:plan as the only filter/, JSON.stringify(filters));
    }
  });

  it('reads top pages under a visit filter from the event filter rollup, once the range\'s events carry their visit', () => {
    const pages = { metrics: ['visitors', 'pageviews'], dimensions: ['event:page'], filters: [['is', 'visit:country', ['DE']]] };
    assert.match(web(pages, range, { filtersRolled: days }).plan!.join('\n'), /^event_filter_rollup: event:page under visit:country over \d+ bucket range/);
    assert.match(web(pages, range, { filtersRolled: days, stampedSince: range.to }).plan!.join('\n'), /^events: the event filter rollup needs events that carry their visit/);
  });

  it('keeps in the view the roller reads the catalog expressions, for the filter and for every panel dimension', () => {
    const read = (file: string) => readFileSync(new URL(`../../core/migrations/${file}`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
    // Both views as migration 017 replaced them: the same panels, the pages and event names of each visit (014), the pairs.
    const visits = read('017_pair_and_property_filter_rollup.sql');
    const migration = visits.slice(visits.indexOf('CREATE OR REPLACE VIEW event_filter_day'));
    const kept = Object.values(WEB_DIMENSIONS).filter((d: DimensionDef) => d.level === 'visit' && d.rollup) as DimensionDef[];
    for (const d of kept) assert.ok(visits.includes(`('${d.rollup}', ${d.sql})`), d.rollup);
    const filters = /ARRAY JOIN arrayConcat\(\[(.*?)\], arrayMap\(x -> \('pathname', x\), pages\), arrayMap\(x -> \('name', x\), names\), arrayMap\(x -> \('prop', x\), prop_pairs\), \[(.*?)\]\) AS kf/.exec(visits)!;
    const pairs = filters[2]!;
    assert.deepEqual([...filters[1]!.matchAll(/\('(\w+)', /g)].map((m) => m[1]), FILTER_KEYS);
    assert.deepEqual(EVENT_FILTER_KEYS, ['pathname', 'name']);
    for (const k of EVENT_FILTER_KEYS) assert.equal(WEB_DIMENSIONS[k === 'name' ? 'event:name' : 'event:page'].rollup, k);
    for (const k of FILTER_KEYS) assert.ok(filters[1]!.includes(`('${k}', ${kept.find((d) => d.rollup === k)!.sql})`), k);
    // Every pair of filter keys, in PAIR_ORDER (source last), joined by the separator sql/rollup-rows.ts splits on.
    const sql = (k: string, form: 'sql' | 'stamped') => kept.find((d) => d.rollup === k)![form]!;
    const all = FILTER_KEYS.flatMap((a, i) => FILTER_KEYS.slice(i + 1).map((b) => pairKey(a, b)));
    assert.equal(all.length, 6);
    const pairOf = (k: string, form: 'sql' | 'stamped') => { const [a, b] = k.split('+'); return `('${k}', concat(${sql(a!, form)}, '\\x1F', ${sql(b!, form)}))`; };
    for (const k of all) assert.ok(pairs.includes(pairOf(k, 'sql')), k);
    assert.ok(all.every((k) => !k.startsWith('source+')), 'source last');
    // The event rows take the same filter values from each event's stamp.
    const stamped = /FROM events ARRAY JOIN arrayConcat\(\[(.*?)\], \[(.*?)\]\) AS kf/.exec(migration)!;
    for (const k of FILTER_KEYS) assert.ok(stamped[1]!.includes(`('${k}', ${sql(k, 'stamped')})`), `stamped ${k}`);
    for (const k of all) assert.ok(stamped[2]!.includes(pairOf(k, 'stamped')), `stamped ${k}`);
  });
});
