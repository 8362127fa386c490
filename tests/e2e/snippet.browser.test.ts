import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { CHROME_UA, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/**
 * The built snippet in real Chromium against the real platform (collector -> Redis -> worker -> embedded ClickHouse).
 * The page is served as www.example.test and the collector as stats.example.test (both mapped to 127.0.0.1), so the
 * visitor cookie is first-party as on a real site.
 */
describe('the tracker snippet in a browser, end to end', () => {
  let p: TestPlatform;
  let pages: Server;
  let browser: Browser;
  let pagePort = 0;

  before(async () => {
    p = await startTestPlatform();
    await p.registry.addSite({ domain: 'example.test' });
    const collector = `http://stats.example.test:${new URL(p.url).port}`;
    pages = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script defer data-domain="example.test" data-allow-local src="${collector}/t.js"></script></head>
<body><h1>Shop</h1><a id="out" href="https://partner.example.org/offer">Partner</a>
<button id="spa" onclick="history.pushState({}, '', '/app/settings')">Settings</button></body></html>`);
    });
    await new Promise<void>((r) => pages.listen(0, '127.0.0.1', () => r()));
    pagePort = (pages.address() as { port: number }).port;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--host-resolver-rules=MAP *.example.test 127.0.0.1'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => pages?.close(r));
    await p?.close();
  });

  it('records a pageview, a SPA navigation, a custom event and an outbound click, and exactly those', async () => {
    // A person's Chrome: the collector drops headless browsers as bots, which is right for real traffic.
    const page = await browser.newPage({ userAgent: CHROME_UA });
    await page.goto(`http://www.example.test:${pagePort}/?utm_source=newsletter`);
    await p.waitForCount("SELECT count() FROM events WHERE name = 'pageview'", 1);
    await page.click('#spa');
    await p.waitForCount("SELECT count() FROM events WHERE name = 'pageview'", 2);
    await page.evaluate("window.vigil('Signup', { props: { plan: 'pro' } })");
    await p.waitForCount("SELECT count() FROM events WHERE name = 'Signup'", 1);
    await page.click('#out', { noWaitAfter: true }).catch(() => undefined);
    await p.waitForCount("SELECT count() FROM events WHERE name = 'Outbound Link: Click'", 1);
    await page.close({ runBeforeUnload: true });
    await new Promise((r) => setTimeout(r, 500)); // any last engagement ping lands too

    const rows = await p.rows<{ name: string; pathname: string; props: Record<string, string>; utm_source: string; vid: string; sid: string;
      id_type: string; engagement_ms: number; browser: string }>(
      `SELECT name, pathname, props, utm_source, toString(visitor_id) AS vid, toString(session_id) AS sid, id_type, engagement_ms, browser
       FROM events ORDER BY timestamp`);
    const actions = rows.filter((r) => r.name !== 'engagement');
    assert.deepEqual(actions.map((r) => [r.name, r.pathname, r.props]), [
      ['pageview', '/', {}],
      ['pageview', '/app/settings', {}],
      ['Signup', '/app/settings', { plan: 'pro' }],
      ['Outbound Link: Click', '/app/settings', { url: 'https://partner.example.org/offer' }],
    ]);
    assert.equal(actions[0]!.utm_source, 'newsletter');
    assert.equal(actions[0]!.browser, 'Chrome');
    assert.equal(new Set(rows.map((r) => r.vid)).size, 1, 'one visitor');
    assert.equal(new Set(rows.map((r) => r.sid)).size, 1, 'one visit');
    assert.deepEqual([...new Set(actions.slice(1).map((r) => r.id_type))], ['cookie'], 'the first-party cookie came back');
    for (const e of rows.filter((r) => r.name === 'engagement')) assert.ok(e.engagement_ms > 0);
  });
});
