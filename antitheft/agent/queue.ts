import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type QueueMode = 'normal' | 'stolen';
export interface QueueItem { sequence: number; mode: QueueMode; body: string }
export interface QueueEntry { sequence: number; mode: QueueMode; bytes: number }
export interface QueueStats { count: number; bytes: number; oldestSequence: number | null; stolenCount: number }

const NAME = /^(\d{12})-(normal|stolen)\.json$/;
const TMP = '.tmp-';
const fileName = (seq: number, mode: QueueMode) => `${String(seq).padStart(12, '0')}-${mode}.json`;

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try { await d.sync(); } finally { await d.close(); }
}

/**
 * The agent's offline queue: one file per sealed report, named by sequence so they are delivered oldest first,
 * written durably (temp file, fsync, rename, fsync of the directory) before any attempt to send. Over its size cap
 * the oldest normal-mode reports go first; stolen-mode reports are never dropped. Files hold only what the
 * envelope holds: the header in the clear and ciphertext sealed to the owner (the agent itself cannot open them).
 * Operations run one at a time, so a cap pass never races a put or a remove.
 */
export class ReportQueue {
  private ready = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string, private readonly opts: { maxBytes: number; maxCount: number }) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => { await this.init(); return fn(); });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async init(): Promise<void> {
    if (this.ready) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    // A crash between write and rename leaves a temp file: never listed, deleted here.
    for (const f of await readdir(this.dir)) if (f.startsWith(TMP)) await rm(join(this.dir, f), { force: true });
    this.ready = true;
  }

  /** Stores a report durably; returns the sequences the cap dropped (normal-mode ones only). */
  put(item: QueueItem): Promise<number[]> {
    if (!Number.isSafeInteger(item.sequence) || item.sequence < 0 || item.sequence >= 1e12) return Promise.reject(new Error(`bad report sequence ${item.sequence}`));
    return this.serial(async () => {
      const tmp = join(this.dir, `${TMP}${process.pid}-${item.sequence}-${randomBytes(4).toString('hex')}`);
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.chmod(0o600); // whatever the umask
        await fh.writeFile(item.body, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, fileName(item.sequence, item.mode)));
      await syncDir(this.dir);
      return this.enforceCap();
    });
  }

  list(): Promise<QueueEntry[]> {
    return this.serial(() => this.entries());
  }

  read(sequence: number): Promise<QueueItem> {
    return this.serial(async () => {
      const entry = (await this.entries()).find((e) => e.sequence === sequence);
      if (!entry) throw new Error(`report ${sequence} is not in the queue`);
      return { sequence, mode: entry.mode, body: await readFile(join(this.dir, fileName(sequence, entry.mode)), 'utf8') };
    });
  }

  /** After the server accepted the report. */
  remove(sequence: number): Promise<void> {
    return this.serial(async () => {
      for (const mode of ['normal', 'stolen'] as const) await rm(join(this.dir, fileName(sequence, mode)), { force: true });
      await syncDir(this.dir);
    });
  }

  stats(): Promise<QueueStats> {
    return this.serial(async () => {
      const l = await this.entries();
      return { count: l.length, bytes: l.reduce((n, e) => n + e.bytes, 0), oldestSequence: l[0]?.sequence ?? null,
        stolenCount: l.filter((e) => e.mode === 'stolen').length };
    });
  }

  /** Every report goes (the owner deactivated the device); files that are not the queue's stay. */
  clear(): Promise<void> {
    return this.serial(async () => {
      for (const f of await readdir(this.dir)) if (NAME.test(f) || f.startsWith(TMP)) await rm(join(this.dir, f), { force: true });
      await syncDir(this.dir);
    });
  }

  private async entries(): Promise<QueueEntry[]> {
    const out: QueueEntry[] = [];
    for (const f of await readdir(this.dir)) {
      const m = NAME.exec(f);
      if (!m) continue;
      const s = await stat(join(this.dir, f)).catch(() => null);
      if (s?.isFile()) out.push({ sequence: Number(m[1]), mode: m[2] as QueueMode, bytes: s.size });
    }
    return out.sort((a, b) => a.sequence - b.sequence);
  }

  private async enforceCap(): Promise<number[]> {
    const entries = await this.entries();
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
    if (dropped.length) await syncDir(this.dir);
    return dropped;
  }
}
