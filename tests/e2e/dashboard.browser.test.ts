import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadQueryFixture, type LoadedFixture } from '../fixtures/query-fixture.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { ensureBuilt } from '../helpers/web-build.ts';

/**
 * The Svelte dashboard in real Chromium against the real platform, with the query engine's fixed data set loaded through
 * the real ingest path (tests/fixtures/query-fixture.ts, hand-computed figures): first-run set-up, sign-in, the site
 * view's headline figures, a click on a country of the map filtering the whole page, the product comparison chart,
 * share links, and a 375 px wide screen without horizontal scrolling. Screenshots go to tests/artifacts/.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const ADMIN = { name: 'Ann Admin', email: 'ann@example.com', password: 'correct horse battery' };
/** The fixture's main week (Europe/Berlin), without comparison. */
const WEEK = 'period=custom&from=2026-03-23&to=2026-03-29&compare=off';
const PRODUCTS = 'period=custom&from=2026-03-02&to=2026-03-15&compare=off';

describe('the dashboard in a browser', () => {
  let p: TestPlatform;
  let fx: LoadedFixture;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  const shot = async (pg: Page, name: string) => {
    await pg.evaluate(() => scrollTo(0, 0)); // the sticky header stays on top of a full-page picture
    await pg.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
  };
  /** Browsers log every 4xx answer: the expected ones are GET /api/session before signing in (401), a revoked link (403). */
  const watch = (pg: Page, expected = /status of 401/) => {
    pg.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    pg.on('console', (m) => { if (m.type() === 'error' && !expected.test(m.text())) errors.push(`console: ${m.text()}`); });
  };

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureBuilt();
    // Sampling set far below the fixture's size, so that a long range shows its estimated frequency panel.
    p = await startTestPlatform({ QUERY_SAMPLE_ABOVE: '2' });
    fx = await loadQueryFixture(p);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await desktop.newPage();
    watch(page);
  });
  after(async () => {
    await browser?.close();
    await p?.close();
  });

  it('creates the first administrator on an empty install', async () => {
    await page.goto(p.url);
    await page.getByRole('heading', { name: 'Welcome to Vigil' }).waitFor();
    await shot(page, 'setup');
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('link', { name: 'fixture.test' }).waitFor();
    await shot(page, 'home');
  });

  it('signs out, refuses a wrong password in words, and signs in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
    await shot(page, 'sign-in');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'fixture.test' }).waitFor();
  });

  it('shows the headline figures of the fixture week', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}?${WEEK}`);
    // Visits A1 A2 A3 B1 B2 C1 D1 of visitors A B C D; 11 pageviews; bounces A2 A3 B2 (3/7); durations 2040 s / 7.
    await assertFigures(page, { visitors: '4', visits: '7', pageviews: '11', views_per_visit: '1.57', bounce_rate: '43%', visit_duration: '4m 51s' });
    await page.getByTestId('site-chart').locator('svg path.line').first().waitFor();
    await page.locator('path[data-country="DE"][role="button"]').waitFor();
    await shot(page, 'site');
  });

  it('filters the whole page by a country clicked on the map, and keeps the filter in the address', async () => {
    await page.locator('path[data-country="DE"][role="button"]').click();
    // Germany: A (A1 A2 A3) and C (C1): 7 pageviews; bounces A2 A3 (2/4); durations 600 + 1200 s / 4.
    await assertFigures(page, { visitors: '2', visits: '4', pageviews: '7', views_per_visit: '1.75', bounce_rate: '50%', visit_duration: '7m 30s' });
    assert.match(decodeURIComponent(page.url()), /f=is,country,DE/);
    await page.getByTestId('filter-chip').filter({ hasText: 'Germany' }).waitFor();
    const browsers = page.getByTestId('panel-devices');
    await browsers.getByRole('tab', { name: 'Browsers' }).click();
    assert.deepEqual(await browsers.locator('button.label').allInnerTexts(), ['Firefox', 'Safari']);
    await shot(page, 'site-filtered');
    // Reloading the address gives the same view.
    await page.reload();
    await assertFigures(page, { visitors: '2', visits: '4' });
    await page.getByRole('button', { name: /Remove filter Country/ }).click();
    await assertFigures(page, { visitors: '4', visits: '7' });
  });

  it('exports a panel as CSV and works from the keyboard', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}?${WEEK}`);
    await assertFigures(page, { visitors: '4' });
    const pages = page.getByTestId('panel-pages');
    const [download] = await Promise.all([page.waitForEvent('download'), pages.getByRole('button', { name: /CSV/ }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    assert.equal(csv.split('\r\n')[0], 'event:page,visitors,pageviews');
    assert.match(csv, /\r\n\/pricing,4,4\r\n/);
    // A dialog opens from the keyboard and Escape closes it; a row is a button that Enter follows.
    await page.getByRole('button', { name: 'Filter', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Filter the page' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await pages.getByRole('button', { name: 'Filter by /blog' }).focus();
    await page.keyboard.press('Enter');
    await assertFigures(page, { visitors: '1', visits: '1', pageviews: '1', bounce_rate: '100%' }); // A2 only
    await page.getByRole('button', { name: /Remove filter Page/ }).click();
    await assertFigures(page, { visitors: '4' });
  });

  it('combines filters clicked in two panels (a browser, then a device), and removes them one at a time', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}?${WEEK}`);
    await assertFigures(page, { visitors: '4' });
    const devices = page.getByTestId('panel-devices');
    await devices.getByRole('tab', { name: 'Browsers' }).click();
    await devices.getByRole('button', { name: 'Filter by Chrome' }).click();
    // Chrome: B (B1 B2) and D (D1): 3 visits, 4 pageviews; bounces B2 (1/3).
    await assertFigures(page, { visitors: '2', visits: '3', pageviews: '4', bounce_rate: '33%' });
    await devices.getByRole('tab', { name: 'Devices' }).click();
    await devices.getByRole('button', { name: 'Filter by Desktop' }).click();
    // Chrome on a desktop: D1 alone, a pageview and a Signup (no bounce); every panel under both filters.
    await assertFigures(page, { visitors: '1', visits: '1', pageviews: '1', bounce_rate: '0%' });
    assert.match(decodeURIComponent(page.url()), /f=is,browser,Chrome/);
    assert.match(decodeURIComponent(page.url()), /f=is,device,desktop/);
    const pages = page.getByTestId('panel-pages');
    await pages.getByRole('button', { name: 'Filter by /pricing' }).waitFor();
    assert.deepEqual(await pages.locator('button.label').allInnerTexts(), ['/pricing']);
    await page.getByRole('button', { name: /Remove filter Browser/ }).click();
    // Desktops: A (A1 A2 A3), C (C1), D (D1).
    await assertFigures(page, { visitors: '3', visits: '5' });
    await page.getByRole('button', { name: /Remove filter Device/ }).click();
    await assertFigures(page, { visitors: '4', visits: '7' });
  });

  it('shows a goal\'s conversions and breaks it down by a property it was sent with', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}?${WEEK}`);
    const goals = page.getByTestId('panel-goals');
    await goals.getByRole('button', { name: 'Filter by Signup' }).click();
    // Signup: visitors A and C, one event each, 2 of the week's 4 visitors.
    await assertFigures(page, { visitors: '2', events: '2', conversion_rate: '50.0%' });
    // Top pages count the goal's conversions on each page.
    const pagesPanel = page.getByTestId('panel-pages');
    await pagesPanel.getByRole('columnheader', { name: 'Events', exact: true }).waitFor({ timeout: 10_000 });
    assert.equal(await pagesPanel.getByRole('columnheader', { name: 'Pageviews', exact: true }).count(), 0);
    await goals.getByRole('tab', { name: 'Signup: properties' }).click();
    const keys = goals.getByTestId('prop-keys');
    await keys.getByRole('button', { name: 'plan' }).click();
    await goals.locator('button.label', { hasText: 'pro' }).waitFor(); // the keys stay on show, faded, until the breakdown arrives
    assert.deepEqual((await goals.locator('button.label').allInnerTexts()).sort(), ['free', 'pro']);
    assert.match(page.url(), /prop=plan/);
    await shot(page, 'site-goal');
  });

  it('marks visit frequency as estimated on a long range (a sample of visitors), and counts the week whole', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}?period=custom&from=2026-01-01&to=2026-03-31&compare=off`);
    const visitors = page.getByTestId('panel-visitors');
    await visitors.getByRole('tab', { name: 'Visit frequency' }).click();
    const note = visitors.getByTestId('sample-note');
    await note.waitFor();
    assert.match(await note.innerText(), /Estimated from 1 in \d+ visitors/);
    // Each figure's title gives its margin.
    assert.match(await visitors.locator('[role="cell"].num').first().getAttribute('title') ?? '', /± .* \(95% margin of the estimate\)/);
    await shot(page, 'site-sampled');
    // The fixture week is within the visit-link window: counted whole, as the other tests read it.
    await page.goto(`${p.url}/sites/${fx.site.siteId}?${WEEK}`);
    await assertFigures(page, { visitors: '4' });
    await visitors.getByRole('tab', { name: 'Visit frequency' }).click();
    await visitors.getByRole('table').waitFor();
    assert.equal(await visitors.getByTestId('sample-note').count(), 0);
  });

  it('draws the products side by side on one comparison chart', async () => {
    await page.goto(`${p.url}/products?${PRODUCTS}`);
    const chart = page.getByTestId('product-chart');
    await chart.locator('svg path.line').first().waitFor();
    assert.deepEqual((await chart.locator('[data-series]').evaluateAll((els) => els.map((e) => e.getAttribute('data-series')))).sort(), ['Cleaner', 'Photos']);
    assert.equal(await chart.locator('svg path.line').count(), 2);
    const table = page.getByTestId('products-side');
    await table.getByRole('link', { name: 'Cleaner' }).waitFor();
    await shot(page, 'products');
    await table.getByRole('link', { name: 'Cleaner' }).click();
    await page.getByTestId('product-figure-active_installs').waitFor();
    // The product page keeps the period. Cleaner, 2026-03-02..15: installs i0 i1 i2 i3 active, 1 + 3 + 1 + 2 events.
    assert.match(decodeURIComponent(page.url()), /from=2026-03-02&to=2026-03-15/);
    assert.equal(await page.getByTestId('product-figure-active_installs').innerText(), '4');
    assert.equal(await page.getByTestId('product-figure-events').innerText(), '7');
    assert.equal(await page.getByTestId('product-figure-events_per_install').innerText(), '1.75');
    await page.getByTestId('feature-ranking').getByText('Disk scan').waitFor();
    await page.getByTestId('feature-chart').locator('svg path.line').first().waitFor();
    await page.getByTestId('version-chart').locator('[data-series="2.1.0"]').waitFor();
    await page.getByTestId('retention').locator('table').waitFor();
    await shot(page, 'product');
  });

  it('creates a share link that opens the site read-only without an account, and revokes it', async () => {
    await page.goto(`${p.url}/sites/${fx.site.siteId}/settings`);
    await page.getByLabel('Label (who is it for?)').fill('Agency');
    await page.getByRole('button', { name: 'Create link' }).click();
    const url = await page.getByTestId('share-url').innerText();
    assert.match(url, /\/share\/[A-Za-z0-9_-]{20,}$/);
    await shot(page, 'site-settings');
    const guest = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const shared = await guest.newPage();
    watch(shared, /status of 403/);
    await shared.goto(`${url}?${WEEK}`);
    await assertFigures(shared, { visitors: '4', visits: '7' });
    assert.equal(await shared.getByRole('link', { name: 'Site settings' }).count(), 0);
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No share links.').waitFor();
    await shared.reload();
    await shared.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await guest.close();
  });

  it('fits a 375 px wide screen without horizontal scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, storageState: await desktop.storageState() });
    const small = await phone.newPage();
    watch(small);
    for (const [name, path] of [['site-375', `/sites/${fx.site.siteId}?${WEEK}`], ['products-375', `/products?${PRODUCTS}`]] as const) {
      await small.goto(`${p.url}${path}`);
      await small.locator('svg path.line').first().waitFor();
      await small.waitForLoadState('networkidle');
      const [scroll, client] = await small.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(scroll <= client, `${name}: page is ${scroll} px wide in a ${client} px window`);
      await shot(small, name);
    }
    await phone.close();
  });

  it('logged no script error on any page', () => {
    assert.deepEqual(errors, []);
  });
});

async function assertFigures(page: Page, want: Record<string, string>): Promise<void> {
  for (const [metric, value] of Object.entries(want)) {
    const el = page.getByTestId(`figure-${metric}`);
    await el.filter({ hasText: new RegExp(`^${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor({ timeout: 10_000 })
      .catch(async () => assert.fail(`${metric}: expected ${value}, saw ${await el.innerText().catch(() => '(nothing)')}`));
  }
}
