/**
 * Runs the built tracker snippet in headless Chromium against a fixture server
 * (node:http) that serves test pages and records what arrives at /api/event.
 * The fixture only records bodies: it tests the snippet's own behaviour, not
 * the collector. Pages are served as http://vigil.test:<port> (mapped to
 * 127.0.0.1 by Chromium) so the localhost rule and the automation rule can be
 * told apart. Each test uses its own path prefix to keep its events apart.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildSnippet } from '../../tracker-snippet/build.ts';

const CHROMIUM = '/usr/bin/chromium';

interface Received {
  path: string;
  contentType: string;
  body: { n: string; u: string; d?: string; r?: string; w?: number; p?: Record<string, string>; h?: number; e?: number; nc?: number };
}

const received: Received[] = [];
let server: http.Server;
let port = 0;
let browser: Browser;

/** Test page; q selects attributes/fixtures, e.g. "local&queue". */
function html(q: URLSearchParams): string {
  const attrs = [
    q.has('local') ? 'data-allow-local' : '',
    q.has('hash') ? 'data-hash' : '',
    q.has('nocookie') ? 'data-no-cookie' : '',
    q.has('api') ? 'data-api="/custom/collect"' : '',
  ].join(' ');
  const queue = q.has('queue')
    ? `<script>window.vigil=window.vigil||function(){(window.vigil.q=window.vigil.q||[]).push(arguments)};` +
      `vigil('Queued',{props:{early:'yes'}})</script>`
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>t</title>${queue}
<script defer data-domain="example.com" ${attrs} src="/t.js"></script></head><body>
<a id="out" href="https://elsewhere.example.org/pricing">out</a>
<a id="pdf" href="/files/report.PDF">pdf</a> <a id="same" href="/somewhere/else">same</a>
<script>['click','auxclick'].forEach(t=>document.addEventListener(t,e=>e.preventDefault()))</script>
</body></html>`;
}

function origin(host = 'vigil.test'): string {
  return `http://${host}:${port}`;
}

/** Events whose page URL path starts with /<prefix>/. */
function eventsFor(prefix: string): Received[] {
  return received.filter((r) => new URL(r.body.u).pathname.startsWith(`/${prefix}/`));
}

/** Polls (bounded) until at least `count` events for `prefix` match `pred`. */
async function waitFor(prefix: string, pred: (r: Received) => boolean, count = 1, ms = 5000): Promise<Received[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const hits = eventsFor(prefix).filter(pred);
    if (hits.length >= count) return hits;
    if (Date.now() > deadline) {
      assert.fail(`expected ${count} matching event(s) for /${prefix}/, got: ${JSON.stringify(eventsFor(prefix).map((r) => r.body))}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const named = (n: string) => (r: Received) => r.body.n === n;

/**
 * Sends a custom event and resolves when its callback ran. Browser-side code
 * is passed as strings: tsx (esbuild keepNames) would inject a __name helper
 * that does not exist in the page.
 */
function track(page: Page, name: string, props?: Record<string, string>): Promise<boolean> {
  const args = `${JSON.stringify(name)}, {props: ${JSON.stringify(props)}, callback: () => res(true)}`;
  return page.evaluate(`new Promise((res) => window.vigil(${args}))`);
}
const NOT_WEBDRIVER = `Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false })`;

/** Asserts that nothing arrives for prefix: the snippet's callback has run, then a short grace. */
async function assertQuiet(page: Page, prefix: string): Promise<void> {
  assert.equal(await track(page, 'Probe'), true, 'callback is still called when skipped');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(eventsFor(prefix).map((r) => r.body), []);
}

async function open(path: string, init?: string, host?: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (init) await page.addInitScript(init);
  await page.goto(origin(host) + path);
  return page;
}

describe('tracker snippet in a browser', { skip: !existsSync(CHROMIUM) && `${CHROMIUM} missing` }, () => {
  before(async () => {
    const { code } = await buildSnippet();
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'POST') {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c));
        req.on('end', () => {
          received.push({ path: url.pathname, contentType: String(req.headers['content-type']), body: JSON.parse(raw) });
          res.writeHead(204).end();
        });
      } else if (url.pathname === '/t.js') {
        res.writeHead(200, { 'Content-Type': 'application/javascript' }).end(code);
      } else {
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(html(url.searchParams));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--host-resolver-rules=MAP vigil.test 127.0.0.1'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('sends one pageview on load with the short keys, as text/plain', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin()}/load/index?local`, { referer: 'https://news.example.net/' });
    const [pv] = await waitFor('load', named('pageview'));
    assert.equal(pv!.path, '/api/event');
    assert.match(pv!.contentType, /^text\/plain/);
    assert.deepEqual(pv!.body, {
      n: 'pageview', u: `${origin()}/load/index?local`, d: 'example.com',
      r: 'https://news.example.net/', w: await page.evaluate(() => innerWidth),
    });
    await track(page, 'Done');
    assert.equal(eventsFor('load').filter(named('pageview')).length, 1, 'exactly one pageview');
    await context.close();
  });

  test('pushState to a new path sends a pageview with the new URL', async () => {
    const page = await open('/push/index?local');
    await waitFor('push', named('pageview'));
    await page.evaluate(() => history.pushState({}, '', '/push/next'));
    const pvs = await waitFor('push', named('pageview'), 2);
    assert.equal(pvs[1]!.body.u, `${origin()}/push/next`);
    await page.context().close();
  });

  test('replaceState to the same path sends nothing; to a new path sends a pageview', async () => {
    const page = await open('/replace/index?local');
    await waitFor('replace', named('pageview'));
    await page.evaluate(() => {
      history.replaceState({ a: 1 }, ''); // state only
      history.replaceState({ a: 2 }, '', '/replace/index?local&tab=2'); // same path, new query
      history.pushState({}, '', '/replace/index?local&tab=2'); // the URL already shown
      history.replaceState({}, '', '/replace/moved');
    });
    const pvs = await waitFor('replace', named('pageview'), 2);
    await track(page, 'Done');
    assert.deepEqual(eventsFor('replace').filter(named('pageview')).map((r) => new URL(r.body.u).pathname), [
      '/replace/index', '/replace/moved',
    ]);
    assert.equal(pvs.length, 2);
    await page.context().close();
  });

  test('popstate (history.back) sends a pageview for the restored URL', async () => {
    const page = await open('/pop/index?local');
    await page.evaluate(() => history.pushState({}, '', '/pop/next'));
    await waitFor('pop', named('pageview'), 2);
    await page.evaluate(() => history.back());
    const pvs = await waitFor('pop', named('pageview'), 3);
    assert.equal(pvs[2]!.body.u, `${origin()}/pop/index?local`);
    await page.context().close();
  });

  test('data-hash counts hash changes as pageviews and sends h:1', async () => {
    const page = await open('/hash/index?local&hash');
    await page.evaluate(() => (location.hash = '#/settings'));
    const pvs = await waitFor('hash', named('pageview'), 2);
    assert.equal(pvs[1]!.body.u, `${origin()}/hash/index?local&hash#/settings`);
    assert.ok(pvs.every((r) => r.body.h === 1));
    await page.context().close();
  });

  test("vigil('Signup', {props}) sends n and p, then calls the callback", async () => {
    const page = await open('/custom/index?local&nocookie');
    assert.equal(await track(page, 'Signup', { plan: 'pro' }), true);
    const [ev] = await waitFor('custom', named('Signup'));
    assert.deepEqual(ev!.body.p, { plan: 'pro' });
    assert.equal(ev!.body.nc, 1, 'data-no-cookie sends nc:1');
    await page.context().close();
  });

  test('a vigil() call queued before the script loaded is sent after the pageview', async () => {
    await (await open('/queue/index?local&queue')).context().close();
    const [ev] = await waitFor('queue', named('Queued'));
    assert.deepEqual(ev!.body.p, { early: 'yes' });
  });

  test("clicking an outbound link sends 'Outbound Link: Click' with the url", async () => {
    const page = await open('/out/index?local');
    await page.click('#out');
    await page.click('#same'); // same host: not outbound
    await page.click('#out', { button: 'middle' }); // auxclick
    const evs = await waitFor('out', named('Outbound Link: Click'), 2);
    assert.deepEqual(evs[0]!.body.p, { url: 'https://elsewhere.example.org/pricing' });
    await track(page, 'Done');
    assert.equal(eventsFor('out').filter((r) => r.body.n !== 'pageview' && r.body.n !== 'Done').length, 2);
    await page.context().close();
  });

  test("clicking a .pdf link sends 'File Download' with the url", async () => {
    const page = await open('/file/index?local');
    await page.click('#pdf');
    const [ev] = await waitFor('file', named('File Download'));
    assert.deepEqual(ev!.body.p, { url: `${origin()}/files/report.PDF` });
    await page.context().close();
  });

  test('data-api sends to that endpoint; without sendBeacon it falls back to fetch', async () => {
    const page = await open('/api/index?local&api', 'Navigator.prototype.sendBeacon = () => false');
    const [pv] = await waitFor('api', named('pageview'));
    assert.equal(pv!.path, '/custom/collect');
    assert.match(pv!.contentType, /^text\/plain/);
    assert.equal(await track(page, 'AfterFetch'), true, 'callback runs after the fetch settles');
    await page.context().close();
  });

  test("localStorage.vigil_ignore='true' sends nothing", async () => {
    const page = await open('/ignore/index?local', `localStorage.setItem('vigil_ignore', 'true')`);
    await assertQuiet(page, 'ignore');
    await page.context().close();
  });

  test('without data-allow-local an automated browser (navigator.webdriver) sends nothing', async () => {
    const page = await open('/bot/index');
    assert.equal(await page.evaluate(() => navigator.webdriver), true);
    await assertQuiet(page, 'bot');
    await page.context().close();
    // Control: the same page with webdriver hidden does send.
    const unflagged = await open('/bot/human', NOT_WEBDRIVER);
    await waitFor('bot', named('pageview'));
    await unflagged.context().close();
  });

  test('without data-allow-local a 127.0.0.1 page sends nothing', async () => {
    const page = await open('/localhost/index', NOT_WEBDRIVER, '127.0.0.1');
    await assertQuiet(page, 'localhost');
    await page.context().close();
  });

  test("going hidden sends an 'engagement' event with the visible ms", async () => {
    const page = await open('/engage/index?local');
    await waitFor('engage', named('pageview'));
    await page.waitForTimeout(1100); // the snippet ignores engagement under 1 s
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      Object.defineProperty(document, 'hidden', { value: true, configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const [ev] = await waitFor('engage', named('engagement'));
    assert.equal(ev!.body.u, `${origin()}/engage/index?local`);
    assert.ok(ev!.body.e! >= 1000 && ev!.body.e! < 60_000, `e=${ev!.body.e}`);
    await page.context().close();
  });

  test('a SPA navigation first sends engagement for the previous URL, then the pageview', async () => {
    const page = await open('/spa/index?local');
    await waitFor('spa', named('pageview'));
    await page.waitForTimeout(1100);
    await page.evaluate(() => history.pushState({}, '', '/spa/next'));
    const [ev] = await waitFor('spa', named('engagement'));
    assert.equal(ev!.body.u, `${origin()}/spa/index?local`);
    assert.ok(ev!.body.e! >= 1000);
    await waitFor('spa', named('pageview'), 2);
    await page.context().close();
  });

  test('navigating away (pagehide) sends engagement for the page left', async () => {
    const page = await open('/leave/index?local');
    await waitFor('leave', named('pageview'));
    await page.waitForTimeout(1100);
    await page.goto(`${origin()}/elsewhere/page`);
    const [ev] = await waitFor('leave', named('engagement'));
    assert.equal(ev!.body.u, `${origin()}/leave/index?local`);
    await page.context().close();
  });
});
