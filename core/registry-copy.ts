import { RegistryMaps, type RegistrySnapshot } from './registry.ts';

/**
 * The registry in a process that cannot read the store (a collector process): the store process sends it each
 * snapshot (bin/collectors.ts). A lookup that misses asks for a fresh one, at most once a second, and waits for it a
 * little, so a site added a moment ago receives events at once, as it does in the store process.
 */
export class RegistryCopy extends RegistryMaps {
  private lastAsk = 0;
  private asking: Promise<boolean> | null = null;
  private waiting: (() => void)[] = [];

  constructor(private readonly ask: () => void, private readonly missReloadMs = 1000, private readonly waitMs = 1000) { super(); }

  update(snapshot: RegistrySnapshot): void {
    this.sitesByDomain = new Map(snapshot.sites.map((s) => [s.domain, s]));
    this.productsById = new Map(snapshot.products.map((p) => [p.productId, p]));
    this.keysByHash = new Map(snapshot.keys.map((k) => [k.hash, k.key]));
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w();
  }

  /** True once a fresh snapshot came after asking; false when it asked less than a second ago, or none came in time. */
  protected async afterMiss(): Promise<boolean> {
    // Misses while a snapshot is on its way wait for that one.
    if (this.asking) return this.asking;
    if (Date.now() - this.lastAsk < this.missReloadMs) return false;
    this.lastAsk = Date.now();
    this.asking = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.waitMs);
      this.waiting.push(() => { clearTimeout(timer); resolve(true); });
      this.ask();
    }).finally(() => { this.asking = null; });
    return this.asking;
  }
}
