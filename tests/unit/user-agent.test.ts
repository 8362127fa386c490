import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUaParser } from '../../collector/ingest/user-agent.ts';

const CHROME_WIN =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const SAFARI_IPAD =
  'Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1';
const CHROME_GALAXY_TAB =
  'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CHROME_ANDROID_REDUCED =
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36';
const SAMSUNG_TV =
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36';
const CHROME_BRANDS = '"Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"';

const parse = createUaParser();

test('parses Chrome on Windows from the UA string alone', () => {
  assert.deepEqual(parse(CHROME_WIN, {}), {
    browser: 'Chrome',
    browserVersion: '120',
    os: 'Windows',
    osVersion: '10',
    deviceType: 'desktop',
  });
});

test('parses Safari on iPhone as a mobile iOS device', () => {
  assert.deepEqual(parse(SAFARI_IPHONE, {}), {
    browser: 'Safari',
    browserVersion: '17',
    os: 'iOS',
    osVersion: '17.2',
    deviceType: 'mobile',
  });
});

test('parses Firefox on Linux as a desktop with no OS version', () => {
  assert.deepEqual(parse(FIREFOX_LINUX, {}), {
    browser: 'Firefox',
    browserVersion: '121',
    os: 'Linux',
    osVersion: '',
    deviceType: 'desktop',
  });
});

test('classifies an iPad as a tablet', () => {
  const info = parse(SAFARI_IPAD, {});
  assert.equal(info.deviceType, 'tablet');
  assert.equal(info.os, 'iOS');
});

test('classifies a Samsung Galaxy Tab as an Android tablet', () => {
  const info = parse(CHROME_GALAXY_TAB, {});
  assert.equal(info.deviceType, 'tablet');
  assert.equal(info.os, 'Android');
  assert.equal(info.osVersion, '13');
});

test('maps ua-parser smarttv to tv', () => {
  assert.equal(parse(SAMSUNG_TV, {}).deviceType, 'tv');
});

test('reports Windows 11 when sec-ch-ua-platform-version is 13 or higher', () => {
  const info = parse(CHROME_WIN, {
    'sec-ch-ua': CHROME_BRANDS,
    'sec-ch-ua-mobile': '?0',
    'sec-ch-ua-platform': '"Windows"',
    'sec-ch-ua-platform-version': '"15.0.0"',
  });
  assert.equal(info.os, 'Windows');
  assert.equal(info.osVersion, '11');
  assert.equal(info.browser, 'Chrome');
  assert.equal(info.browserVersion, '120');
  assert.equal(info.deviceType, 'desktop');
});

test('keeps the UA OS version when hints name the platform without a version', () => {
  // Chromium's default low-entropy hints: platform but no platform version.
  const info = parse(CHROME_ANDROID_REDUCED, {
    'sec-ch-ua': CHROME_BRANDS,
    'sec-ch-ua-mobile': '?1',
    'sec-ch-ua-platform': '"Android"',
  });
  assert.equal(info.os, 'Android');
  assert.equal(info.osVersion, '10');
  assert.equal(info.deviceType, 'mobile');
});

test('names Chrome on Android the same with and without Client Hints', () => {
  const withHints = parse(CHROME_ANDROID_REDUCED, { 'sec-ch-ua': CHROME_BRANDS, 'sec-ch-ua-mobile': '?1' });
  const withoutHints = parse(CHROME_ANDROID_REDUCED, {});
  assert.equal(withHints.browser, 'Chrome');
  assert.equal(withoutHints.browser, 'Chrome');
});

test('uses the brand from sec-ch-ua to tell Edge from Chrome', () => {
  const info = parse(CHROME_WIN, {
    'sec-ch-ua': '"Not_A Brand";v="8", "Chromium";v="120", "Microsoft Edge";v="120"',
  });
  assert.equal(info.browser, 'Edge');
});

test('accepts repeated headers given as arrays', () => {
  const info = parse(CHROME_WIN, { 'sec-ch-ua-platform': ['"Windows"'], 'sec-ch-ua-platform-version': ['"15.0.0"'] });
  assert.equal(info.osVersion, '11');
});

test('returns empty strings and other for an unrecognisable UA', () => {
  assert.deepEqual(parse('curl/8.4.0', {}), {
    browser: '',
    browserVersion: '',
    os: '',
    osVersion: '',
    deviceType: 'other',
  });
  assert.equal(parse('', {}).deviceType, 'other');
});

test('cache returns the same object for the same UA and hints', () => {
  const p = createUaParser(10);
  const a = p(CHROME_WIN, { 'sec-ch-ua-platform': '"Windows"', 'x-unrelated': 'a' });
  const b = p(CHROME_WIN, { 'sec-ch-ua-platform': '"Windows"', 'x-unrelated': 'b' });
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a));
});

test('cache keys on Client Hints so different hints give different results', () => {
  const p = createUaParser(10);
  const win10 = p(CHROME_WIN, { 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"10.0.0"' });
  const win11 = p(CHROME_WIN, { 'sec-ch-ua-platform': '"Windows"', 'sec-ch-ua-platform-version': '"15.0.0"' });
  assert.equal(win10.osVersion, '10');
  assert.equal(win11.osVersion, '11');
});

test('evicts least recently used entries beyond the cache size', () => {
  const p = createUaParser(1);
  const first = p(CHROME_WIN, {});
  p(FIREFOX_LINUX, {});
  const again = p(CHROME_WIN, {});
  assert.notEqual(first, again);
  assert.deepEqual(first, again);
});
