import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { insertJsonLines, insertRows, type ClickHouseClient } from '../core/clickhouse.ts';
import type { ProductEventRow } from '../core/event.ts';
import { decodeEntry, keys, type VisitSnapshot } from '../core/ingest-stream.ts';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis.ts';
import { sessionRows } from './session-rows.ts';

export interface DrainOptions { intervalMs: number; maxRows: number; leaseMs: number }
interface Batch { token: string; ids: string[]; web: string[]; visits: VisitSnapshot[]; product: ProductEventRow[]; rows: number }
type StreamEntry = [id: string, fields: string[]];

/**
 * Moves events from the Redis ingest stream into ClickHouse in large inserts, exactly once:
 * 1. read entries through the consumer group (they stay pending until acknowledged);
 * 2. record the batch (token + entry ids) in Redis, then insert with that token as ClickHouse's deduplication token;
 * 3. acknowledge and delete the entries and the record in one transaction.
 * A worker that dies after 2 leaves its record; whoever finds the owner's lease expired re-inserts the same entries
 * with the same token, which ClickHouse drops as a duplicate if the first insert had landed. Entries read but not
 * yet recorded are claimed from a dead consumer and form a new batch (they were never inserted).
 */
export class EventDrainer {
  readonly owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly k;
  private readonly reader: Redis;
  private running = false;
  /** After stop(): keep storing what is already in the stream until it is empty or this time passes. */
  private drainUntil = 0;
  private loop: Promise<void> | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private lastRecovery = 0;
  stored = 0;

  constructor(private readonly ch: ClickHouseClient, private readonly redis: Redis, prefix: string,
    private readonly log: Logger, private readonly opts: DrainOptions) {
    this.k = keys(prefix);
    // Blocking reads get their own connection so they never hold up the shared, auto-pipelined one.
    this.reader = redis.duplicate({ enableAutoPipelining: false });
  }

  async start(): Promise<void> {
    if (this.reader.status === 'wait') await this.reader.connect();
    try {
      await this.redis.xgroup('CREATE', this.k.stream, this.k.group, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
    await this.renewLease();
    this.leaseTimer = setInterval(() => { this.renewLease().catch(() => undefined); }, Math.max(200, this.opts.leaseMs / 3));
    this.leaseTimer.unref();
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops: stores what was read, then (for up to `drainMs`) what is still waiting in the stream, and gives up the
   * lease so a restart recovers nothing needlessly. Whatever is left stays safe in Redis for the next start.
   */
  async stop(drainMs = 0): Promise<void> {
    this.drainUntil = Date.now() + drainMs;
    this.running = false;
    await this.loop;
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await this.redis.del(this.k.lease(this.owner)).catch(() => undefined);
    this.reader.disconnect();
  }

  private async renewLease(): Promise<void> {
    await this.redis.set(this.k.lease(this.owner), '1', 'PX', this.opts.leaseMs);
  }

  private get active(): boolean {
    return this.running || Date.now() < this.drainUntil;
  }

  private async run(): Promise<void> {
    while (this.active) {
      try {
        if (Date.now() - this.lastRecovery > this.opts.leaseMs / 2) {
          this.lastRecovery = Date.now();
          await this.recoverDead();
        }
        const batch = await this.collect();
        if (batch.ids.length) await this.store(batch);
        else if (!this.running) break;
      } catch (err) {
        // Shutting down without Redis: what is left stays in the stream for the next start.
        if (!this.running) break;
        this.lastRecovery = 0; // pick up whatever the failure left half done
        this.log.warn({ err: (err as Error).message }, 'ingest drain: redis unavailable, retrying');
        await sleep(500);
      }
    }
  }

  /** Reads until maxRows rows or intervalMs after the first entry, whichever comes first. */
  private async collect(): Promise<Batch> {
    const batch = newBatch();
    let deadline = Date.now() + this.opts.intervalMs;
    while (this.active && batch.rows < this.opts.maxRows) {
      const wait = this.running ? deadline - Date.now() : 50;
      if (wait <= 0 && batch.ids.length) break;
      const res = (await this.reader.xreadgroup('GROUP', this.k.group, this.owner, 'COUNT', this.opts.maxRows - batch.rows,
        'BLOCK', Math.max(1, Math.min(wait, this.opts.intervalMs)), 'STREAMS', this.k.stream, '>')) as [string, StreamEntry[]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length === 0 && !this.running) break;
      if (entries.length === 0 && batch.ids.length === 0) deadline = Date.now() + this.opts.intervalMs;
      addEntries(batch, entries, this.log);
    }
    return batch;
  }

  /** Records, inserts (retrying until ClickHouse takes it) and acknowledges one batch. */
  private async store(batch: Batch): Promise<void> {
    await this.redis.hset(this.k.inflight, batch.token, JSON.stringify({ owner: this.owner, ids: batch.ids }));
    for (let attempt = 0; ; attempt++) {
      try {
        await insertJsonLines(this.ch, 'events', batch.web, batch.token);
        await insertRows(this.ch, 'sessions', sessionRows(batch.visits), batch.token);
        await insertRows(this.ch, 'product_events', batch.product, batch.token);
        break;
      } catch (err) {
        this.log.warn({ err: (err as Error).message, attempt, rows: batch.rows }, 'ingest drain: ClickHouse insert failed, retrying');
        // On shutdown the record stays: the next worker re-inserts it under the same token.
        if (!this.active && attempt >= 2) return;
        await sleep(Math.min(200 * 2 ** attempt, 5000));
      }
    }
    await this.redis.multi()
      .xack(this.k.stream, this.k.group, ...batch.ids)
      .xdel(this.k.stream, ...batch.ids)
      .hdel(this.k.inflight, batch.token)
      .exec();
    this.stored += batch.rows;
  }

  /** Finishes the work of workers whose lease has expired: their recorded batches, then their unrecorded entries. */
  private async recoverDead(): Promise<void> {
    const records = await this.redis.hgetall(this.k.inflight);
    const recorded = new Set<string>();
    for (const [token, json] of Object.entries(records)) {
      const rec = JSON.parse(json) as { owner: string; ids: string[] };
      rec.ids.forEach((id) => recorded.add(id));
      // Our own records count too: run() is sequential, so here we hold no batch, and one of ours is left over from
      // a store() that failed (e.g. Redis went away before the acknowledgement).
      if (rec.owner !== this.owner && (await this.redis.exists(this.k.lease(rec.owner)))) continue;
      // Take the record over only if nobody else did in the meantime.
      const mine = JSON.stringify({ owner: this.owner, ids: rec.ids });
      const taken = await this.redis.eval(
        "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0",
        1, this.k.inflight, token, json, mine);
      if (taken !== 1) continue;
      const batch = newBatch(token);
      addEntries(batch, await this.claim(rec.ids), this.log);
      batch.ids = rec.ids; // acknowledge every id, including any already deleted
      this.log.info({ token, rows: batch.rows, from: rec.owner }, 'ingest drain: re-storing a batch left by a stopped worker');
      await this.store(batch);
    }
    // XINFO lists every consumer, also those left with nothing pending, so dead ones are removed too.
    const consumers = (await this.redis.xinfo('CONSUMERS', this.k.stream, this.k.group)) as unknown[][];
    for (const info of consumers) {
      const consumer = String(info[1]);
      // Likewise our own pending entries: read by a collect() that failed, or whose reply a dropped connection lost.
      if (consumer !== this.owner && (await this.redis.exists(this.k.lease(consumer)))) continue;
      for (;;) {
        const pending = (await this.redis.xpending(this.k.stream, this.k.group, '-', '+', this.opts.maxRows, consumer)) as [string, string, number, number][];
        const ids = pending.map((p) => p[0]).filter((id) => !recorded.has(id));
        if (ids.length === 0) break;
        const batch = newBatch();
        addEntries(batch, await this.claim(ids), this.log);
        batch.ids = ids;
        await this.store(batch);
      }
      const left = (await this.redis.xpending(this.k.stream, this.k.group, '-', '+', 1, consumer)) as unknown[];
      if (left.length === 0 && consumer !== this.owner) await this.redis.xgroup('DELCONSUMER', this.k.stream, this.k.group, consumer);
    }
  }

  private async claim(ids: string[]): Promise<StreamEntry[]> {
    const out: StreamEntry[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const got = (await this.redis.xclaim(this.k.stream, this.k.group, this.owner, 0, ...ids.slice(i, i + 1000))) as (StreamEntry | null)[];
      for (const e of got) if (e) out.push(e);
    }
    return out;
  }
}

function newBatch(token = `b-${randomUUID()}`): Batch {
  return { token, ids: [], web: [], visits: [], product: [], rows: 0 };
}

function addEntries(batch: Batch, entries: StreamEntry[], log: Logger): void {
  for (const [id, fields] of entries) {
    batch.ids.push(id);
    const decoded = decodeEntry(fields);
    if (!decoded) {
      log.error({ id }, 'ingest drain: skipping an entry that is not a Vigil event');
      continue;
    }
    if (decoded.kind === 'web') {
      batch.web.push(decoded.line);
      if (decoded.visit) batch.visits.push(decoded.visit);
      batch.rows += 1;
    } else {
      batch.product.push(...decoded.rows);
      batch.rows += decoded.rows.length;
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
