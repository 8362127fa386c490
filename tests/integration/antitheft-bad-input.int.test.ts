import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ed25519Signer, generateEd25519, signedRequestHeaders } from '../../core/antitheft/node-crypto.ts';
import { MAX_REPORT_BODY } from '../../core/antitheft/schemas.ts';
import { content, enrollDevice, newCode, turnOn, type TestDevice } from '../helpers/antitheft.ts';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** A request signed on purpose, so a test can replay it, age it, or sign it with the wrong key. */
async function signed(deviceId: string, pem: string, path: string, body: string, over: { timestamp?: number; nonce?: string } = {}) {
  return { 'content-type': 'application/json', ...await signedRequestHeaders(ed25519Signer(pem), deviceId, path, body, over) };
}

describe('anti-theft API: bad input and abuse get a 4xx naming the problem and store nothing', () => {
  let p: TestPlatform;
  let owner: DashboardClient;
  let dev: TestDevice;
  const post = async (path: string, body: string, headers: Record<string, string>) => {
    const res = await fetch(`${p.url}${path}`, { method: 'POST', body, headers });
    return { status: res.status, body: await res.json().catch(() => null) as { code?: string; error?: string } | null };
  };
  const reports = () => p.rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports').then((r) => Number(r[0]!.n));
  const CHECK_IN = '/api/antitheft/agent/check-in';
  const REPORTS = '/api/antitheft/agent/reports';

  before(async () => {
    p = await startTestPlatform({ ANTITHEFT_ENROLL_RATE_PER_MINUTE: '30', ANTITHEFT_DEVICE_RATE_PER_MINUTE: '40' });
    owner = new DashboardClient(p.url);
    await owner.post('/api/setup', { email: 'ann@example.com', password: 'ann password 12' });
    await turnOn(owner);
    dev = await enrollDevice(p.url, await newCode(owner));
  });
  after(() => p.close());

  it('an unknown device, a bad signature, a stale timestamp and a replayed nonce', async () => {
    const pem = dev.state.privateKeyPem();
    const id = dev.enrollment.deviceId;
    const body = '{"v":1}';
    const stranger = generateEd25519();
    assert.deepEqual((await post(CHECK_IN, body, await signed('dv_000000000000000000000000', pem, CHECK_IN, body))).body?.code, 'unknown_device');
    assert.deepEqual((await post(CHECK_IN, body, await signed(id, stranger.privateKeyPem, CHECK_IN, body))).body?.code, 'bad_signature');
    const h = await signed(id, pem, CHECK_IN, body);
    assert.equal((await post(CHECK_IN, '{"v":1 }', h)).body?.code, 'bad_signature', 'the body is covered by the signature');
    const stale = await post(CHECK_IN, body, await signed(id, pem, CHECK_IN, body, { timestamp: Date.now() - 6 * 60_000 }));
    assert.deepEqual([stale.status, stale.body?.code], [401, 'stale_timestamp']);
    const once = await signed(id, pem, CHECK_IN, body);
    assert.equal((await post(CHECK_IN, body, once)).status, 200);
    const again = await post(CHECK_IN, body, once);
    assert.deepEqual([again.status, again.body?.code], [409, 'replayed_request']);
    const missing = await post(CHECK_IN, body, { 'content-type': 'application/json' });
    assert.equal(missing.status, 400);
    assert.match(missing.body!.error!, /x-vigil-device/);
  });

  it('a malformed envelope names its field; an oversized report is refused before it is read', async () => {
    const pem = dev.state.privateKeyPem();
    const id = dev.enrollment.deviceId;
    for (const [body, expect] of [['not json', /not valid JSON/], ['{"v":1}', /header/], ['[]', /expected object/i]] as const) {
      const r = await post(REPORTS, body, await signed(id, pem, REPORTS, body));
      assert.equal(r.status, 400, body);
      assert.match(r.body!.error!, expect);
    }
    const env = await dev.reporter.seal('normal', 'schedule', content());
    const wrong = JSON.stringify({ ...env, header: { ...env.header, sequence: -1 } });
    const r = await post(REPORTS, wrong, await signed(id, pem, REPORTS, wrong));
    assert.deepEqual([r.status, r.body?.error?.startsWith('header.sequence')], [400, true]);
    const huge = await fetch(`${p.url}${REPORTS}`, { method: 'POST', body: 'x'.repeat(MAX_REPORT_BODY + 10), headers: { 'content-type': 'application/json' } });
    assert.equal(huge.status, 413);
    assert.equal(await reports(), 0);
  });

  it('an expired or reused enrollment code, and a code sent without proof of the key', async () => {
    const code = await newCode(owner);
    await enrollDevice(p.url, code);
    await assert.rejects(enrollDevice(p.url, code), (e: Error & { code?: string }) => e.code === 'invalid_code' && /expired|used/.test(e.message));
    await assert.rejects(enrollDevice(p.url, 'ABCD-EFGH-JKMN'), (e: Error & { code?: string }) => e.code === 'invalid_code');
    const other = generateEd25519();
    const body = JSON.stringify({ v: 1, code: await newCode(owner), publicKey: generateEd25519().publicKey, name: 'x', platform: 'linux', agentVersion: '0' });
    const r = await post('/api/antitheft/agent/enroll', body, await signed('new', other.privateKeyPem, '/api/antitheft/agent/enroll', body));
    assert.equal(r.body?.code, 'bad_signature');
  });

  it('a revoked key is refused at once', async () => {
    const d = await enrollDevice(p.url, await newCode(owner));
    assert.equal((await owner.post(`/api/antitheft/devices/${d.enrollment.deviceId}/revoke`)).status, 200);
    await assert.rejects(d.client.call(CHECK_IN, { v: 1 }), (e: Error & { code?: string; status?: number }) => e.status === 401 && e.code === 'key_revoked');
  });

  it('rate-limits each device and each enrollment source with a 429 and Retry-After', async () => {
    const d = await enrollDevice(p.url, await newCode(owner));
    let limited: Response | null = null;
    for (let i = 0; i < 45 && !limited; i++) {
      const body = '{"v":1}';
      const res = await fetch(`${p.url}${CHECK_IN}`, { method: 'POST', body, headers: await signed(d.enrollment.deviceId, d.state.privateKeyPem(), CHECK_IN, body) });
      if (res.status === 429) limited = res;
    }
    assert.ok(limited, 'the 41st check-in within a minute is refused');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    let enrollLimited = false;
    for (let i = 0; i < 35 && !enrollLimited; i++) {
      const res = await fetch(`${p.url}/api/antitheft/agent/enroll`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      enrollLimited = res.status === 429;
    }
    assert.ok(enrollLimited);
    assert.equal(await reports(), 0);
  });
});
