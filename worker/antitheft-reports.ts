import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { insertRows, type ClickHouseClient } from '../core/clickhouse.ts';
import { goneDeviceKey, REPORT_QUEUE, ReportJob, snapshotKey } from '../core/antitheft/jobs.ts';
import { bullConnection, bullPrefix } from '../core/bull.ts';
import { toChTime } from '../core/event.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis.ts';

export interface ReportWriterOptions { concurrency: number; maxRows: number; maxBytes: number; flushMs: number }
const DEFAULTS: ReportWriterOptions = { concurrency: 256, maxRows: 1000, maxBytes: 16 * 1024 * 1024, flushMs: 100 };

interface Pending { job: ReportJob; resolve: () => void; reject: (err: Error) => void; ct?: string }

/**
 * Stores anti-theft reports from BullMQ into ClickHouse in batches. Each job's promise settles only after the insert
 * that holds its row, so a job is completed only once stored; one that fails is retried with backoff, one whose data
 * can never be stored is failed at once (UnrecoverableError). A crash leaves active jobs to BullMQ's stalled-job
 * check, which hands them out again: a report may be inserted twice, and the tables keep one row per report id.
 * close() lets the jobs in flight finish (their batch is flushed at once) before it returns.
 */
export class ReportWriter {
  private readonly worker: Worker<ReportJob>;
  private readonly connection: Redis;
  private pending: Pending[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private closing = false;
  stored = 0;

  constructor(private readonly ch: ClickHouseClient, private readonly redis: Redis, private readonly prefix: string, private readonly log: Logger, opts: Partial<ReportWriterOptions> = {}) {
    const o = { ...DEFAULTS, ...opts };
    this.opts = o;
    this.connection = bullConnection(redis);
    this.worker = new Worker<ReportJob>(REPORT_QUEUE, (job) => this.process(job), {
      connection: this.connection, prefix: bullPrefix(prefix), concurrency: o.concurrency, autorun: true,
      // The 'capped' backoff the API asks for: exponential from 0.5 s, never more than a minute between tries.
      settings: { backoffStrategy: (attemptsMade: number) => Math.min(500 * 2 ** Math.max(0, attemptsMade - 1), 60_000) },
    });
    // A snapshot's ciphertext waits outside its job until the job is done with: stored, or dropped for a gone device,
    // or failed for good (data that can never be stored). A retried job still finds it.
    this.worker.on('completed', (job) => this.forgetSnapshot(job.data));
    this.worker.on('failed', (job, err) => {
      this.log.warn({ jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'anti-theft report job failed');
      if (job && err instanceof UnrecoverableError) this.forgetSnapshot(job.data);
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'anti-theft report worker: redis error'));
  }

  private readonly opts: ReportWriterOptions;

  private forgetSnapshot(job: ReportJob | undefined): void {
    if (job?.snapshot && job.snapshot.ct === undefined) {
      this.redis.del(snapshotKey(this.prefix, job.reportId)).catch((err) => this.log.warn({ err: (err as Error).message }, 'anti-theft: could not delete a stored snapshot from redis'));
    }
  }

  private process(job: Job<ReportJob>): Promise<void> {
    const parsed = ReportJob.safeParse(job.data);
    if (!parsed.success) return Promise.reject(new UnrecoverableError(`invalid report job: ${parsed.error.issues[0]?.message}`));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job: parsed.data, resolve, reject });
      this.bytes += parsed.data.payload.length + (parsed.data.snapshot?.size ?? 0) * 4 / 3;
      if (this.closing || this.pending.length >= this.opts.maxRows || this.bytes >= this.opts.maxBytes) this.flushSoon(0);
      else this.flushSoon(this.opts.flushMs);
    });
  }

  private flushSoon(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, ms);
  }

  private async flush(): Promise<void> {
    const taken = this.pending;
    this.pending = [];
    this.bytes = 0;
    if (taken.length === 0) return;
    try {
      const devices = [...new Set(taken.map((p) => p.job.deviceId))];
      const gone = await this.redis.mget(...devices.map((d) => goneDeviceKey(this.prefix, d)));
      const goneSet = new Set(devices.filter((_, i) => gone[i]));
      for (const p of taken) if (goneSet.has(p.job.deviceId)) p.resolve(); // deactivated: dropped, as its owner asked
      const batch = await this.withSnapshots(taken.filter((p) => !goneSet.has(p.job.deviceId)));
      // Snapshots first: a report row that is visible always has its snapshot.
      await insertRows(this.ch, 'antitheft.snapshots', batch.flatMap(({ job: j, ct }) => j.snapshot ? [{ owner_id: j.ownerId, device_id: j.deviceId,
        report_id: j.reportId, received_at: toChTime(j.receivedAt), iv: j.snapshot.iv, sealed: ct!, size: j.snapshot.size, sha256: j.snapshot.sha256 }] : []));
      await insertRows(this.ch, 'antitheft.reports', batch.map(({ job: j }) => ({ owner_id: j.ownerId, device_id: j.deviceId, report_id: j.reportId,
        sequence: j.sequence, received_at: toChTime(j.receivedAt), captured_at: toChTime(j.capturedAt), mode: j.mode, header: j.header,
        payload: j.payload, network: j.network, signature: j.signature, report_hash: j.reportHash, receipt: j.receipt, report_size: j.reportSize,
        snapshot_size: j.snapshot?.size ?? 0, snapshot_hash: j.snapshot?.sha256 ?? '' })));
      this.stored += batch.length;
      for (const p of batch) p.resolve();
    } catch (err) {
      this.log.warn({ err: (err as Error).message, rows: taken.length }, 'anti-theft reports: ClickHouse insert failed; the jobs will be retried');
      for (const p of taken) p.reject(err as Error);
    }
  }

  /** Fetches the batch's snapshot ciphertexts from redis; a job whose snapshot is gone can never be stored whole. */
  private async withSnapshots(batch: Pending[]): Promise<Pending[]> {
    for (const p of batch) p.ct = p.job.snapshot?.ct; // inline: a job queued by an earlier version
    const stashed = batch.filter((p) => p.job.snapshot && p.ct === undefined);
    if (stashed.length === 0) return batch;
    const fetched = await this.redis.mget(...stashed.map((p) => snapshotKey(this.prefix, p.job.reportId)));
    const missing = new Set<Pending>();
    stashed.forEach((p, i) => {
      p.ct = fetched[i] ?? undefined;
      if (p.ct === undefined) missing.add(p);
    });
    for (const p of missing) p.reject(new UnrecoverableError(`the snapshot of report ${p.job.reportId} is no longer in redis`));
    return missing.size ? batch.filter((p) => !missing.has(p)) : batch;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.flushSoon(0);
    await this.worker.close();
    await this.flush();
    this.connection.disconnect();
  }
}
