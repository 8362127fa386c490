import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { forbidden, HttpError, unauthorized } from '../../core/errors.ts';
import { limitError, runCompiled } from '../../dashboard/api/query/run/run.ts';
import { runTogether } from '../../dashboard/api/query/run/together.ts';
import { startQueryApi, statsStatements, type QueryApi } from '../fixtures/query-api.ts';
import { FIXTURE_NOW, startQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** The HTTP API of the engine: shapes, CSV, errors naming the field, and authorisation before any query. */
describe('query API: POST /api/v1/query, query.csv, retention, realtime', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let api: QueryApi;
  const week = ['2026-03-23', '2026-03-29'];

  before(async () => {
    ({ p, fx } = await startQueryFixture());
    api = await startQueryApi(p.services.ch, p.registry, { now: FIXTURE_NOW });
  });
  after(async () => { await api?.close(); await p?.close(); });
  beforeEach(() => { api.statements.length = 0; api.checked.length = 0; });

  it('answers in the shape of Plausible\'s Stats API v2, echoing the normalised query', async () => {
    const res = await api.post('/api/v1/query', { site_id: 'fixture.test', date_range: week, metrics: ['visitors', 'pageviews'],
      dimensions: ['visit:country'], include: { total_rows: true }, pagination: { limit: 2 } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    const body = await res.json();
    assert.deepEqual(body.results, [{ dimensions: ['DE'], metrics: [2, 7] }, { dimensions: ['FR'], metrics: [1, 1] }]);
    assert.equal(body.meta.total_rows, 3);
    assert.deepEqual(body.query.date_range, ['2026-03-23T00:00:00+01:00', '2026-03-29T23:59:59+02:00']);
    assert.deepEqual(body.query.metrics, ['visitors', 'pageviews']);
    assert.deepEqual(body.query.pagination, { limit: 2, offset: 0 });
  });

  it('accepts the site id as well as the domain', async () => {
    const res = await api.post('/api/v1/query', { site_id: fx.site.siteId, date_range: week, metrics: ['visits'] });
    assert.deepEqual((await res.json()).results, [{ dimensions: [], metrics: [7] }]);
  });

  it('exports the same query as CSV: a header row, RFC 4180 lines, comparison columns', async () => {
    const res = await api.post('/api/v1/query.csv', { site_id: 'fixture.test', date_range: week, metrics: ['visitors', 'bounce_rate'],
      dimensions: ['visit:source'], include: { comparisons: { mode: 'previous_period' } } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', /attachment; filename="vigil-query\.csv"/);
    assert.equal(await res.text(), [
      'visit:source,visitors,bounce_rate,visitors (comparison),visitors change,bounce_rate (comparison),bounce_rate change',
      'Direct / None,2,66.7,1,100,100,-33.3',
      'Google,2,0,1,100,0,',
      'Newsletter,1,0,0,100,0,',
      'Twitter,1,100,0,100,0,',
      '',
    ].join('\r\n'));
  });

  const refusals: [string, Record<string, unknown>, string, RegExp][] = [
    ['an unknown metric', { metrics: ['visitors', 'vistors'] }, 'metrics[1]', /unknown metric "vistors"/],
    ['an unknown dimension', { metrics: ['visitors'], dimensions: ['visit:planet'] }, 'dimensions[0]', /unknown dimension/],
    ['an unknown filter operator', { metrics: ['visitors'], filters: [['matches', 'visit:country', ['DE']]] }, 'filters[0][0]', /unknown filter operator/],
    ['an unknown filter dimension', { metrics: ['visitors'], filters: [['is', 'country', ['DE']]] }, 'filters[0][1]', /unknown dimension/],
    ['a nested bad filter', { metrics: ['visitors'], filters: [['or', [['is', 'visit:country', ['DE']], ['is', 'visit:country', 'DE']]]] }, 'filters[0][1][1][2]', /values/],
    ['a bad date', { metrics: ['visitors'], date_range: ['2026-02-30', '2026-03-01'] }, 'date_range', /date_range/],
    ['a range that ends first', { metrics: ['visitors'], date_range: ['2026-03-02', '2026-03-01'] }, 'date_range', /after it ends/],
    ['bounce rate by page', { metrics: ['visitors', 'bounce_rate'], dimensions: ['event:page'] }, 'metrics[1]', /use visit:entry_page/],
    ['an order by something not queried', { metrics: ['visitors'], order_by: [['visits', 'desc']] }, 'order_by[0]', /not one of/],
    ['an unknown field', { metrics: ['visitors'], metric: ['visits'] }, 'metric', /unknown field/],
    ['a property key that is too long', { metrics: ['visitors'], dimensions: [`event:props:${'k'.repeat(301)}`] }, 'dimensions[0]', /1 to 300/],
    ['a filter on the property keys', { metrics: ['visitors'], filters: [['is', 'event:prop_key', ['plan']]] }, 'filters[0][1]', /cannot be filtered/],
    ['time labels without a time dimension', { metrics: ['visitors'], include: { time_labels: true } }, 'include.time_labels', /time dimension/],
    ['a product metric on a site', { metrics: ['dau'] }, 'metrics[0]', /unknown metric/],
  ];
  for (const [what, body, field, message] of refusals) {
    it(`refuses ${what} with a 400 naming ${field}, before any query`, async () => {
      const res = await api.post('/api/v1/query', { site_id: 'fixture.test', date_range: week, ...body });
      assert.equal(res.status, 400);
      const err = await res.json();
      assert.equal(err.field, field, JSON.stringify(err));
      assert.match(err.error, message);
      assert.deepEqual(statsStatements(api), []);
    });
  }

  // The site view, retention and realtime: their own requests, each refused whole before any query.
  const viewRefusals: [string, string, unknown, string, RegExp][] = [
    ['an overview for products', '/api/v1/overview', { product_id: 'Cleaner', date_range: week }, 'product_id', /unknown field "product_id"/],
    ['an overview without a site', '/api/v1/overview', { date_range: week }, 'site_id', /for one site: give site_id/],
    ['an overview row limit past 100', '/api/v1/overview', { site_id: 'fixture.test', date_range: week, limit: 101 }, 'limit', /1 to 100/],
    ['an overview with an unknown field', '/api/v1/overview', { site_id: 'fixture.test', date_range: week, metrics: ['visitors'] }, 'metrics', /unknown field/],
    ['an overview date that is not a day', '/api/v1/overview', { site_id: 'fixture.test', date_range: '7d', date: '2026-02-30' }, 'date', /not a day/],
    ['retention for a site and a product at once', '/api/v1/retention', { site_id: 'fixture.test', product_id: 'Cleaner', date_range: week }, 'site_id', /either site_id/],
    ['retention over realtime', '/api/v1/retention', { site_id: 'fixture.test', date_range: 'realtime' }, 'date_range', /whole days/],
    ['retention by day', '/api/v1/retention', { product_id: 'Cleaner', date_range: week, period: 'day' }, 'period', /"week" or "month"/],
    ['a body that is a list', '/api/v1/retention', [], 'body', /JSON object/],
  ];
  for (const [what, path, body, field, message] of viewRefusals) {
    it(`refuses ${what} with a 400 naming ${field}, before any query`, async () => {
      const res = await api.post(path, body);
      assert.equal(res.status, 400);
      const err = await res.json();
      assert.deepEqual([err.field, err.code], [field, 'invalid_request'], JSON.stringify(err));
      assert.match(err.error, message);
      assert.deepEqual(statsStatements(api), []);
    });
  }

  it('refuses realtime without one site_id, naming it', async () => {
    for (const qs of ['', '?site_id=', `?site_id=${'x'.repeat(254)}`, '?site_id=a&site_id=b']) {
      const res = await fetch(`${api.url}/api/v1/realtime${qs}`);
      assert.equal(res.status, 400, qs);
      assert.equal((await res.json()).field, 'site_id', qs);
    }
  });

  it('refuses a body that is not JSON', async () => {
    const res = await api.post('/api/v1/query', '{"site_id": ');
    assert.equal(res.status, 400);
  });

  it('asks authorize about the site before any stats query, and stops at its 401 or 403', async () => {
    for (const [err, status] of [[unauthorized('sign in'), 401], [forbidden('not yours'), 403]] as const) {
      const denied = await startQueryApi(p.services.ch, p.registry, { authorize: async () => { throw err; } });
      try {
        for (const [path, body] of [['/api/v1/query', { site_id: 'fixture.test', date_range: week, metrics: ['visitors'] }],
          ['/api/v1/overview', { site_id: 'fixture.test', date_range: week }],
          ['/api/v1/retention', { product_id: 'Cleaner', date_range: week }]] as const) {
          assert.equal((await denied.post(path, body)).status, status, path);
        }
        assert.equal((await fetch(`${denied.url}/api/v1/realtime?site_id=fixture.test`)).status, status);
        assert.equal(denied.checked.length, 4);
        assert.deepEqual(statsStatements(denied), []);
      } finally {
        await denied.close();
      }
    }
  });

  it('checks an unknown site under the name given and answers 404 only to a caller allowed through', async () => {
    const res = await api.post('/api/v1/query', { site_id: 'nope.test', date_range: week, metrics: ['visitors'] });
    assert.equal(res.status, 404);
    assert.deepEqual(api.checked, [{ kind: 'site', id: 'nope.test' }]);
  });

  it('reads every visible product for product_id "*", checking each', async () => {
    const some = await startQueryApi(p.services.ch, p.registry, { authorize: async (_ctx, s) => { if (s.id === fx.photos.productId) throw forbidden('no'); } });
    try {
      const res = await some.post('/api/v1/query', { product_id: '*', date_range: ['2026-03-02', '2026-03-15'], metrics: ['active_installs'], dimensions: ['product'] });
      assert.deepEqual((await res.json()).results, [{ dimensions: ['Cleaner'], metrics: [4] }]);
      assert.deepEqual(some.checked.map((c) => c.id).sort(), [fx.cleaner.productId, fx.photos.productId].sort());
    } finally {
      await some.close();
    }
  });

  it('serves the retention grid', async () => {
    const res = await api.post('/api/v1/retention', { product_id: 'Cleaner', date_range: ['2026-03-02', '2026-03-15'], period: 'week' });
    assert.equal(res.status, 200);
    const grid = await res.json();
    assert.deepEqual(grid.cohorts.map((c: { cohort: string; size: number }) => [c.cohort, c.size]), [['2026-03-02', 2], ['2026-03-09', 1]]);
    assert.equal((await api.post('/api/v1/retention', { product_id: 'Cleaner', date_range: week, period: 'day' })).status, 400);
  });

  it('serves realtime figures for a site', async () => {
    const res = await fetch(`${api.url}/api/v1/realtime?site_id=fixture.test`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.pageviews_per_minute.length, 30);
    assert.equal(typeof body.visitors, 'number');
    assert.equal((await fetch(`${api.url}/api/v1/realtime`)).status, 400);
  });

  it('runs report SQL read-only, and the read-only setting does not stick to the embedded session', async () => {
    await assert.rejects(p.services.ch.command({ query: 'INSERT INTO ingest_drops SELECT today(), \'x\', \'test\', 1 SETTINGS max_execution_time = 15, max_memory_usage = 2000000000, readonly = 2' }),
      /readonly/i);
    await api.post('/api/v1/query', { site_id: 'fixture.test', date_range: week, metrics: ['visitors'] });
    assert.ok(statsStatements(api).every((s) => s.endsWith('SETTINGS max_execution_time = 15, max_memory_usage = 2000000000, readonly = 2, use_index_for_in_with_subqueries = 0')));
    await p.services.ch.insert({ table: 'ingest_drops', values: [{ day: '2026-03-30', site_id: 'x', reason: 'test', count: 1 }], format: 'JSONEachRow' });
    const [r] = await p.rows<{ n: string }>("SELECT sum(count) AS n FROM ingest_drops WHERE site_id = 'x'");
    assert.equal(Number(r!.n), 1, 'a write after a read-only query is stored');
  });

  it('stops a statement at its memory limit and answers a 422 naming the limit, alone or sent together', async () => {
    // A block of 65,536 arrays of 10,000 UInt64: 4.9 GB in one allocation, past the 2 GB limit, refused at once
    // (without the limit it would be allocated: this machine has the memory).
    const heavy = { name: 'test:heavy', sql: 'SELECT sum(length(arrayWithConstant(10000, number))) AS n FROM numbers(300000)', params: {} };
    const tooLarge = (e: unknown) => e instanceof HttpError && e.status === 422 && e.code === 'query_too_large' && /2 GB memory limit/.test(e.message);
    await assert.rejects(runCompiled(p.services.ch, heavy), tooLarge);
    const together = runTogether(p.services.ch);
    const light = { name: 'test:light', sql: 'SELECT 1 AS n', params: {} };
    const both = await Promise.allSettled([runCompiled(together, heavy), runCompiled(together, light)]);
    assert.ok(both.every((b) => b.status === 'rejected' && tooLarge(b.reason)), 'one statement: both branches answer the limit');
    assert.deepEqual(await runCompiled(p.services.ch, light), [{ n: 1 }], 'the engine goes on answering');
  });

  it('names the time limit when a statement runs past it', async () => {
    // The engine's own timeout error (a 1 s limit here, so the test does not wait 15 s), mapped as the runner maps it.
    const err = await p.services.ch.query({ query: 'SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1 SETTINGS max_execution_time = 1' })
      .then(() => null, (e: unknown) => e);
    const mapped = limitError(err);
    assert.ok(mapped instanceof HttpError);
    assert.deepEqual([mapped.status, mapped.code], [422, 'query_too_long']);
    assert.match(mapped.message, /15 s time limit/);
    assert.equal(limitError(new Error('other')) instanceof HttpError, false, 'other errors pass through');
  });
});
