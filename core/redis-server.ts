import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { freePort } from './free-port.ts';
import { join } from 'node:path';
import { RedisSetupError } from './redis.ts';

export interface PrivateRedis { url: string; port: number; process: ChildProcess; stop(): Promise<void> }

const INSTALL_HINT = 'install it with "sudo apt-get install redis-server" (Debian/Ubuntu), "brew install redis" (macOS), or set REDIS_URL';

/**
 * Starts a redis-server child that only this Vigil uses: loopback only, append-only file under DATA_DIR/redis,
 * fsync every second, never evicts. stop() ends it; one left behind by a killed Vigil is stopped at the next start,
 * since two servers appending to one file would corrupt it.
 */
export async function startPrivateRedis(dataDir: string, bin = 'redis-server', port?: number): Promise<PrivateRedis> {
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new RedisSetupError(`redis-server was not found (${bin}): ${INSTALL_HINT}`);
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  await stopLeftover(join(dir, 'redis.pid'));
  const p = port ?? (await freePort());
  const child = spawn(bin, [
    '--port', String(p), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir,
    '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
    '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--pidfile', join(dir, 'redis.pid'), '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true }); // own process group: Ctrl-C reaches us, and we stop it after draining
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 15_000;
    const onExit = (code: number | null) => reject(new RedisSetupError(`redis-server exited (${code}): ${stderr.trim()}`));
    child.once('exit', onExit);
    const tryConnect = () => {
      const sock = createConnectionSafe(p);
      sock.then((ok) => {
        if (ok) { child.off('exit', onExit); resolve(); }
        else if (Date.now() > deadline) reject(new RedisSetupError('redis-server did not start within 15 s'));
        else setTimeout(tryConnect, 50);
      });
    };
    tryConnect();
  });
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM'); // redis-server flushes the append-only file on SIGTERM
    }),
  };
}

async function createConnectionSafe(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.end(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Stops a redis-server that a killed earlier run left on this data directory. */
async function stopLeftover(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server');
    } catch { return false; }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
}
