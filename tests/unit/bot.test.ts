import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBot } from '../../collector/ingest/bot.ts';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';

test('flags Googlebot as a bot', () => {
  assert.equal(isBot('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', {}), true);
});

test('flags bingbot as a bot', () => {
  assert.equal(isBot('Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', {}), true);
});

test('flags curl and python-requests as bots', () => {
  assert.equal(isBot('curl/8.4.0', {}), true);
  assert.equal(isBot('python-requests/2.31.0', {}), true);
});

test('flags HeadlessChrome in the UA as a bot', () => {
  const ua =
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36';
  assert.equal(isBot(ua, {}), true);
});

test('flags a spoofed Chrome UA whose sec-ch-ua names HeadlessChrome as a bot', () => {
  const headers = { 'sec-ch-ua': '"Not_A Brand";v="8", "Chromium";v="120", "HeadlessChrome";v="120"' };
  assert.equal(isBot(CHROME, headers), true);
});

test('flags an empty, blank or missing UA as a bot', () => {
  assert.equal(isBot('', {}), true);
  assert.equal(isBot('   ', {}), true);
  assert.equal(isBot(undefined, {}), true);
});

test('flags Lighthouse, PhantomJS, puppeteer, Playwright and Cypress as bots', () => {
  for (const marker of ['Lighthouse', 'Chrome-Lighthouse', 'PhantomJS/2.1.1', 'puppeteer', 'Playwright/1.40', 'Cypress/13.6.0']) {
    assert.equal(isBot(`${CHROME} ${marker}`, {}), true, marker);
  }
});

test('does not flag Electron apps as bots', () => {
  const ua =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Electron/28.0.0 Safari/537.36';
  assert.equal(isBot(ua, {}), false);
});

test('does not flag normal Chrome, Firefox and Safari as bots', () => {
  assert.equal(isBot(CHROME, { 'sec-ch-ua': '"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"' }), false);
  assert.equal(isBot(FIREFOX, {}), false);
  assert.equal(isBot(SAFARI, {}), false);
  assert.equal(isBot(SAFARI_IPHONE, {}), false);
});

test('a cached UA verdict does not hide a HeadlessChrome client hint', () => {
  const ua = CHROME.replace('120.0.0.0', '120.0.0.7');
  assert.equal(isBot(ua, {}), false);
  assert.equal(isBot(ua, { 'sec-ch-ua': '"HeadlessChrome";v="120"' }), true);
  assert.equal(isBot(ua, {}), false);
});

test('bot verdicts are the same on repeated calls (cache hits)', () => {
  const bot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
  for (let i = 0; i < 3; i++) {
    assert.equal(isBot(bot, {}), true);
    assert.equal(isBot(FIREFOX, {}), false);
  }
  // Over-long UAs are still judged, only not cached.
  assert.equal(isBot(`${CHROME} ${'x'.repeat(2000)}`, {}), false);
  assert.equal(isBot(`curl/8.4.0 ${'x'.repeat(2000)}`, {}), true);
});
