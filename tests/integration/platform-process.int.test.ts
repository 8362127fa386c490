import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openClickHouse, queryRows } from '../../core/clickhouse.ts';
import { freePort, runVigil, startVigil, stopVigil } from '../helpers/processes.ts';
import { CHROME_UA } from '../helpers/platform.ts';

/** `npm start` and `npx vigil` as a newcomer runs them: real processes, no configuration but DATA_DIR and PORT. */
describe('the platform process and the vigil CLI', () => {
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vigil-proc-'));
    env = { DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'info' };
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts every role with embedded defaults, manages sites while running, and stops cleanly on SIGTERM', async () => {
    const vigil = await startVigil(env);
    try {
      assert.match(vigil.output(), /Vigil listening on http:\/\/127\.0\.0\.1:\d+/);
      const health = (await (await fetch(`${vigil.url}/healthz`)).json()) as { roles: string[] };
      assert.deepEqual(health.roles, ['collector', 'dashboard', 'worker']);

      const added = await runVigil(['site', 'add', 'shop.example'], env);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /Added shop\.example/);
      // The running collector takes the new site at once, without a restart.
      const res = await fetch(`${vigil.url}/api/event`, { method: 'POST', headers: { 'user-agent': CHROME_UA },
        body: JSON.stringify({ n: 'pageview', u: 'https://shop.example/', d: 'shop.example' }) });
      assert.equal(res.status, 202);

      const product = await runVigil(['product', 'add', 'Cleaner'], env);
      assert.equal(product.code, 0, product.stderr);
      const key = /(vk_[A-Za-z0-9_-]+)/.exec(product.stdout)?.[1];
      assert.ok(key, product.stdout);
      const app = await fetch(`${vigil.url}/api/product-events`, { method: 'POST', headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ events: [{ name: 'scan', feature: 'Disk scan', install_id: 'i-1' }] }) });
      assert.equal(app.status, 202);
    } finally {
      assert.equal(await stopVigil(vigil.child), 0, 'exit code after SIGTERM');
    }
    // redis-server removes its pid file when it shuts down cleanly.
    assert.ok(!existsSync(join(dataDir, 'redis', 'redis.pid')), 'the private redis-server stopped with the platform');
    // What was acknowledged before SIGTERM is stored.
    const ch = await openClickHouse({ dataDir, clickhouse: { username: 'default', password: '', database: 'default' } });
    try {
      const [web] = await queryRows<{ c: string }>(ch, 'SELECT count() AS c FROM events');
      const [app] = await queryRows<{ c: string }>(ch, 'SELECT count() AS c FROM product_events');
      assert.deepEqual([Number(web!.c), Number(app!.c)], [1, 1]);
    } finally {
      await ch.close();
    }
  });

  it('manages sites with the platform stopped, straight in the store', async () => {
    const list = await runVigil(['site', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /shop\.example/);
    const dup = await runVigil(['site', 'add', 'shop.example'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    const removed = await runVigil(['site', 'remove', 'shop.example'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await runVigil(['site', 'list'], env)).stdout, /shop\.example/);
  });

  it('stops at start-up with one line naming a wrong setting', async () => {
    const bad = await runVigil(['start'], { ...env, PORT: 'eighty' });
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim(), 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "eighty")');
    const level = await runVigil(['start'], { ...env, LOG_LEVEL: 'loud' });
    assert.match(level.stderr.trim(), /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/);
    const role = await runVigil(['start', 'collecter'], env);
    assert.match(role.stderr, /Unknown role "collecter"/);
    const many = await runVigil(['start', '--collectors', 'lots'], env);
    assert.match(many.stderr, /--collectors must be an integer between 0 and 64 \(got "lots"\)/);
  });

  it('runs collector processes beside itself with --collectors, on COLLECTOR_PORT, and stops them with itself', async () => {
    const collectorPort = String(await freePort());
    const vigil = await startVigil({ ...env, COLLECTOR_PORT: collectorPort }, 60_000, ['start', '--collectors', '1']);
    const url = `http://127.0.0.1:${collectorPort}`;
    try {
      // The store process answers first; its collector processes follow within seconds.
      let health: { roles: string[]; pid: number } | null = null;
      for (let i = 0; i < 300 && !health; i++) {
        health = await fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ roles: string[]; pid: number }>, () => null);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(health?.roles, ['collector']);
      assert.notEqual(health!.pid, vigil.child.pid);
    } finally {
      assert.equal(await stopVigil(vigil.child), 0);
    }
    await assert.rejects(fetch(`${url}/healthz`), 'the collector process is gone too');
  });

  it('says how to install redis-server when there is none', async () => {
    const run = await runVigil(['start'], { ...env, REDIS_SERVER_BIN: '/nonexistent/redis-server' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /redis-server was not found .*apt-get install redis-server/);
  });

  it('refuses a Redis that keeps nothing on disk or evicts, naming the setting, unless explicitly allowed', async () => {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const run = await runVigil(['start'], { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Refusing to start: .*appendonly yes.*maxmemory-policy noeviction/);
      const allowed = await startVigil({ ...env, REDIS_URL: `redis://127.0.0.1:${port}`, VIGIL_ALLOW_VOLATILE_REDIS: '1' });
      assert.match(allowed.output(), /may lose acknowledged events/);
      assert.equal(await stopVigil(allowed.child), 0);
    } finally {
      redis.kill('SIGKILL');
    }
  });
});
