import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Mode, PublicOwnerKey, PublicServerKey } from '../../core/antitheft/schemas.ts';

/**
 * The agent's files in its state directory (0700), each 0600 and written atomically (temp file, fsync, rename,
 * fsync of the directory): the device's private key, what enrollment pinned (server, device id, the owner's and the
 * server's public keys) and the running state (sequence, previous report hash, mode, intervals).
 * Nothing here says where the computer is: positions exist only in memory until they are sealed.
 */
export const Enrollment = z.object({
  v: z.literal(1),
  server: z.string().url(),
  deviceId: z.string(),
  deviceFingerprint: z.string(),
  ownerKey: PublicOwnerKey,
  serverKey: PublicServerKey,
  enrolledAt: z.number().int(),
});
export type Enrollment = z.infer<typeof Enrollment>;

export const RunState = z.object({
  v: z.literal(1),
  sequence: z.number().int().min(0),
  prevHash: z.string(),
  mode: Mode,
  reportIntervalS: z.number().int().positive(),
  checkInIntervalS: z.number().int().positive(),
  lastReportAt: z.number().int().nullable(),
  lastCheckInAt: z.number().int().nullable(),
  lastDeliveredAt: z.number().int().nullable(),
  nextReportAt: z.number().int().nullable(),
  lastError: z.string().nullable(),
});
export type RunState = z.infer<typeof RunState>;

export function writeFileDurably(dir: string, name: string, data: string): void {
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const dfd = openSync(dir, 'r');
  try { fsyncSync(dfd); } finally { closeSync(dfd); }
}

export class AgentState {
  readonly queueDir: string;

  constructor(readonly dir: string) {
    this.queueDir = join(dir, 'queue');
  }

  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
  }

  get enrolled(): boolean { return existsSync(join(this.dir, 'enrollment.json')) && existsSync(join(this.dir, 'device-key.pem')); }

  privateKeyPem(): string { return readFileSync(join(this.dir, 'device-key.pem'), 'utf8'); }
  enrollment(): Enrollment { return Enrollment.parse(JSON.parse(readFileSync(join(this.dir, 'enrollment.json'), 'utf8'))); }

  run(): RunState {
    try {
      return RunState.parse(JSON.parse(readFileSync(join(this.dir, 'state.json'), 'utf8')));
    } catch {
      return { v: 1, sequence: 0, prevHash: '', mode: 'normal', reportIntervalS: 3600, checkInIntervalS: 300, lastReportAt: null, lastCheckInAt: null,
        lastDeliveredAt: null, nextReportAt: null, lastError: null };
    }
  }

  saveKey(pem: string): void { this.ensureDir(); writeFileDurably(this.dir, 'device-key.pem', pem); }
  saveEnrollment(e: Enrollment): void { writeFileDurably(this.dir, 'enrollment.json', JSON.stringify(e, null, 2)); }
  saveRun(s: RunState): void { writeFileDurably(this.dir, 'state.json', JSON.stringify(s)); }

  /** The owner deactivated this device: keys, state and queue go. */
  forget(): void {
    for (const f of ['device-key.pem', 'enrollment.json', 'state.json']) rmSync(join(this.dir, f), { force: true });
    rmSync(this.queueDir, { recursive: true, force: true });
  }
}
