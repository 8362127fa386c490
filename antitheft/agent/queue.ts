import { closeSync, fsyncSync, mkdirSync, openSync, chmodSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface QueueItem { sequence: number; mode: 'normal' | 'stolen'; body: string }
export interface QueueEntry { sequence: number; mode: 'normal' | 'stolen'; bytes: number }

const NAME = /^(\d{12})-(normal|stolen)\.json$/;
const fileName = (seq: number, mode: string) => `${String(seq).padStart(12, '0')}-${mode}.json`;

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/**
 * The agent's offline queue: one file per sealed report, named by sequence so they are delivered oldest first,
 * written durably (temp file, fsync, rename, fsync of the directory) before any attempt to send. Over its size cap
 * the oldest normal-mode reports go first; stolen-mode reports are never dropped. Files hold only what the
 * envelope holds: the header in the clear and ciphertext sealed to the owner (the agent itself cannot open them).
 */
export class ReportQueue {
  private ready = false;

  constructor(private readonly dir: string, private readonly opts: { maxBytes: number; maxCount: number }) {}

  private async init(): Promise<void> {
    if (this.ready) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const f of await readdir(this.dir)) if (f.startsWith('.tmp-')) await rm(join(this.dir, f), { force: true }); // a crash mid-write
    this.ready = true;
  }

  async put(item: QueueItem): Promise<number[]> {
    await this.init();
    const tmp = join(this.dir, `.tmp-${process.pid}-${item.sequence}`);
    const fd = openSync(tmp, 'w', 0o600);
    try { writeSync(fd, item.body); fsyncSync(fd); } finally { closeSync(fd); }
    await rename(tmp, join(this.dir, fileName(item.sequence, item.mode)));
    syncDir(this.dir);
    return this.enforceCap();
  }

  async list(): Promise<QueueEntry[]> {
    await this.init();
    const out: QueueEntry[] = [];
    for (const f of await readdir(this.dir)) {
      const m = NAME.exec(f);
      if (!m) continue;
      const s = await stat(join(this.dir, f)).catch(() => null);
      if (s) out.push({ sequence: Number(m[1]), mode: m[2] as QueueEntry['mode'], bytes: s.size });
    }
    return out.sort((a, b) => a.sequence - b.sequence);
  }

  async read(sequence: number): Promise<QueueItem> {
    const entry = (await this.list()).find((e) => e.sequence === sequence);
    if (!entry) throw new Error(`report ${sequence} is not in the queue`);
    return { sequence, mode: entry.mode, body: await readFile(join(this.dir, fileName(sequence, entry.mode)), 'utf8') };
  }

  async remove(sequence: number): Promise<void> {
    for (const mode of ['normal', 'stolen']) await rm(join(this.dir, fileName(sequence, mode)), { force: true });
    syncDir(this.dir);
  }

  async stats(): Promise<{ count: number; bytes: number; oldestSequence: number | null; stolenCount: number }> {
    const l = await this.list();
    return { count: l.length, bytes: l.reduce((n, e) => n + e.bytes, 0), oldestSequence: l[0]?.sequence ?? null, stolenCount: l.filter((e) => e.mode === 'stolen').length };
  }

  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    this.ready = false;
  }

  private async enforceCap(): Promise<number[]> {
    const entries = await this.list();
    let bytes = entries.reduce((n, e) => n + e.bytes, 0);
    let count = entries.length;
    const dropped: number[] = [];
    for (const e of entries) {
      if (bytes <= this.opts.maxBytes && count <= this.opts.maxCount) break;
      if (e.mode === 'stolen') continue;
      await rm(join(this.dir, fileName(e.sequence, e.mode)), { force: true });
      bytes -= e.bytes;
      count -= 1;
      dropped.push(e.sequence);
    }
    if (dropped.length) syncDir(this.dir);
    return dropped;
  }
}
