import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ReportEnvelope } from '../../core/antitheft/schemas.ts';
import { ServerError } from '../../antitheft/agent/client.ts';
import { content, enrollDevice, newCode, turnOn, type TestDevice } from '../helpers/antitheft.ts';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { cleanupAll, freePort, RedisProc, startVigil, type VigilProc } from './processes.ts';

/**
 * kill -9 of the platform (API, queue producer, worker and store in one process) while devices deliver reports;
 * after a restart every report that was ever answered 202 is stored exactly once. Devices retry what was not
 * answered, as the agent does, and count a 409 duplicate_report as delivered.
 */
const DEVICES = 8;
const PER_DEVICE = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('anti-theft reports survive a kill -9 of the worker mid-stream', () => {
  const work = mkdtempSync(join(tmpdir(), 'vigil-at-crash-'));
  after(async () => { await cleanupAll(); rmSync(work, { recursive: true, force: true }); });

  it('stores every accepted report exactly once', { timeout: 300_000 }, async () => {
    const redis = new RedisProc(await freePort(), join(work, 'redis'));
    await redis.start();
    const port = await freePort();
    const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), REDIS_URL: redis.url, LOG_LEVEL: 'info',
      ANTITHEFT_DEVICE_RATE_PER_MINUTE: '100000', ANTITHEFT_ENROLL_RATE_PER_MINUTE: '1000' };
    let vigil: VigilProc = startVigil('vigil', [], env, join(work, 'vigil-1.log'));
    await vigil.ready();
    const owner = new DashboardClient(vigil.url);
    await owner.post('/api/setup', { email: 'ann@example.com', password: 'ann password 12' });
    await turnOn(owner);
    const devices: TestDevice[] = [];
    for (let i = 0; i < DEVICES; i++) devices.push(await enrollDevice(vigil.url, await newCode(owner)));

    const accepted = new Set<string>();
    let answered202 = 0;
    const deliver = async (d: TestDevice, env: ReportEnvelope) => {
      for (let attempt = 0; attempt < 600; attempt++) {
        try {
          await d.client.call('/api/antitheft/agent/reports', env);
          answered202++;
          accepted.add(env.header.reportId);
          return;
        } catch (err) {
          if (err instanceof ServerError && err.code === 'duplicate_report') { accepted.add(env.header.reportId); return; }
          if (!(err instanceof ServerError) || !err.transient) throw err;
          await sleep(100);
        }
      }
      throw new Error('a report was never accepted');
    };
    const load = Promise.all(devices.map(async (d) => {
      for (let i = 0; i < PER_DEVICE; i++) await deliver(d, await d.reporter.seal('stolen', 'schedule', content()));
    }));
    while (answered202 < (DEVICES * PER_DEVICE) / 3) await sleep(20);
    await vigil.kill9();
    const killedAt = answered202;
    await sleep(500);
    vigil = startVigil('vigil', [], env, join(work, 'vigil-2.log'));
    await vigil.ready();
    await load;
    assert.ok(killedAt > 0 && killedAt < DEVICES * PER_DEVICE, 'the kill came mid-stream');
    assert.equal(accepted.size, DEVICES * PER_DEVICE);

    const stored = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    for (;;) {
      stored.clear();
      for (const d of devices) {
        const res = await owner.get(`/api/antitheft/devices/${d.enrollment.deviceId}/reports?limit=1000`);
        for (const r of res.body.reports) stored.set(r.reportId, (stored.get(r.reportId) ?? 0) + 1);
      }
      if (stored.size >= accepted.size || Date.now() > deadline) break;
      await sleep(500);
    }
    assert.equal(stored.size, accepted.size, 'every accepted report is stored');
    assert.ok([...accepted].every((id) => stored.get(id) === 1), 'each exactly once');
    assert.match(vigil.log(), /Vigil listening/);
    await vigil.term(30_000);
    await redis.stop();
  });
});
