import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** node:http, since fetch does not let a caller set Origin. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end(body);
  });
}

const ADMIN = { email: 'admin@example.com', password: 'correct horse battery', name: 'Ada Admin' };

describe('dashboard accounts: first administrator, sign-in, CSRF, sign-out, password change', () => {
  let p: TestPlatform;
  let admin: DashboardClient;
  before(async () => {
    p = await startTestPlatform();
    admin = new DashboardClient(p.url);
  });
  after(() => p.close());

  it('the first account of an empty install becomes its administrator, and signs in with a strict HttpOnly cookie', async () => {
    assert.deepEqual((await admin.get('/api/setup')).body, { needed: true });
    const res = await admin.post('/api/setup', ADMIN);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.account.isAdmin, true);
    assert.equal(res.body.account.passwordHash, undefined);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.equal((await admin.get('/api/session')).body.account.email, ADMIN.email);
    assert.deepEqual((await admin.get('/api/setup')).body, { needed: false });
    const again = await new DashboardClient(p.url).post('/api/setup', { ...ADMIN, email: 'intruder@example.com' });
    assert.equal(again.status, 409);
  });

  it('refuses weak passwords and bad e-mail addresses, naming the field', async () => {
    const res = await admin.post('/api/users', { email: 'weak@example.com', password: 'short' });
    assert.equal(res.status, 400);
    assert.equal(res.body.field, 'password');
    assert.equal((await admin.post('/api/users', { email: 'not-an-email' })).body.field, 'email');
  });

  it('a write without the session\'s CSRF token is refused', async () => {
    const res = await admin.request('POST', '/api/sites', { domain: 'csrf.example' }, { 'x-csrf-token': 'wrong' });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'csrf');
    const bare = await fetch(`${p.url}/api/sites`, { method: 'POST', headers: { cookie: admin.cookie, 'content-type': 'application/json' }, body: '{"domain":"csrf.example"}' });
    assert.equal(bare.status, 403);
  });

  it('sign-in from another origin, or as a form post, is refused', async () => {
    const cross = await rawPost(`${p.url}/api/sign-in`, { origin: 'https://evil.example', 'content-type': 'application/json' },
      JSON.stringify({ email: ADMIN.email, password: ADMIN.password }));
    assert.equal(cross, 403);
    const form = await fetch(`${p.url}/api/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a' });
    assert.equal(form.status, 415);
  });

  it('signs in and out; a signed-out session is gone', async () => {
    const c = new DashboardClient(p.url);
    assert.equal(await c.signIn(ADMIN.email, 'wrong password!'), 401);
    assert.equal(await c.signIn(ADMIN.email, ADMIN.password), 200);
    const cookie = c.cookie;
    assert.equal((await c.post('/api/sign-out')).status, 204);
    const stale = await fetch(`${p.url}/api/session`, { headers: { cookie } });
    assert.equal(stale.status, 401);
  });

  it('limits failed sign-ins: after 10 failures the 11th attempt is a 429, even with the right password', async () => {
    const c = new DashboardClient(p.url);
    await admin.post('/api/users', { email: 'target@example.com', password: 'target password 1' });
    for (let i = 0; i < 10; i++) assert.equal(await c.signIn('target@example.com', `nope ${i} nope nope`), 401);
    const res = await c.post('/api/sign-in', { email: 'target@example.com', password: 'target password 1' });
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  });

  it('a password change ends the account\'s other sessions and keeps this one', async () => {
    await admin.post('/api/users', { email: 'pw@example.com', password: 'first password 1' });
    const laptop = new DashboardClient(p.url);
    const phone = new DashboardClient(p.url);
    await laptop.signIn('pw@example.com', 'first password 1');
    await phone.signIn('pw@example.com', 'first password 1');
    assert.equal((await laptop.post('/api/account/password', { current: 'wrong one', next: 'second password 2' })).status, 401);
    assert.equal((await laptop.post('/api/account/password', { current: 'first password 1', next: 'second password 2' })).status, 204);
    assert.equal((await laptop.get('/api/session')).status, 200);
    assert.equal((await phone.get('/api/session')).status, 401);
    assert.equal(await new DashboardClient(p.url).signIn('pw@example.com', 'second password 2'), 200);
  });
});
