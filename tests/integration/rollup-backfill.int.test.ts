import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exec, insertRows, openClickHouse, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { toChTime, VISIT_STAMP } from '../../core/event.ts';
import { loadMigrations, migrate, runMigrationStatement } from '../../core/migrate.ts';
import type { Site } from '../../core/registry.ts';
import { siteOverview } from '../../dashboard/api/query/assemble/overview.ts';

/**
 * Migrations 008 to 011 on a store that already holds a site's visits and events: the rollups start with those rows
 * (backfill, 009 in the site's own zone after recording its offsets), carry on with new ones (views), and running the
 * statements again does not count anything twice. The stored visits have no links to earlier visits (010), so the site
 * records when linking began and visit frequency before it groups every visitor.
 */
describe('rollup migration: backfill of existing rows', () => {
  let ch: ClickHouseClient;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-backfill-'));
  const site: Site = { siteId: 's_backfill', domain: 'backfill.test', timezone: 'Europe/Berlin', honorDnt: false, createdAt: '2026-01-01 00:00:00' } as Site;
  const now = Date.parse('2026-03-30T12:00:00+02:00');
  const week = ['2026-03-23', '2026-03-29'];

  // Visitor v visits at the given UTC times; each visit is stored as the worker stores it (+1, then -1/+1 per change).
  let session = 0;
  function visitRows(visitor: number, at: string, pages: string[], country: string) {
    const id = String(++session);
    const start = Date.parse(at);
    const state = (n: number, sign: 1 | -1) => ({ site_id: site.siteId, session_id: id, sign, version: n, visitor_id: String(visitor),
      start: toChTime(start), end: toChTime(start + (n - 1) * 60_000), duration_ms: (n - 1) * 60_000, pageviews: n, events: 0, is_bounce: n === 1 ? 1 : 0,
      entry_page: pages[0], exit_page: pages[n - 1], country_code: country, browser: 'Firefox', device_type: 'desktop', channel: 'direct',
      id_type: 'cookie', new_visitor: visitor % 2 });
    const sessions = pages.flatMap((_, i) => (i === 0 ? [state(1, 1)] : [state(i, -1), state(i + 1, 1)]));
    const events = pages.map((path, i) => ({ site_id: site.siteId, event_id: crypto.randomUUID(), timestamp: toChTime(start + i * 60_000),
      name: 'pageview', visitor_id: String(visitor), session_id: id, pathname: path }));
    return { sessions, events };
  }
  async function store(batch: ReturnType<typeof visitRows>[], token: string) {
    await insertRows(ch, 'sessions', batch.flatMap((b) => b.sessions), token);
    await insertRows(ch, 'events', batch.flatMap((b) => b.events), token);
  }
  const overview = (rollups: boolean) => siteOverview(ch, site, { dateRange: week, now, comparison: 'previous_period', ...(rollups ? {} : { rollups: false }) });

  before(async () => {
    ch = await openClickHouse({ dataDir: dir, clickhouse: { username: 'default', password: '', database: 'default' } });
    // The store as it was before 008.
    await exec(ch, `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, applied_at DateTime DEFAULT now())
      ENGINE = ReplacingMergeTree ORDER BY version`);
    for (const m of loadMigrations().filter((x) => x.version < 8)) {
      for (const s of m.statements) await runMigrationStatement(ch, s);
      await ch.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
    }
    await ch.insert({ table: 'sites', format: 'JSONEachRow', values: [{ site_id: site.siteId, domain: site.domain, timezone: site.timezone,
      honor_dnt: 0, created_at: '2026-01-01 00:00:00.000', deleted: 0, version: 1 }, { site_id: 's_empty', domain: 'empty.test', timezone: 'UTC',
      honor_dnt: 0, created_at: '2026-01-01 00:00:00.000', deleted: 0, version: 1 }] });
    await store([visitRows(1, '2026-03-23T09:00:00Z', ['/', '/pricing'], 'DE'), visitRows(2, '2026-03-24T23:30:00Z', ['/docs'], 'FR'),
      visitRows(1, '2026-03-28T23:15:00Z', ['/blog', '/', '/docs'], 'DE'), visitRows(3, '2026-03-17T10:00:00Z', ['/'], 'US')], 'before-rollups');
  });
  after(async () => { await ch?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('fills the rollups from the rows stored before it, then from new rows', async () => {
    const started = Date.now();
    assert.deepEqual(await migrate(ch), loadMigrations().map((m) => m.version).filter((v) => v >= 8), 'every migration from 008 on');
    const linked = await queryRows<{ id: string; since: string }>(ch,
      'SELECT site_id AS id, toUnixTimestamp64Milli(visits_linked_since) AS since FROM sites FINAL ORDER BY site_id');
    assert.equal(linked.length, 2);
    assert.ok(Number(linked[0]!.since) >= started - 1000, `the site with visits links them from the migration on: ${JSON.stringify(linked)} ${started}`);
    assert.equal(Number(linked[1]!.since), 0, 'a site without visits has nothing unlinked');
    site.visitsLinkedSince = Number(linked[0]!.since);
    // Its events stored before 012 carry no visit stamp: filtered event figures look their visits up until then.
    const stamped = await queryRows<{ since: string }>(ch, 'SELECT toUnixTimestamp64Milli(visits_stamped_since) AS since FROM sites FINAL ORDER BY site_id');
    assert.ok(Number(stamped[0]!.since) >= started - 1000 && Number(stamped[1]!.since) === 0, JSON.stringify(stamped));
    site.visitsStampedSince = Number(stamped[0]!.since);
    const [stamp] = await queryRows<{ t: string }>(ch, "SELECT type AS t FROM system.columns WHERE database = currentDatabase() AND table = 'events' AND name = 'visit'");
    assert.deepEqual([...stamp!.t.matchAll(/(\w+) (?:LowCardinality\(String\)|String|UInt8)/g)].map((m) => m[1]), [...VISIT_STAMP],
      'the stamp holds what core/event.ts names, in order');
    const [zones] = await queryRows<{ n: string }>(ch, 'SELECT count() AS n FROM site_zones WHERE site_id = {s:String}', { s: site.siteId });
    assert.ok(Number(zones!.n) > 100, 'the Berlin offsets, a change each spring and autumn');
    const rolled = await overview(true);
    assert.deepEqual(rolled, await overview(false));
    assert.deepEqual([rolled.headline.visitors!.value, rolled.headline.visits!.value, rolled.headline.pageviews!.value], [2, 3, 6]);
    assert.deepEqual(rolled.panels.exit_pages.map((r) => [r.value, r.visits]), [['/docs', 2], ['/pricing', 1]]);
    // Thursday 19 .. Sunday 29 reads the backfilled half-week rows (011) and a week.
    // Top pages of DE visits from those unstamped events: by looking each visit up (A's /, /pricing, /blog, /, /docs).
    const de = (s: Site) => siteOverview(ch, s, { dateRange: week, now, filters: [['is', 'visit:country', ['DE']]] });
    assert.deepEqual((await de(site)).panels.pages.map((r) => [r.value, r.pageviews]), [['/', 2], ['/blog', 1], ['/docs', 1], ['/pricing', 1]]);
    assert.deepEqual((await de({ ...site, visitsStampedSince: 0 })).panels.pages, [], 'read as stamped, they would match nothing');
    const midWeek = (rollups: boolean) => siteOverview(ch, site, { dateRange: ['2026-03-19', '2026-03-29'], now, ...(rollups ? {} : { rollups: false }) });
    assert.deepEqual(await midWeek(true), await midWeek(false));

    await store([visitRows(4, '2026-03-25T12:00:00Z', ['/pricing', '/docs'], 'US')], 'after-rollups');
    const later = await overview(true);
    assert.deepEqual(later, await overview(false));
    assert.deepEqual([later.headline.visitors!.value, later.headline.visits!.value], [3, 4]);
  });

  it('counts nothing twice when its statements run again (a migration stopped half-way)', async () => {
    const before = await overview(true);
    for (const m of loadMigrations().filter((x) => x.version >= 8 && x.version <= 11)) {
      for (const s of m.statements) await runMigrationStatement(ch, s);
    }
    assert.deepEqual(await overview(true), before);
    const [row] = await queryRows<{ v: string; s: string }>(ch, `SELECT (SELECT sum(visits) FROM visit_rollup WHERE dim = 'country' AND span = 'day') AS v,
      (SELECT sum(sign) FROM sessions) AS s`);
    assert.equal(Number(row!.v), Number(row!.s));
  });
});
