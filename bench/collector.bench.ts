/**
 * `npm run bench`: throughput of POST /api/event on a whole Vigil, next to a bare node:http server doing the least a
 * server can (read the body, JSON.parse it, answer 202).
 *
 * Both servers run as child processes; the load generator (autocannon) runs in this process. The platform is the
 * real thing: `node bin/vigil.js start` (all roles) on a temporary DATA_DIR, i.e. embedded ClickHouse plus its own
 * append-only redis-server, with TRUST_PROXY=1 so every event's X-Forwarded-For is geolocated. After the run the
 * platform drains its backlog and stops (SIGTERM), and the rows in ClickHouse are counted against the 202s.
 *
 * Environment: BENCH_SECONDS (20), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (see DEFAULT_CONNECTIONS),
 * BENCH_ONLY=bare|collector, BENCH_CPU_PROF=1 (profile the platform process and print where its time goes),
 * BENCH_KEEP=1 (keep the temporary directory: logs, data, profiles).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openClickHouse, queryRows } from '../core/clickhouse.ts';
import { selfByPackage, summariseProfile } from './lib/cpuprofile.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, freePort, machineBusySeconds, machineLoad, ownCpuSeconds, readPid, runNode, sleep, startNode, stopChild, waitForHttp, type Child } from './lib/proc.ts';
import { buildTraffic, describeTraffic, type BenchRequest } from './lib/traffic.ts';

/** Best throughput for both servers on the 2-core machine of BENCHMARKS.md (tried 10, 25, 50, 100, 200). */
const DEFAULT_CONNECTIONS = 50;
const DOMAIN = 'example.com';

const root = join(import.meta.dirname, '..');
const envInt = (name: string, def: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};
const SECONDS = envInt('BENCH_SECONDS', 20);
const WARMUP = envInt('BENCH_WARMUP_SECONDS', 3);
const CONNECTIONS = Math.round(envInt('BENCH_CONNECTIONS', DEFAULT_CONNECTIONS));
const ONLY = process.env.BENCH_ONLY ?? '';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const KEEP = process.env.BENCH_KEEP === '1';
if (ONLY && ONLY !== 'bare' && ONLY !== 'collector') throw new Error('BENCH_ONLY must be bare or collector');

interface Measured { load: LoadResult; warmupAccepted: number; cpu: Record<string, number> }

const work = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const children: Child[] = [];
const log = (msg: string) => console.log(msg);

/** Warm-up, then the measured run, with the CPU time each process used during the measured run. */
async function measure(url: string, pool: BenchRequest[], pids: Record<string, () => number | undefined>): Promise<Measured> {
  log(`  warm-up ${WARMUP} s ...`);
  const warm = await runLoad(url, pool, CONNECTIONS, WARMUP);
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid())]));
  const ownBefore = ownCpuSeconds();
  const machineBefore = machineBusySeconds();
  log(`  measuring ${SECONDS} s with ${CONNECTIONS} connections ...`);
  const load = await runLoad(url, pool, CONNECTIONS, SECONDS);
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) cpu[k] = (cpuSeconds(pid()) - before[k]!) / load.seconds;
  cpu['load generator (this process)'] = (ownCpuSeconds() - ownBefore) / load.seconds;
  const ours = Object.values(cpu).reduce((sum, v) => sum + (Number.isFinite(v) ? v : 0), 0);
  cpu['other processes'] = (machineBusySeconds() - machineBefore) / load.seconds - ours;
  return { load, warmupAccepted: warm.accepted, cpu };
}

async function benchBare(pool: BenchRequest[]): Promise<Measured> {
  log('\n== bare node:http (read body, JSON.parse, 202), own process');
  const port = await freePort();
  const bare = startNode(['--import', 'tsx', 'bench/lib/bare-server.ts'], { PORT: String(port) }, join(work, 'bare.log'), root);
  children.push(bare);
  await waitForHttp(`http://127.0.0.1:${port}/`, bare, 30_000, () => true);
  try {
    return await measure(`http://127.0.0.1:${port}/api/event`, pool, { 'server process': () => bare.proc.pid });
  } finally {
    await stopChild(bare);
  }
}

interface CollectorOutcome extends Measured { stored: number; drops: { reason: string; n: number }[]; drainSeconds: number; profile?: string }

async function benchCollector(pool: BenchRequest[]): Promise<CollectorOutcome> {
  log('\n== Vigil (node bin/vigil.js start: collector + dashboard + worker, embedded ClickHouse, private AOF redis-server)');
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
  const args = [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'bin/vigil.js', 'start'];
  const started = Date.now();
  const platform = startNode(args, env, join(work, 'platform.log'), root);
  children.push(platform);
  const base = `http://127.0.0.1:${port}`;
  let stored = -1;
  let drops: { reason: string; n: number }[] = [];
  let drainSeconds = 0;
  let m: Measured;
  try {
    await waitForHttp(`${base}/healthz`, platform, 180_000);
    log(`  platform up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    log(`  ${runNode(['bin/vigil.js', 'site', 'add', DOMAIN], env, root).split('\n')[0]}`);
    m = await measure(`${base}/api/event`, pool, {
      'server process': () => platform.proc.pid,
      'redis-server': () => readPid(join(dataDir, 'redis', 'redis.pid')),
    });
    // Let the worker store everything that was acknowledged, then stop the platform the way an operator would.
    const drainStart = Date.now();
    let zeros = 0;
    while (Date.now() - drainStart < 180_000 && zeros < 2) {
      const health = (await (await fetch(`${base}/healthz`)).json()) as { backlog?: number };
      zeros = health.backlog === 0 ? zeros + 1 : 0;
      await sleep(300);
    }
    drainSeconds = (Date.now() - drainStart) / 1000;
  } finally {
    const code = await stopChild(platform);
    if (code !== 0) log(`  platform exited with ${code}:\n${platform.tail()}`);
  }
  const ch = await openClickHouse({ dataDir, clickhouse: { username: 'default', password: '', database: 'default' } });
  try {
    const [row] = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM events');
    stored = Number(row?.n ?? -1);
    drops = (await queryRows<{ reason: string; n: string }>(ch, 'SELECT reason, sum(count) AS n FROM ingest_drops GROUP BY reason ORDER BY n DESC'))
      .map((r) => ({ reason: r.reason, n: Number(r.n) }));
  } finally {
    await ch.close();
  }
  let profile: string | undefined;
  if (CPU_PROF) profile = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f))[0];
  return { ...m!, stored, drops, drainSeconds, profile };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const statusText = (r: LoadResult) => {
  const parts = Object.entries(r.otherStatus).map(([c, n]) => `${c}: ${n}`);
  return parts.length ? parts.join(', ') : '0';
};

function printTable(bare: Measured | null, vigil: Measured | null): void {
  const cols = [bare ? ['bare node:http', bare] : null, vigil ? ['Vigil collector', vigil] : null].filter(Boolean) as [string, Measured][];
  const rows: [string, (m: Measured) => string][] = [
    ['accepted (202) events/s', (m) => fmt(m.load.acceptedPerSec)],
    ['202 responses', (m) => fmt(m.load.accepted)],
    ['latency p50 (ms)', (m) => fmt(m.load.p50, 1)],
    ['latency p90 (ms)', (m) => fmt(m.load.p90, 1)],
    ['latency p99 (ms)', (m) => fmt(m.load.p99, 1)],
    ['latency max (ms)', (m) => fmt(m.load.max, 1)],
    ['non-202 responses', (m) => statusText(m.load)],
    ['socket errors / timeouts', (m) => `${m.load.errors} / ${m.load.timeouts}`],
    ['CPU: server process (cores)', (m) => fmt(m.cpu['server process'] ?? NaN, 2)],
    ['  server CPU per event (µs)', (m) => fmt((1e6 * (m.cpu['server process'] ?? NaN)) / m.load.acceptedPerSec, 0)],
    ['CPU: redis-server (cores)', (m) => fmt(m.cpu['redis-server'] ?? NaN, 2)],
    ['CPU: load generator (cores)', (m) => fmt(m.cpu['load generator (this process)'] ?? NaN, 2)],
    ['CPU: anything else (cores)', (m) => fmt(m.cpu['other processes'] ?? NaN, 2)],
  ];
  const w0 = Math.max(...rows.map(([l]) => l.length));
  const widths = cols.map(([name, m]) => Math.max(name.length, ...rows.map(([, f]) => f(m).length)));
  log('');
  log(`${''.padEnd(w0)}  ${cols.map(([name], i) => name.padStart(widths[i]!)).join('  ')}`);
  for (const [label, f] of rows) log(`${label.padEnd(w0)}  ${cols.map(([, m], i) => f(m).padStart(widths[i]!)).join('  ')}`);
}

async function main(): Promise<void> {
  const pool = buildTraffic({ domain: DOMAIN });
  log(`Vigil collector benchmark: ${cpus().length} CPUs, node ${process.version}, ${CONNECTIONS} connections, ` +
    `${WARMUP} s warm-up + ${SECONDS} s measured per server`);
  log(`traffic: ${describeTraffic(pool)}`);
  log('note: the load generator shares the CPUs with the server under test (see BENCHMARKS.md)');
  const idle = await machineLoad(2000);
  log(`machine load before the run: ${idle.toFixed(2)} cores busy${idle > 0.2 ? ' -- something else is running, figures will be low and noisy' : ''}`);
  log(`work dir: ${work}${KEEP ? ' (kept)' : ''}`);

  const bare = ONLY === 'collector' ? null : await benchBare(pool);
  const vigil = ONLY === 'bare' ? null : await benchCollector(pool);
  printTable(bare, vigil);
  if (bare && vigil) {
    const ratio = vigil.load.acceptedPerSec / bare.load.acceptedPerSec;
    log(`\nratio Vigil / bare: ${ratio.toFixed(2)}x (target >= 0.5x: ${ratio >= 0.5 ? 'met' : 'NOT met'})`);
  }
  if (vigil) {
    const accepted = vigil.load.accepted + vigil.warmupAccepted;
    const diff = vigil.stored - accepted;
    // A request still in flight when a run stops is processed and stored, but its 202 is never counted: at most one
    // per connection per run (warm-up and measured).
    const inflight = 2 * CONNECTIONS;
    const verdict = diff >= 0 && diff <= inflight ? 'OK' : diff < 0 ? 'MISSING EVENTS' : 'MORE THAN EXPECTED';
    log(`\nstored in ClickHouse: ${fmt(vigil.stored)} rows; accepted (202, warm-up + measured): ${fmt(accepted)}; ` +
      `difference ${diff >= 0 ? '+' : ''}${diff} (0..+${inflight} expected from requests in flight when a run stopped): ${verdict}`);
    log(`backlog drained ${vigil.drainSeconds.toFixed(1)} s after the load stopped`);
    log(`drops counted: ${vigil.drops.length ? vigil.drops.map((d) => `${d.reason} ${d.n}`).join(', ') : 'none'}`);
    if (vigil.profile) {
      const { self, total, idlePct } = summariseProfile(vigil.profile, root, 25);
      log(`\nCPU profile of the platform process (${vigil.profile}; whole life incl. start-up; idle ${idlePct.toFixed(1)}%)`);
      log('self time by package / folder:');
      for (const { pkg, pct } of selfByPackage(vigil.profile, root).slice(0, 15)) log(`  ${pct.toFixed(1).padStart(5)}%  ${pkg}`);
      log('top functions by self time:');
      for (const l of self) log(`  ${l.selfPct.toFixed(1).padStart(5)}%  ${l.name}  ${l.where}`);
      log('top functions by total (inclusive) time:');
      for (const l of total) log(`  ${l.totalPct.toFixed(1).padStart(5)}%  ${l.name}  ${l.where}`);
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
  for (const c of children) await stopChild(c, 10_000).catch(() => undefined);
  if (!KEEP && !failed) rmSync(work, { recursive: true, force: true });
  else log(`work dir kept: ${work}`);
}
process.exit(failed ? 1 : 0);
