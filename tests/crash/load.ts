import { Agent, request } from 'node:http';

/**
 * A bounded load generator for POST /api/event: `total` events, numbered 0..total-1, each sent at most once (never
 * retried, so a stored duplicate can only come from the platform) with the marker prop `seq`, by `concurrency`
 * senders over keep-alive connections, paced to `ratePerSec`. An event counts as acknowledged only when the answer
 * was 202; anything else (connection refused or reset, timeout, 503 ...) leaves it unacknowledged, and the reason is
 * counted. Stops at `total` events or after `maxMs`, whichever comes first.
 */
export interface LoadOptions {
  /** Base URL of the collector, e.g. http://127.0.0.1:8123. */
  url: string;
  domain: string;
  total: number;
  concurrency: number;
  /** Events per second across all senders (0: as fast as the server answers). */
  ratePerSec: number;
  /** Hard bound on the whole run. */
  maxMs: number;
  /** Bound on one request. */
  requestTimeoutMs?: number;
  /** Pause of a sender after a failed request, so a dead server does not burn through the remaining events. */
  errorPauseMs?: number;
}

export interface LoadResult {
  /** Events whose request was started. */
  sent: number;
  acked: Set<string>;
  unacked: Set<string>;
  /** Why events went unacknowledged: HTTP status or error code, with counts. */
  reasons: Record<string, number>;
  ms: number;
}

export const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Load {
  readonly acked = new Set<string>();
  readonly unacked = new Set<string>();
  readonly reasons: Record<string, number> = {};
  readonly done: Promise<LoadResult>;
  private next = 0;
  private finished = false;
  private readonly t0 = Date.now();
  private readonly agent: Agent;
  private readonly target: URL;

  constructor(private readonly o: LoadOptions) {
    this.target = new URL('/api/event', o.url);
    this.agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
    this.done = this.run();
  }

  /** Events whose request was started so far. */
  get sent(): number { return this.next; }
  /** Fraction of `total` started so far (0..1). */
  get progress(): number { return this.next / this.o.total; }
  get running(): boolean { return !this.finished; }

  /** Resolves once `fraction` of the events were started (or the load ended). Bounded by the load's own maxMs. */
  async reached(fraction: number): Promise<void> {
    while (!this.finished && this.progress < fraction) await sleep(20);
  }

  private async run(): Promise<LoadResult> {
    const senders = Array.from({ length: this.o.concurrency }, () => this.sender());
    await Promise.all(senders);
    this.finished = true;
    this.agent.destroy();
    return { sent: this.next, acked: this.acked, unacked: this.unacked, reasons: this.reasons, ms: Date.now() - this.t0 };
  }

  private async sender(): Promise<void> {
    const deadline = this.t0 + this.o.maxMs;
    while (this.next < this.o.total && Date.now() < deadline) {
      const seq = this.next++;
      if (this.o.ratePerSec > 0) {
        const due = this.t0 + (seq * 1000) / this.o.ratePerSec;
        if (due > Date.now()) await sleep(Math.min(due - Date.now(), Math.max(0, deadline - Date.now())));
      }
      const key = String(seq);
      const outcome = await this.post(key);
      if (outcome === '202') {
        this.acked.add(key);
      } else {
        this.unacked.add(key);
        this.reasons[outcome] = (this.reasons[outcome] ?? 0) + 1;
        await sleep(this.o.errorPauseMs ?? 100);
      }
    }
  }

  /** One event; resolves with the status code as text, or the error code. Never rejects. */
  private post(seq: string): Promise<string> {
    const body = JSON.stringify({ n: 'pageview', u: `https://${this.o.domain}/crash/${Number(seq) % 50}`, d: this.o.domain,
      w: 1280, p: { seq } });
    return new Promise((resolve) => {
      let settled = false;
      // The status line is the answer: once it arrived, a connection lost before the body's end does not change it.
      let status: string | undefined;
      const settle = (v: string) => { if (!settled) { settled = true; resolve(status ?? v); } };
      const req = request({
        host: this.target.hostname, port: this.target.port, path: this.target.pathname, method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': CHROME_UA },
      }, (res) => {
        status = String(res.statusCode);
        res.resume();
        res.once('end', () => settle(status!));
        res.once('error', () => settle('response_error'));
        res.once('aborted', () => settle('aborted'));
      });
      req.setTimeout(this.o.requestTimeoutMs ?? 10_000, () => { req.destroy(); settle('timeout'); });
      req.once('error', (err: NodeJS.ErrnoException) => settle(err.code ?? 'error'));
      req.once('close', () => settle('closed'));
      req.end(body);
    });
  }
}

export function startLoad(o: LoadOptions): Load {
  return new Load(o);
}

export function formatReasons(reasons: Record<string, number>): string {
  const parts = Object.entries(reasons).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`);
  return parts.length ? parts.join(', ') : 'none';
}
