import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** Every kind of bad input gets a clear 4xx naming the problem, and none of it is stored. */
describe('bad input is refused with a clear 4xx and stores nothing', () => {
  let p: TestPlatform;
  let apiKey = '';
  const good = { n: 'pageview', u: 'https://example.com/', d: 'example.com' };
  const expectError = async (res: Response, status: number, field?: string, text?: RegExp) => {
    const body = (await res.json()) as { error: string; field?: string };
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(typeof body.error, 'string');
    if (field) assert.equal(body.field, field);
    if (text) assert.match(body.error, text);
  };

  before(async () => {
    p = await startTestPlatform();
    await p.registry.addSite({ domain: 'example.com' });
    apiKey = (await p.registry.addProduct('Cleaner')).apiKey;
  });
  after(() => p.close());

  it('malformed JSON is a 400', async () => {
    await expectError(await p.post('/api/event', '{"n": "pageview",'), 400, undefined, /not valid JSON/);
    await expectError(await p.post('/api/event', ''), 400, undefined, /empty/);
    await expectError(await p.post('/api/event', '[1,2]'), 400, undefined, /JSON object/);
  });

  it('a missing or invalid field is a 400 naming the field', async () => {
    await expectError(await p.post('/api/event', { u: good.u, d: good.d }), 400, 'name');
    await expectError(await p.post('/api/event', { n: 'pageview', d: good.d }), 400, 'url');
    await expectError(await p.post('/api/event', { n: 'pageview', u: good.u }), 400, 'domain');
    await expectError(await p.post('/api/event', { ...good, u: 'javascript:alert(1)' }), 400, 'url');
    await expectError(await p.post('/api/event', { ...good, n: 42 }), 400, 'name');
    await expectError(await p.post('/api/event', { ...good, n: 'x'.repeat(121) }), 400, 'name');
    await expectError(await p.post('/api/event', { ...good, w: 'wide' }), 400, 'width');
    await expectError(await p.post('/api/event', { ...good, w: -1 }), 400, 'width');
    await expectError(await p.post('/api/event', { ...good, p: { nested: { a: 1 } } }), 400, 'props.nested');
    await expectError(await p.post('/api/event', { ...good, p: [1] }), 400, 'props');
    await expectError(await p.post('/api/event', { ...good, n: 'engagement' }), 400, 'engagement_time');
  });

  it('a body over 64 KiB is a 413', async () => {
    await expectError(await p.post('/api/event', { ...good, p: { big: 'x'.repeat(70_000) } }), 413);
  });

  it('a body over 64 KiB sent without Content-Length (chunked) is a 413 too', async () => {
    const url = new URL(`${p.url}/api/event`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('x'.repeat(8192));
      req.end();
    });
    assert.equal(status, 413);
  });

  it('an unknown domain is a 404 naming it', async () => {
    await expectError(await p.post('/api/event', { ...good, d: 'unknown.example' }), 404, undefined, /unknown\.example/);
  });

  it('product events without a key are a 401, with an unknown key a 403', async () => {
    const batch = { events: [{ name: 'scan', install_id: 'i-1' }] };
    await expectError(await p.post('/api/product-events', batch), 401);
    await expectError(await p.post('/api/product-events', batch, { authorization: 'Bearer vk_nope' }), 403);
  });

  it('bad product batches are a 400 naming the event and field', async () => {
    const auth = { authorization: `Bearer ${apiKey}` };
    const ev = { name: 'scan', install_id: 'install-1' };
    await expectError(await p.post('/api/product-events', { events: [] }, auth), 400, 'events');
    await expectError(await p.post('/api/product-events', { nope: 1 }, auth), 400, 'events');
    await expectError(await p.post('/api/product-events', { events: Array(1001).fill(ev) }, auth), 400, 'events', /1000/);
    await expectError(await p.post('/api/product-events', { events: [ev, ev, { name: 'scan' }] }, auth), 400, 'events[2].install_id');
    await expectError(await p.post('/api/product-events', { events: [{ ...ev, install_id: 'a b' }] }, auth), 400, 'events[0].install_id');
    await expectError(await p.post('/api/product-events', { events: [{ ...ev, timestamp: 'yesterday' }] }, auth), 400, 'events[0].timestamp');
    await expectError(await p.post('/api/product-events', { events: [{ ...ev, timestamp: Date.now() + 3_600_000 }] }, auth), 400, 'events[0].timestamp');
    await expectError(await p.post('/api/product-events', { events: [{ ...ev, product: 'Other' }] }, auth), 400, 'events[0].product');
    await expectError(await p.post('/api/product-events', { events: [{ ...ev, props: { a: [] } }] }, auth), 400, 'events[0].props.a');
  });

  it('unknown API paths and wrong methods are a 4xx, never a 5xx or the web app', async () => {
    assert.equal((await fetch(`${p.url}/api/nothing`)).status, 404);
    const wrongMethod = await fetch(`${p.url}/api/event`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'OPTIONS, POST');
    assert.deepEqual(await wrongMethod.json(), { error: 'GET is not allowed here; allowed: OPTIONS, POST', code: 'method_not_allowed' });
    const wrongOnDashboard = await fetch(`${p.url}/api/v1/query`, { method: 'DELETE' });
    assert.equal(wrongOnDashboard.status, 405);
    assert.equal((await fetch(`${p.url}/%E0%A4%A`)).status < 500, true);
  });

  it('random garbage never produces a 5xx', async () => {
    const samples: unknown[] = [null, true, 1, 'x', [], {}, { n: null, u: null, d: null }, { n: 'pageview', u: 'https://example.com', d: ['x'] },
      { n: 'pageview', u: 'https://example.com', d: 'example.com', p: 'not json' }, { n: 'pageview', u: 'http://[::1', d: 'example.com' },
      { n: 'a', u: 'https://example.com/%E0%A4%A', d: 'example.com', r: 'not a url', w: 1.5 }];
    for (const body of samples) {
      const res = await p.post('/api/event', JSON.stringify(body));
      assert.ok(res.status < 500, `${JSON.stringify(body)} -> ${res.status}`);
      await res.arrayBuffer();
    }
  });

  it('after all of that, nothing was stored', async () => {
    await new Promise((r) => setTimeout(r, 400));
    const [web] = await p.rows<{ c: string }>('SELECT count() AS c FROM events');
    const [app] = await p.rows<{ c: string }>('SELECT count() AS c FROM product_events');
    assert.equal(Number(web!.c) + Number(app!.c), 0);
  });
});

describe('overload answers: 429 per client address, 503 when the backlog is full', () => {
  it('answers 429 with Retry-After past the per-address rate', async () => {
    const p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '5', TRUST_PROXY: '1' });
    try {
      await p.registry.addSite({ domain: 'example.com' });
      const send = (ip: string) => p.post('/api/event', { n: 'pageview', u: 'https://example.com/', d: 'example.com' }, { 'x-forwarded-for': ip });
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await send('81.2.69.1')).status);
      assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429, 429]);
      const limited = await send('81.2.69.1');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await send('81.2.69.2')).status, 202, 'another address is not limited');
    } finally {
      await p.close();
    }
  });

  it('answers 503 with Retry-After once the backlog passes its bound, and keeps what it acknowledged', async () => {
    // No worker: nothing drains, as during a ClickHouse outage.
    const p = await startTestPlatform({ MAX_BACKLOG: '1000', RATE_LIMIT_PER_MINUTE: '100000' }, ['collector', 'dashboard']);
    try {
      await p.registry.addSite({ domain: 'example.com' });
      let accepted = 0;
      let refused: Response | null = null;
      for (let i = 0; i < 1500 && !refused; i++) {
        const res = await p.post('/api/event', { n: 'pageview', u: `https://example.com/${i}`, d: 'example.com' });
        if (res.status === 202) accepted++;
        else refused = res;
        await res.arrayBuffer();
        if (i % 100 === 0) await p.collector!.deps.backlog.refresh();
      }
      assert.ok(refused, 'a request was refused');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '30');
      assert.ok(accepted >= 1000 && accepted < 1200, `accepted ${accepted}`);
      assert.equal(await p.services.redis.xlen('vigil:ingest'), accepted, 'every acknowledged event waits in Redis');
    } finally {
      await p.close();
    }
  });
});
