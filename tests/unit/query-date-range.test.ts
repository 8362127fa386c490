import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addMonths, comparisonRange, dayRange, isoLocal, monday, realtimeRange, resolveDateRange, startOfDay, timeLabels,
} from '../../dashboard/api/query/request/date-range.ts';

const BERLIN = 'Europe/Berlin';
const HOUR = 3_600_000;
const resolve = (input: unknown, date?: string, tz = BERLIN) =>
  resolveDateRange(input, { tz, now: Date.parse('2026-03-30T12:00:00+02:00'), ...(date ? { date } : {}) });
const days = (r: { first: string; last: string }) => [r.first, r.last];

describe('date ranges in the site\'s time zone', () => {
  it('starts a local day at local midnight, 23 hours long when clocks go forward and 25 when they go back', () => {
    assert.equal(new Date(startOfDay('2026-03-29', BERLIN)).toISOString(), '2026-03-28T23:00:00.000Z');
    assert.equal(startOfDay('2026-03-30', BERLIN) - startOfDay('2026-03-29', BERLIN), 23 * HOUR);
    assert.equal(startOfDay('2026-10-26', BERLIN) - startOfDay('2026-10-25', BERLIN), 25 * HOUR);
    assert.equal(startOfDay('2026-03-08', 'America/New_York') - startOfDay('2026-03-07', 'America/New_York'), 24 * HOUR);
    assert.equal(new Date(startOfDay('2026-01-01', 'Asia/Kolkata')).toISOString(), '2025-12-31T18:30:00.000Z');
  });

  it('starts a day at its first instant where a DST change skips midnight (Santiago, 2026-09-06)', () => {
    const t = startOfDay('2026-09-06', 'America/Santiago');
    assert.equal(isoLocal(t, 'America/Santiago'), '2026-09-06T01:00:00-03:00');
  });

  it('resolves presets around the reference day, today by default', () => {
    assert.deepEqual(days(resolve('day')), ['2026-03-30', '2026-03-30']);
    assert.deepEqual(days(resolve('7d')), ['2026-03-24', '2026-03-30']);
    assert.deepEqual(days(resolve('28d')), ['2026-03-03', '2026-03-30']);
    assert.deepEqual(days(resolve('30d')), ['2026-03-01', '2026-03-30']);
    assert.deepEqual(days(resolve('91d')), ['2025-12-30', '2026-03-30']);
    assert.deepEqual(days(resolve('month')), ['2026-03-01', '2026-03-31']);
    assert.deepEqual(days(resolve('6mo')), ['2025-10-01', '2026-03-31']);
    assert.deepEqual(days(resolve('12mo')), ['2025-04-01', '2026-03-31']);
    assert.deepEqual(days(resolve('year')), ['2026-01-01', '2026-12-31']);
    assert.deepEqual(days(resolve('7d', '2024-03-01')), ['2024-02-24', '2024-03-01'], 'through a leap day');
    assert.deepEqual(days(resolve(['2026-02-01', '2026-02-28'])), ['2026-02-01', '2026-02-28']);
  });

  it('takes "today" in the site\'s zone: at 23:30 UTC it is already tomorrow in Berlin', () => {
    const r = resolveDateRange('day', { tz: BERLIN, now: Date.parse('2026-06-01T23:30:00Z') });
    assert.deepEqual(days(r), ['2026-06-02', '2026-06-02']);
    assert.deepEqual(days(resolveDateRange('day', { tz: 'UTC', now: Date.parse('2026-06-01T23:30:00Z') })), ['2026-06-01', '2026-06-01']);
  });

  it('resolves "all" from the first day with data', () => {
    assert.deepEqual(days(resolveDateRange('all', { tz: BERLIN, now: Date.parse('2026-03-30T12:00:00Z'), allFrom: '2025-11-02' })), ['2025-11-02', '2026-03-30']);
    assert.deepEqual(days(resolveDateRange('all', { tz: BERLIN, now: Date.parse('2026-03-30T12:00:00Z'), allFrom: null })), ['2026-03-30', '2026-03-30']);
  });

  it('refuses unknown presets and bad or reversed custom ranges, naming date_range', () => {
    for (const bad of ['yesterday', ['2026-02-30', '2026-03-01'], ['2026-03-02', '2026-03-01'], ['2026-03-01'], 7]) {
      assert.throws(() => resolve(bad), (e: { status: number; field: string }) => e.status === 400 && e.field === 'date_range', JSON.stringify(bad));
    }
  });

  it('makes realtime the last 30 minutes through the current minute', () => {
    const r = realtimeRange(Date.parse('2026-03-30T10:15:42Z'), BERLIN);
    assert.deepEqual([new Date(r.from).toISOString(), new Date(r.to).toISOString(), r.auto], ['2026-03-30T09:46:00.000Z', '2026-03-30T10:16:00.000Z', 'minute']);
    assert.equal(timeLabels(r, 'minute').length, 30);
  });

  it('picks the time granularity from the range length', () => {
    assert.equal(resolve('day').auto, 'hour');
    assert.equal(resolve('30d').auto, 'day');
    assert.equal(resolve('91d').auto, 'day');
    assert.equal(resolve('6mo').auto, 'month');
  });
});

describe('comparison ranges', () => {
  it('compares with as many days just before', () => {
    const r = comparisonRange(dayRange('2026-03-23', '2026-03-29', BERLIN), 'previous_period', '2026-03-30');
    assert.deepEqual(days(r), ['2026-03-16', '2026-03-22']);
  });

  it('cuts a range running into the future at the reference day before comparing (month to date)', () => {
    const r = comparisonRange(dayRange('2026-03-01', '2026-03-31', BERLIN), 'previous_period', '2026-03-10');
    assert.deepEqual(days(r), ['2026-02-19', '2026-02-28']);
  });

  it('compares year over year by calendar, Feb 29 falling on Feb 28', () => {
    assert.deepEqual(days(comparisonRange(dayRange('2024-02-23', '2024-02-29', BERLIN), 'year_over_year', '2024-03-10')), ['2023-02-23', '2023-02-28']);
  });

  it('compares realtime with the 30 minutes before', () => {
    const r = realtimeRange(Date.parse('2026-03-30T10:15:42Z'), BERLIN);
    const c = comparisonRange(r, 'previous_period', '2026-03-30');
    assert.deepEqual([c.to, c.to - c.from], [r.from, 30 * 60_000]);
  });
});

describe('time labels', () => {
  it('lists every day, Monday of every week and first of every month of a range', () => {
    const r = dayRange('2026-02-26', '2026-03-03', BERLIN);
    assert.deepEqual(timeLabels(r, 'day'), ['2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03']);
    assert.deepEqual(timeLabels(r, 'week'), ['2026-02-23', '2026-03-02']);
    assert.deepEqual(timeLabels(r, 'month'), ['2026-02-01', '2026-03-01']);
  });

  it('lists 23 local hours on the spring DST day and 24 on the autumn one (the repeated hour once)', () => {
    const spring = timeLabels(dayRange('2026-03-29', '2026-03-29', BERLIN), 'hour');
    assert.equal(spring.length, 23);
    assert.deepEqual(spring.slice(1, 3), ['2026-03-29 01:00:00', '2026-03-29 03:00:00']);
    const autumn = timeLabels(dayRange('2026-10-25', '2026-10-25', BERLIN), 'hour');
    assert.equal(autumn.length, 24);
    assert.equal(autumn.filter((l) => l === '2026-10-25 02:00:00').length, 1);
  });

  it('lists half-hour zones by their local hours', () => {
    assert.deepEqual(timeLabels(dayRange('2026-01-01', '2026-01-01', 'Asia/Kolkata'), 'hour').slice(0, 2), ['2026-01-01 00:00:00', '2026-01-01 01:00:00']);
  });

  it('refuses more buckets than a chart can hold', () => {
    assert.throws(() => timeLabels(dayRange('2020-01-01', '2026-01-01', BERLIN), 'hour'), (e: { status: number }) => e.status === 400);
  });

  it('does calendar arithmetic on days', () => {
    assert.equal(addMonths('2026-01-31', 1), '2026-02-28');
    assert.equal(addMonths('2024-03-31', -1), '2024-02-29');
    assert.equal(monday('2026-03-29'), '2026-03-23');
    assert.equal(monday('2026-03-23'), '2026-03-23');
  });
});
