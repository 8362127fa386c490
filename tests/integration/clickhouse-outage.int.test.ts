import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** While ClickHouse cannot take inserts, events wait in Redis; when it is back they are stored, once each. */
describe('a ClickHouse outage only delays events', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '100000' });
    await p.registry.addSite({ domain: 'example.com' });
  });
  after(() => p.close());

  it('keeps acknowledged events in Redis during the outage and stores each once afterwards', async () => {
    // The events table goes away under the worker, as when a server restarts or a disk fills.
    await p.services.ch.command({ query: 'DETACH TABLE events' });
    try {
      for (let i = 0; i < 200; i++) {
        const res = await p.post('/api/event', { n: 'pageview', u: `https://example.com/p${i}`, d: 'example.com', p: { seq: String(i) } });
        assert.equal(res.status, 202);
      }
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await p.services.redis.xlen('vigil:ingest'), 200, 'every event waits in the stream');
      assert.ok((await p.services.redis.hlen('vigil:ingest:inflight')) >= 1, 'the failing batch is recorded, to be retried');
    } finally {
      await p.services.ch.command({ query: 'ATTACH TABLE events' });
    }
    await p.waitForCount('SELECT count() FROM events', 200);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (await p.services.redis.xlen('vigil:ingest')) > 0) await new Promise((r) => setTimeout(r, 50));
    const [r] = await p.rows<{ c: string; u: string }>("SELECT count() AS c, uniqExact(props['seq']) AS u FROM events");
    assert.deepEqual([Number(r!.c), Number(r!.u)], [200, 200]);
    assert.equal(await p.services.redis.xlen('vigil:ingest'), 0);
  });
});
