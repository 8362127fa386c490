import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { insertRows } from '../../core/clickhouse.ts';
import { decodeEntry, keys } from '../../core/ingest-stream.ts';
import { createLogger } from '../../core/log.ts';
import { EventDrainer } from '../../worker/drain-events.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

type Entry = [string, string[]];

/**
 * The worker's exactly-once recovery, step by step: a worker that died after its insert landed but before it
 * acknowledged, and another that died holding entries it had not yet recorded. (tests/crash does the same with kill -9.)
 */
describe('draining the ingest stream after a worker died', () => {
  let p: TestPlatform;
  const k = keys('vigil:');

  before(async () => {
    p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '100000' }, ['collector', 'dashboard']); // no worker yet
    await p.registry.addSite({ domain: 'example.com' });
    for (let i = 0; i < 50; i++) {
      const res = await p.post('/api/event', { n: 'pageview', u: `https://example.com/${i}`, d: 'example.com', p: { seq: String(i) } });
      assert.equal(res.status, 202);
    }
  });
  after(() => p.close());

  it('stores every acknowledged event exactly once, re-using the dead worker\'s batch token', async () => {
    const redis = p.services.redis;
    await redis.xgroup('CREATE', k.stream, k.group, '0', 'MKSTREAM');
    // Worker "dead-1" read 30 entries, recorded the batch, and its insert reached ClickHouse; then it died.
    const read1 = (await redis.xreadgroup('GROUP', k.group, 'dead-1', 'COUNT', 30, 'STREAMS', k.stream, '>')) as [string, Entry[]][];
    const entries1 = read1[0]![1];
    const token = 'b-dead-1-batch';
    await redis.hset(k.inflight, token, JSON.stringify({ owner: 'dead-1', ids: entries1.map((e) => e[0]) }));
    const rows1 = entries1.map(([, f]) => decodeEntry(f)).map((d) => (d?.kind === 'web' ? JSON.parse(d.line) as object : null)).filter((r) => r !== null);
    await insertRows(p.services.ch, 'events', rows1, token);
    // Worker "dead-2" read 10 more and died before recording them.
    await redis.xreadgroup('GROUP', k.group, 'dead-2', 'COUNT', 10, 'STREAMS', k.stream, '>');

    const drainer = new EventDrainer(p.services.ch, redis, 'vigil:', createLogger('silent'), { intervalMs: 100, maxRows: 10_000, leaseMs: 1000 });
    await drainer.start();
    try {
      await p.waitForCount('SELECT count() FROM events', 50);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && ((await redis.xlen(k.stream)) > 0 || (await redis.hlen(k.inflight)) > 0)) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await drainer.stop();
    }
    const dupes = await p.rows<{ seq: string; c: string }>("SELECT props['seq'] AS seq, count() AS c FROM events GROUP BY seq HAVING c > 1");
    assert.deepEqual(dupes, [], 'no event stored twice');
    const [total] = await p.rows<{ c: string; seqs: string }>("SELECT count() AS c, uniqExact(props['seq']) AS seqs FROM events");
    assert.deepEqual([Number(total!.c), Number(total!.seqs)], [50, 50]);
    assert.equal(await redis.xlen(k.stream), 0, 'the stream is empty');
    assert.equal(await redis.hlen(k.inflight), 0, 'no batch left in flight');
    const consumers = (await redis.xinfo('CONSUMERS', k.stream, k.group)) as unknown[][];
    const names = consumers.map((c) => String(c[1]));
    assert.ok(!names.includes('dead-1') && !names.includes('dead-2'), `dead consumers removed: ${names.join()}`);
  });

  it('a batch inserted twice with the same token is stored once', async () => {
    const before = Number((await p.rows<{ c: string }>('SELECT count() AS c FROM ingest_drops'))[0]!.c);
    const rows = [{ day: '2026-01-01', site_id: 's', reason: 'bot', count: 3 }];
    await insertRows(p.services.ch, 'ingest_drops', rows, 'same-token');
    await insertRows(p.services.ch, 'ingest_drops', rows, 'same-token');
    await insertRows(p.services.ch, 'ingest_drops', rows, 'other-token');
    await insertRows(p.services.ch, 'ingest_drops', rows); // no token: never taken for a duplicate of a tokened one
    const after = Number((await p.rows<{ c: string }>('SELECT count() AS c FROM ingest_drops'))[0]!.c);
    assert.equal(after - before, 3);
  });
});
