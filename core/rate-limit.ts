/**
 * Requests per client address per minute, counted in this process before any parsing, so a flood costs little.
 * A fixed one-minute window; with several collectors behind a balancer each one counts its own share.
 * Addresses are held in memory only for the current window and never written anywhere.
 */
export class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait when over the limit, or 0 when the request may go on. */
  hit(key: string, now = Date.now()): number {
    const window = Math.floor(now / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.perMinute ? Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000)) : 0;
  }
}
