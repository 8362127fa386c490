import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { toChTime, type WebEventRow } from '../../core/event.ts';
import { appendWebEvent, decodeEntry, keys } from '../../core/ingest-stream.ts';
import { createLogger } from '../../core/log.ts';
import { EventDrainer } from '../../worker/drain-events.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** Evalsha calls Redis has served so far (INFO commandstats). */
async function evalshaCalls(p: TestPlatform): Promise<number> {
  const info = await p.services.redis.info('commandstats');
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

describe('the collector appends events that arrive together in one script call', () => {
  let p: TestPlatform;

  before(async () => {
    p = await startTestPlatform({ RATE_LIMIT_PER_MINUTE: '1000000' });
    await p.registry.addSite({ domain: 'example.com' });
  });
  after(() => p.close());

  it('answers each of 600 simultaneous events on its own, stores each once and keeps every visit exact', async () => {
    const visitors = Array.from({ length: 300 }, () => randomBytes(16).toString('hex'));
    const callsBefore = await evalshaCalls(p);
    const send = (cookie: string, page: string) => p.post('/api/event',
      { n: 'pageview', u: `https://example.com/${page}`, d: 'example.com', p: { t: 'burst' } }, { cookie: `vigil_id=${cookie}` });
    const first = await Promise.all(visitors.map((v) => send(v, 'a')));
    const second = await Promise.all(visitors.map((v) => send(v, 'b')));
    assert.deepEqual([...first, ...second].map((r) => r.status).filter((s) => s !== 202), [], 'every event answered 202');
    const calls = (await evalshaCalls(p)) - callsBefore;
    assert.ok(calls >= 3 && calls < 600, `600 events took ${calls} script calls (at most 256 events each, fewer calls than events)`);

    await p.waitForCount("SELECT count() FROM events WHERE props['t'] = 'burst'", 600);
    const [ev] = await p.rows<{ n: string; ids: string; visitors: string }>(
      "SELECT count() AS n, uniqExact(event_id) AS ids, uniqExact(visitor_id) AS visitors FROM events WHERE props['t'] = 'burst'");
    assert.deepEqual([Number(ev!.n), Number(ev!.ids), Number(ev!.visitors)], [600, 600, 300]);
    // Each visitor: one visit of two pageviews, entering on /a and leaving on /b.
    const visits = await p.rows<{ entry_page: string; exit_page: string; pageviews: string; n: string }>(
      `SELECT entry_page, exit_page, pageviews, sum(sign) AS n FROM sessions WHERE site_id = {s:String}
       GROUP BY session_id, entry_page, exit_page, pageviews, version HAVING n > 0`,
      { s: (await p.registry.siteForDomain('example.com'))!.siteId });
    const summary = new Map<string, number>();
    for (const v of visits) summary.set(`${v.entry_page} ${v.exit_page} ${v.pageviews}`, (summary.get(`${v.entry_page} ${v.exit_page} ${v.pageviews}`) ?? 0) + Number(v.n));
    assert.deepEqual(Object.fromEntries(summary), { '/a /b 2': 300 });
  });
});

describe('one script call for many events still answers each event for itself', () => {
  let p: TestPlatform;

  before(async () => {
    p = await startTestPlatform({}, ['collector', 'dashboard']); // no worker: the entries stay in the stream
  });
  after(() => p.close());

  it('fails only the event that cannot be appended; the others sent with it are stored and answered', async () => {
    const redis = p.services.ingestRedis;
    const prefix = 'isolation:';
    const row = (path: string, engagement: unknown = 0): WebEventRow => ({
      site_id: 's_test', event_id: randomUUID(), timestamp: toChTime(Date.now()), name: 'pageview', hostname: 'example.com', pathname: path,
      referrer: '', referrer_source: '', channel: 'direct', utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '',
      country_code: '', region: '', city: '', browser: '', browser_version: '', os: '', os_version: '', device_type: 'desktop',
      screen_width: 0, screen_size: '', engagement_ms: engagement as number, props: {},
    });
    const send = (visitor: string, r: WebEventRow) => appendWebEvent(redis, prefix, { siteId: 's_test', cookieId: visitor, cookielessId: '',
      forceCookieless: null, newVisitorId: '', newSessionId: randomBytes(8).toString('hex'), at: Date.now(), row: r });
    // Sent in the same turn of the event loop, so one script call; the middle one's engagement is not a number, which
    // makes its part of the script fail after the first event was appended and before the third.
    const results = await Promise.allSettled([send('1111111111111111', row('/a')), send('2222222222222222', row('/bad', 'x')),
      send('3333333333333333', row('/c'))]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    const entries = (await redis.xrange(`${prefix}ingest`, '-', '+')) as [string, string[]][];
    const paths = entries.map(([, f]) => decodeEntry(f)).map((d) => (d?.kind === 'web' ? (JSON.parse(d.line) as WebEventRow).pathname : null));
    assert.deepEqual(paths, ['/a', '/c'], 'exactly the answered events are in the stream');
  });
});

describe('entries appended by an earlier version (one stream field per value) are still stored', () => {
  let p: TestPlatform;
  const k = keys('vigil:');

  before(async () => {
    p = await startTestPlatform({}, ['collector', 'dashboard']); // no worker: the entries stay in the stream
    await p.registry.addSite({ domain: 'example.com' });
  });
  after(() => p.close());

  it('decodes the old layout to the same row and visit as the current one, and the worker stores it', async () => {
    const res = await p.post('/api/event', { n: 'pageview', u: 'https://example.com/old', d: 'example.com', p: { t: 'legacy' } });
    assert.equal(res.status, 202);
    const entries = (await p.services.redis.xrange(k.stream, '-', '+')) as [string, string[]][];
    assert.equal(entries.length, 1);
    const [id, fields] = entries[0]!;
    const current = decodeEntry(fields);
    assert.ok(current?.kind === 'web' && current.visit);
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    const m = JSON.parse(f.m!) as string[];
    // The layout ingest-web.lua wrote before visit snapshots became one JSON field.
    const legacy = ['k', 'w', 'd', f.d!, 'v', m[0]!, 's', m[1]!, 't', m[2]!, 'r', m[3]!, 'n', m[4]!, 'sv', m[5]!, 'ss', m[6]!, 'se', m[7]!,
      'sp', m[8]!, 'sc', m[9]!, 'sg', m[10]!, 'sn', m[11]!, 'sx', m[12]!, 'sa', m[13]!, 'st', m[14]!, 'sr', m[15]!, 'sw', m[16]!];
    assert.deepEqual(decodeEntry(legacy), current);

    await p.services.redis.multi().xdel(k.stream, id).xadd(k.stream, '*', ...legacy).exec();
    const drainer = new EventDrainer(p.services.ch, p.services.redis, 'vigil:', createLogger('silent'), { intervalMs: 100, maxRows: 1000, leaseMs: 1000 });
    await drainer.start();
    try {
      await p.waitForCount("SELECT count() FROM events WHERE props['t'] = 'legacy'", 1);
      await p.waitForCount("SELECT sum(sign) FROM sessions WHERE entry_page = '/old'", 1);
    } finally {
      await drainer.stop(1000);
    }
    const [row] = await p.rows<{ pathname: string; vid: string; id_type: string }>(
      "SELECT pathname, lower(hex(visitor_id)) AS vid, id_type FROM events WHERE props['t'] = 'legacy'");
    assert.equal(row!.pathname, '/old');
    assert.equal(row!.id_type, (JSON.parse(current.line) as { id_type: string }).id_type);
  });
});
