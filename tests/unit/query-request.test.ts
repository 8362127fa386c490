import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, queryResultCsv, toCsv } from '../../dashboard/api/query/assemble/csv.ts';
import { change } from '../../dashboard/api/query/run/engine.ts';
import { parseQueryRequest } from '../../dashboard/api/query/request/query-request.ts';

const base = { site_id: 'example.com', date_range: '30d', metrics: ['visitors'] };
const field = (body: Record<string, unknown>) => {
  try {
    parseQueryRequest(body);
    return null;
  } catch (err) {
    return (err as { field?: string }).field;
  }
};

describe('query request parsing', () => {
  it('accepts a Plausible v2 request and fills the defaults', () => {
    const q = parseQueryRequest({ ...base, dimensions: ['visit:source', 'event:props:plan'], filters: [['is', 'visit:country', ['DE']]],
      order_by: [['visitors', 'asc']], include: { comparisons: { mode: 'previous_period' }, time_labels: false, total_rows: true } });
    assert.equal(q.catalog, 'web');
    assert.deepEqual(q.dimensions.map((d) => [d.name, d.prop]), [['visit:source', undefined], ['event:props:plan', 'plan']]);
    assert.deepEqual(q.include, { comparisons: 'previous_period', timeLabels: false, totalRows: true });
    assert.deepEqual(q.pagination, { limit: 10_000, offset: 0 });
    assert.deepEqual(q.orderBy, [['visitors', 'asc']]);
  });

  it('takes product_id as a name, a list or "*", and reads product metrics then', () => {
    assert.deepEqual(parseQueryRequest({ product_id: 'Cleaner', date_range: '7d', metrics: ['dau'] }).products, ['Cleaner']);
    assert.deepEqual(parseQueryRequest({ product_id: ['A', 'B', 'A'], date_range: '7d', metrics: ['dau'] }).products, ['A', 'B']);
    assert.equal(parseQueryRequest({ product_id: '*', date_range: '7d', metrics: ['mau'], dimensions: ['product'] }).products, '*');
  });

  it('names the field of the first problem', () => {
    assert.equal(field({ date_range: '30d', metrics: ['visitors'] }), 'site_id');
    assert.equal(field({ ...base, product_id: 'x' }), 'site_id');
    assert.equal(field({ ...base, date_range: undefined }), 'date_range');
    assert.equal(field({ ...base, date: '2026-13-01' }), 'date');
    assert.equal(field({ ...base, metrics: [] }), 'metrics');
    assert.equal(field({ ...base, metrics: ['visitors', 'visitors'] }), 'metrics[1]');
    assert.equal(field({ ...base, metrics: ['visitors', 'active_installs'] }), 'metrics[1]');
    assert.equal(field({ ...base, dimensions: ['visit:country', 'visit:country'] }), 'dimensions[1]');
    assert.equal(field({ ...base, dimensions: ['time:day', 'time:week'] }), 'dimensions');
    assert.equal(field({ ...base, dimensions: ['event:props:'] }), 'dimensions[0]');
    for (const inherited of ['__proto__', 'constructor', 'toString']) {
      assert.equal(field({ ...base, dimensions: [inherited] }), 'dimensions[0]', inherited);
      assert.equal(field({ ...base, metrics: [inherited] }), 'metrics[0]', inherited);
    }
    assert.equal(field({ ...base, filters: [['is', 'visit:country', []]] }), 'filters[0][2]');
    assert.equal(field({ ...base, filters: [['is', 'visit:country', ['DE'], { exact: true }]] }), 'filters[0][3]');
    assert.equal(field({ ...base, filters: [['not', ['is', 'time', ['x']]]] }), 'filters[0][1][1]');
    assert.equal(field({ ...base, filters: { country: 'DE' } }), 'filters');
    assert.equal(field({ ...base, include: { comparisons: { mode: 'last_week' } } }), 'include.comparisons.mode');
    assert.equal(field({ ...base, include: { imports: true } }), 'include.imports');
    assert.equal(field({ ...base, pagination: { limit: 0 } }), 'pagination.limit');
    assert.equal(field({ ...base, pagination: { offset: -1 } }), 'pagination.offset');
    assert.equal(field({ ...base, order_by: [['visitors', 'up']] }), 'order_by[0]');
    assert.equal(field({ ...base, interval: 'date' }), 'interval');
  });

  it('refuses filters nested too deep or too many', () => {
    let deep: unknown = ['is', 'visit:country', ['DE']];
    for (let i = 0; i < 7; i++) deep = ['not', deep];
    assert.equal(field({ ...base, filters: [deep] }), 'filters[0][1][1][1][1][1][1]');
    const many = Array.from({ length: 51 }, () => ['is', 'visit:country', ['DE']]);
    assert.equal(field({ ...base, filters: many }), 'filters[50]');
  });
});

describe('comparison change', () => {
  it('changes counts in percent and rates in points, as Plausible does', () => {
    assert.equal(change(false, 11, 3), 267);
    assert.equal(change(false, 0, 5), -100);
    assert.equal(change(false, 5, 0), 100);
    assert.equal(change(false, 0, 0), 0);
    assert.equal(change(true, 42.9, 50), -7.1);
    assert.equal(change(true, 40, 0), null);
  });
});

describe('CSV (RFC 4180)', () => {
  it('quotes fields holding a comma, quote or line break, doubling inner quotes, and ends lines with CRLF', () => {
    assert.equal(toCsv(['a', 'b'], [['x,y', 'say "hi"'], ['line\nbreak', 3]]), 'a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",3\r\n');
  });

  it('keeps public text from running as a spreadsheet formula, and numbers as numbers', () => {
    assert.equal(csvField('=HYPERLINK("http://evil")'), '"\'=HYPERLINK(""http://evil"")"');
    assert.equal(csvField('+1'), "'+1");
    assert.equal(csvField('@cmd'), "'@cmd");
    assert.equal(csvField(-5), '-5');
    assert.equal(csvField(null), '');
  });

  it('writes a query result with its comparison columns', () => {
    const csv = queryResultCsv(['visit:source'], ['visitors'], [{ dimensions: ['Google'], metrics: [2], comparison: { dimensions: ['Google'], metrics: [1], change: [100] } }]);
    assert.equal(csv, 'visit:source,visitors,visitors (comparison),visitors change\r\nGoogle,2,1,100\r\n');
  });

  it('writes an estimated result with each metric\'s margin (an empty cell where it has none)', () => {
    const csv = queryResultCsv(['visitor:frequency'], ['visitors', 'percentage'], [{ dimensions: ['1'], metrics: [800, 61.5], margin: [55, null] }]);
    assert.equal(csv, 'visitor:frequency,visitors,percentage,visitors margin (95%),percentage margin (95%)\r\n1,800,61.5,55,\r\n');
  });
});
