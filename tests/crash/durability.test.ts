/**
 * Crash tests of the ingest path, with real processes: `node bin/vigil.js start`, embedded ClickHouse, redis-server.
 * Each scenario sends ~20k events (unique prop `seq`, never resent) from concurrent senders while something crashes,
 * waits until the pipeline has drained (stream empty, no recorded batch, nothing pending), stops everything, and
 * checks in the store: every event answered 202 is stored exactly once, nothing is stored twice, nothing is stored
 * that was not sent. Events without a 202 (connection error, 503) may or may not be stored; they are counted.
 *
 * 1. Worker kill -9: a collector-only process (DATA_DIR A) and a worker-only process (DATA_DIR B) share a Redis; the
 *    worker is killed with SIGKILL at least 3 times while draining (some while a batch is recorded, i.e. mid-insert)
 *    and restarted. Proves: recorded batches are re-inserted under the same deduplication token (no duplicate, no
 *    loss) and unrecorded pending entries of a dead consumer are claimed once its lease expires.
 * 2. Redis kill -9: the all-in-one platform keeps running while its redis-server (AOF, fsync every second) is killed
 *    with SIGKILL at least twice and restarted on the same port and directory. Proves: a 202 is only given after an
 *    append that survives a crash of the Redis process (a machine crash may still lose the last second: everysec),
 *    the collector answers errors (not 202) during the outage, and the worker gets through outages of a few seconds
 *    without losing or doubling a batch.
 * 3. Shutdown and restart: the all-in-one platform with its private redis-server gets SIGTERM mid-load (it must exit
 *    with code 0 within 30 s), is restarted, then is killed with SIGKILL mid-load (its private redis-server is left
 *    behind) and restarted again. Proves: graceful shutdown keeps what it acknowledged, and a restart after a hard
 *    kill stops the leftover redis-server and recovers the dead worker's batches from the append-only file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { keys } from '../../core/ingest-stream.ts';
import { DEFAULT_PREFIX } from '../../core/redis.ts';
import { formatReasons, startLoad, type LoadResult } from './load.ts';
import { cleanupAll, freePort, readSeqCounts, RedisProc, startVigil, vigilCli, type VigilProc } from './processes.ts';

const DOMAIN = 'crash.example.com';
const TOTAL = 20_000;
const CONCURRENCY = 12;
const RATE = 800; // events per second: each scenario's load lasts ~25 s, long enough for its crashes
const ENV = { RATE_LIMIT_PER_MINUTE: '10000000', FLUSH_INTERVAL_MS: '200', WORKER_LEASE_MS: '2000', LOG_LEVEL: 'info' };
const K = keys(DEFAULT_PREFIX);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

const tmpDirs: string[] = [];
const orphans: number[] = []; // redis-servers a killed platform left behind
after(async () => {
  await cleanupAll();
  for (const pid of orphans) if (isRedis(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of tmpDirs.filter(existsSync)) {
    // A platform killed by a failing test leaves its private redis-server behind.
    const pidFile = join(dir, 'data', 'redis', 'redis.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    if (pid > 1 && isRedis(pid)) process.kill(pid, 'SIGKILL');
    console.log(`kept for inspection (logs, stores): ${dir}`);
  }
});

function tmp(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vigil-crash-${name}-`));
  tmpDirs.push(dir);
  return dir;
}

/** How many recorded batches of a dead worker were stored again, according to a platform log. */
function restored(log: string): number {
  try { return readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('re-storing a batch left by a stopped worker')).length; } catch { return 0; }
}

function isRedis(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server'); } catch { return false; }
}

/** Waits until the stream is empty, no batch is recorded and nothing is pending, three polls in a row. */
async function waitDrained(url: string, timeoutMs = 90_000): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const t0 = Date.now();
  let last = '';
  try {
    await redis.connect();
    for (let quiet = 0; Date.now() - t0 < timeoutMs; await sleep(200)) {
      const [len, inflight] = await Promise.all([redis.xlen(K.stream), redis.hlen(K.inflight)]);
      const pending = len === 0 && inflight === 0 ? 0
        : Number(((await redis.xpending(K.stream, K.group).catch(() => [0])) as [number])[0]);
      last = `XLEN ${len}, inflight batches ${inflight}, pending ${pending}`;
      quiet = len === 0 && inflight === 0 && pending === 0 ? quiet + 1 : 0;
      if (quiet >= 3) return Date.now() - t0;
    }
  } finally {
    redis.disconnect();
  }
  throw new Error(`not drained within ${timeoutMs} ms (${last})`);
}

/** The invariant, checked on the store of `dataDir` once nothing holds it; prints the scenario's figures. */
async function verify(name: string, dataDir: string, load: LoadResult, t0: number, crashes: string): Promise<void> {
  const store = await readSeqCounts(dataDir);
  const duplicates = [...store.seqs].filter(([, c]) => c > 1);
  const missing = [...load.acked].filter((s) => !store.seqs.has(s));
  const foreign = [...store.seqs.keys()].filter((s) => !load.acked.has(s) && !load.unacked.has(s));
  const unackedStored = [...load.unacked].filter((s) => store.seqs.has(s)).length;
  console.log([
    `[${name}] ${crashes}`,
    `  sent ${load.sent}, acknowledged (202) ${load.acked.size}, not acknowledged ${load.unacked.size} (${formatReasons(load.reasons)})`,
    `  stored rows ${store.total} (distinct seq ${store.seqs.size}), of which not acknowledged but stored ${unackedStored}`,
    `  duplicates ${duplicates.length}, acknowledged but missing ${missing.length}, never sent ${foreign.length + store.noSeq}`,
    `  load ${(load.ms / 1000).toFixed(1)} s, scenario ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  ].join('\n'));
  assert.equal(load.sent, TOTAL, 'the load generator did not send every event within its time bound');
  assert.ok(load.acked.size >= TOTAL / 2, `only ${load.acked.size} of ${TOTAL} events were acknowledged`);
  assert.deepEqual(duplicates.slice(0, 10), [], `${duplicates.length} events are stored more than once`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged events are missing`);
  assert.deepEqual(foreign.slice(0, 10), [], `${foreign.length} stored events were never sent`);
  assert.equal(store.noSeq, 0, `${store.noSeq} stored events carry no seq marker`);
  assert.equal(store.total, store.seqs.size, 'row count differs from the number of distinct events');
}

/** Terminates a platform process gracefully and checks it exits with code 0 in time. */
async function stopClean(p: VigilProc, timeoutMs = 30_000): Promise<number> {
  const exit = await p.term(timeoutMs);
  assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null }, `${p.name} did not exit cleanly:\n${p.tail()}`);
  return exit.ms;
}

test('1. kill -9 of the worker role during load: every acknowledged event stored exactly once', async () => {
  const t0 = Date.now();
  const dir = tmp('worker');
  const redis = new RedisProc(await freePort(), join(dir, 'redis'));
  await redis.start();
  const [portC, portW] = [await freePort(), await freePort()];
  const collectorEnv = { ...ENV, DATA_DIR: join(dir, 'collector'), PORT: String(portC), REDIS_URL: redis.url };
  const workerEnv = { ...ENV, DATA_DIR: join(dir, 'worker'), PORT: String(portW), REDIS_URL: redis.url };
  // The collector-only process needs the site in its own store; nothing holds that store yet.
  await vigilCli(['site', 'add', DOMAIN], { DATA_DIR: collectorEnv.DATA_DIR, PORT: String(portC) });
  const collector = startVigil('collector', ['collector'], collectorEnv, join(dir, 'collector.log'));
  let worker = startVigil('worker#1', ['worker'], workerEnv, join(dir, 'worker.log'));
  await Promise.all([collector.ready(), worker.ready()]);

  const load = startLoad({ url: collector.url, domain: DOMAIN, total: TOTAL, concurrency: CONCURRENCY, ratePerSec: RATE, maxMs: 120_000 });
  const probe = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  const kills: string[] = [];
  try {
    // Kill while the load runs (at least 3 times, at most 6); every other kill waits for a recorded batch (mid-insert).
    for (let i = 0; i < 6 && (load.running || kills.length < 3); i++) {
      await sleep(rand(400, 1500));
      let inflight = await probe.hlen(K.inflight);
      for (let w = 0; i % 2 === 1 && inflight === 0 && w < 150; w++) { await sleep(10); inflight = await probe.hlen(K.inflight); }
      const during = load.running;
      await worker.kill9();
      kills.push(`${during ? '' : 'AFTER LOAD '}at event ${load.sent}${inflight ? ` with ${inflight} batch(es) recorded` : ''}`);
      await sleep(rand(0, 600));
      worker = startVigil(`worker#${i + 2}`, ['worker'], workerEnv, join(dir, 'worker.log'));
      await worker.ready();
    }
  } finally {
    probe.disconnect();
  }
  const result = await load.done;
  assert.ok(kills.filter((k) => !k.startsWith('AFTER')).length >= 3, `fewer than 3 kills during the load: ${kills.join('; ')}`);
  await waitDrained(redis.url);
  await stopClean(worker);
  await stopClean(collector);
  await redis.stop();
  await verify('worker kill -9', workerEnv.DATA_DIR, result, t0, `worker killed ${kills.length}×: ${kills.join('; ')}; recorded batches re-stored: ${restored(worker.logFile)}`);
  rmSync(dir, { recursive: true, force: true });
});

test('2. kill -9 of redis-server during load: every acknowledged event stored exactly once', async () => {
  const t0 = Date.now();
  const dir = tmp('redis');
  const redis = new RedisProc(await freePort(), join(dir, 'redis'));
  await redis.start();
  const port = await freePort();
  const env = { ...ENV, DATA_DIR: join(dir, 'data'), PORT: String(port), REDIS_URL: redis.url };
  const vigil = startVigil('vigil', ['collector', 'dashboard', 'worker'], env, join(dir, 'vigil.log'));
  await vigil.ready();
  await vigilCli(['site', 'add', DOMAIN], { DATA_DIR: env.DATA_DIR, PORT: env.PORT }); // through the running platform

  const load = startLoad({ url: vigil.url, domain: DOMAIN, total: TOTAL, concurrency: CONCURRENCY, ratePerSec: RATE, maxMs: 120_000 });
  const kills: string[] = [];
  for (const at of [0.2, 0.45, 0.7]) {
    await load.reached(at);
    const during = load.running;
    await redis.kill9();
    const down = rand(300, 1500);
    kills.push(`${during ? '' : 'AFTER LOAD '}at event ${load.sent}, down ${down} ms`);
    await sleep(down);
    await redis.start();
    assert.ok(vigil.alive, `the platform died while Redis was down:\n${vigil.tail()}`);
  }
  const result = await load.done;
  assert.ok(kills.filter((k) => !k.startsWith('AFTER')).length >= 2, `fewer than 2 Redis kills during the load: ${kills.join('; ')}`);
  await waitDrained(redis.url);
  assert.ok(vigil.alive, `the platform died:\n${vigil.tail()}`);
  await stopClean(vigil);
  await redis.stop();
  await verify('redis kill -9', env.DATA_DIR, result, t0, `redis-server killed ${kills.length}×: ${kills.join('; ')}`);
  rmSync(dir, { recursive: true, force: true });
});

test('3. SIGTERM mid-load exits 0, then kill -9 of the whole platform: every acknowledged event stored exactly once', async () => {
  const t0 = Date.now();
  const dir = tmp('restart');
  const port = await freePort();
  const env = { ...ENV, DATA_DIR: join(dir, 'data'), PORT: String(port) }; // no REDIS_URL: a private redis-server
  const roles = ['collector', 'dashboard', 'worker'];
  const log = join(dir, 'vigil.log');
  let vigil = startVigil('vigil#1', roles, env, log);
  await vigil.ready();
  await vigilCli(['site', 'add', DOMAIN], { DATA_DIR: env.DATA_DIR, PORT: env.PORT });
  const pidFile = join(env.DATA_DIR, 'redis', 'redis.pid');
  const redisPid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0);

  const load = startLoad({ url: vigil.url, domain: DOMAIN, total: TOTAL, concurrency: CONCURRENCY, ratePerSec: RATE, maxMs: 120_000 });
  const events: string[] = [];
  await load.reached(0.3);
  assert.ok(load.running, 'the load ended before the SIGTERM');
  const firstRedis = redisPid();
  const termAt = load.sent;
  const stopMs = await stopClean(vigil);
  assert.ok(!isRedis(firstRedis), 'the private redis-server outlived a graceful shutdown');
  events.push(`SIGTERM at event ${termAt}: exit 0 after ${stopMs} ms`);
  vigil = startVigil('vigil#2', roles, env, log);
  events.push(`restarted, ready after ${await vigil.ready()} ms`);

  await load.reached(0.65);
  assert.ok(load.running, 'the load ended before the SIGKILL');
  const orphan = redisPid();
  orphans.push(orphan);
  // Kill while a batch is recorded (mid-insert) if one shows up within 1.5 s.
  const probe = new Redis(`redis://127.0.0.1:${vigil.privateRedisPort()}`, { maxRetriesPerRequest: 2 });
  let inflight = 0;
  for (let w = 0; inflight === 0 && w < 150; w++) { await sleep(10); inflight = await probe.hlen(K.inflight); }
  probe.disconnect();
  const killAt = load.sent;
  await vigil.kill9();
  assert.ok(isRedis(orphan), 'expected the private redis-server to outlive a SIGKILL of the platform');
  events.push(`SIGKILL at event ${killAt}${inflight ? ` with ${inflight} batch(es) recorded` : ''}`);
  vigil = startVigil('vigil#3', roles, env, log);
  events.push(`restarted, ready after ${await vigil.ready()} ms`);
  assert.ok(!isRedis(orphan), 'the restart did not stop the redis-server left behind');

  const result = await load.done;
  const redisPort = vigil.privateRedisPort();
  assert.ok(redisPort, `no private redis-server port in the log:\n${vigil.tail()}`);
  await waitDrained(`redis://127.0.0.1:${redisPort}`);
  await stopClean(vigil);
  await verify('SIGTERM + kill -9 all-in-one', env.DATA_DIR, result, t0, `${events.join('; ')}; recorded batches re-stored: ${restored(log)}`);
  rmSync(dir, { recursive: true, force: true });
});
