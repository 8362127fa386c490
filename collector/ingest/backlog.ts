import { keys } from '../../core/ingest-stream.ts';
import type { Redis } from '../../core/redis.ts';

/**
 * Watches how many entries wait in the ingest stream. Past the bound the collector answers 503 with Retry-After,
 * so a long ClickHouse outage fills neither Redis memory nor loses anything: clients retry later.
 */
export class BacklogMonitor {
  private length = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly redis: Redis, private readonly prefix: string, readonly max: number) {}

  start(intervalMs = 250): void {
    const tick = () => this.refresh().catch(() => undefined);
    void tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  async refresh(): Promise<number> {
    this.length = await this.redis.xlen(keys(this.prefix).stream);
    return this.length;
  }

  get full(): boolean { return this.length >= this.max; }
  get size(): number { return this.length; }
}
