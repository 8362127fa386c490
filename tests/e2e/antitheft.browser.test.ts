import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { verifyExport } from '../../core/antitheft/export.ts';
import { nodeVerify } from '../../core/antitheft/node-crypto.ts';
import { content, enrollDevice, PASSPHRASE, type TestDevice } from '../helpers/antitheft.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { ensureBuilt } from '../helpers/web-build.ts';

/**
 * The owner's anti-theft pages in real Chromium against the real platform (agent side driven in-process through the
 * agent's own modules): turning it on (the key made in the page, the recovery key shown once), enrolling a device
 * with the code read from the page, marking it stolen, a report with a real JPEG snapshot and a traceroute, the key
 * locked again after a reload (a wrong passphrase refused in words), map, timeline and snapshot, an evidence export
 * that verifies in Node, the silent-device alert, and turning it off. Screenshots go to tests/artifacts/antitheft-*.png.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
const ADMIN = { name: 'Ann Admin', email: 'ann@example.com', password: 'correct horse battery' };
const REPORTS = 'SELECT count() AS n FROM antitheft.reports FINAL';

describe('anti-theft in a browser', () => {
  let p: TestPlatform;
  let browser: Browser;
  let desktop: BrowserContext;
  let page: Page;
  let dev: TestDevice;
  let deviceUrl = '';
  let jpeg: Uint8Array;
  const errors: string[] = [];

  const shot = async (pg: Page, name: string) => {
    await pg.evaluate(() => scrollTo(0, 0));
    await pg.screenshot({ path: join(ARTIFACTS, `antitheft-${name}.png`), fullPage: true });
  };
  const watch = (pg: Page) => {
    pg.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    pg.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(`console: ${m.text()}`); });
  };
  const send = async (...args: Parameters<TestDevice['reporter']['seal']>) =>
    dev.client.call('/api/antitheft/agent/reports', await dev.reporter.seal(...args));

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ensureBuilt();
    jpeg = new Uint8Array(execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1',
      '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-']));
    p = await startTestPlatform({ ANTITHEFT_REPORT_INTERVAL_S: '60', ANTITHEFT_STOLEN_INTERVAL_S: '10', ANTITHEFT_CHECKIN_INTERVAL_S: '5' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await desktop.newPage();
    watch(page);
  });
  after(async () => {
    await browser?.close();
    await p?.close();
  });

  it('turns anti-theft on: a passphrase twice, the key made in the page, the recovery key shown once', async () => {
    await page.goto(p.url);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Anti-theft' }).click();
    await page.getByRole('heading', { name: 'Find your computer if it is stolen' }).waitFor();
    await shot(page, 'off');

    await page.getByRole('button', { name: 'Turn on anti-theft' }).click();
    await page.getByLabel('Passphrase', { exact: true }).fill('too short');
    await page.getByLabel('Passphrase again').fill('too short');
    await page.getByRole('button', { name: 'Make my key' }).click();
    await page.getByRole('alert').filter({ hasText: 'at least 10 characters' }).waitFor();
    await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
    await page.getByLabel('Passphrase again').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Make my key' }).click();
    const recovery = await page.getByTestId('recovery-key').innerText({ timeout: 30_000 });
    assert.match(recovery, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/);
    const finish = page.getByRole('button', { name: 'Finish' });
    assert.equal(await finish.isDisabled(), true, 'Finish waits for the checkbox');
    await shot(page, 'recovery');
    await page.getByLabel('I have stored this recovery key somewhere safe').check();
    await finish.click();
    await page.getByRole('heading', { name: 'My devices' }).waitFor();
    await page.getByText('Key unlocked').waitFor();
    assert.equal(await page.getByTestId('recovery-key').count(), 0);
    // The server holds the public key and the two wrapped copies, never the recovery key.
    const keys = await p.rows<Record<string, string>>('SELECT key_id, public_key, passphrase_wrap, recovery_wrap FROM antitheft.owner_keys FINAL');
    assert.equal(keys.length, 1);
    assert.ok(!JSON.stringify(keys).includes(recovery.replaceAll('-', '')));
  });

  it('adds a device: the code in large letters, the commands, and the device enrolls with it', async () => {
    await page.getByRole('button', { name: '+ Add device' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a device' });
    await dialog.getByLabel('Device name (optional)').fill('Ann laptop');
    await dialog.getByRole('button', { name: 'Create enrollment code' }).click();
    const code = await dialog.getByTestId('enrollment-code').innerText();
    assert.match(code, /^[0-9A-Za-z-]{8,24}$/);
    await dialog.getByText(`node vigil-agent.mjs enroll --server ${p.url} --code ${code}`, { exact: true }).waitFor();
    await dialog.getByText('sudo node vigil-agent.mjs install-service', { exact: true }).waitFor();
    await dialog.getByText(/Expires in 1[45]:\d\d/).waitFor();
    await shot(page, 'add-device');
    dev = await enrollDevice(p.url, code);
    await dialog.getByRole('button', { name: 'Done' }).click();
    const link = page.getByRole('link', { name: 'Ann laptop' });
    await link.waitFor();
    deviceUrl = new URL((await link.getAttribute('href'))!, p.url).href;
    assert.equal(deviceUrl, `${p.url}/antitheft/devices/${dev.enrollment.deviceId}`);
  });

  it('takes a normal report, marks the device stolen from its page, then takes a stolen report with a snapshot', async () => {
    await send('normal', 'startup', content(Date.now() - 90_000));
    await p.waitForCount(REPORTS, 1);
    await page.goto(deviceUrl);
    await page.getByRole('heading', { name: 'Ann laptop' }).waitFor();
    await page.getByRole('button', { name: 'Mark as stolen' }).click();
    await page.getByRole('button', { name: 'Mark as recovered' }).waitFor();
    await page.locator('[data-mode="stolen"]').first().waitFor();
    const answer = await dev.client.call('/api/antitheft/agent/check-in', { v: 1 });
    assert.deepEqual([answer.mode, answer.reportIntervalS], ['stolen', 10]);
    await send('stolen', 'mode-change', {
      ...content(),
      position: { lat: 48.8606, lon: 2.3376, accuracyM: 5000, source: 'ip', at: Date.now() },
      traceroute: { status: 'ok', tool: 'traceroute', target: '127.0.0.1', hops: [{ hop: 1, address: '127.0.0.1', rttMs: [0.05] }] },
    }, { status: 'ok', bytes: jpeg });
    await p.waitForCount(REPORTS, 2);
  });

  it('is locked after a reload, refuses a wrong passphrase in words, then shows the map, the timeline and the snapshot', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock your anti-theft key' }).waitFor();
    assert.equal(await page.getByTestId('report').count(), 0);
    await page.getByLabel('Passphrase').fill('not my passphrase at all');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong passphrase or recovery key' }).waitFor();
    await shot(page, 'device-locked');
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock' }).click();

    await page.getByRole('img', { name: 'Map of 2 positions' }).waitFor();
    assert.ok(await page.locator('svg[role="img"] path.land').count() > 0, 'country outlines drawn');
    const reports = page.getByTestId('report');
    await reports.nth(1).waitFor();
    assert.equal(await reports.count(), 2);
    assert.deepEqual(await reports.evaluateAll((els) => els.map((e) => e.getAttribute('data-sequence'))), ['2', '1'], 'newest first');
    await reports.first().getByText('Stolen', { exact: true }).waitFor();
    await reports.first().getByText('IP address (city level)').waitFor();
    await reports.nth(1).getByText('Location command').waitFor();
    await reports.first().getByTestId('hop').filter({ hasText: '127.0.0.1' }).waitFor();
    await reports.first().getByText('0.05 ms').waitFor();
    await page.waitForFunction(() => (document.querySelector('img[data-testid="snapshot"]') as HTMLImageElement | null)?.naturalWidth === 320,
      undefined, { timeout: 15_000 });
    assert.equal(await page.getByTestId('snapshot').count(), 1);
    await page.getByRole('button', { name: /^Latest position:/ }).hover();
    await page.getByRole('tooltip').filter({ hasText: 'IP address (city level)' }).waitFor();
    await shot(page, 'device');
  });

  it('exports evidence that verifies in Node: signatures, receipts, the chain and the snapshot', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export evidence' }).click()]);
    assert.match(download.suggestedFilename(), /^vigil-evidence-Ann-laptop-\d{4}-\d{2}-\d{2}\.zip$/);
    const files = new Map(Object.entries(unzipSync(new Uint8Array(readFileSync((await download.path())!)))));
    const result = await verifyExport(files, nodeVerify);
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.reports, 2);
    assert.deepEqual(files.get('snapshots/2.jpg'), jpeg);
    await page.getByText('Exported 2 reports.').waitFor();
  });

  it('fits a 375 px wide screen without horizontal scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 812 }, storageState: await desktop.storageState() });
    const small = await phone.newPage();
    watch(small);
    await small.goto(deviceUrl);
    await small.getByLabel('Passphrase').fill(PASSPHRASE);
    await small.getByRole('button', { name: 'Unlock' }).click();
    await small.getByRole('img', { name: 'Map of 2 positions' }).waitFor();
    await small.waitForFunction(() => (document.querySelector('img[data-testid="snapshot"]') as HTMLImageElement | null)?.complete === true);
    const [scroll, client] = await small.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    assert.ok(scroll <= client, `device page is ${scroll} px wide in a ${client} px window`);
    await shot(small, 'device-375');
    await phone.close();
  });

  it('warns on the list when a stolen device has missed two reports', async () => {
    await page.goto(`${p.url}/antitheft`);
    const alert = page.getByRole('alert').filter({ hasText: 'Ann laptop has missed two reports since' });
    // Stolen interval 10 s: two missed reports and the grace (5 s) after the last one, ~25 s.
    const deadline = Date.now() + 60_000;
    while (!(await alert.count())) {
      assert.ok(Date.now() < deadline, 'no silent-device alert within 60 s');
      await page.waitForTimeout(2000);
      await page.reload();
      await page.getByRole('heading', { name: 'My devices' }).waitFor();
    }
    await page.getByRole('link', { name: 'Ann laptop' }).waitFor();
    await shot(page, 'devices');
  });

  it('turns anti-theft off after a confirmation, deleting every report', async () => {
    await page.getByRole('button', { name: 'Turn anti-theft off…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Turn anti-theft off' });
    await dialog.getByText(/Every report and snapshot of every device is deleted/).waitFor();
    await dialog.getByText(/your devices forget their keys/).waitFor();
    await dialog.getByRole('button', { name: 'Turn anti-theft off' }).click();
    await page.getByRole('button', { name: 'Turn on anti-theft' }).waitFor();
    await p.waitForCount(`SELECT 2 - count() FROM antitheft.reports FINAL`, 2);
    const answer = await dev.client.call('/api/antitheft/agent/check-in', { v: 1 }).catch((e: Error) => e);
    assert.ok(answer instanceof Error || answer.action === 'forget', 'the agent is told to forget its keys');
  });

  it('logged no script error on any page', () => {
    assert.deepEqual(errors, []);
  });
});
