import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const IPS = ['81.2.69.160', '8.8.4.4', '2a00:1450:4001:81d::200e', '203.0.113.77'];

describe('anonymous by construction: a raw IP address is never stored', () => {
  let p: TestPlatform;

  before(async () => {
    p = await startTestPlatform({ TRUST_PROXY: '1', LOG_LEVEL: 'debug' });
    await p.registry.addSite({ domain: 'example.com' });
    const { apiKey } = await p.registry.addProduct('Cleaner');
    for (const ip of IPS) {
      for (const extra of [{}, { dnt: '1' }]) {
        assert.equal((await p.post('/api/event', { n: 'pageview', u: 'https://example.com/', d: 'example.com' }, { 'x-forwarded-for': ip, ...extra })).status, 202);
        assert.equal((await p.post('/api/event', { n: 'Download', u: 'https://example.com/get', d: 'example.com', p: { plan: 'free' } }, { 'x-forwarded-for': ip, ...extra })).status, 202);
      }
      assert.equal((await p.post('/api/product-events', { events: [{ name: 'scan', install_id: 'x1' }] }, { authorization: `Bearer ${apiKey}`, 'x-forwarded-for': ip })).status, 202);
      // Refused requests too: they are counted, never stored with their address.
      await p.post('/api/event', { n: 'pageview', u: 'https://example.com/', d: 'nope.example' }, { 'x-forwarded-for': ip });
    }
    await p.waitForCount('SELECT count() FROM events', IPS.length * 4);
    await p.waitForCount('SELECT count() FROM product_events', IPS.length);
  });
  after(() => p.close());

  it('no column of any table holds any of the addresses the requests came from', async () => {
    const tables = await p.rows<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree%'");
    assert.ok(tables.length >= 6, tables.map((t) => t.name).join());
    for (const { name } of tables) {
      // The table name comes from system.tables, not from a request.
      const [row] = await p.rows<{ hits: string; total: string }>(
        `SELECT countIf(multiSearchAny(formatRow('TSV', *), {ips:Array(String)})) AS hits, count() AS total FROM ${name}`, { ips: IPS });
      assert.equal(Number(row!.hits), 0, `${name} holds an address`);
    }
  });

  it('the location derived from the address is kept instead', async () => {
    const countries = (await p.rows<{ c: string }>('SELECT DISTINCT country_code AS c FROM events')).map((r) => r.c);
    assert.ok(countries.includes('GB') && countries.includes('US'), countries.join());
  });

  it('the logs, even at debug level, hold no address', () => {
    assert.ok(p.logs.length > 0, 'the platform logged');
    for (const ip of IPS) assert.ok(!p.logs.some((l) => l.includes(ip)), `a log line holds ${ip}`);
  });

  it('the ingest buffer in Redis holds no address either', async () => {
    const dump = JSON.stringify(await p.services.redis.xrange('vigil:ingest', '-', '+'));
    for (const ip of IPS) assert.ok(!dump.includes(ip));
    const keys = await p.services.redis.keys('*');
    for (const ip of IPS) assert.ok(!keys.some((k) => k.includes(ip)), `a Redis key names ${ip}`);
  });

  it('the Redis append-only file holds no address', async () => {
    await p.services.redis.call('BGREWRITEAOF').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const { readdirSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    const files = walk(`${p.dataDir}/redis`);
    assert.ok(files.length > 0);
    for (const f of files) {
      const text = readFileSync(f, 'latin1');
      for (const ip of IPS) assert.ok(!text.includes(ip), `${f} holds ${ip}`);
    }
  });
});
