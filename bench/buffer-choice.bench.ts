/**
 * Which durable ingest buffer: a Redis stream (one XADD per event, what Vigil does) or BullMQ (one job per event, or
 * one job carrying a batch of events). `node --import tsx bench/buffer-choice.bench.ts`
 *
 * Every variant runs against a private redis-server configured like production (core/redis-server.ts: append-only,
 * appendfsync everysec, noeviction) through ioredis with auto-pipelining, and acknowledges an event only when the
 * write that holds it has been answered by Redis (the moment the collector may answer 202).
 *
 * Per variant:
 *  - closed loop: N producers (BUFFER_PRODUCERS, default "50,500"), each sending its next event as soon as the last one
 *    was acknowledged, for BUFFER_SECONDS (default 8): events/s and ack latency p50/p99;
 *  - open loop: events arrive at a fixed rate (BUFFER_RATE, default 2000/s, about one collector's worth) whatever
 *    the acks do: ack latency at equal load, measured from each event's scheduled arrival, and the CPU time per event
 *    of Redis and of the producer (the figures that hold up when other processes share the machine);
 *  - memory: Redis used_memory before/after queueing BUFFER_MEMORY_EVENTS (default 100,000) events, nothing draining.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { toChTime, type WebEventRow } from '../core/event.ts';
import { appendWebEvent, defineIngestCommands } from '../core/ingest-stream.ts';
import { connectRedis } from '../core/redis.ts';
import { startPrivateRedis } from '../core/redis-server.ts';
import { cpuSeconds, machineBusySeconds, machineLoad, ownCpuSeconds, sleep } from './lib/proc.ts';
import { fmt, Samples, table } from './lib/stats.ts';
import { prng } from './lib/traffic.ts';

const envNum = (name: string, def: number) => {
  const v = process.env[name];
  const n = v ? Number(v) : def;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got ${v})`);
  return n;
};
const SECONDS = envNum('BUFFER_SECONDS', 8);
const RATE = envNum('BUFFER_RATE', 2000);
const MEMORY_EVENTS = Math.round(envNum('BUFFER_MEMORY_EVENTS', 100_000));
const PRODUCERS = (process.env.BUFFER_PRODUCERS ?? '50,500').split(',').map(Number).filter((n) => n > 0);
const PREFIX = 'bench:';
const bullmqVersion = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;

// ---- events: realistic rows (what the collector appends), ~600 bytes of JSON each ----

const rand = prng(7);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

function makeRow(): WebEventRow {
  const custom = rand() < 0.1;
  const utm = rand() < 0.12;
  const ref = pick([['', '', 'direct'], ['https://www.google.com/', 'Google', 'organic_search'], ['https://l.facebook.com/', 'Facebook', 'social'],
    ['https://news.ycombinator.com/', 'Hacker News', 'social'], ['https://example.com/blog', '', 'internal']] as const);
  const geo = pick([['DE', 'Berlin', 'Berlin'], ['US', 'California', 'San Francisco'], ['GB', 'England', 'London'], ['FR', 'Île-de-France', 'Paris'],
    ['NL', 'North Holland', 'Amsterdam'], ['BR', 'São Paulo', 'São Paulo'], ['IN', 'Maharashtra', 'Mumbai']] as const);
  const ua = pick([['Chrome', '131', 'Windows', '10', 'desktop', 1920], ['Mobile Safari', '18', 'iOS', '18.1.1', 'mobile', 390],
    ['Firefox', '133', 'Linux', '', 'desktop', 1440], ['Chrome', '131', 'Android', '10', 'mobile', 412], ['Edge', '131', 'Windows', '10', 'desktop', 1536]] as const);
  return {
    site_id: 's_3f9a61c2d07b',
    event_id: crypto.randomUUID(),
    timestamp: toChTime(Date.now()),
    name: custom ? pick(['Signup', 'Outbound Link: Click', 'Add to Cart']) : 'pageview',
    hostname: 'example.com',
    pathname: pick(['/', '/pricing', '/blog/how-we-cut-our-aws-bill-in-half', '/docs/getting-started/installation', '/shop/espresso-grinder-pro', '/features']),
    referrer: ref[0],
    referrer_source: ref[1],
    channel: ref[2],
    utm_source: utm ? 'newsletter' : '',
    utm_medium: utm ? 'email' : '',
    utm_campaign: utm ? 'november_digest' : '',
    utm_term: '',
    utm_content: '',
    country_code: geo[0],
    region: geo[1],
    city: geo[2],
    browser: ua[0],
    browser_version: ua[1],
    os: ua[2],
    os_version: ua[3],
    device_type: ua[4],
    screen_width: ua[5],
    screen_size: ua[5] < 576 ? 'mobile' : ua[5] < 1440 ? 'laptop' : 'desktop',
    engagement_ms: 0,
    props: custom ? { plan: pick(['free', 'pro', 'business']), billing: 'yearly', url: 'https://example.com/signup?from=pricing-table' } : {},
  };
}
const ROWS = Array.from({ length: 2000 }, makeRow);
// Padding brings the average to about the 600-byte payload of the brief (real rows vary: long paths, referrers, props).
const avg0 = ROWS.reduce((s, r) => s + JSON.stringify(r).length, 0) / ROWS.length;
const PAD = 'x'.repeat(Math.max(0, Math.round(600 - avg0 - 14)));
if (PAD) for (const r of ROWS) r.utm_content = PAD;
const AVG_BYTES = ROWS.reduce((s, r) => s + JSON.stringify(r).length, 0) / ROWS.length;
const VISITORS = Array.from({ length: 5000 }, () => hex(16));
let seq = 0;
const nextRow = () => ROWS[seq++ % ROWS.length]!;

// ---- the variants ----

/** Buffers events in memory; one write per batch (at maxEvents or maxWaitMs after the first); each event's promise
 * resolves only when its batch's write has been answered. */
class Batcher<T> {
  private buf: T[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly write: (items: T[]) => Promise<unknown>, private readonly maxEvents: number, private readonly maxWaitMs: number) {}

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.buf.push(item);
      this.waiters.push({ resolve, reject });
      if (this.buf.length >= this.maxEvents) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const items = this.buf;
    const waiters = this.waiters;
    this.buf = [];
    this.waiters = [];
    if (items.length === 0) return;
    this.write(items).then(() => { for (const w of waiters) w.resolve(); }, (err) => { for (const w of waiters) w.reject(err); });
  }
}

interface Variant { name: string; note: string; produce(row: WebEventRow): Promise<unknown> }

function variants(redis: Redis, queue: Queue): Variant[] {
  const stream = `${PREFIX}ingest`;
  defineIngestCommands(redis);
  const batched = (maxEvents: number, maxWaitMs: number) =>
    new Batcher<WebEventRow>((rows) => queue.add('batch', { events: rows }), maxEvents, maxWaitMs);
  const b5 = batched(100, 5);
  const b20 = batched(500, 20);
  const s5 = new Batcher<WebEventRow>((rows) => redis.xadd(stream, '*', 'k', 'b', 'd', JSON.stringify(rows)), 100, 5);
  return [
    { name: 'stream: XADD per event', note: 'plain XADD, Vigil\'s fields',
      produce: (row) => redis.xadd(stream, '*', 'k', 'w', 'd', JSON.stringify(row), 'v', pick(VISITORS), 's', hex(16), 't', 'cookie', 'r', '', 'n', '0') },
    { name: 'stream: Vigil ingest script', note: 'appendWebEvent: visitor, visit state, XADD (Lua)',
      produce: (row) => appendWebEvent(redis, PREFIX, { siteId: row.site_id, cookieId: pick(VISITORS), cookielessId: hex(16), forceCookieless: null,
        newVisitorId: hex(16), newSessionId: hex(16), at: Date.now(), row }) },
    { name: 'BullMQ: job per event', note: 'queue.add(row)', produce: (row) => queue.add('event', row) },
    { name: 'BullMQ: batch job (5 ms/100)', note: 'one job per <=100 events or 5 ms', produce: (row) => b5.add(row) },
    { name: 'BullMQ: batch job (20 ms/500)', note: 'one job per <=500 events or 20 ms', produce: (row) => b20.add(row) },
    { name: 'stream: batch entry (5 ms/100)', note: 'same batching, one XADD per batch', produce: (row) => s5.add(row) },
  ];
}

// ---- measurements ----

interface Sample { events: number; seconds: number; p50: number; p99: number; errors: number; producerCpu: number; redisCpu: number; otherCpu: number; forks: number }

async function info(redis: Redis, section: string, field: string): Promise<number> {
  const text = await redis.info(section);
  const m = new RegExp(`^${field}:(\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Empties Redis and compacts the append-only file, so every run starts from the same state. */
async function reset(redis: Redis): Promise<void> {
  await redis.flushall();
  while ((await info(redis, 'persistence', 'aof_rewrite_in_progress')) === 1) await sleep(50);
  await redis.bgrewriteaof().catch(() => undefined);
  await sleep(100);
  while ((await info(redis, 'persistence', 'aof_rewrite_in_progress')) === 1 || (await info(redis, 'persistence', 'aof_rewrite_scheduled')) === 1) await sleep(50);
}

async function around(redis: Redis, redisPid: number | undefined, run: () => Promise<{ events: number; seconds: number; lat: Samples; errors: number }>): Promise<Sample> {
  const forks0 = await info(redis, 'stats', 'total_forks');
  const cpu0 = ownCpuSeconds();
  const rcpu0 = cpuSeconds(redisPid);
  const m0 = machineBusySeconds();
  const r = await run();
  const [p50, p99] = r.lat.percentiles(50, 99);
  const producerCpu = (ownCpuSeconds() - cpu0) / r.seconds;
  const redisCpu = (cpuSeconds(redisPid) - rcpu0) / r.seconds;
  return { events: r.events, seconds: r.seconds, p50: p50!, p99: p99!, errors: r.errors, producerCpu, redisCpu,
    otherCpu: (machineBusySeconds() - m0) / r.seconds - producerCpu - redisCpu,
    forks: (await info(redis, 'stats', 'total_forks')) - forks0 };
}

/** N producers, each waiting for its ack before the next event. */
async function closedLoop(v: Variant, producers: number, seconds: number) {
  const lat = new Samples();
  let events = 0;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: producers }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await v.produce(nextRow());
        lat.push(performance.now() - t);
        events++;
      } catch {
        errors++;
      }
    }
  }));
  return { events, seconds: (performance.now() - start) / 1000, lat, errors };
}

/** Events arrive at `rate`/s on a 1 ms clock regardless of acks; latency counts from each event's due time. */
async function openLoop(v: Variant, rate: number, seconds: number) {
  const lat = new Samples();
  let events = 0;
  let errors = 0;
  let sent = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * rate));
    for (; sent < due; sent++) {
      const dueAt = start + (sent / rate) * 1000;
      const p: Promise<void> = v.produce(nextRow()).then(() => { lat.push(performance.now() - dueAt); events++; }, () => { errors++; })
        .finally(() => pending.delete(p));
      pending.add(p);
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return { events, seconds: (performance.now() - start) / 1000, lat, errors };
}

/** Redis memory taken by `n` queued events (nothing drains them), in bytes. */
async function memoryFor(redis: Redis, v: Variant, n: number): Promise<number> {
  await reset(redis);
  await sleep(200);
  const before = await info(redis, 'memory', 'used_memory');
  let left = n;
  await Promise.all(Array.from({ length: 200 }, async () => {
    while (left > 0) {
      left--;
      await v.produce(nextRow());
    }
  }));
  await sleep(100); // batchers have flushed (every produce above was acknowledged)
  return (await info(redis, 'memory', 'used_memory')) - before;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-buffer-bench-'));
  const server = await startPrivateRedis(dir);
  const redis = connectRedis({ url: server.url });
  await redis.connect();
  // BullMQ gets its own auto-pipelined connection (it needs maxRetriesPerRequest: null), like the collector's own.
  const bullConn = new Redis(server.url, { enableAutoPipelining: true, maxRetriesPerRequest: null });
  const queue = new Queue('ingest', { connection: bullConn, prefix: 'bench-bull' });
  await queue.waitUntilReady();
  try {
    const conf = (await redis.config('GET', 'append*')) as string[];
    const setting = (name: string) => conf[conf.indexOf(name) + 1];
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
    console.log(`Buffer choice benchmark: redis-server ${version} (appendonly ${setting('appendonly')}, appendfsync ${setting('appendfsync')}), ` +
      `ioredis auto-pipelining, BullMQ ${bullmqVersion}, event payload ~${Math.round(AVG_BYTES)} B of JSON, ${SECONDS} s per run`);
    const idle = await machineLoad(2000);
    console.log(`machine load before the run: ${idle.toFixed(2)} cores busy${idle > 0.2 ? ' -- something else is running, figures will be low and noisy' : ''}`);
    const vs = variants(redis, queue);
    const rows: string[][] = [];
    for (const v of vs) {
      const cells: string[] = [v.name];
      for (const n of PRODUCERS) {
        await reset(redis);
        await closedLoop(v, n, 1); // warm-up
        await reset(redis);
        const s = await around(redis, server.process.pid, () => closedLoop(v, n, SECONDS));
        cells.push(fmt(s.events / s.seconds), `${fmt(s.p50, 2)} / ${fmt(s.p99, 2)}`);
        console.log(`  ${v.name}, ${n} producers: ${fmt(s.events / s.seconds)} events/s, ack p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms, ` +
          `errors ${s.errors}, CPU producer ${fmt(s.producerCpu, 2)} / redis ${fmt(s.redisCpu, 2)} / other processes ${fmt(s.otherCpu, 2)} cores, ` +
          `AOF rewrites ${s.forks}`);
      }
      await reset(redis);
      const o = await around(redis, server.process.pid, () => openLoop(v, RATE, SECONDS));
      cells.push(`${fmt(o.p50, 2)} / ${fmt(o.p99, 2)}`, fmt((1e6 * o.redisCpu) / (o.events / o.seconds), 1), fmt((1e6 * o.producerCpu) / (o.events / o.seconds), 1));
      console.log(`  ${v.name}, open loop ${RATE}/s: ack p50 ${fmt(o.p50, 2)} ms, p99 ${fmt(o.p99, 2)} ms, errors ${o.errors}, ` +
        `CPU producer ${fmt(o.producerCpu, 2)} / redis ${fmt(o.redisCpu, 2)} / other processes ${fmt(o.otherCpu, 2)} cores`);
      const bytes = await memoryFor(redis, v, MEMORY_EVENTS);
      cells.push(`${fmt(bytes / 1024 / 1024, 1)} MB`, fmt(bytes / MEMORY_EVENTS));
      console.log(`  ${v.name}: ${fmt(bytes / 1024 / 1024, 1)} MB of Redis memory per ${fmt(MEMORY_EVENTS)} queued events`);
      rows.push(cells);
    }
    const header = ['variant'];
    for (const n of PRODUCERS) header.push(`ev/s (N=${n})`, `ack p50/p99 ms (N=${n})`);
    header.push(`ack p50/p99 ms @${RATE}/s`, `redis CPU µs/ev`, `producer CPU µs/ev`, `mem / ${fmt(MEMORY_EVENTS)} ev`, 'B/event');
    console.log(`\n${table(header, rows)}`);
    console.log(`(CPU µs per event measured in the open-loop run at ${RATE}/s; B/event = Redis used_memory growth / events queued)`);
  } finally {
    await queue.close().catch(() => undefined);
    bullConn.disconnect();
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
