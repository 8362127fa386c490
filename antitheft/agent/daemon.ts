import { ed25519Signer } from '../../core/antitheft/node-crypto.ts';
import type { CheckinAnswer } from '../../core/antitheft/schemas.ts';
import { captureInterfaces, interfacesFingerprint } from './capture/interfaces.ts';
import { captureReport } from './capture-report.ts';
import { AgentClient, ServerError } from './client.ts';
import type { AgentConfig } from './config.ts';
import { ReportQueue } from './queue.ts';
import { Reporter, type Trigger } from './reporter.ts';
import type { AgentState } from './state.ts';

export type Log = (message: string, fields?: Record<string, unknown>) => void;
export type RunResult = 'stopped' | 'forgotten';

/** Exponential backoff with jitter: 5 s, 10 s, 20 s ... up to 10 minutes, each between half and one and a half of that. */
export function backoffMs(failures: number, random = Math.random): number {
  const base = Math.min(5000 * 2 ** Math.max(0, failures - 1), 600_000);
  return Math.round(base * (0.5 + random()));
}

const NETWORK_POLL_MS = 30_000;

/**
 * `vigil-agent run`: reports at start-up, on the server's schedule (hourly; every five minutes while stolen) and
 * when the network interfaces change; checks in between reports so an owner's change arrives quickly. Each report
 * is sealed, signed and written to the on-disk queue before it is sent, and leaves the queue only once the server
 * has accepted it (oldest first), so nothing is lost to an outage, a restart or a reboot.
 */
export class AgentDaemon {
  private stopped = false;
  private wake: (() => void) | null = null;
  private failures = 0;
  private retryAt = 0;
  private urgent: Trigger | null = null;
  private result: RunResult = 'stopped';
  private readonly queue: ReportQueue;
  private readonly client: AgentClient;
  private readonly reporter: Reporter;
  private readonly serverHost: string;

  constructor(private readonly state: AgentState, private readonly cfg: AgentConfig, private readonly log: Log) {
    const enrollment = state.enrollment();
    const sign = ed25519Signer(state.privateKeyPem());
    this.queue = new ReportQueue(state.queueDir, { maxBytes: cfg.queueMaxBytes, maxCount: cfg.queueMaxCount });
    this.client = new AgentClient({ server: enrollment.server, deviceId: enrollment.deviceId, sign }, enrollment.serverKey);
    this.reporter = new Reporter(state, enrollment, sign);
    this.serverHost = new URL(enrollment.server).hostname;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(): Promise<RunResult> {
    let network = interfacesFingerprint(captureInterfaces());
    await this.capture('startup');
    await this.deliver();
    while (!this.stopped) {
      const run = this.state.run();
      const now = Date.now();
      const nextReport = (run.lastReportAt ?? 0) + run.reportIntervalS * 1000;
      const nextCheckIn = (run.lastCheckInAt ?? 0) + run.checkInIntervalS * 1000;
      const pending = (await this.queue.stats()).count > 0;
      const wakeAt = Math.min(nextReport, nextCheckIn, pending ? this.retryAt : Infinity, now + NETWORK_POLL_MS);
      if (!this.urgent) await this.sleep(wakeAt - now);
      if (this.stopped) break;
      const current = interfacesFingerprint(captureInterfaces());
      const trigger: Trigger | null = this.urgent ?? (current !== network ? 'network-change' : Date.now() >= nextReport ? 'schedule' : null);
      this.urgent = null;
      network = current;
      if (trigger) {
        await this.capture(trigger);
        await this.deliver();
      } else if (pending && Date.now() >= this.retryAt) {
        await this.deliver();
      } else if (Date.now() >= nextCheckIn) {
        await this.checkIn();
      }
    }
    return this.result;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, Math.max(0, ms));
      this.wake = () => { clearTimeout(t); this.wake = null; resolve(); };
    });
  }

  private async capture(trigger: Trigger): Promise<void> {
    const mode = this.state.run().mode;
    const c = await captureReport(mode, this.cfg, this.serverHost);
    const env = await this.reporter.seal(mode, trigger, c.content, c.snapshot);
    const dropped = await this.queue.put({ sequence: env.header.sequence, mode, body: JSON.stringify(env) });
    this.log('report captured and queued', { sequence: env.header.sequence, mode, trigger, snapshot: c.snapshot?.status ?? null,
      ...(dropped.length ? { droppedOldNormalReports: dropped } : {}) });
  }

  /** Sends queued reports oldest first until the queue is empty or the server cannot take more now. */
  private async deliver(): Promise<void> {
    for (const item of await this.queue.list()) {
      if (this.stopped) return;
      const { body } = await this.queue.read(item.sequence);
      try {
        const { json } = await this.client.request('/api/antitheft/agent/reports', body);
        const answer = await this.client.verifyAnswer(json);
        await this.queue.remove(item.sequence);
        this.log('report delivered', { sequence: item.sequence });
        this.delivered(answer);
        if (this.stopped) return;
      } catch (err) {
        if (!(err instanceof ServerError)) throw err;
        if (err.code === 'duplicate_report') { await this.queue.remove(item.sequence); continue; } // accepted earlier; its answer was lost
        if (!err.transient && err.status !== 401) {
          // The server will never take this one (malformed, or an older sequence): keeping it would block the rest.
          this.log('report refused by the server; dropped', { sequence: item.sequence, status: err.status, code: err.code, error: err.message });
          await this.queue.remove(item.sequence);
          continue;
        }
        this.failed(err);
        return;
      }
    }
  }

  private async checkIn(): Promise<void> {
    try {
      const stats = await this.queue.stats();
      this.delivered(await this.client.call('/api/antitheft/agent/check-in', { v: 1, queued: stats.count }), false);
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      this.state.saveRun({ ...this.state.run(), lastCheckInAt: Date.now() }); // try again at the next check-in time
      this.failed(err);
    }
  }

  private failed(err: ServerError): void {
    this.failures += 1;
    const wait = Math.max(backoffMs(this.failures), (err.retryAfterS ?? 0) * 1000);
    this.retryAt = Date.now() + wait;
    this.state.saveRun({ ...this.state.run(), lastError: `${err.code}: ${err.message}` });
    this.log('server unavailable; will retry', { status: err.status, code: err.code, error: err.message, retryInS: Math.round(wait / 1000) });
  }

  private delivered(a: CheckinAnswer, report = true): void {
    this.failures = 0;
    this.retryAt = 0;
    if (a.action === 'forget') {
      this.log('the owner deactivated this device: forgetting its keys and queued reports');
      this.state.forget();
      this.result = 'forgotten';
      this.stop();
      return;
    }
    const before = this.state.run();
    const now = Date.now();
    this.state.saveRun({ ...before, mode: a.mode, reportIntervalS: a.reportIntervalS, checkInIntervalS: a.checkInIntervalS, lastCheckInAt: now,
      ...(report ? { lastDeliveredAt: now } : {}), lastError: null, nextReportAt: (before.lastReportAt ?? now) + a.reportIntervalS * 1000 });
    if (a.mode !== before.mode) {
      this.log('mode changed by the owner', { mode: a.mode, reportIntervalS: a.reportIntervalS });
      if (a.mode === 'stolen') this.urgent = 'mode-change';
    }
  }
}
