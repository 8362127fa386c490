import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

describe('product events: batches from applications with a product API key', () => {
  let p: TestPlatform;
  let key = '';
  let productId = '';
  const send = (events: unknown, k = key) => p.post('/api/product-events', { events }, { authorization: `Bearer ${k}`, 'x-forwarded-for': '8.8.8.8' });

  before(async () => {
    p = await startTestPlatform({ TRUST_PROXY: '1' });
    const made = await p.registry.addProduct('Cleaner');
    key = made.apiKey;
    productId = made.product.productId;
  });
  after(() => p.close());

  it('stores every event of a batch with product, feature, name, install, version, OS, time, country and props', async () => {
    const at = Date.now() - 3_600_000;
    const events = Array.from({ length: 1000 }, (_, i) => ({
      product: 'Cleaner', feature: i % 2 ? 'Duplicate finder' : 'Disk scan', event: 'used', install_id: `install-${i % 10}`,
      app_version: '2.4.1', os: 'macOS', os_version: '15.1', timestamp: new Date(at + i).toISOString(), props: { run: String(i) },
    }));
    const res = await send(events);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { ok: true, accepted: 1000 });
    await p.waitForCount('SELECT count() FROM product_events WHERE product_id = {p:String}', 1000, { p: productId });
    const summary = await p.rows<Record<string, string>>(
      `SELECT feature, count() AS events, uniqExact(install_id) AS installs, any(app_version) AS v, any(os) AS os, any(country_code) AS country,
        toUnixTimestamp64Milli(min(timestamp)) AS first, uniqExact(props['run']) AS runs
       FROM product_events WHERE product_id = {p:String} GROUP BY feature ORDER BY feature`, { p: productId });
    assert.deepEqual(summary.map((r) => [r.feature, Number(r.events), Number(r.installs), r.v, r.os, r.country, Number(r.runs)]), [
      ['Disk scan', 500, 5, '2.4.1', 'macOS', 'US', 500],
      ['Duplicate finder', 500, 5, '2.4.1', 'macOS', 'US', 500],
    ]);
    assert.equal(Number(summary[0]!.first), at, 'the app\'s own timestamp is kept');
  });

  it('a key made while running works at once, and a revoked key is refused at once', async () => {
    const fresh = await p.registry.createKey(productId);
    assert.equal((await send([{ name: 'opened', install_id: 'k1' }], fresh)).status, 202);
    const [info] = (await p.registry.listKeys(productId)).filter((k) => fresh.startsWith(k.prefix) && k.keyId);
    for (const k of await p.registry.listKeys(productId)) if (k.prefix === fresh.slice(0, 9)) await p.registry.revokeKey(k.keyId);
    assert.ok(info);
    assert.equal((await send([{ name: 'opened', install_id: 'k1' }], fresh)).status, 403);
    assert.equal((await send([{ name: 'opened', install_id: 'k1' }])).status, 202, 'the first key still works');
  });

  it('keeps only a hash of each API key in the store', async () => {
    const [hit] = await p.rows<{ c: string }>('SELECT count() AS c FROM api_keys WHERE key_hash = {k:String} OR prefix = {k:String}', { k: key });
    assert.equal(Number(hit!.c), 0);
  });
});
