import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { queryRows } from '../../core/clickhouse.ts';
import type { WebEventRow } from '../../core/event.ts';
import { appendWebEvent, defineIngestCommands } from '../../core/ingest-stream.ts';
import type { Site } from '../../core/registry.ts';
import { runDemo } from '../../tools/demo/generate.ts';
import { waitDrained } from '../fixtures/query-fixture.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/**
 * The demo generator builds its visits in SQL (tools/demo/web-insert.ts), a copy of the visit rules that the ingest
 * script and the worker apply to live traffic. This pins the copy to the real thing: a small demo's events, replayed
 * in time order through the real ingest path (ingest-web.lua, the worker's session rows) into a second site, must
 * come out as the same visits the demo wrote, figure by figure.
 */
const NOW = Date.parse('2026-06-01T10:00:00Z');
const VISIT_FIGURES = `toString(any(visitor_id)) AS visitor, toString(any(start)) AS start_at, sum(sign) AS n, sum(sign * pageviews) AS pageviews,
  sum(sign * events) AS events, sum(sign * duration_ms) AS duration_ms, sum(sign * is_bounce) AS bounce, any(entry_page) AS entry,
  argMax(exit_page, version) AS exit, toString(any(prev_start)) AS prev, any(new_visitor) AS new_visitor, any(id_type) AS id_type,
  any(referrer_source) AS source, any(channel) AS channel, any(country_code) AS country, any(device_type) AS device`;

describe('demo visits follow the ingest path\'s own visit rules', () => {
  let p: TestPlatform;
  let demo: Site;
  let replay: Site;

  before(async () => {
    p = await startTestPlatform({}, ['worker']);
    demo = (await runDemo(p.services.ch, p.registry, { events: 20_000, months: 2, domain: 'rules.example' }, () => {}, { seed: 11, now: NOW })).site;
    replay = await p.registry.addSite({ domain: 'replay.example', timezone: demo.timezone });
    const redis = p.services.ingestRedis;
    defineIngestCommands(redis);
    const events = await queryRows<Omit<WebEventRow, 'props' | 'screen_width' | 'engagement_ms'> & { props: Record<string, string>; screen_width: string;
      engagement_ms: string; vid: string; id_type: string; cookieless_reason: string; new_visitor: number; ms: string }>(p.services.ch,
    `SELECT *, lower(hex(visitor_id)) AS vid, toString(toUnixTimestamp64Milli(timestamp)) AS ms FROM events WHERE site_id = {s:String}
      ORDER BY timestamp, name = 'engagement' DESC`, { s: demo.siteId });
    assert.ok(events.length > 3_000, `demo events: ${events.length}`);
    for (const e of events) {
      const row: WebEventRow = { site_id: replay.siteId, event_id: randomUUID(), timestamp: e.timestamp, name: e.name, hostname: e.hostname,
        pathname: e.pathname, referrer: e.referrer, referrer_source: e.referrer_source, channel: e.channel, utm_source: e.utm_source,
        utm_medium: e.utm_medium, utm_campaign: e.utm_campaign, utm_term: e.utm_term, utm_content: e.utm_content, country_code: e.country_code,
        region: e.region, city: e.city, browser: e.browser, browser_version: e.browser_version, os: e.os, os_version: e.os_version,
        device_type: e.device_type, screen_width: Number(e.screen_width), screen_size: e.screen_size, engagement_ms: Number(e.engagement_ms), props: e.props };
      const vid = e.vid.padStart(16, '0');
      const cookieless = e.id_type === 'cookieless';
      await appendWebEvent(redis, p.services.prefix, {
        siteId: replay.siteId, cookieId: cookieless || Number(e.new_visitor) === 1 ? null : vid, cookielessId: vid,
        forceCookieless: cookieless ? e.cookieless_reason || 'dnt' : null, newVisitorId: vid, newSessionId: randomBytes(8).toString('hex'),
        at: Number(e.ms), row,
      });
    }
    await waitDrained(p, 60_000);
  });
  after(() => p?.close());

  it('makes the same visits, each with the same figures, entry and exit page, link and attributes', async () => {
    const visits = async (site: Site) => (await queryRows<Record<string, string>>(p.services.ch,
      `SELECT ${VISIT_FIGURES} FROM sessions WHERE site_id = {s:String} GROUP BY session_id HAVING n > 0 ORDER BY visitor, start_at`, { s: site.siteId }))
      .map((v) => JSON.stringify(v));
    const [made, replayed] = [await visits(demo), await visits(replay)];
    assert.ok(made.length > 500, `demo visits: ${made.length}`);
    const only = (a: string[], b: string[]) => { const s = new Set(b); return a.filter((x) => !s.has(x)); };
    assert.deepEqual({ demoOnly: only(made, replayed).slice(0, 5), replayOnly: only(replayed, made).slice(0, 5) }, { demoOnly: [], replayOnly: [] },
      `${only(made, replayed).length} of ${made.length} demo visits differ from the ingest path's`);
  });
});
