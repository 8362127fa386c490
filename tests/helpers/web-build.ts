import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_DIST } from '../../dashboard/routes/web-app.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const WEB = join(ROOT, 'dashboard', 'web');
/** Where the app's code lives: its own sources and the anti-theft contract it bundles from core/. */
const SOURCES = [join(WEB, 'src'), join(ROOT, 'core', 'antitheft')];
const LOCK = join(WEB, '.build-lock');

const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((m, e) =>
  Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);

function fresh(): boolean {
  let built = 0;
  try { built = statSync(join(WEB_DIST, 'index.html')).mtimeMs; } catch { /* not built */ }
  return built > Math.max(...SOURCES.map(newest), statSync(join(WEB, 'index.html')).mtimeMs, statSync(join(WEB, 'vite.config.ts')).mtimeMs);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Builds the app when dist/ is missing or older than its sources, so a browser test always sees the current code.
 * Browser test files run two at a time: one builds under a lock directory while the other waits for it.
 */
export function ensureBuilt(): void {
  if (fresh()) return;
  for (;;) {
    try { mkdirSync(LOCK); break; } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than any build is left over from a killed run.
      if (Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 180_000) rmSync(LOCK, { recursive: true, force: true });
      else sleep(200);
    }
  }
  try {
    if (fresh()) return;
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.ts'), '--logLevel', 'warn'],
      { cwd: ROOT, stdio: 'inherit' });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
