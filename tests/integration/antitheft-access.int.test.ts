import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { content, enrollDevice, newCode, turnOn, type TestDevice } from '../helpers/antitheft.ts';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/**
 * Every anti-theft route against every kind of caller: the device's owner, another owner, a viewer of a site, an
 * administrator, a share link and no session. Only the owner ever sees the device; everyone else signed in gets a
 * 404 (as for a device that does not exist), and without a session it is 401 whatever else is sent.
 */
type Caller = 'owner' | 'otherOwner' | 'siteViewer' | 'admin' | 'share' | 'none';
const CALLERS: Caller[] = ['owner', 'otherOwner', 'siteViewer', 'admin', 'share', 'none'];

describe('anti-theft access matrix', () => {
  let p: TestPlatform;
  const c = {} as Record<Caller, DashboardClient>;
  let dev: TestDevice;
  let reportId = '';
  let shareSecret = '';

  before(async () => {
    p = await startTestPlatform();
    c.admin = new DashboardClient(p.url);
    await c.admin.post('/api/setup', { email: 'admin@example.com', password: 'admin password 1' });
    for (const who of ['owner', 'otherOwner', 'siteViewer'] as const) {
      assert.equal((await c.admin.post('/api/users', { email: `${who}@example.com`, password: `${who} password 1` })).status, 201);
      c[who] = new DashboardClient(p.url);
      await c[who].signIn(`${who}@example.com`, `${who} password 1`);
    }
    const site = await c.admin.post('/api/sites', { domain: 'shared.example' });
    await c.admin.post(`/api/sites/${site.body.site.siteId}/members`, { email: 'siteViewer@example.com', role: 'viewer' });
    shareSecret = (await c.admin.post(`/api/sites/${site.body.site.siteId}/shares`, {})).body.url.split('/share/')[1];
    c.share = new DashboardClient(p.url);
    c.none = new DashboardClient(p.url);
    await turnOn(c.owner);
    await turnOn(c.otherOwner);
    dev = await enrollDevice(p.url, await newCode(c.owner));
    const env = await dev.reporter.seal('stolen', 'schedule', content(), { status: 'ok', bytes: new Uint8Array([0xff, 0xd8, 0xff, 1]) });
    await dev.client.call('/api/antitheft/agent/reports', env);
    reportId = env.header.reportId;
    await p.waitForCount('SELECT count() FROM antitheft.reports FINAL', 1);
  });
  after(() => p.close());

  const call = (who: Caller, method: string, path: string, body?: unknown) =>
    c[who].request(method, path, body, who === 'share' ? { 'x-vigil-share': shareSecret } : {});

  it('covers every owner route, and answers each caller as it must', async () => {
    const id = () => dev.enrollment.deviceId;
    // Route -> a request to make; `own` says the route reads or changes this device (others get 404).
    const cases: Record<string, { method: string; path: () => string; body?: unknown; own: boolean; ok: number }> = {
      'GET /api/antitheft/key': { method: 'GET', path: () => '/api/antitheft/key', own: false, ok: 200 },
      'GET /api/antitheft/devices': { method: 'GET', path: () => '/api/antitheft/devices', own: false, ok: 200 },
      'GET /api/antitheft/devices/:id': { method: 'GET', path: () => `/api/antitheft/devices/${id()}`, own: true, ok: 200 },
      'GET /api/antitheft/devices/:id/reports': { method: 'GET', path: () => `/api/antitheft/devices/${id()}/reports`, own: true, ok: 200 },
      'GET /api/antitheft/devices/:id/reports/:reportId/snapshot': { method: 'GET', path: () => `/api/antitheft/devices/${id()}/reports/${reportId}/snapshot`, own: true, ok: 200 },
      'GET /api/antitheft/server-keys': { method: 'GET', path: () => '/api/antitheft/server-keys', own: false, ok: 200 },
      'PATCH /api/antitheft/devices/:id': { method: 'PATCH', path: () => `/api/antitheft/devices/${id()}`, body: { name: 'renamed' }, own: true, ok: 200 },
      'POST /api/antitheft/enrollment-codes': { method: 'POST', path: () => '/api/antitheft/enrollment-codes', body: {}, own: false, ok: 201 },
      'PATCH /api/antitheft/key': { method: 'PATCH', path: () => '/api/antitheft/key', body: { passphrase: { nope: 1 } }, own: false, ok: 400 },
      'PUT /api/antitheft/key': { method: 'PUT', path: () => '/api/antitheft/key', body: {}, own: false, ok: 400 },
      // Destructive ones last, and only by their owner: everyone else must be refused first.
      'POST /api/antitheft/devices/:id/revoke': { method: 'POST', path: () => `/api/antitheft/devices/${id()}/revoke`, body: {}, own: true, ok: 200 },
      'POST /api/antitheft/devices/:id/deactivate': { method: 'POST', path: () => `/api/antitheft/devices/${id()}/deactivate`, body: {}, own: true, ok: 200 },
      'DELETE /api/antitheft/devices/:id': { method: 'DELETE', path: () => `/api/antitheft/devices/${id()}`, body: {}, own: true, ok: 204 },
      'DELETE /api/antitheft/key': { method: 'DELETE', path: () => '/api/antitheft/key', body: {}, own: false, ok: 204 },
    };
    const ownerRoutes = p.antitheft!.routes.filter((r) => !r.path.startsWith('/api/antitheft/agent')).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual([...ownerRoutes].sort(), Object.keys(cases).sort(), 'every owner route has its row in the matrix');
    for (const [route, k] of Object.entries(cases)) {
      for (const who of CALLERS.filter((w) => w !== 'owner')) {
        const r = await call(who, k.method, k.path(), k.body);
        const expected = who === 'none' || who === 'share' ? 401 : k.own ? 404 : k.ok === 204 && route === 'DELETE /api/antitheft/key' ? 204 : k.ok;
        if (route === 'DELETE /api/antitheft/key' && (who === 'otherOwner')) continue; // would turn their own anti-theft off: covered below
        if (route === 'GET /api/antitheft/key' && who !== 'none' && who !== 'share') {
          assert.equal(r.status, 200);
          if (who !== 'otherOwner') assert.equal(r.body.key, null, `${who} sees no key of the owner's`);
          continue;
        }
        if (route === 'GET /api/antitheft/devices' && r.status === 200) {
          assert.deepEqual(r.body.devices, [], `${who} lists none of the owner's devices`);
          continue;
        }
        if (route === 'POST /api/antitheft/enrollment-codes' && (who === 'siteViewer' || who === 'admin')) {
          assert.equal(r.status, 409, `${who} has no key of their own: ${JSON.stringify(r.body)}`);
          continue;
        }
        assert.equal(r.status, expected, `${who} ${route}: ${JSON.stringify(r.body)}`);
        assert.ok(!JSON.stringify(r.body ?? '').includes(dev.enrollment.deviceId), `${who} ${route} names the device`);
      }
      const mine = await call('owner', k.method, k.path(), k.body);
      assert.equal(mine.status, k.ok, `owner ${route}: ${JSON.stringify(mine.body)}`);
    }
  });

  it('the agent routes take no session: a signed-in owner without a device signature gets 400', async () => {
    for (const path of ['/api/antitheft/agent/check-in', '/api/antitheft/agent/reports']) {
      const r = await call('owner', 'POST', path, { v: 1 });
      assert.deepEqual([r.status, r.body.code], [400, 'missing_signature']);
    }
  });

  it('the stats query API cannot reach the antitheft database whatever it is sent', async () => {
    const attempts = [
      { site_id: 'antitheft.reports', date_range: '7d', metrics: ['visitors'] },
      { site_id: 'shared.example', date_range: '7d', metrics: ['visitors'], dimensions: ['antitheft.reports.payload'] },
      { site_id: 'shared.example', date_range: '7d', metrics: ['count() FROM antitheft.reports'] },
      { site_id: 'shared.example', date_range: '7d', metrics: ['visitors'], dimensions: ['event:page'],
        filters: [['is', 'event:page', ["x') UNION ALL SELECT payload FROM antitheft.reports --"]]] },
      { site_id: 'shared.example', date_range: '7d', metrics: ['visitors'], filters: [['is', 'antitheft.devices.name', ['x']]] },
    ];
    for (const body of attempts) {
      const r = await c.admin.post('/api/v1/query', body);
      assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `${r.status} for ${JSON.stringify(body)}`);
      const text = JSON.stringify(r.body);
      assert.ok(!text.includes(dev.enrollment.deviceId) && !/"ct"|"epk"/.test(text), `the answer carries anti-theft data: ${text.slice(0, 200)}`);
      if (r.status === 200) assert.equal(JSON.stringify(r.body.results).includes('antitheft'), false);
    }
  });
});
