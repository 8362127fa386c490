import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fromB64u } from '../../core/antitheft/encoding.ts';
import { openNetwork, openReport } from '../../core/antitheft/report.ts';
import { ReportEnvelope, Sealed, type ReportHeader } from '../../core/antitheft/schemas.ts';
import { ServerError } from '../../antitheft/agent/client.ts';
import { content, enrollDevice, newCode, turnOn, type TestDevice } from '../helpers/antitheft.ts';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const stored = (p: TestPlatform, deviceId: string) =>
  p.rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports FINAL WHERE device_id = {d:String}', { d: deviceId }).then((r) => Number(r[0]!.n));

describe('anti-theft API: enrollment, signed reports into the store, owner reads', () => {
  let p: TestPlatform;
  let owner: DashboardClient;
  let key: Awaited<ReturnType<typeof turnOn>>;
  let dev: TestDevice;

  before(async () => {
    p = await startTestPlatform({ ANTITHEFT_REPORT_INTERVAL_S: '60', ANTITHEFT_STOLEN_INTERVAL_S: '10', ANTITHEFT_CHECKIN_INTERVAL_S: '5' });
    const admin = new DashboardClient(p.url);
    await admin.post('/api/setup', { email: 'admin@example.com', password: 'admin password 1' });
    assert.equal((await admin.post('/api/users', { email: 'ann@example.com', password: 'ann password 12' })).status, 201);
    owner = new DashboardClient(p.url);
    await owner.signIn('ann@example.com', 'ann password 12');
    key = await turnOn(owner);
    dev = await enrollDevice(p.url, await newCode(owner, 'Ann laptop'));
  });
  after(() => p.close());

  it('enrolls a device with a one-time code; both sides show the same device fingerprint', async () => {
    const list = (await owner.get('/api/antitheft/devices')).body.devices;
    assert.equal(list.length, 1);
    assert.equal(list[0].deviceId, dev.enrollment.deviceId);
    assert.equal(list[0].fingerprint, dev.enrollment.deviceFingerprint);
    assert.equal(list[0].name, 'Ann laptop');
    assert.equal(dev.enrollment.ownerKey.fingerprint, (await owner.get('/api/antitheft/key')).body.fingerprint);
  });

  it('stores a signed sealed report once, with a receipt, and only the owner key opens it', async () => {
    const env = await dev.reporter.seal('normal', 'startup', content());
    const answer = await dev.client.call('/api/antitheft/agent/reports', env);
    assert.equal(answer.accepted?.reportId, env.header.reportId);
    assert.equal(answer.mode, 'normal');
    assert.equal(answer.reportIntervalS, 60);
    await p.waitForCount('SELECT count() FROM antitheft.reports FINAL', 1);
    const res = await owner.get(`/api/antitheft/devices/${dev.enrollment.deviceId}/reports`);
    assert.equal(res.status, 200);
    const [row] = res.body.reports;
    const header = JSON.parse(row.header) as ReportHeader;
    const opened = await openReport(key.privateKey, fromB64u(key.record.publicKey), header, Sealed.parse(JSON.parse(row.payload)));
    assert.deepEqual(opened.content.position?.lat, 48.85837);
    const net = await openNetwork(key.privateKey, fromB64u(key.record.publicKey), header, Sealed.parse(JSON.parse(row.network)));
    assert.equal(net.record.ip, '127.0.0.1');
    assert.equal(JSON.parse(row.receipt).reportHash, row.reportHash);
  });

  it('refuses a duplicate report, a replayed sequence and a tampered one, and stores nothing for them', async () => {
    const env = await dev.reporter.seal('normal', 'schedule', content());
    await dev.client.call('/api/antitheft/agent/reports', env);
    await p.waitForCount('SELECT count() FROM antitheft.reports FINAL', 2);
    await assert.rejects(dev.client.call('/api/antitheft/agent/reports', env), (e: ServerError) => e.status === 409 && e.code === 'duplicate_report');
    const older = { ...env, header: { ...env.header, reportId: '6a1f5d1e-0000-4000-8000-000000000000' } };
    await assert.rejects(dev.client.call('/api/antitheft/agent/reports', older), (e: ServerError) => e.status === 400 && e.code === 'bad_report_signature');
    const next = await dev.reporter.seal('normal', 'schedule', content());
    const tampered = ReportEnvelope.parse({ ...next, header: { ...next.header, mode: 'stolen' } });
    await assert.rejects(dev.client.call('/api/antitheft/agent/reports', tampered), (e: ServerError) => e.code === 'bad_report_signature');
    await assert.rejects(dev.client.call('/api/antitheft/agent/reports', { ...next, v: 2 }), (e: ServerError) => e.status === 400 && /v/.test(e.message));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await stored(p, dev.enrollment.deviceId), 2);
  });

  it('takes owner changes at the next check-in: stolen mode shortens the interval', async () => {
    const id = dev.enrollment.deviceId;
    assert.equal((await owner.patch(`/api/antitheft/devices/${id}`, { mode: 'stolen' })).status, 200);
    const a = await dev.client.call('/api/antitheft/agent/check-in', { v: 1 });
    assert.deepEqual([a.mode, a.reportIntervalS, a.action], ['stolen', 10, 'continue']);
  });

  it("hides a device from every other account: another owner and an administrator get 404, no session 401", async () => {
    const id = dev.enrollment.deviceId;
    const admin = new DashboardClient(p.url);
    await admin.signIn('admin@example.com', 'admin password 1');
    assert.equal((await admin.get(`/api/antitheft/devices/${id}`)).status, 404);
    assert.equal((await admin.get(`/api/antitheft/devices/${id}/reports`)).status, 404);
    assert.deepEqual((await admin.get('/api/antitheft/devices')).body.devices, []);
    assert.equal((await new DashboardClient(p.url).get(`/api/antitheft/devices/${id}`)).status, 401);
  });

  it('deactivation deletes the stored reports and tells the agent to forget its keys', async () => {
    const id = dev.enrollment.deviceId;
    assert.equal((await owner.post(`/api/antitheft/devices/${id}/deactivate`)).status, 200);
    assert.equal(await stored(p, id), 0);
    const a = await dev.client.call('/api/antitheft/agent/check-in', { v: 1 });
    assert.equal(a.action, 'forget');
  });
});
