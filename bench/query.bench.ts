import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '../core/clickhouse.ts';
import { loadConfig } from '../core/config.ts';
import { migrate } from '../core/migrate.ts';
import { Registry } from '../core/registry.ts';
import { realtime, siteOverview } from '../dashboard/api/query/assemble/overview.ts';
import { runCompiled } from '../dashboard/api/query/run/run.ts';
import { executeQuery } from '../dashboard/api/query/run/engine.ts';
import { parseQueryRequest } from '../dashboard/api/query/request/query-request.ts';
import { runDemo } from '../tools/demo/generate.ts';
import { rollSite } from '../worker/roll-visit-filters.ts';

/**
 * `npm run bench:query`: loads EVENTS demo events (default 10 M over 6 months, the `vigil demo` generator with a fixed
 * seed) into an embedded ClickHouse, then times the dashboard's site overview (every panel) for the last 30 days,
 * median of RUNS runs, beside a bare `SELECT count(), uniq(visitor_id) FROM events WHERE site AND range` in the same
 * store and run. Environment: EVENTS, MONTHS (6), OTHER_SITES (0: more demo sites of EVENTS/10 events each, sharing the
 * tables), PRODUCT_EVENTS (30% of EVENTS), RUNS (15), CONCURRENCY (1), BENCH_DIR (kept and reused when it holds the data), LOAD_ONLY (set: load and
 * roll the store, time nothing).
 * Prints a Markdown table for BENCHMARKS.md, with the time of each statement of the last run, the overview from raw rows
 * only (no rollups) beside it, and how far the rollups' figures are from the raw ones.
 */
const EVENTS = Number(process.env.EVENTS ?? 10_000_000);
const MONTHS = Number(process.env.MONTHS ?? 6);
const OTHER_SITES = Number(process.env.OTHER_SITES ?? 0);
/** Product events of the two demo products (default 30% of EVENTS), for the product views at their own size. */
const PRODUCT_EVENTS = process.env.PRODUCT_EVENTS ? Number(process.env.PRODUCT_EVENTS) : undefined;
const RUNS = Number(process.env.RUNS ?? 15);
/** Statements in flight at once: 1 suits the embedded engine (it runs one at a time and loses time juggling more). */
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 1);
const NOW = Date.parse('2026-06-01T10:00:00Z');
const DOMAIN = 'bench.vigil.example';

const dir = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'vigil-bench-'));
const { createChdbConnection } = await import('chdb/connection');
const raw = createClient({ connection: createChdbConnection({ path: dir }) } as Parameters<typeof createClient>[0]);
const timings: { sql: string; ms: number }[] = [];
// Times every statement the overview sends, to show where the time goes.
const ch = new Proxy(raw, {
  get(target, prop, receiver) {
    if (prop === 'query') {
      return async (params: { query: string }) => {
        const t = performance.now();
        const rs = await target.query(params as never);
        const rows = await rs.json();
        timings.push({ sql: params.query, ms: performance.now() - t });
        return { json: async () => rows };
      };
    }
    const v = Reflect.get(target, prop, receiver);
    return typeof v === 'function' ? v.bind(target) : v;
  },
}) as ClickHouseClient;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type View = Awaited<ReturnType<typeof siteOverview>>;
/** Every figure of both views, paired (panel rows by value), summarised apart for distinct counts and for sums. */
function rollupError(rolled: View, raw: View): string {
  const pairs: { what: string; a: number; b: number }[] = [];
  for (const [k, f] of Object.entries(raw.headline)) pairs.push({ what: `headline ${k}`, a: rolled.headline[k]!.value, b: f.value });
  for (const [m, xs] of Object.entries(raw.timeseries.series)) xs.forEach((x, i) => pairs.push({ what: `series ${m}`, a: rolled.timeseries.series[m]![i]!, b: x }));
  let missing = 0;
  for (const [panel, rows] of Object.entries(raw.panels)) {
    for (const r of rows) {
      const o = (rolled.panels as Record<string, typeof rows>)[panel]!.find((x) => x.value === r.value);
      if (!o) { missing++; continue; }
      for (const [m, v] of Object.entries(r)) if (m !== 'value') pairs.push({ what: `${panel} ${m}`, a: Number(o[m]), b: Number(v) });
    }
  }
  const rel = (p: { a: number; b: number }) => (p.b === 0 ? (p.a === 0 ? 0 : 1) : Math.abs(p.a - p.b) / p.b);
  const line = (label: string, xs: typeof pairs) => {
    const e = xs.map(rel).sort((x, y) => x - y);
    const worst = xs.find((p) => rel(p) === e[e.length - 1]);
    return `| ${label} | ${xs.length} | ${xs.filter((p) => p.a === p.b).length} | ${(100 * e.reduce((s, x) => s + x, 0) / Math.max(e.length, 1)).toFixed(2)}% | ${(100 * (e[Math.floor(e.length * 0.95)] ?? 0)).toFixed(2)}% | ${(100 * (e[e.length - 1] ?? 0)).toFixed(2)}% (${worst?.what}: ${worst?.a} vs ${worst?.b}) |`;
  };
  const distinct = (p: { what: string }) => /visitor|conversion_rate/.test(p.what);
  return ['| figures | n | equal | mean | p95 | max |', '|---|---:|---:|---:|---:|---|',
    line('distinct visitors (and rates of them)', pairs.filter(distinct)), line('sums (visits, pageviews, bounce rate, duration...)', pairs.filter((p) => !distinct(p))),
    `\npanel rows of the raw answer missing from the rollup answer (a different cut at the row limit): ${missing}`].join('\n');
}

try {
  await migrate(raw);
  const registry = new Registry(raw);
  await registry.reload();
  let site = await registry.siteForDomain(DOMAIN);
  const [have] = site ? await runCompiled<{ n: string; p: string }>(raw, { name: 'count', params: { site: site.siteId },
    sql: 'SELECT (SELECT count() FROM events WHERE site_id = {site:String}) AS n, (SELECT count() FROM product_events) AS p' }) : [];
  if (!site || Number(have?.n ?? 0) < EVENTS * 0.9 || (PRODUCT_EVENTS !== undefined && Number(have?.p ?? 0) < PRODUCT_EVENTS * 0.9)) {
    const t = performance.now();
    let shown = -1;
    for (let k = 1; k <= OTHER_SITES; k++) {
      const other = await runDemo(raw, registry, { events: Math.round(EVENTS / 10), months: MONTHS, domain: `other-${k}.vigil.example` }, () => {}, { seed: 42 + k, now: NOW });
      console.log(`loaded ${other.events.toLocaleString('en')} events for ${other.site.domain}`);
    }
    const loaded = await runDemo(raw, registry, { events: EVENTS, months: MONTHS, domain: DOMAIN }, ({ done, total }) => {
      const pct = Math.floor((100 * done) / total);
      if (pct >= shown + 10) { shown = pct; process.stderr.write(`loading demo data: ${pct}%\n`); }
    }, { seed: 42, now: NOW, productEvents: PRODUCT_EVENTS });
    console.log(`loaded ${loaded.events.toLocaleString("en")} events (${loaded.visits.toLocaleString("en")} visits) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    site = await registry.siteForDomain(DOMAIN);
  }
  if (!site) throw new Error('the demo site is missing');
  // A migration's background work (a projection materialized over stored parts, migration 015) done before timing.
  for (const until = Date.now() + 30 * 60_000; Date.now() < until;) {
    const [m] = await runCompiled<{ n: string }>(raw, { name: 'mutations', sql: 'SELECT count() AS n FROM system.mutations WHERE is_done = 0', params: {} });
    if (Number(m!.n) === 0) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  // The worker's filter rollup (worker/roll-visit-filters.ts) of the days the timed ranges read, rolled here as the
  // worker would in the background, timed with the CPU of this process (the embedded engine runs in it).
  const backTo = process.env.ROLL_BACK_TO ?? '2026-04-27';
  if (!site.filtersRolled || site.filtersRolled.from > backTo) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const run = await rollSite(raw, site, site.filtersRolled, Date.now(), { budgetMs: 4 * 3_600_000, backTo });
    const used = process.cpuUsage(cpu);
    const [v] = await runCompiled<{ n: string }>(raw, { name: 'count', sql: `SELECT sum(sign) AS n FROM sessions WHERE site_id = {site:String}
      AND start >= toDateTime64({from:String}, 3, {tz:String}) AND start < toDateTime64({to:String}, 3, {tz:String})`,
    params: { site: site.siteId, from: backTo, to: site.filtersRolled?.from ?? run.until, tz: site.timezone } });
    const visits = Number(v!.n);
    console.log(`filter rollup: rolled ${run.from} .. ${run.until} (not including) in ${((performance.now() - t) / 1000).toFixed(1)} s, ${visits.toLocaleString('en')} visits,`
      + ` ${((used.user + used.system) / Math.max(visits, 1)).toFixed(0)} µs of CPU per visit`);
    await registry.reload();
    site = (await registry.siteForDomain(DOMAIN))!;
  }
  if (process.env.LOAD_ONLY) { console.log(`store ready in ${dir}`); await raw.close(); process.exit(0); }
  const now = NOW;
  /** The 30 local days ending on `at`'s day, as the overview's "30d" reads them, and the bare scan of those days. */
  const bareFor = async (at: number) => {
    const [r] = await runCompiled<{ from: string; to: string }>(raw, { name: 'range', sql: `SELECT
        toString(toDateTime64(toStartOfDay(toDateTime64({now:Int64} / 1000, 3, {tz:String})) - INTERVAL 29 DAY, 3, 'UTC')) AS from,
        toString(toDateTime64(toStartOfDay(toDateTime64({now:Int64} / 1000, 3, {tz:String})) + INTERVAL 1 DAY, 3, 'UTC')) AS to`,
    params: { now: at, tz: site!.timezone } });
    return { name: 'bare', sql: 'SELECT count() AS n, uniq(visitor_id) AS v FROM events WHERE site_id = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}',
      params: { site: site!.siteId, from: r!.from, to: r!.to } };
  };
  /** Medians of RUNS runs, the bare scan and the overview taking turns. */
  const timeBoth = async (at: number, filters: unknown[] = []) => {
    const bareQ = await bareFor(at);
    await siteOverview(ch, site!, { dateRange: '30d', now: at, filters }); // warm-up
    const bareMs: number[] = [];
    const overviewMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      await runCompiled(raw, bareQ);
      bareMs.push(performance.now() - t);
      timings.length = 0;
      t = performance.now();
      await siteOverview(ch, site!, { dateRange: '30d', now: at, concurrency: CONCURRENCY, filters });
      overviewMs.push(performance.now() - t);
    }
    return { bare: median(bareMs), overview: median(overviewMs) };
  };
  const bare = await bareFor(now);
  const [scan] = await runCompiled<{ n: string; v: string }>(raw, bare);
  const main = await timeBoth(now);
  // 2026-06-01 is a Monday, so its 30 days are 4 whole weeks and 2 days. Ending on a Thursday they are 3 weeks and 9
  // days, the most rollup rows per value (the worst alignment), also timed.
  const thursday = await timeBoth(NOW - 4 * 86_400_000);
  const apartMs: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const t = performance.now();
    await siteOverview(raw, site, { dateRange: '30d', now, concurrency: CONCURRENCY, together: false });
    apartMs.push(performance.now() - t);
  }
  const rawMs: number[] = [];
  let rawView: Awaited<ReturnType<typeof siteOverview>> | undefined;
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const t = performance.now();
    rawView = await siteOverview(raw, site, { dateRange: '30d', now, concurrency: CONCURRENCY, rollups: false });
    rawMs.push(performance.now() - t);
  }
  timings.length = 0;
  const view = await siteOverview(ch, site, { dateRange: '30d', now, concurrency: 1, together: false }); // one at a time, for the time of each statement
  const b = main.bare;
  const o = main.overview;
  console.log(`\n| ${EVENTS.toLocaleString('en')} events, 30 days (${Number(scan!.n).toLocaleString('en')} events, ${Number(scan!.v).toLocaleString('en')} visitors in range) | median of ${RUNS} |`);
  console.log('|---|---|');
  console.log(`| bare count() + uniq(visitor_id) | ${b.toFixed(0)} ms |`);
  console.log(`| site overview, every panel (${timings.length} statements as one, runTogether) | ${o.toFixed(0)} ms (${(o / b).toFixed(1)}× the bare scan) |`);
  console.log(`| the same for the 30 days ending Thursday 2026-05-28 (3 weeks and 9 days of rollup rows): overview / bare | ${thursday.overview.toFixed(0)} ms / ${thursday.bare.toFixed(0)} ms (${(thursday.overview / thursday.bare).toFixed(1)}×) |`);
  console.log(`| the same, one statement after another (together: false), median of ${apartMs.length} | ${median(apartMs).toFixed(0)} ms |`);
  console.log(`| site overview from raw rows only (rollups: false), median of ${rawMs.length} | ${median(rawMs).toFixed(0)} ms |`);
  console.log('\nstatements, run one at a time:');
  for (const s of timings) console.log(`${s.ms.toFixed(0).padStart(6)} ms  ${s.sql.replace(/\s+/g, ' ').slice(0, 110)}`);
  console.log(`\nrollups against raw rows, relative difference per figure:\n${rollupError(view, rawView!)}`);

  // Filtered views: what a marketing user clicks all day. Each against the same bare scan (the range, unfiltered),
  // and its figures against the same view from raw rows.
  const FILTERED: [string, unknown[]][] = [
    ['country is DE', [['is', 'visit:country', ['DE']]]],
    ['source is Google', [['is', 'visit:source', ['Google']]]],
    ['device is mobile', [['is', 'visit:device', ['mobile']]]],
    ['channel is organic_search', [['is', 'visit:channel', ['organic_search']]]],
    ['page is /pricing', [['is', 'event:page', ['/pricing']]]],
    ['goal Signup', [['is', 'event:name', ['Signup']]]],
    ['property plan is pro', [['is', 'event:props:plan', ['pro']]]],
    ['country DE and device mobile', [['is', 'visit:country', ['DE']], ['is', 'visit:device', ['mobile']]]],
    ['source Google and device mobile', [['is', 'visit:source', ['Google']], ['is', 'visit:device', ['mobile']]]],
  ];
  const only = process.env.FILTERS ? new RegExp(process.env.FILTERS) : null;
  // The same view without the filter rollup (before migration 013), and as if the site's events also carried no
  // visit stamp (before migration 012): each event's visit looked up.
  const { filtersRolled: _rolled, ...unrolled } = site;
  const unstamped = { ...unrolled, visitsStampedSince: Number.MAX_SAFE_INTEGER };
  console.log(`\n| filtered overview, 30 days (median of ${RUNS}) | overview | bare scan | ratio | raw rows only | no filter rollup (before 013) | visits looked up too (before 012) | same figures (013, 012) | visitors: mean / max difference | sums |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const [label, filters] of FILTERED) {
    if (only && !only.test(label)) continue;
    const t = await timeBoth(now, filters);
    const r0 = performance.now();
    const rawF = await siteOverview(raw, site, { dateRange: '30d', now, filters, rollups: false });
    const rawFMs = performance.now() - r0;
    const got = await siteOverview(raw, site, { dateRange: '30d', now, filters });
    const before = async (s: typeof site) => {
      const ms: number[] = [];
      let view: typeof got | undefined;
      for (let i = 0; i < Math.min(RUNS, 3); i++) {
        const t0 = performance.now();
        view = await siteOverview(raw, s!, { dateRange: '30d', now, concurrency: CONCURRENCY, filters });
        ms.push(performance.now() - t0);
      }
      return { ms: median(ms), view: view! };
    };
    const [b13, b12] = [await before(unrolled), await before(unstamped)];
    // Without the filter rollup raw visits answer exactly; with it, visitor counts are sketches: compare the sums.
    const same = `${rollupError(got, b13.view).split('\n')[3]?.includes('| 0.00% | 0.00% | 0.00%') ? 'sums equal' : 'SUMS DIFFER'}, ${JSON.stringify(b12.view) === JSON.stringify(b13.view) ? 'yes' : 'NO'}`;
    const err = rollupError(got, rawF).split('\n');
    const cell = (line: string | undefined) => { const c = (line ?? '').split('|').map((x) => x.trim()); return `${c[4]} / ${c[6]?.split(' ')[0]}`; };
    console.log(`| ${label} | ${t.overview.toFixed(0)} ms | ${t.bare.toFixed(0)} ms | ${(t.overview / t.bare).toFixed(1)}x | ${rawFMs.toFixed(0)} ms | ${b13.ms.toFixed(0)} ms | ${b12.ms.toFixed(0)} ms | ${same} | ${cell(err[2])} | ${cell(err[3])} |`);
  }

  // The 12-month overview (the store's whole history) and the realtime panel, each beside a bare scan of its rows.
  const timed = async (f: () => Promise<unknown>) => {
    await f();
    const ms: number[] = [];
    for (let i = 0; i < RUNS; i++) { const t0 = performance.now(); await f(); ms.push(performance.now() - t0); }
    return median(ms);
  };
  const scanSince = (intervalSql: string) => () => runCompiled(raw, { name: 'bare', params: { site: site!.siteId, now },
    sql: `SELECT count() AS n, uniq(visitor_id) AS v FROM events WHERE site_id = {site:String} AND timestamp >= toDateTime64({now:Int64} / 1000, 3) - ${intervalSql}
      AND timestamp < toDateTime64({now:Int64} / 1000, 3)` });
  // Visit frequency over a year is sampled past the platform's default bound (docs/api.md, "Sampling"); also timed whole.
  const sampleAbove = loadConfig({}).query.sampleAbove;
  const year = await timed(() => siteOverview(ch, site!, { dateRange: '12mo', now, sampleAbove }));
  const yearWhole = await timed(() => siteOverview(ch, site!, { dateRange: '12mo', now }));
  const yearBare = await timed(scanSince('INTERVAL 12 MONTH'));
  const live = await timed(() => realtime(ch, site!, now));
  const liveBare = await timed(scanSince('INTERVAL 30 MINUTE'));
  const sampled = await siteOverview(raw, site, { dateRange: '12mo', now, sampleAbove });
  const whole = await siteOverview(raw, site, { dateRange: '12mo', now });
  const est = sampled.samples?.frequency;
  console.log(`\n| median of ${RUNS} | view | bare scan of its rows | ratio |\n|---|---:|---:|---:|`);
  console.log(`| overview, 12 months (the whole store), visit frequency ${est ? `from 1 in ${Math.round(1 / est.fraction)} visitors` : 'counted whole (under the bound)'} | ${year.toFixed(0)} ms | ${yearBare.toFixed(0)} ms | ${(year / yearBare).toFixed(1)}x |`);
  console.log(`| the same, visit frequency counted whole (QUERY_SAMPLE_ABOVE=0) | ${yearWhole.toFixed(0)} ms | ${yearBare.toFixed(0)} ms | ${(yearWhole / yearBare).toFixed(1)}x |`);
  console.log(`| realtime panel (5-minute visitors, 30 minutes of pageviews) | ${live.toFixed(0)} ms | ${liveBare.toFixed(0)} ms | ${(live / liveBare).toFixed(1)}x |`);
  if (est) {
    // Each bucket's estimate against the whole count, and whether it lies within its stated 95% margin.
    const lines = sampled.panels.frequency.map((r, i) => {
      const w = whole.panels.frequency.find((x) => x.value === r.value)!;
      return ['visitors', 'visits'].map((m) => {
        const a = Number(r[m]); const b = Number(w[m]); const e = est.margins[i]![m] ?? 0;
        return `${m} ${a.toLocaleString('en')} ± ${e.toLocaleString('en')} vs ${b.toLocaleString('en')} (${b ? (100 * (a - b) / b).toFixed(1) : '-'}%${Math.abs(a - b) <= e ? '' : ', OUTSIDE the margin'})`;
      }).join(', ');
    });
    console.log(`\nvisit frequency, 12 months, 1 in ${Math.round(1 / est.fraction)} visitors against every visitor, by bucket:`);
    sampled.panels.frequency.forEach((r, i) => console.log(`- ${r.value}: ${lines[i]}`));
  }
  timings.length = 0;
  await siteOverview(ch, site, { dateRange: '12mo', now, sampleAbove, concurrency: 1, together: false });
  console.log('\n12-month overview, statements of 10 ms or more, run one at a time:');
  for (const t of timings.filter((x) => x.ms >= 10)) console.log(`${t.ms.toFixed(0).padStart(6)} ms  ${t.sql.replace(/\s+/g, ' ').slice(0, 110)}`);

  // Product views over 91 days: the feature ranking and the products compared week by week, beside a bare scan of
  // their product events.
  const products = [await registry.requireProduct('Demo Cleaner'), await registry.requireProduct('Demo Antivirus')];
  const productBare = () => runCompiled(raw, { name: 'bare', params: { p: products.map((x) => x.productId), now },
    sql: `SELECT count() AS n, uniq(install_id) AS v FROM product_events WHERE product_id IN {p:Array(String)}
      AND timestamp >= toDateTime64({now:Int64} / 1000, 3) - INTERVAL 91 DAY AND timestamp < toDateTime64({now:Int64} / 1000, 3)` });
  const productQuery = (body: Record<string, unknown>, scope: typeof products, rollups = true) =>
    () => executeQuery(ch, { kind: 'product', products: scope }, parseQueryRequest({ date_range: '91d', ...body }), now, { rollups });
  const both = products.map((x) => x.name);
  const productCases: [string, Record<string, unknown>, typeof products][] = [
    ['feature ranking (feature_users, feature_share, events by feature; one product)', { product_id: products[0]!.name, metrics: ['feature_users', 'feature_share', 'events'],
      dimensions: ['feature'], filters: [['is_not', 'feature', ['']]], pagination: { limit: 25 } }, [products[0]!]],
    ['features compared (feature_users, feature_share by feature and product)', { product_id: both, metrics: ['feature_users', 'feature_share'], dimensions: ['feature', 'product'],
      filters: [['is_not', 'feature', ['']]], pagination: { limit: 15 } }, products],
    ['products side by side (installs, events, DAU, WAU, MAU by product)', { product_id: both, metrics: ['active_installs', 'events', 'events_per_install', 'dau', 'wau', 'mau'],
      dimensions: ['product'] }, products],
    ['products chart (active installs by week and product)', { product_id: both, metrics: ['active_installs'], dimensions: ['time:week', 'product'] }, products],
    ['by OS (installs, events, DAU, WAU, MAU; attribute rollup)', { product_id: both, metrics: ['active_installs', 'events', 'dau', 'wau', 'mau'], dimensions: ['os'] }, products],
    ['app versions by week (active installs, DAU; attribute rollup)', { product_id: both, metrics: ['active_installs', 'dau'], dimensions: ['time:week', 'app_version'] }, products],
    ['countries of one product (active installs, events; attribute rollup)', { product_id: products[0]!.name, metrics: ['active_installs', 'events'], dimensions: ['country'],
      pagination: { limit: 25 } }, [products[0]!]],
  ];
  const pBare = await timed(productBare);
  const [pn] = await productBare() as { n: string }[];
  console.log(`\n| product views, 91 days (${Number(pn!.n).toLocaleString('en')} product events of 2 products), median of ${RUNS} | view (daily rollup) | bare scan | ratio | raw events only | figures: mean / max difference (n) |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [label, body, scope] of productCases) {
    const ms = await timed(productQuery(body, scope));
    const r0 = performance.now();
    // Raw events may need more than a query's memory limit at this size (an answer of 422): said so, nothing compared.
    const rawOut = await productQuery(body, scope, false)().catch((err: Error) => err);
    const rawMs = performance.now() - r0;
    if (rawOut instanceof Error) {
      console.log(`| ${label} | ${ms.toFixed(0)} ms | ${pBare.toFixed(0)} ms | ${(ms / pBare).toFixed(1)}x | ${rawOut.message.split(';')[0]} (${rawMs.toFixed(0)} ms) | |`);
      continue;
    }
    // Each figure against raw events' (rows matched by their dimension values): event counts are exact, installs sketches.
    const got = await productQuery(body, scope)();
    const diffs = rawOut.results.flatMap((r) => {
      const o = got.results.find((x) => JSON.stringify(x.dimensions) === JSON.stringify(r.dimensions));
      return r.metrics.map((v, k) => { const a = Number(o?.metrics[k] ?? NaN); const b = Number(v); return b === 0 ? (a === 0 ? 0 : 1) : Math.abs(a - b) / b; });
    });
    const mean = diffs.reduce((x, y) => x + y, 0) / Math.max(diffs.length, 1);
    console.log(`| ${label} | ${ms.toFixed(0)} ms | ${pBare.toFixed(0)} ms | ${(ms / pBare).toFixed(1)}x | ${rawMs.toFixed(0)} ms | ${(100 * mean).toFixed(2)}% / ${(100 * Math.max(0, ...diffs)).toFixed(2)}% (${diffs.length}) |`);
  }
} finally {
  await raw.close();
  if (!process.env.BENCH_DIR) rmSync(dir, { recursive: true, force: true });
}
