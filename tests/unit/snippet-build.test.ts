/**
 * Tracker snippet build (size budget) and the collector route serving it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Koa from 'koa';
import { buildSnippet, SNIPPET_GZIP_BUDGET } from '../../tracker-snippet/build.ts';
import { createSnippetRoute, SNIPPET_CACHE_CONTROL } from '../../collector/routes/snippet.ts';

describe('tracker snippet build', () => {
  test('minified snippet stays within the 1,024-byte gzip budget', async () => {
    const { code, gzipBytes } = await buildSnippet();
    assert.equal(SNIPPET_GZIP_BUDGET, 1024);
    assert.ok(gzipBytes > 0 && gzipBytes <= 1024, `snippet is ${gzipBytes} bytes gzipped`);
    assert.ok(code.length > 0 && !code.includes('\n'), 'output is minified to one line');
  });

  test('build output is a classic script (no import/export) wrapped in an IIFE', async () => {
    const { code } = await buildSnippet();
    assert.doesNotMatch(code, /(^|[;}])\s*(import|export)\s/);
    assert.match(code, /^\(\(/);
    assert.match(code, /\}\)\(window,document\);?$/);
  });

  test('build throws an error naming the size when over budget', async () => {
    await assert.rejects(buildSnippet({ budget: 100 }), (err: Error) => {
      assert.match(err.message, /is \d+ bytes gzipped, over the 100-byte budget/);
      return true;
    });
  });
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('snippet route', () => {
  let server: http.Server;
  let port: number;
  let code: string;

  before(async () => {
    code = (await buildSnippet()).code;
    const app = new Koa();
    app.use(await createSnippetRoute());
    app.use((ctx) => {
      ctx.status = 418;
      ctx.body = `fallthrough ${ctx.method} ${ctx.path}`;
    });
    server = http.createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('GET /t.js answers 200 with the built code and the caching/security headers', async () => {
    const res = await request(port, '/t.js');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], SNIPPET_CACHE_CONTROL);
    assert.equal(res.headers['cache-control'], 'public, max-age=3600, stale-while-revalidate=86400');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]+"$/, 'strong ETag');
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.body.toString('utf8'), code);
  });

  test('GET /js/script.js is an alias serving the same code', async () => {
    const [a, b] = await Promise.all([request(port, '/t.js'), request(port, '/js/script.js')]);
    assert.equal(b.status, 200);
    assert.equal(b.headers.etag, a.headers.etag);
    assert.deepEqual(b.body, a.body);
  });

  test('If-None-Match with the current ETag answers 304 without a body', async () => {
    const first = await request(port, '/t.js');
    const etag = String(first.headers.etag);
    const res = await request(port, '/t.js', { 'If-None-Match': etag });
    assert.equal(res.status, 304);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, etag);
    assert.equal(res.headers['cache-control'], SNIPPET_CACHE_CONTROL);
    const listed = await request(port, '/t.js', { 'If-None-Match': `"other", W/${etag}` });
    assert.equal(listed.status, 304, 'matches within a list and ignores the weak prefix');
  });

  test('a stale ETag gets the full 200 response', async () => {
    const res = await request(port, '/t.js', { 'If-None-Match': '"stale"' });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString('utf8'), code);
  });

  test('Accept-Encoding: gzip gets the pre-compressed body', async () => {
    const res = await request(port, '/t.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assert.equal(res.headers.vary, 'Accept-Encoding');
    assert.equal(Number(res.headers['content-length']), res.body.length);
    assert.ok(res.body.length <= 1024, `served ${res.body.length} gzipped bytes`);
    assert.equal(gunzipSync(res.body).toString('utf8'), code);
    const plain = await request(port, '/t.js');
    assert.notEqual(res.headers.etag, plain.headers.etag, 'each encoding has its own ETag');
    const revalidated = await request(port, '/t.js', {
      'Accept-Encoding': 'gzip',
      'If-None-Match': String(res.headers.etag),
    });
    assert.equal(revalidated.status, 304);
  });

  test('gzip;q=0 is honoured with an identity body', async () => {
    const res = await request(port, '/t.js', { 'Accept-Encoding': 'gzip;q=0, identity' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.body.toString('utf8'), code);
  });

  test('HEAD /t.js answers headers only', async () => {
    const res = await request(port, '/t.js', {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.body.length, 0);
  });

  test('other paths and non-GET methods are passed to the next middleware', async () => {
    for (const [method, path] of [
      ['GET', '/api/event'],
      ['GET', '/t.jsx'],
      ['GET', '/'],
      ['POST', '/t.js'],
    ] as const) {
      const res = await request(port, path, {}, method);
      assert.equal(res.status, 418, `${method} ${path}`);
      assert.equal(res.body.toString(), `fallthrough ${method} ${path}`);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    }
  });
});
