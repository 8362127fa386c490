import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realtime } from '../../dashboard/api/query/assemble/overview.ts';
import { startQueryFixture, table, type LoadedFixture, type QueryOutput } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** Time series, time zones across DST changes, comparisons and realtime (fixture site in Europe/Berlin). */
describe('query engine: time, time zones and comparisons on real embedded ClickHouse', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let web: (body: Record<string, unknown>) => Promise<QueryOutput>;
  const week = ['2026-03-23', '2026-03-29'];

  before(async () => { ({ p, fx, web } = await startQueryFixture()); });
  after(() => p?.close());

  it('buckets visits by local day and lists every day of the range in time_labels, the empty Saturday too', async () => {
    // A3 started Sunday 00:30 local, which is Saturday 23:30 UTC: it belongs to Sunday, leaving Saturday empty.
    const out = await web({ date_range: week, metrics: ['visitors', 'visits', 'pageviews'], dimensions: ['time'], include: { time_labels: true } });
    assert.deepEqual(table(out), [['2026-03-23', 1, 1, 2], ['2026-03-24', 1, 1, 2], ['2026-03-25', 1, 1, 1], ['2026-03-26', 1, 1, 1],
      ['2026-03-27', 1, 1, 3], ['2026-03-29', 2, 2, 2]]);
    assert.deepEqual(out.meta.time_labels, ['2026-03-23', '2026-03-24', '2026-03-25', '2026-03-26', '2026-03-27', '2026-03-28', '2026-03-29']);
  });

  it('buckets events by their own local time: the pageview after midnight counts on Saturday', async () => {
    // Pageviews under an event filter come from events: C1's 00:10 pageview is Saturday's; A3 and D1 are Sunday's.
    const out = await web({ date_range: week, metrics: ['pageviews'], dimensions: ['time:day'], filters: [['contains', 'event:page', ['/']]] });
    assert.deepEqual(table(out), [['2026-03-23', 2], ['2026-03-24', 2], ['2026-03-25', 1], ['2026-03-26', 1], ['2026-03-27', 2],
      ['2026-03-28', 1], ['2026-03-29', 2]]);
  });

  it('gives 2026-03-29 (clocks forward) 23 hours, keeping its first and last visits in it', async () => {
    const out = await web({ date_range: 'day', date: '2026-03-29', metrics: ['visits'], dimensions: ['time:hour'], include: { time_labels: true } });
    assert.deepEqual(table(out), [['2026-03-29 00:00:00', 1], ['2026-03-29 23:00:00', 1]]);
    assert.equal(out.meta.time_labels!.length, 23);
    assert.ok(!out.meta.time_labels!.includes('2026-03-29 02:00:00'), '02:00 does not exist that day');
    assert.deepEqual(out.meta.time_range, { from: '2026-03-29T00:00:00+01:00', to: '2026-03-29T23:59:59+02:00', time_zone: 'Europe/Berlin' });
  });

  it('gives 2026-10-25 (clocks back) 25 hours: both 02:30s fall in the one 02:00 bucket, 00:30 on the 26th does not', async () => {
    const days = await web({ date_range: ['2026-10-24', '2026-10-26'], metrics: ['visits'], dimensions: ['time:day'], include: { time_labels: true } });
    assert.deepEqual(table(days), [['2026-10-25', 4], ['2026-10-26', 1]]);
    assert.deepEqual(days.meta.time_labels, ['2026-10-24', '2026-10-25', '2026-10-26']);
    const hours = await web({ date_range: 'day', date: '2026-10-25', metrics: ['visits'], dimensions: ['time:hour'], include: { time_labels: true } });
    assert.deepEqual(table(hours), [['2026-10-25 00:00:00', 1], ['2026-10-25 02:00:00', 2], ['2026-10-25 23:00:00', 1]]);
    assert.equal(hours.meta.time_labels!.length, 24);
    assert.deepEqual(hours.meta.time_range, { from: '2026-10-25T00:00:00+02:00', to: '2026-10-25T23:59:59+01:00', time_zone: 'Europe/Berlin' });
  });

  it('compares with the previous period: counts change in percent, rates in points', async () => {
    // Previous week 16..22: A0 (2 pageviews) and F (a bounce): 2 visitors, 2 visits, 3 pageviews, 50 % bounces.
    const out = await web({ date_range: week, metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'], include: { comparisons: { mode: 'previous_period' } } });
    assert.deepEqual(out.results, [{ dimensions: [], metrics: [4, 7, 11, 42.9],
      comparison: { dimensions: [], metrics: [2, 2, 3, 50], change: [100, 250, 267, -7.1] } }]);
    assert.deepEqual(out.meta.comparison_time_range, { from: '2026-03-16T00:00:00+01:00', to: '2026-03-22T23:59:59+01:00', time_zone: 'Europe/Berlin' });
  });

  it('compares a breakdown row by row, with the rows missing before counted as 0', async () => {
    const out = await web({ date_range: week, metrics: ['visitors', 'bounce_rate'], dimensions: ['visit:source'], include: { comparisons: { mode: 'previous_period' } } });
    assert.deepEqual(out.results.map((r) => [r.dimensions[0], r.metrics, r.comparison!.metrics, r.comparison!.change]), [
      ['Direct / None', [2, 66.7], [1, 100], [100, -33.3]],
      ['Google', [2, 0], [1, 0], [100, null]],
      ['Newsletter', [1, 0], [0, 0], [100, null]],
      ['Twitter', [1, 100], [0, 0], [100, null]],
    ]);
  });

  it('compares a time series bucket by bucket, by position in the range', async () => {
    const out = await web({ date_range: week, metrics: ['visits'], dimensions: ['time:day'], include: { comparisons: { mode: 'previous_period' } } });
    assert.deepEqual(out.results.map((r) => [r.dimensions[0], r.metrics[0], r.comparison!.dimensions[0], r.comparison!.metrics[0]]), [
      ['2026-03-23', 1, '2026-03-16', 0], ['2026-03-24', 1, '2026-03-17', 0], ['2026-03-25', 1, '2026-03-18', 1],
      ['2026-03-26', 1, '2026-03-19', 0], ['2026-03-27', 1, '2026-03-20', 1], ['2026-03-29', 2, '2026-03-22', 0]]);
  });

  it('compares this month to date with the same days a year earlier', async () => {
    const out = await web({ date_range: 'month', date: '2026-03-29', metrics: ['visits'], include: { comparisons: { mode: 'year_over_year' } } });
    assert.deepEqual(out.meta.time_range.from, '2026-03-01T00:00:00+01:00');
    assert.deepEqual(out.meta.time_range.to, '2026-03-31T23:59:59+02:00', 'the whole month, as in Plausible');
    assert.deepEqual(out.meta.comparison_time_range, { from: '2025-03-01T00:00:00+01:00', to: '2025-03-29T23:59:59+01:00', time_zone: 'Europe/Berlin' });
    assert.deepEqual(out.results[0]!.comparison, { dimensions: [], metrics: [0], change: [100] });
  });

  it('resolves presets around the reference day in the site\'s zone (the fixture clock is Monday 2026-03-30 noon)', async () => {
    const range = async (date_range: string) => (await web({ date_range, metrics: ['visits'] })).meta.time_range;
    assert.deepEqual(await range('7d'), { from: '2026-03-24T00:00:00+01:00', to: '2026-03-30T23:59:59+02:00', time_zone: 'Europe/Berlin' });
    assert.equal((await range('28d')).from, '2026-03-03T00:00:00+01:00');
    assert.equal((await range('12mo')).from, '2025-04-01T00:00:00+02:00');
  });

  it('answers realtime: visitors of the last 5 minutes and pageviews per minute for 30 minutes, empty minutes included', async () => {
    // C1 viewed pages at 23:50, 23:55 (Friday) and 00:10 (Saturday) local; now is 00:12:30.
    const now = Date.parse('2026-03-28T00:12:30+01:00');
    const out = await realtime(p.services.ch, fx.site, now);
    assert.equal(out.visitors, 1);
    assert.equal(out.pageviews_per_minute.length, 30);
    assert.deepEqual(out.pageviews_per_minute[0], { minute: '2026-03-27 23:43:00', pageviews: 0 });
    assert.deepEqual(out.pageviews_per_minute.filter((m) => m.pageviews > 0).map((m) => m.minute),
      ['2026-03-27 23:50:00', '2026-03-27 23:55:00', '2026-03-28 00:10:00']);
    assert.equal((await realtime(p.services.ch, fx.site, now + 10 * 60_000)).visitors, 0, 'gone 10 minutes later');
  });
});
