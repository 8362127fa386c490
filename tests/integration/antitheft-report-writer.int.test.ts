import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { goneDeviceKey, REPORT_QUEUE, snapshotKey, type ReportJob } from '../../core/antitheft/jobs.ts';
import { bullConnection, bullPrefix } from '../../core/bull.ts';
import { createLogger } from '../../core/log.ts';
import type { Redis } from '../../core/redis.ts';
import { ReportWriter } from '../../worker/antitheft-reports.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/**
 * The worker's side of a report job on real Redis and embedded ClickHouse, including the paths the API no longer
 * takes (a job queued by an earlier version with its snapshot inline) and the ones it should never take (a snapshot
 * that is not in Redis). The writer does not verify signatures (the API did), so the jobs here carry plain texts.
 */
describe('anti-theft report writer: where a job\'s snapshot comes from and when it is forgotten', () => {
  let p: TestPlatform;
  let redis: Redis;
  let connection: Redis;
  let queue: Queue<ReportJob>;
  let writer: ReportWriter;
  const prefix = 'vigil:';

  const job = (snapshot: ReportJob['snapshot'], deviceId = `dv_${randomBytes(12).toString('hex')}`): ReportJob => ({
    v: 1, ownerId: 'u_test', deviceId, reportId: randomUUID(), sequence: 1, mode: 'normal', capturedAt: Date.now() - 1000, receivedAt: Date.now(),
    header: '{}', payload: '{"sealed":"p"}', network: '{"sealed":"n"}', receipt: '{}', signature: 'sig', reportHash: 'a'.repeat(64), reportSize: 100,
    snapshot,
  });
  const snap = (ct?: string) => ({ iv: 'iv', size: 3, sha256: 'b'.repeat(64), ...(ct === undefined ? {} : { ct }) });

  /** Waits until BullMQ has settled the job (completed or failed), then answers its state and reason. */
  async function settled(id: string): Promise<{ state: string; reason: string | undefined }> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const state = await queue.getJobState(id);
      if (state === 'completed' || state === 'failed') return { state, reason: (await queue.getJob(id))?.failedReason };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} was not settled within 20 s`);
  }
  const stored = async (table: string, reportId: string) =>
    p.rows<{ sealed?: string }>(`SELECT ${table === 'antitheft.snapshots' ? 'sealed' : 'report_id'} FROM ${table} WHERE report_id = {id:String}`, { id: reportId });
  // The key is deleted on BullMQ's 'completed' event, a moment after the job's state changes.
  async function keyGone(key: string): Promise<boolean> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) { if (!(await redis.exists(key))) return true; await new Promise((r) => setTimeout(r, 20)); }
    return false;
  }

  before(async () => {
    p = await startTestPlatform({}, ['dashboard']); // the tables, but no worker of the platform's own
    redis = p.services.redis;
    connection = bullConnection(redis);
    queue = new Queue<ReportJob>(REPORT_QUEUE, { connection, prefix: bullPrefix(prefix),
      defaultJobOptions: { attempts: 3, backoff: { type: 'capped' }, removeOnComplete: false, removeOnFail: false } });
    writer = new ReportWriter(p.services.ch, redis, prefix, createLogger('silent'), { flushMs: 20 });
  });
  after(async () => {
    await writer.close();
    await queue.close();
    connection.disconnect();
    await p.close();
  });

  it('stores a job queued by an earlier version, whose snapshot ciphertext is inline', async () => {
    const j = job(snap('inline-ciphertext'));
    await queue.add('report', j, { jobId: j.reportId });
    assert.equal((await settled(j.reportId)).state, 'completed');
    assert.deepEqual((await stored('antitheft.snapshots', j.reportId)).map((r) => r.sealed), ['inline-ciphertext']);
    assert.equal((await stored('antitheft.reports', j.reportId)).length, 1);
  });

  it('stores a snapshot that waits in redis, then deletes it', async () => {
    const j = job(snap());
    const key = snapshotKey(prefix, j.reportId);
    await redis.set(key, 'stashed-ciphertext');
    await queue.add('report', j, { jobId: j.reportId });
    assert.equal((await settled(j.reportId)).state, 'completed');
    assert.deepEqual((await stored('antitheft.snapshots', j.reportId)).map((r) => r.sealed), ['stashed-ciphertext']);
    assert.ok(await keyGone(key), 'the snapshot key is deleted once its job is completed');
  });

  it('fails a job for good, storing nothing, when its snapshot is no longer in redis', async () => {
    const j = job(snap());
    await queue.add('report', j, { jobId: j.reportId });
    const s = await settled(j.reportId);
    assert.equal(s.state, 'failed');
    assert.match(s.reason ?? '', /no longer in redis/);
    assert.equal((await queue.getJob(j.reportId))?.attemptsMade, 1, 'not retried: it could never be stored whole');
    assert.equal((await stored('antitheft.reports', j.reportId)).length, 0);
    assert.equal((await stored('antitheft.snapshots', j.reportId)).length, 0);
  });

  it('drops a gone device\'s job without storing it, and forgets its snapshot', async () => {
    const j = job(snap());
    const key = snapshotKey(prefix, j.reportId);
    await redis.set(goneDeviceKey(prefix, j.deviceId), '1');
    await redis.set(key, 'ciphertext of a deleted device');
    await queue.add('report', j, { jobId: j.reportId });
    assert.equal((await settled(j.reportId)).state, 'completed');
    assert.equal((await stored('antitheft.reports', j.reportId)).length, 0);
    assert.equal((await stored('antitheft.snapshots', j.reportId)).length, 0);
    assert.ok(await keyGone(key));
  });

  it('fails an invalid job for good', async () => {
    const id = randomUUID();
    await queue.add('report', { v: 2 } as unknown as ReportJob, { jobId: id });
    const s = await settled(id);
    assert.equal(s.state, 'failed');
    assert.match(s.reason ?? '', /invalid report job/);
  });
});
