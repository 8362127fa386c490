import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { CHROME_UA, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('data quality per site, and the product feature catalog', () => {
  let p: TestPlatform;
  let admin: DashboardClient;
  let siteId = '';
  before(async () => {
    p = await startTestPlatform({ TRUST_PROXY: '1' });
    admin = new DashboardClient(p.url);
    await admin.post('/api/setup', { email: 'admin@example.com', password: 'admin password 1' });
    siteId = (await admin.post('/api/sites', { domain: 'quality.example' })).body.site.siteId;
  });
  after(() => p.close());

  it('reports refused events by reason, cookieless visits by reason, and the ingest lag', async () => {
    const send = (headers: Record<string, string>, body: object = {}) =>
      p.post('/api/event', { n: 'pageview', u: 'https://quality.example/', d: 'quality.example', ...body }, headers);
    await send({ 'x-forwarded-for': '81.2.69.1' });                                  // cookie visit
    await send({ 'x-forwarded-for': '81.2.69.2', dnt: '1' });                        // cookieless: dnt
    await send({ 'x-forwarded-for': '81.2.69.3', 'sec-gpc': '1' });                  // cookieless: gpc
    await send({ 'x-forwarded-for': '81.2.69.4', 'user-agent': 'curl/8.5.0' });      // bot
    await send({ 'x-forwarded-for': '81.2.69.5', 'user-agent': 'Googlebot/2.1' });   // bot
    await send({ 'x-forwarded-for': '81.2.69.6', 'user-agent': CHROME_UA }, { u: 'ftp://x' }); // invalid
    await p.waitForCount('SELECT sum(sign) FROM sessions', 3);
    const q = await admin.get(`/api/v1/sites/${siteId}/quality?days=7`);
    assert.equal(q.status, 200, JSON.stringify(q.body));
    assert.deepEqual(Object.fromEntries(q.body.drops.map((d: any) => [d.reason, d.count])), { bot: 2, invalid: 1 });
    assert.equal(q.body.visits.total, 3);
    assert.equal(q.body.visits.cookieless, 2);
    assert.deepEqual(q.body.visits.byReason, { dnt: 1, gpc: 1 });
    assert.ok(Math.abs(q.body.visits.cookielessShare - 2 / 3) < 1e-9);
    assert.equal(q.body.lag.waitingEvents, 0);
    assert.ok(q.body.lag.lastStoredEvent);
    assert.equal((await admin.get(`/api/v1/sites/${siteId}/quality?days=0`)).status, 400);
  });

  it('keeps a named feature catalog per product: create, rename, list, delete', async () => {
    const productId = (await admin.post('/api/products', { name: 'Cleaner' })).body.product.productId;
    const made = await admin.post(`/api/products/${productId}/features`, { name: 'Disk scan', description: 'Finds large files', events: ['scan_started', 'scan_done'] });
    assert.equal(made.status, 201);
    assert.equal((await admin.post(`/api/products/${productId}/features`, { name: 'disk scan' })).status, 409);
    assert.equal((await admin.post(`/api/products/${productId}/features`, { name: '' })).body.field, 'name');
    const id = made.body.feature.featureId;
    const renamed = await admin.request('PUT', `/api/products/${productId}/features/${id}`, { name: 'Deep scan', events: ['scan_started'] });
    assert.equal(renamed.status, 200);
    assert.deepEqual((await admin.get(`/api/products/${productId}/features`)).body.features.map((f: any) => [f.name, f.events]), [['Deep scan', ['scan_started']]]);
    assert.equal((await admin.delete(`/api/products/${productId}/features/${id}`)).status, 204);
    assert.deepEqual((await admin.get(`/api/products/${productId}/features`)).body.features, []);
  });
});
