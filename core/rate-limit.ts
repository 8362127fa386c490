/**
 * Requests per client key (an address, a device) per minute, counted in this process before any parsing, so a flood
 * costs little. A sliding window: the previous minute's count, weighted by how much of it still lies within the last
 * 60 s, plus this minute's. A fixed window would let a client send twice the limit across a minute's end (the limit
 * at 0:59 and again at 1:00). With several collectors behind a balancer each one counts its own share.
 * Keys are held in memory only for the current and the previous minute and never written anywhere.
 */
export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();
  private previous = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait when over the limit, or 0 when the request may go on. Refused requests count too. */
  hit(key: string, now = Date.now()): number {
    const window = Math.floor(now / 60_000);
    if (window !== this.window) {
      this.previous = window === this.window + 1 ? this.counts : new Map();
      this.counts = new Map();
      this.window = window;
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    const left = 1 - (now - window * 60_000) / 60_000; // share of the previous minute still within the last 60 s
    if (n + (this.previous.get(key) ?? 0) * left <= this.perMinute) return 0;
    return Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
  }
}
