import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import Koa from 'koa';
import { createWebApp } from '../../dashboard/routes/web-app.ts';

/** Serving the built dashboard (dashboard/routes/web-app.ts) from a dist folder made here: no browser, no store. */
describe('serving the dashboard app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-web-'));
  const dist = join(dir, 'dist');
  const big = `console.log(${JSON.stringify('x'.repeat(5000))});`;
  let server: Server;
  let base = '';

  const start = async (folder: string) => {
    const app = new Koa();
    app.use(async (ctx, next) => { if (ctx.path === '/api/known') { ctx.body = { ok: true }; return; } await next(); });
    app.use(createWebApp(folder));
    const s = createServer(app.callback());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return s;
  };

  before(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), big);
    writeFileSync(join(dir, 'secret.txt'), 'outside dist');
    server = await start(dist);
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the app\'s own paths with index.html, never cached, with a strict content policy and no referrer', async () => {
    for (const path of ['/', '/sites/s_1?period=7d', '/share/AbCdEfGhIjKlMnOpQrStUvWx', '/products/p_1/settings']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type')!, /text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.match(res.headers.get('content-security-policy')!, /script-src 'self'/);
      assert.match(await res.text(), /id="app"/);
    }
  });

  it('serves hashed assets for a year, gzipped when asked', async () => {
    const res = await fetch(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type')!, /javascript/);
    assert.equal(await res.text(), big); // fetch inflates
    const raw = await new Promise<Buffer>((resolve) => {
      import('node:http').then(({ get }) => get(`${base}/assets/index-abc123.js`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => { assert.equal(r.headers['content-encoding'], 'gzip'); resolve(Buffer.concat(chunks)); });
      }));
    });
    assert.ok(raw.length < big.length / 10);
    assert.equal(gunzipSync(raw).toString(), big);
  });

  it('answers a missing asset with 404, not the app, and leaves server paths alone', async () => {
    assert.equal((await fetch(`${base}/assets/index-old999.js`)).status, 404);
    assert.deepEqual(await (await fetch(`${base}/api/known`)).json(), { ok: true });
    for (const path of ['/api/unknown', '/internal/admin/x', '/t.js', '/healthz']) {
      const res = await fetch(base + path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /id="app"/, path);
    }
  });

  it('never serves a file outside the build', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2fsecret.txt']) {
      const res = await fetch(base + path);
      assert.doesNotMatch(await res.text(), /outside dist/, path);
    }
    assert.equal((await fetch(`${base}/%E0%A4%A`)).status, 400);
  });

  it('says how to build the app when it is not built, instead of failing', async () => {
    const bare = await start(join(dir, 'nothing-here'));
    try {
      const res = await fetch(`http://127.0.0.1:${(bare.address() as { port: number }).port}/sites/x`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /npm run build/);
    } finally {
      await new Promise((r) => bare.close(r));
    }
  });
});
