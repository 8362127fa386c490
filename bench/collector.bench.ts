/**
 * `npm run bench`: throughput of POST /api/event on a whole Vigil, next to a bare node:http server doing the least a
 * server can (read the body, JSON.parse it, answer 202).
 *
 * Both servers run as child processes; the load generator (autocannon) runs in this process. The platform is the
 * real thing: `node bin/vigil.js start` (all roles) on a temporary DATA_DIR, i.e. embedded ClickHouse plus its own
 * append-only redis-server, with TRUST_PROXY=1 so every event's X-Forwarded-For is geolocated. The measured time is
 * split into rounds that alternate between the two servers, so a neighbour that takes the CPU for a while costs both
 * about the same. After the run the platform drains its backlog and stops (SIGTERM), and the rows in ClickHouse are
 * counted against the 202s.
 *
 * Two more servers show where the floor is for any collector that acknowledges durably (bench/lib/floor-server.ts): parse
 * the body, one XADD to an append-only redis-server, 202; served by node:http and by Koa + @koa/router.
 *
 * Environment: BENCH_SECONDS (20, per server), BENCH_ROUNDS (4), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (50),
 * BENCH_ONLY=bare,floor-http,floor-koa,collector (a comma list; default all four), BENCH_CPU_PROF=1 (profile the platform process and print where its time goes),
 * BENCH_KEEP=1 (keep the temporary directory: logs, data, profiles), BENCH_COLLECTORS=N (start the platform with
 * `--collectors N` and send the load to its collector processes; their CPU is counted with the others').
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClickHouse, queryRows } from '../core/clickhouse.ts';
import { selfByPackage, summariseProfile } from './lib/cpuprofile.ts';
import { runRound, summarise, type LoadResult, type RawRun } from './lib/load.ts';
import { childPids, cmdline, cpuSeconds, freePort, machineBusySeconds, machineLoad, ownCpuSeconds, readPid, runNode, sleep, startNode, stopChild, waitForHttp,
  type Child } from './lib/proc.ts';
import { fmt, table } from './lib/stats.ts';
import { buildTraffic, describeTraffic, type BenchRequest } from './lib/traffic.ts';

/** Best throughput for both servers on the 2-core machine of BENCHMARKS.md (tried 10, 25, 50, 100, 200). */
const DEFAULT_CONNECTIONS = 50;
const DOMAIN = 'example.com';

const root = join(import.meta.dirname, '..');
const envNum = (name: string, def: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};
const SECONDS = envNum('BENCH_SECONDS', 20);
const ROUNDS = Math.max(1, Math.round(envNum('BENCH_ROUNDS', 4)));
const WARMUP = envNum('BENCH_WARMUP_SECONDS', 3);
const CONNECTIONS = Math.round(envNum('BENCH_CONNECTIONS', DEFAULT_CONNECTIONS));
const TARGETS = ['bare', 'floor-http', 'floor-koa', 'collector'] as const;
const ONLY = (process.env.BENCH_ONLY || TARGETS.join(',')).split(',').map((t) => t.trim());
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const KEEP = process.env.BENCH_KEEP === '1';
const COLLECTORS = Number(process.env.BENCH_COLLECTORS || 0);
if (!Number.isInteger(COLLECTORS) || COLLECTORS < 0) throw new Error('BENCH_COLLECTORS must be a whole number');
for (const t of ONLY) if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`BENCH_ONLY takes a comma list of ${TARGETS.join(', ')}`);

const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const children: Child[] = [];
let bareChild: Child | null = null;
const floorChildren: Child[] = [];
const log = (msg: string) => console.log(msg);

/** A server under test: where to send events, and the processes whose CPU time is its cost. */
interface Target {
  name: string;
  url: string;
  pids: Record<string, () => number | undefined>;
  /** Runs after each of its rounds, outside the measured time (the platform stores its backlog). */
  settle?: () => Promise<void>;
  runs: RawRun[];
  warmupAccepted: number;
  cpuSec: Record<string, number>;
}

function newTarget(name: string, url: string, pids: Target['pids'], settle?: Target['settle']): Target {
  return { name, url, pids, settle, runs: [], warmupAccepted: 0, cpuSec: {} };
}

/** One measured round on one target: the load plus the CPU time every process (and the whole machine) used. */
async function round(t: Target, pool: BenchRequest[], seconds: number): Promise<void> {
  const before = Object.fromEntries(Object.entries(t.pids).map(([k, pid]) => [k, cpuSeconds(pid())]));
  const own = ownCpuSeconds();
  const machine = machineBusySeconds();
  t.runs.push(await runRound(t.url, pool, CONNECTIONS, seconds));
  const add = (k: string, v: number) => { t.cpuSec[k] = (t.cpuSec[k] ?? 0) + (Number.isFinite(v) ? v : 0); };
  let ours = 0;
  for (const [k, pid] of Object.entries(t.pids)) {
    const used = cpuSeconds(pid()) - before[k]!;
    add(k, used);
    ours += Number.isFinite(used) ? used : 0;
  }
  const gen = ownCpuSeconds() - own;
  add('load generator', gen);
  add('anything else', machineBusySeconds() - machine - ours - gen);
  await t.settle?.();
}

async function startBare(): Promise<Target> {
  const port = await freePort();
  const bare = startNode(['--import', 'tsx', 'bench/lib/bare-server.ts'], { PORT: String(port) }, join(work, 'bare.log'), root);
  children.push(bare);
  await waitForHttp(`http://127.0.0.1:${port}/`, bare, 30_000, () => true);
  log(`bare node:http server up (pid ${bare.proc.pid})`);
  bareChild = bare;
  return newTarget('bare node:http', `http://127.0.0.1:${port}/api/event`, { 'server process': () => bare.proc.pid });
}

/** A floor server (see the top of this file): node:http or Koa, with its own append-only redis-server. */
async function startFloor(koa: boolean): Promise<Target> {
  const port = await freePort();
  const name = koa ? 'floor-koa' : 'floor-http';
  const dir = join(work, name);
  const child = startNode(['--import', 'tsx', 'bench/lib/floor-server.ts'], { PORT: String(port), FLOOR_DIR: dir, FLOOR_KOA: koa ? '1' : '0' },
    join(work, `${name}.log`), root);
  children.push(child);
  floorChildren.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/api/event`, child, 30_000, () => true);
  log(`${name} server up (pid ${child.proc.pid})`);
  return newTarget(koa ? 'floor: Koa + XADD' : 'floor: http + XADD', `http://127.0.0.1:${port}/api/event`, {
    'server process': () => child.proc.pid,
    'redis-server': () => readPid(join(dir, 'redis', 'redis.pid')),
  });
}

interface Platform { target: Target; child: Child; base: string; dataDir: string; profDir: string }

async function startVigil(): Promise<Platform> {
  const port = await freePort();
  const dataDir = join(work, 'data');
  const profDir = join(work, 'prof');
  const env = {
    DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', TRUST_PROXY: '1', LOG_LEVEL: 'warn',
    // The configured maximum (config.ts caps it at 10,000,000 a minute per address); never reached here.
    RATE_LIMIT_PER_MINUTE: '10000000',
    // A REDIS_URL or CLICKHOUSE_URL from the caller's shell must not redirect the benchmark (empty = unset).
    REDIS_URL: '', CLICKHOUSE_URL: '',
  };
  if (CPU_PROF) mkdirSync(profDir, { recursive: true });
  const collectorPort = await freePort();
  if (COLLECTORS) Object.assign(env, { COLLECTOR_PORT: String(collectorPort) });
  const args = [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'bin/vigil.js', 'start',
    ...(COLLECTORS ? ['--collectors', String(COLLECTORS)] : [])];
  const started = Date.now();
  const child = startNode(args, env, join(work, 'platform.log'), root);
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`, child, 180_000);
  log(`Vigil up in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.proc.pid}; all roles, embedded ClickHouse, private AOF redis-server)`);
  log(runNode(['bin/vigil.js', 'site', 'add', DOMAIN], env, root).split('\n')[0]!);
  // The collector processes are the platform's children running `vigil collector-process`.
  const collectorPids = () => childPids(child.proc.pid!).filter((pid) => cmdline(pid).includes('collector-process'));
  if (COLLECTORS) {
    await waitForHttp(`http://127.0.0.1:${collectorPort}/healthz`, child, 60_000);
    for (let i = 0; i < 600 && collectorPids().length < COLLECTORS; i++) await sleep(100);
    log(`${COLLECTORS} collector processes on port ${collectorPort} (pids ${collectorPids().join(', ')})`);
  }
  const target = newTarget(COLLECTORS ? `Vigil, ${COLLECTORS} collector processes` : 'Vigil collector',
    `http://127.0.0.1:${COLLECTORS ? collectorPort : port}/api/event`, {
      'server process': () => child.proc.pid,
      ...Object.fromEntries(Array.from({ length: COLLECTORS }, (_, i) => [`collector process ${i + 1}`, () => collectorPids()[i]])),
      'redis-server': () => readPid(join(dataDir, 'redis', 'redis.pid')),
    }, () => drained(base).then(() => undefined));
  return { target, child, base, dataDir, profDir };
}

/** Waits until the worker has stored everything acknowledged (the backlog in /healthz reads 0 twice); seconds taken. */
async function drained(base: string, timeoutMs = 180_000): Promise<number> {
  const start = Date.now();
  let zeros = 0;
  while (Date.now() - start < timeoutMs && zeros < 2) {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { backlog?: number };
    zeros = health.backlog === 0 ? zeros + 1 : 0;
    await sleep(300);
  }
  return (Date.now() - start) / 1000;
}

interface Stored { stored: number; drops: { reason: string; n: number }[] }

/** Stops the platform the way an operator would, then counts what reached ClickHouse. */
async function stopAndCount(p: Platform): Promise<Stored> {
  const code = await stopChild(p.child);
  if (code !== 0) log(`platform exited with ${code}:\n${p.child.tail()}`);
  const ch = await openClickHouse({ dataDir: p.dataDir, clickhouse: { username: 'default', password: '', database: 'default' } });
  try {
    const [row] = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM events');
    const drops = (await queryRows<{ reason: string; n: string }>(ch, 'SELECT reason, sum(count) AS n FROM ingest_drops GROUP BY reason ORDER BY n DESC'))
      .map((r) => ({ reason: r.reason, n: Number(r.n) }));
    return { stored: Number(row?.n ?? -1), drops };
  } finally {
    await ch.close();
  }
}

function printResults(targets: Target[]): Map<Target, LoadResult> {
  const results = new Map(targets.map((t) => [t, summarise(t.runs, t.url, CONNECTIONS)]));
  const cores = (t: Target, k: string) => (t.cpuSec[k] ?? NaN) / results.get(t)!.seconds;
  const status = (r: LoadResult) => Object.entries(r.otherStatus).map(([c, n]) => `${c}: ${n}`).join(', ') || '0';
  const rows: [string, (t: Target, r: LoadResult) => string][] = [
    ['accepted (202) events/s', (_, r) => fmt(r.acceptedPerSec)],
    ['202 responses', (_, r) => fmt(r.accepted)],
    ['latency p50 / p90 (ms)', (_, r) => `${fmt(r.p50, 1)} / ${fmt(r.p90, 1)}`],
    ['latency p99 / max (ms)', (_, r) => `${fmt(r.p99, 1)} / ${fmt(r.max, 1)}`],
    ['non-202 responses', (_, r) => status(r)],
    ['socket errors / timeouts', (_, r) => `${r.errors} / ${r.timeouts}`],
    ['CPU: server process (cores)', (t) => fmt(cores(t, 'server process'), 2)],
    ['  server CPU per event (µs)', (t, r) => fmt((1e6 * (t.cpuSec['server process'] ?? NaN)) / r.accepted, 0)],
    ['CPU: collector processes (cores)', (t) => { const ks = Object.keys(t.pids).filter((k) => k.startsWith('collector process'));
      return ks.length ? fmt(ks.reduce((a, k) => a + cores(t, k), 0), 2) : '-'; }],
    ['CPU: its redis-server (cores)', (t) => (t.pids['redis-server'] ? fmt(cores(t, 'redis-server'), 2) : '-')],
    ['  CPU per event, every process of it (µs)', (t, r) => fmt((1e6 * Object.keys(t.pids).reduce((a, k) => a + (t.cpuSec[k] ?? 0), 0)) / r.accepted, 0)],
    ['CPU: load generator (cores)', (t) => fmt(cores(t, 'load generator'), 2)],
    ['CPU: anything else (cores)', (t) => fmt(cores(t, 'anything else'), 2)],
  ];
  log(`\n${table(['', ...targets.map((t) => t.name)], rows.map(([label, f]) => [label, ...targets.map((t) => f(t, results.get(t)!))]))}`);
  return results;
}

async function main(): Promise<void> {
  const pool = buildTraffic({ domain: DOMAIN });
  log(`Vigil collector benchmark: ${cpus().length} CPUs, node ${process.version}, ${CONNECTIONS} connections, ` +
    `${WARMUP} s warm-up + ${SECONDS} s measured per server in ${ROUNDS} alternating rounds`);
  log(`traffic: ${describeTraffic(pool)}`);
  log('note: the load generator shares the CPUs with the server under test (see BENCHMARKS.md)');
  const idle = await machineLoad(2000);
  log(`machine load before the run: ${idle.toFixed(2)} cores busy${idle > 0.2 ? ' -- something else is running, figures will be low and noisy' : ''}`);
  log(`work dir: ${work}${KEEP ? ' (kept)' : ''}`);

  const bare = ONLY.includes('bare') ? await startBare() : null;
  const floorHttp = ONLY.includes('floor-http') ? await startFloor(false) : null;
  const floorKoa = ONLY.includes('floor-koa') ? await startFloor(true) : null;
  const vigil = ONLY.includes('collector') ? await startVigil() : null;
  const targets = [bare, floorHttp, floorKoa, vigil?.target].filter((t): t is Target => !!t);
  for (const t of targets) {
    log(`warm-up ${t.name} (${WARMUP} s)`);
    t.warmupAccepted = summarise([await runRound(t.url, pool, CONNECTIONS, WARMUP)], t.url, CONNECTIONS).accepted;
    await t.settle?.();
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      log(`round ${r + 1}/${ROUNDS}: ${t.name} (${fmt(SECONDS / ROUNDS, 1)} s)`);
      await round(t, pool, SECONDS / ROUNDS);
    }
  }
  const results = printResults(targets);
  if (bare && vigil) {
    const rb = results.get(bare)!;
    const rv = results.get(vigil.target)!;
    const ratio = rv.acceptedPerSec / rb.acceptedPerSec;
    const cpuRatio = ((bare.cpuSec['server process'] ?? NaN) / rb.accepted) / ((vigil.target.cpuSec['server process'] ?? NaN) / rv.accepted);
    log(`\nratio Vigil / bare: ${ratio.toFixed(2)}x events/s (target >= 0.5x: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ` +
      `by server CPU per event: ${cpuRatio.toFixed(2)}x`);
  }
  if (bare) {
    for (const t of [floorHttp, floorKoa].filter((x): x is Target => !!x)) {
      log(`ratio ${t.name} / bare: ${(results.get(t)!.acceptedPerSec / results.get(bare)!.acceptedPerSec).toFixed(2)}x events/s`);
    }
  }
  if (bareChild) await stopChild(bareChild);
  for (const c of floorChildren) await stopChild(c);
  if (vigil) {
    const { stored, drops } = await stopAndCount(vigil);
    const accepted = summarise(vigil.target.runs, vigil.target.url, CONNECTIONS).accepted + vigil.target.warmupAccepted;
    const diff = stored - accepted;
    // A request still in flight when a run stops is processed and stored, but its 202 is never counted: at most one
    // per connection per run (the warm-up and each round).
    const inflight = (ROUNDS + 1) * CONNECTIONS;
    const verdict = diff >= 0 && diff <= inflight ? 'OK' : diff < 0 ? 'MISSING EVENTS' : 'MORE THAN EXPECTED';
    log(`\nstored in ClickHouse: ${fmt(stored)} rows; accepted (202, warm-up + rounds): ${fmt(accepted)}; ` +
      `difference ${diff >= 0 ? '+' : ''}${diff} (0..+${inflight} expected from requests in flight when a run stopped): ${verdict}`);
    log(`drops counted: ${drops.length ? drops.map((d) => `${d.reason} ${d.n}`).join(', ') : 'none'}`);
    const profile = CPU_PROF && existsSync(vigil.profDir)
      ? readdirSync(vigil.profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(vigil.profDir, f)).sort()[0] : undefined;
    if (profile) {
      const { self, total, idlePct } = summariseProfile(profile, root, 25);
      log(`\nCPU profile of the platform's main thread (${profile}; whole life incl. start-up and the bare rounds; idle ${idlePct.toFixed(1)}%)`);
      log('self time by package / folder:');
      for (const { pkg, pct } of selfByPackage(profile, root).slice(0, 15)) log(`  ${pct.toFixed(1).padStart(5)}%  ${pkg}`);
      log('top functions by self time:');
      for (const l of self) log(`  ${l.selfPct.toFixed(1).padStart(5)}%  ${l.name.slice(0, 80)}  ${l.where}`);
      log('top functions by total (inclusive) time:');
      for (const l of total) log(`  ${l.totalPct.toFixed(1).padStart(5)}%  ${l.name.slice(0, 80)}  ${l.where}`);
    }
  }
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  for (const c of children) await stopChild(c, 15_000).catch(() => undefined);
  // A redis-server left behind by a server that did not stop cleanly is ours to end.
  for (const owner of ['data', 'floor-http', 'floor-koa']) {
    const redisDir = join(work, owner, 'redis');
    const leftover = readPid(join(redisDir, 'redis.pid'));
    try {
      if (leftover && realpathSync(`/proc/${leftover}/cwd`) === realpathSync(redisDir)) process.kill(leftover, 'SIGTERM');
    } catch { /* not running */ }
  }
  if (!KEEP && !failed) rmSync(work, { recursive: true, force: true });
  else log(`work dir kept: ${work}`);
}
process.exit(failed ? 1 : 0);
