import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** Routes anyone may call: the sign-in flow itself. */
const PUBLIC = new Set(['GET /api/setup', 'POST /api/setup', 'POST /api/sign-in', 'POST /api/sign-out', 'GET /api/share']);

describe('who sees what: roles per site and product, privacy controls', () => {
  let p: TestPlatform;
  let admin: DashboardClient;
  let owner: DashboardClient;
  let stranger: DashboardClient;
  let siteId = '';
  let productId = '';

  before(async () => {
    p = await startTestPlatform();
    admin = new DashboardClient(p.url);
    await admin.post('/api/setup', { email: 'admin@example.com', password: 'admin password 1' });
    for (const email of ['owner@example.com', 'stranger@example.com', 'viewer@example.com']) {
      assert.equal((await admin.post('/api/users', { email, password: `${email} pw` })).status, 201);
    }
    owner = new DashboardClient(p.url);
    stranger = new DashboardClient(p.url);
    await owner.signIn('owner@example.com', 'owner@example.com pw');
    await stranger.signIn('stranger@example.com', 'stranger@example.com pw');
    const site = await owner.post('/api/sites', { domain: 'owned.example', timezone: 'Europe/Berlin' });
    assert.equal(site.status, 201);
    siteId = site.body.site.siteId;
    assert.match(site.body.site.snippet, /data-domain="owned\.example"/);
    const product = await owner.post('/api/products', { name: 'Owned App' });
    assert.equal(product.status, 201);
    productId = product.body.product.productId;
  });
  after(() => p.close());

  it('an account sees only the sites and products it was given; an administrator sees all', async () => {
    assert.deepEqual((await stranger.get('/api/sites')).body.sites, []);
    assert.deepEqual((await stranger.get('/api/products')).body.products, []);
    assert.deepEqual((await owner.get('/api/sites')).body.sites.map((s: any) => [s.domain, s.role]), [['owned.example', 'owner']]);
    assert.equal((await admin.get('/api/sites')).body.sites.length, 1);
  });

  it('a viewer reads but cannot change; an owner can', async () => {
    const viewer = new DashboardClient(p.url);
    await viewer.signIn('viewer@example.com', 'viewer@example.com pw');
    assert.equal((await viewer.get(`/api/sites/${siteId}`)).status, 403);
    assert.equal((await owner.post(`/api/sites/${siteId}/members`, { email: 'viewer@example.com', role: 'viewer' })).status, 201);
    assert.equal((await viewer.get(`/api/sites/${siteId}`)).status, 200);
    assert.equal((await viewer.patch(`/api/sites/${siteId}`, { timezone: 'UTC' })).status, 403);
    assert.equal((await viewer.post(`/api/sites/${siteId}/shares`, {})).status, 403);
    const changed = await owner.patch(`/api/sites/${siteId}`, { timezone: 'America/New_York', honorDnt: false });
    assert.equal(changed.status, 200);
    assert.deepEqual([changed.body.site.timezone, changed.body.site.honorDnt], ['America/New_York', false]);
    assert.equal((await owner.patch(`/api/sites/${siteId}`, { timezone: 'Mars/Olympus' })).status, 400);
  });

  it('product API keys: created, rotated and revoked over HTTP, taking effect at once', async () => {
    const created = await owner.post(`/api/products/${productId}/keys`);
    assert.equal(created.status, 201);
    const send = (key: string) => p.post('/api/product-events', { events: [{ name: 'x', install_id: 'i' }] }, { authorization: `Bearer ${key}` });
    assert.equal((await send(created.body.apiKey)).status, 202);
    const keys = (await owner.get(`/api/products/${productId}/keys`)).body.keys;
    const keyId = keys.find((k: any) => created.body.apiKey.startsWith(k.prefix)).keyId;
    const rotated = await owner.post(`/api/products/${productId}/keys/${keyId}/rotate`);
    assert.equal(rotated.status, 201);
    assert.equal((await send(created.body.apiKey)).status, 403, 'the rotated-out key is refused');
    assert.equal((await send(rotated.body.apiKey)).status, 202);
    const newId = (await owner.get(`/api/products/${productId}/keys`)).body.keys.find((k: any) => rotated.body.apiKey.startsWith(k.prefix)).keyId;
    assert.equal((await owner.delete(`/api/products/${productId}/keys/${newId}`)).status, 204);
    assert.equal((await send(rotated.body.apiKey)).status, 403);
  });

  it('an account corrects its details, hides them from others, exports its data and deletes itself', async () => {
    const me = new DashboardClient(p.url);
    await admin.post('/api/users', { email: 'private@example.com', password: 'private password 1' });
    await me.signIn('private@example.com', 'private password 1');
    await owner.post(`/api/sites/${siteId}/members`, { email: 'private@example.com', role: 'viewer' });
    const updated = await me.patch('/api/account', { name: 'Pat Private', contact: '+1 555 0100', hideIdentity: true });
    assert.deepEqual([updated.body.account.name, updated.body.account.contact, updated.body.account.hideIdentity], ['Pat Private', '+1 555 0100', true]);
    const seenByOwner = (await owner.get(`/api/sites/${siteId}/members`)).body.members.find((m: any) => m.accountId === updated.body.account.accountId);
    assert.match(seenByOwner.name, /^Member /);
    assert.equal(seenByOwner.email, null);
    const exported = await me.get('/api/account/export');
    assert.equal(exported.body.account.email, 'private@example.com');
    assert.deepEqual(exported.body.sites, [{ domain: 'owned.example', role: 'viewer' }]);
    assert.ok(!JSON.stringify(exported.body).includes('scrypt'), 'no password hash in the export');
    assert.equal((await me.delete('/api/account', { password: 'wrong' })).status, 401);
    assert.equal((await me.delete('/api/account', { password: 'private password 1' })).status, 204);
    assert.equal((await me.get('/api/session')).status, 401);
    const [left] = await p.rows<{ c: string }>("SELECT count() AS c FROM accounts WHERE email = 'private@example.com' OR name = 'Pat Private'");
    assert.equal(Number(left!.c), 0, 'the account\'s rows are deleted, not just hidden');
  });

  it('every dashboard endpoint answers 401 without a session and 403 to an account without access', async () => {
    const routes = p.dashboard!.routes.filter((r) => r.path.startsWith('/api/') && !PUBLIC.has(`${r.method} ${r.path}`));
    assert.ok(routes.length >= 20, `${routes.length} routes`);
    const anonymous = new DashboardClient(p.url);
    const fill = (path: string) => path.replace(':id', siteId).replace(':keyId', 'k_x').replace(':linkId', 'l_x').replace(':accountId', 'a_x');
    // Reports requests are well-formed, so only access can refuse them.
    const reportBody = (path: string) => (path.includes('retention') ? { product_id: productId, date_range: '30d', period: 'week' }
      : path.includes('overview') ? { site_id: siteId, date_range: '7d' } : { site_id: siteId, date_range: '7d', metrics: ['visitors'] });
    for (const r of routes) {
      let path = r.path.includes('/products/') ? fill(r.path).replace(siteId, productId) : fill(r.path);
      if (path === '/api/v1/realtime') path += `?site_id=${siteId}`;
      const body = r.method === 'GET' ? undefined : path.startsWith('/api/v1/') ? reportBody(path) : {};
      const noSession = await anonymous.request(r.method, path, body);
      assert.equal(noSession.status, 401, `${r.method} ${path} without a session -> ${noSession.status}`);
      // Routes every signed-in account may use on its own behalf are checked for isolation elsewhere.
      if (/^\/api\/(session|account|sites$|products$)/.test(r.path) || (r.method === 'POST' && /^\/api\/(sites|products)$/.test(r.path))) continue;
      const foreign = await stranger.request(r.method, path, body);
      assert.equal(foreign.status, 403, `${r.method} ${path} as a stranger -> ${foreign.status} ${JSON.stringify(foreign.body)}`);
    }
  });
});
