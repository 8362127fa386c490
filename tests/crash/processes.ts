import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export { freePort } from '../../core/free-port.ts';

/**
 * Real processes for the crash tests: the platform (`node bin/vigil.js start <roles>`) and redis-server, each a child
 * of the test process that can be killed with SIGKILL or stopped with SIGTERM. Output goes to log files (never to
 * pipes that could fill up). Every wait is bounded; cleanupAll() kills whatever is still running.
 *
 * Run as a script (`node --import tsx tests/crash/processes.ts seq-counts <DATA_DIR>`) it opens that embedded store
 * and prints the per-seq row counts of `events` as JSON: a fresh process, since chDB holds one store per process.
 */
export const ROOT = resolve(import.meta.dirname, '../..');

const children = new Set<ChildProcess>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The parent's environment without any Vigil setting, so only what a test passes reaches the platform. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['PORT', 'HOST', 'DATA_DIR', 'CLICKHOUSE_URL', 'REDIS_URL', 'FLUSH_INTERVAL_MS', 'FLUSH_MAX_ROWS', 'WORKER_LEASE_MS',
    'RATE_LIMIT_PER_MINUTE', 'MAX_BACKLOG', 'TRUST_PROXY', 'LOG_LEVEL', 'VIGIL_ALLOW_VOLATILE_REDIS', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT']) delete env[k];
  return { ...env, ...extra };
}

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

/** One child process whose output is appended to `logFile`. */
export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;

  constructor(readonly name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, readonly logFile: string) {
    const fd = openSync(logFile, 'a');
    this.child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    children.add(this.child);
    this.exited = new Promise((res) => {
      this.child.once('exit', (code, signal) => { children.delete(this.child); res({ code, signal }); });
      // A binary that cannot be started (ENOENT ...) emits only 'error'.
      this.child.once('error', (err) => { this.error = err; children.delete(this.child); res({ code: null, signal: null }); });
    });
  }

  error: Error | null = null;
  get pid(): number { return this.child.pid ?? -1; }
  get alive(): boolean { return !this.error && this.child.exitCode === null && this.child.signalCode === null; }

  /** SIGKILL, then waits (at most 10 s) until the process is gone. */
  async kill9(): Promise<Exit> {
    if (this.alive) this.child.kill('SIGKILL');
    return within(this.exited, 10_000, `${this.name} did not die after SIGKILL`);
  }

  /** SIGTERM; resolves with the exit and how long it took, or rejects after `timeoutMs` (the process is then killed). */
  async term(timeoutMs: number): Promise<Exit & { ms: number }> {
    const t0 = Date.now();
    if (this.alive) this.child.kill('SIGTERM');
    try {
      const exit = await within(this.exited, timeoutMs, `${this.name} did not exit within ${timeoutMs} ms of SIGTERM`);
      return { ...exit, ms: Date.now() - t0 };
    } catch (err) {
      await this.kill9();
      throw err;
    }
  }

  log(): string {
    try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }

  /** The last lines of the log, for failure messages. */
  tail(lines = 15): string {
    return (this.error ? `${this.error.message}\n` : '') + this.log().trimEnd().split('\n').slice(-lines).join('\n');
  }
}

async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(message)), ms); });
  try { return await Promise.race([p, timeout]); } finally { clearTimeout(timer); }
}

/** A Vigil platform process: `node bin/vigil.js start <roles>` with the given environment (PORT and DATA_DIR at least). */
export class VigilProc extends Proc {
  readonly url: string;

  constructor(name: string, readonly roles: string[], readonly env: Record<string, string>, logFile: string) {
    super(name, process.execPath, [join(ROOT, 'bin/vigil.js'), 'start', ...roles], cleanEnv(env), logFile);
    this.url = `http://127.0.0.1:${env.PORT}`;
  }

  /** Waits until GET /healthz answers 200; fails at once if the process exits, or after `timeoutMs`. */
  async ready(timeoutMs = 60_000): Promise<number> {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (!this.alive) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return Date.now() - t0;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** The port of the private redis-server this process started (from its log), or null. */
  privateRedisPort(): number | null {
    let port: number | null = null;
    for (const line of this.log().split('\n')) {
      if (!line.includes('private redis-server')) continue;
      try { port = Number((JSON.parse(line) as { port: number }).port); } catch { /* not JSON */ }
    }
    return port;
  }
}

export function startVigil(name: string, roles: string[], env: Record<string, string>, logFile: string): VigilProc {
  return new VigilProc(name, roles, env, logFile);
}

/** A redis-server of the test's own on a fixed port: append-only (fsync every second), so it can be killed and restarted. */
export class RedisProc {
  proc: Proc | null = null;
  readonly url: string;
  starts = 0;

  constructor(readonly port: number, readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    this.starts += 1;
    const proc = new Proc(`redis-server:${this.port}`, 'redis-server', ['--port', String(this.port), '--bind', '127.0.0.1',
      '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no', '--loglevel', 'warning'], cleanEnv({}), join(this.dir, 'redis.log'));
    this.proc = proc;
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (!proc.alive) throw new Error(`redis-server exited at start:\n${proc.tail()}`);
      if (await this.ping()) return;
      await sleep(30);
    }
    throw new Error(`redis-server on ${this.port} did not answer within ${timeoutMs} ms`);
  }

  /** True once the server answers PING with PONG and has loaded its data (no LOADING error). */
  private async ping(): Promise<boolean> {
    const { createConnection } = await import('node:net');
    return new Promise((res) => {
      const s = createConnection({ port: this.port, host: '127.0.0.1' });
      let got = '';
      const done = (ok: boolean) => { s.destroy(); res(ok); };
      s.setTimeout(1000, () => done(false));
      s.once('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => { got += String(d); if (got.includes('\r\n')) done(got.startsWith('+PONG')); });
      s.once('error', () => done(false));
    });
  }

  async kill9(): Promise<void> { await this.proc?.kill9(); }
  async stop(): Promise<void> { if (this.proc?.alive) await this.proc.term(15_000); }
}

/** Runs the CLI (`node bin/vigil.js ...args`) to completion; rejects on a non-zero exit or after `timeoutMs`. */
export async function vigilCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<string> {
  return runNode([join(ROOT, 'bin/vigil.js'), ...args], env, timeoutMs, `vigil ${args.join(' ')}`);
}

/** Per-seq row counts of the `events` table in DATA_DIR's embedded store (nothing may hold the store meanwhile). */
export interface StoreCounts { total: number; noSeq: number; seqs: Map<string, number> }

export async function readSeqCounts(dataDir: string, timeoutMs = 60_000): Promise<StoreCounts> {
  const out = await runNode(['--import', 'tsx', join(ROOT, 'tests/crash/processes.ts'), 'seq-counts', dataDir], {}, timeoutMs, 'seq-counts');
  const line = out.trim().split('\n').findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`seq-counts printed no result:\n${out}`);
  const r = JSON.parse(line) as { total: number; noSeq: number; seqs: [string, number][] };
  return { total: r.total, noSeq: r.noSeq, seqs: new Map(r.seqs) };
}

function runNode(args: string[], env: Record<string, string>, timeoutMs: number, what: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout!.on('data', (d) => { out += String(d); });
    child.stderr!.on('data', (d) => { out += String(d); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); children.delete(child); rej(err); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) res(out);
      else rej(new Error(`${what} failed (${signal ?? `exit ${code}`}${signal === 'SIGKILL' ? `, time limit ${timeoutMs} ms` : ''}):\n${out}`));
    });
  });
}

/** Kills (SIGKILL) every child these helpers started that is still running: for the test's `after` hook. */
export async function cleanupAll(): Promise<void> {
  const waits = [...children].map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null || c.signalCode !== null) return res();
    c.once('exit', () => res());
    c.kill('SIGKILL');
  }));
  await within(Promise.all(waits), 10_000, 'children did not die').catch(() => undefined);
}

async function seqCountsMain(dataDir: string): Promise<void> {
  const { openClickHouse, queryRows } = await import('../../core/clickhouse.ts');
  const ch = await openClickHouse({ dataDir, clickhouse: { username: 'default', password: '', database: 'default' } });
  try {
    const rows = await queryRows<{ seq: string; c: string }>(ch, "SELECT props['seq'] AS seq, count() AS c FROM events GROUP BY seq");
    const seqs = rows.filter((r) => r.seq !== '').map((r) => [r.seq, Number(r.c)] as [string, number]);
    const noSeq = rows.filter((r) => r.seq === '').reduce((n, r) => n + Number(r.c), 0);
    const total = rows.reduce((n, r) => n + Number(r.c), 0);
    // Written to a pipe, stdout is asynchronous: wait for the write before the process exits.
    await new Promise<void>((res, rej) => process.stdout.write(`${JSON.stringify({ total, noSeq, seqs })}\n`, (err) => (err ? rej(err) : res())));
  } finally {
    await ch.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [cmd, dir] = process.argv.slice(2);
  if (cmd !== 'seq-counts' || !dir) {
    console.error('usage: processes.ts seq-counts <DATA_DIR>');
    process.exit(2);
  }
  seqCountsMain(resolve(dir)).then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
}
