import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHROME_UA, FIREFOX_UA, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('web events: from POST /api/event to stored rows', () => {
  let p: TestPlatform;
  let n = 0;
  /** Every test uses its own client address so visitors and sessions do not mix. */
  const ip = () => `81.2.69.${160 + (n++ % 30)}`;
  const send = (body: object | string, headers: Record<string, string> = {}) => p.post('/api/event', body, headers);
  const rowsFor = (marker: string) => p.rows<Record<string, any>>(
    `SELECT *, toString(visitor_id) AS vid, toString(session_id) AS sid FROM events WHERE props['t'] = {m:String} ORDER BY timestamp`, { m: marker });
  const waitFor = (marker: string, count: number) => p.waitForCount(`SELECT count() FROM events WHERE props['t'] = {m:String}`, count, { m: marker });
  const cookieOf = (res: Response) => /vigil_id=([0-9a-f]{32})/.exec(res.headers.get('set-cookie') ?? '')?.[1];

  before(async () => {
    p = await startTestPlatform({ TRUST_PROXY: '1' });
    await p.registry.addSite({ domain: 'example.com' });
    await p.registry.addSite({ domain: 'nodnt.example', honorDnt: false });
  });
  after(() => p.close());

  it('stores a pageview enriched with page, referrer, channel, UTM, location, browser, OS, device and screen', async () => {
    const res = await send({ n: 'pageview', u: 'https://www.example.com/pricing/?utm_source=newsletter&utm_medium=email&utm_campaign=nov&q=secret#top',
      d: 'example.com', r: 'https://mail.google.com/mail/u/0/', w: 390, p: { t: 'enrich' } },
    { 'user-agent': IPHONE_UA, 'x-forwarded-for': '81.2.69.160' });
    assert.equal(res.status, 202);
    await waitFor('enrich', 1);
    const [row] = await rowsFor('enrich');
    assert.ok(row);
    assert.equal(row.name, 'pageview');
    assert.equal(row.hostname, 'example.com');
    assert.equal(row.pathname, '/pricing', 'query string and fragment are removed');
    assert.deepEqual([row.utm_source, row.utm_medium, row.utm_campaign], ['newsletter', 'email', 'nov']);
    assert.equal(row.channel, 'email');
    assert.deepEqual([row.country_code, row.region, row.city], ['GB', 'England', 'London']);
    assert.deepEqual([row.browser, row.os, row.device_type], ['Safari', 'iOS', 'mobile']);
    assert.deepEqual([row.screen_width, row.screen_size], [390, 'mobile']);
  });

  it('accepts the long field names and a text/plain body, as sendBeacon and Plausible integrations send', async () => {
    const res = await send(JSON.stringify({ name: 'Signup', url: 'https://example.com/join', domain: 'example.com',
      referrer: 'https://blog.example.org/post?id=1', width: 1440, props: { t: 'long', plan: 'pro', seats: 3 } }),
    { 'content-type': 'text/plain', 'x-forwarded-for': ip() });
    assert.equal(res.status, 202);
    await waitFor('long', 1);
    const [row] = await rowsFor('long');
    assert.equal(row!.name, 'Signup');
    assert.equal(row!.pathname, '/join');
    assert.equal(row!.referrer, 'blog.example.org/post');
    assert.equal(row!.channel, 'referral');
    assert.deepEqual(row!.props, { t: 'long', plan: 'pro', seats: '3' });
    assert.equal(row!.screen_size, 'desktop');
  });

  it('sets a first-party visitor cookie: random id, HttpOnly, SameSite=Lax, 13 months, and recognises it later', async () => {
    const addr = ip();
    const first = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'cookie' } }, { 'x-forwarded-for': addr });
    const header = first.headers.get('set-cookie') ?? '';
    const value = cookieOf(first);
    assert.ok(value, header);
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Lax/);
    assert.doesNotMatch(header, /Secure/, 'no Secure flag over plain http');
    const maxAge = Number(/Max-Age=(\d+)/.exec(header)?.[1]);
    assert.ok(Math.abs(maxAge - 13 * 30.44 * 86400) < 86400, `Max-Age ${maxAge} is 13 months`);
    // Same browser from another network: the cookie, not the address, identifies the visitor.
    const again = await send({ n: 'pageview', u: 'https://example.com/next', d: 'example.com', p: { t: 'cookie' } },
      { 'x-forwarded-for': ip(), cookie: `vigil_id=${value}` });
    assert.equal(again.headers.get('set-cookie'), null, 'an existing cookie is not replaced');
    await waitFor('cookie', 2);
    const rows = await rowsFor('cookie');
    assert.equal(rows[0]!.vid, rows[1]!.vid);
    assert.equal(rows[0]!.sid, rows[1]!.sid, 'one visit');
    assert.deepEqual(rows.map((r) => [r.id_type, r.new_visitor]), [['cookie', 1], ['cookie', 0]]);
  });

  it('marks the cookie Secure when served over HTTPS', async () => {
    const res = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'secure' } },
      { 'x-forwarded-for': ip(), 'x-forwarded-proto': 'https' });
    assert.match(res.headers.get('set-cookie') ?? '', /Secure/);
  });

  it('keeps a visitor whose browser refuses cookies as one cookieless visitor ("refused")', async () => {
    const addr = ip();
    for (const path of ['/a', '/b', '/c']) {
      assert.equal((await send({ n: 'pageview', u: `https://example.com${path}`, d: 'example.com', p: { t: 'refused' } }, { 'x-forwarded-for': addr })).status, 202);
    }
    await waitFor('refused', 3);
    const rows = await rowsFor('refused');
    assert.equal(new Set(rows.map((r) => r.vid)).size, 1, 'one visitor');
    assert.equal(new Set(rows.map((r) => r.sid)).size, 1, 'one visit');
    assert.deepEqual(rows.map((r) => [r.id_type, r.cookieless_reason]), [['cookie', ''], ['cookieless', 'refused'], ['cookieless', 'refused']]);
  });

  it('honours Do-Not-Track and Global Privacy Control: no cookie, a daily hash of site, address and browser', async () => {
    const addr = ip();
    const dnt = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'dnt' } }, { 'x-forwarded-for': addr, dnt: '1' });
    assert.equal(dnt.status, 202);
    assert.equal(dnt.headers.get('set-cookie'), null);
    const gpc = await send({ n: 'pageview', u: 'https://example.com/x', d: 'example.com', p: { t: 'dnt' } }, { 'x-forwarded-for': addr, 'sec-gpc': '1' });
    assert.equal(gpc.headers.get('set-cookie'), null);
    const otherBrowser = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'dnt' } },
      { 'x-forwarded-for': addr, dnt: '1', 'user-agent': FIREFOX_UA });
    assert.equal(otherBrowser.status, 202);
    await waitFor('dnt', 3);
    const rows = await rowsFor('dnt');
    const byUa = new Map<string, Record<string, any>[]>();
    for (const r of rows) byUa.set(r.browser, [...(byUa.get(r.browser) ?? []), r]);
    const chrome = byUa.get('Chrome')!;
    assert.equal(chrome.length, 2);
    assert.equal(chrome[0]!.vid, chrome[1]!.vid, 'same address and browser: same visitor');
    assert.deepEqual(chrome.map((r) => r.cookieless_reason).sort(), ['dnt', 'gpc']);
    assert.notEqual(byUa.get('Firefox')![0]!.vid, chrome[0]!.vid, 'another browser is another visitor');
    assert.ok(rows.every((r) => r.id_type === 'cookieless'));
  });

  it('sets a cookie despite DNT on a site that does not honour it, and never with the no-cookie flag', async () => {
    const res = await send({ n: 'pageview', u: 'https://nodnt.example/', d: 'nodnt.example', p: { t: 'nodnt' } }, { 'x-forwarded-for': ip(), dnt: '1' });
    assert.ok(cookieOf(res));
    const nc = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', nc: 1, p: { t: 'nc' } }, { 'x-forwarded-for': ip() });
    assert.equal(nc.headers.get('set-cookie'), null);
    await waitFor('nc', 1);
    assert.equal((await rowsFor('nc'))[0]!.cookieless_reason, 'no_cookie');
  });

  it('gives two visitors on one site different ids, and one visitor different ids on two sites', async () => {
    const c = 'ab'.repeat(16);
    await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'twosites' } }, { 'x-forwarded-for': ip(), cookie: `vigil_id=${c}` });
    await send({ n: 'pageview', u: 'https://nodnt.example/', d: 'nodnt.example', p: { t: 'twosites' } }, { 'x-forwarded-for': ip(), cookie: `vigil_id=${c}` });
    await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'twosites' } }, { 'x-forwarded-for': ip(), cookie: `vigil_id=${'cd'.repeat(16)}` });
    await waitFor('twosites', 3);
    assert.equal(new Set((await rowsFor('twosites')).map((r) => r.vid)).size, 3);
  });

  it('ends a visit after 30 minutes of inactivity, so bounces, entry and exit pages are exact', async () => {
    const cookie = `vigil_id=${'ef'.repeat(16)}`;
    const addr = ip();
    const view = (path: string) => send({ n: 'pageview', u: `https://example.com${path}`, d: 'example.com', p: { t: 'session' } }, { 'x-forwarded-for': addr, cookie });
    await view('/landing');
    await view('/features');
    await view('/buy');
    // 30 minutes pass: the session's key expires in Redis exactly as it would after the timeout.
    const keys = await p.services.redis.keys('vigil:s:*');
    for (const k of keys) await p.services.redis.pexpire(k, 1);
    await new Promise((r) => setTimeout(r, 20));
    await view('/blog');
    await waitFor('session', 4);
    const sessions = await p.rows<{ views: string; entry: string; exit: string; bounce: number }>(
      `SELECT count() AS views, argMin(pathname, timestamp) AS entry, argMax(pathname, timestamp) AS exit, views = 1 AS bounce
       FROM events WHERE props['t'] = 'session' AND name = 'pageview' GROUP BY session_id ORDER BY min(timestamp)`);
    assert.deepEqual(sessions.map((s) => [Number(s.views), s.entry, s.exit, Number(s.bounce)]),
      [[3, '/landing', '/buy', 0], [1, '/blog', '/blog', 1]]);
    // The sessions table agrees: one current row per visit once +1/-1 pairs are summed, no FINAL needed.
    const ids = await p.rows<{ sid: string }>("SELECT DISTINCT toString(session_id) AS sid FROM events WHERE props['t'] = 'session'");
    const visits = await p.rows<Record<string, string>>(
      `SELECT sum(sign) AS visits, sum(sign * pageviews) AS pageviews, sum(sign * is_bounce) AS bounces FROM sessions WHERE toString(session_id) IN {ids:Array(String)}`, { ids: ids.map((r) => r.sid) });
    assert.deepEqual([Number(visits[0]!.visits), Number(visits[0]!.pageviews), Number(visits[0]!.bounces)], [2, 4, 1]);
    const current = await p.rows<Record<string, string>>(
      `SELECT entry_page, exit_page, sum(sign) AS n, sum(sign * pageviews) AS pv FROM sessions WHERE toString(session_id) IN {ids:Array(String)}
       GROUP BY entry_page, exit_page HAVING n != 0 ORDER BY entry_page`, { ids: ids.map((r) => r.sid) });
    assert.deepEqual(current.map((r) => [r.entry_page, r.exit_page, Number(r.n), Number(r.pv)]), [['/blog', '/blog', 1, 1], ['/landing', '/buy', 1, 3]]);
  });

  it('stores engagement time within its visit and drops a ping whose visit has ended', async () => {
    const cookie = `vigil_id=${'12'.repeat(16)}`;
    const addr = ip();
    await send({ n: 'pageview', u: 'https://example.com/read', d: 'example.com', p: { t: 'engage' } }, { 'x-forwarded-for': addr, cookie });
    await send({ n: 'engagement', u: 'https://example.com/read', d: 'example.com', e: 42_000, p: { t: 'engage' } }, { 'x-forwarded-for': addr, cookie });
    const late = await send({ n: 'engagement', u: 'https://example.com/x', d: 'example.com', e: 5000, p: { t: 'engage' } },
      { 'x-forwarded-for': addr, cookie: `vigil_id=${'34'.repeat(16)}` });
    assert.equal(late.status, 202);
    await waitFor('engage', 2);
    await new Promise((r) => setTimeout(r, 300));
    const rows = await rowsFor('engage');
    assert.deepEqual(rows.map((r) => [r.name, r.engagement_ms]), [['pageview', 0], ['engagement', 42_000]]);
    assert.equal(rows[0]!.sid, rows[1]!.sid);
  });

  it('answers bots like people but stores nothing and counts them', async () => {
    const res = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'bot' } },
      { 'x-forwarded-for': ip(), 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' });
    assert.equal(res.status, 202);
    const headless = await send({ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { t: 'bot' } },
      { 'x-forwarded-for': ip(), 'user-agent': CHROME_UA.replace('Chrome/', 'HeadlessChrome/') });
    assert.equal(headless.status, 202);
    const drops = await p.services.redis.hgetall('vigil:drops');
    const botCount = Object.entries(drops).filter(([k]) => k.endsWith('|bot')).reduce((s, [, v]) => s + Number(v), 0);
    assert.equal(botCount, 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await rowsFor('bot')).length, 0);
  });
});
