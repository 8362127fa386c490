import {
  ANDROID_LAG, BROWSER_LAG, BROWSERS, classifiedSources, COOKIELESS_REASONS, COOKIELESS_SHARE, COUNTRIES, FILE_PATHS, HOUR_WEIGHTS,
  OS_KINDS, OS_LAG, OUTBOUND_LINKS, PAGES, PLATFORMS, SIGNUP_PLANS, WEEKDAY_WEIGHTS,
} from './catalog.ts';
import { dayNumber as day, hash, lit, numArray, pick, pickIn, strArray, uniform } from './sql.ts';

/**
 * The demo site's traffic, generated inside ClickHouse. One row of numbers() is one visitor, born in a week drawn from
 * {weekTable} (growth over the months), who makes one or more visits; each visit carries its events as arrays. Every
 * random choice is a hash of the run's seed and the visitor/visit/page numbers, so a visit comes out the same in every
 * statement of a run. The query is a stack of layers (subqueries): ClickHouse copies an alias's expression into every
 * place that uses it, so each choice from a lookup table is made in one layer and only used, as a column, above it.
 *
 * Parameters: seed UInt64, k0/n UInt64 (visitor numbers), weeks Array(Date) (Mondays), weekTable Array(UInt16) (a
 * lookup table of week numbers, see bucketTable), tz String, from/now UInt64 (ms: the period), lastDay Int32 (day
 * number of `now`), c0/c1 UInt64 (ms: the chunk, visits starting in it) and d0/d1 Int32 (its first and last day
 * numbers), domain String.
 */

const H = (n: number) => hash('k', n); // per visitor
const U = (n: number) => uniform('k', n);
const VH = (n: number) => hash('k', 'j', 100 + n); // per visit
const V = (n: number) => uniform('k', 'j', 100 + n);
const PH = (n: number) => hash('k', 'j', 200 + n, 'i'); // per page of a visit (lambda variable i)
const P = (n: number) => uniform('k', 'j', 200 + n, 'i');

/** The least time between the starts of one visitor's visits (ms): see visitRowsSql. */
const VISIT_GAP_MS = 6 * 3_600_000;

const offsets = (lists: readonly (readonly unknown[])[]) => lists.map((_, i) => lists.slice(0, i).reduce((a, l) => a + l.length, 0));
const layer = (inner: string, columns: string[], where?: string) =>
  `SELECT *,\n  ${columns.join(',\n  ')}\nFROM (${inner})${where ? `\nWHERE ${where}` : ''}`;

// Newest major versions at a day number `dn` (an SQL expression), from release calendars.
const APPLE_RELEASES = ['2026-09-14', '2025-09-15', '2024-09-16', '2023-09-18'].map(day);
const appleYear = (dn: string, values: number[]) =>
  `multiIf(${APPLE_RELEASES.map((d, i) => `${dn} >= ${d}, ${values[i]}`).join(', ')}, ${values[4]})`;
const iosMajor = (dn: string) => appleYear(dn, [27, 26, 18, 17, 16]);
const macMajor = (dn: string) => appleYear(dn, [27, 26, 15, 14, 13]);
/** Minor version: one about every six weeks after the major's release, some devices a few behind. */
const appleMinor = (dn: string) =>
  `toUInt32(greatest(0, least(7, intDiv(${dn} - ${appleYear(dn, [...APPLE_RELEASES, day('2022-09-12')])}, 42)) - os_minor % 3))`;
const every = (base: number, since: string, days: number, lag: string) => `toString(${base} + intDiv(dn - ${day(since)}, ${days}) - ${lag})`;

/** Visitors: birth (first visit) and the day offsets of their visits; only those visiting around the chunk [d0, d1]. */
function visitorsSql(): string {
  const born = `SELECT number AS k,
    {weeks:Array(Date)}[{weekTable:Array(UInt16)}[1 + bitShiftRight(${H(1)}, 54)]] AS week,
    ${pick(WEEKDAY_WEIGHTS, H(2))} AS weekday,
    ${pick(HOUR_WEIGHTS, H(3))} AS hour,
    -- Most visitors come once; a quarter return, how often following a power law (a few every other day).
    ${U(17)} < 0.25 AS loyal,
    least(120, toUInt32(pow(1 - ${U(19)}, -1 / 1.4))) AS extra
  FROM numbers_mt({k0:UInt64}, {n:UInt64})`;
  const later = layer(born, ['week + (weekday - 1) AS birth_day', `(hour - 1) * 3600 + toUInt32(${U(4)} * 3600) AS birth_sec`,
    '1 + if(loyal, extra, 0) AS nvis', 'greatest(1, least(45, 150 / extra)) AS gap_mean'],
  'toInt32(birth_day) <= {d1:Int32} + 1 AND (loyal OR toInt32(birth_day) >= {d0:Int32} - 3)');
  const days = layer(later, [`arrayFilter(x -> toInt32(birth_day) + x <= {lastDay:Int32},
    arrayCumSum(arrayMap(i -> if(i = 0, 0, 1 + toUInt32(-log(1 - ${uniform('k', 20, 'i')}) * gap_mean)), range(nvis)))) AS offs`]);
  return `SELECT * FROM (${days}) WHERE arrayExists(x -> toInt32(birth_day) + x BETWEEN {d0:Int32} - 5 AND {d1:Int32} + 1, offs)`;
}

/** One row per visit starting in the chunk [c0, c1), with the visitor's attributes and the visit's own. */
function visitRowsSql(domain: string): string {
  const drawn = `SELECT k, j,
    birth_day + off AS day0,
    toDayOfWeek(day0) AS dow,
    -- Returning visits avoid weekends too: some of those falling on one move to early next week.
    if(j > 1 AND dow >= 6 AND ${V(1)} < 0.4, day0 + (8 - dow) + ${VH(0)} % 3, day0) AS day,
    toInt32(day) AS dn,
    if(j = 1, birth_sec, (${pick(HOUR_WEIGHTS, VH(2))} - 1) * 3600 + toUInt32(${V(3)} * 3600)) AS sec,
    toInt64(toUnixTimestamp(toDateTime(day, {tz:String}))) * 1000 + sec * 1000 + toInt64(${V(4)} * 1000) AS drawn_ms
  FROM (${visitorsSql()})
  ARRAY JOIN offs AS off, arrayEnumerate(offs) AS j`;
  // A visitor's visits start VISIT_GAP apart at least (the longest visit, 30 pages of at most 10 minutes, and the 30
  // minutes after it that would continue it): drawn times that fall closer (a visit moved off a weekend onto another's
  // day) move later, so each stays a visit of its own as the ingest path would see it (tests/integration/
  // demo-visit-rules.int.test.ts). With visits in drawn order n = 1, 2...: start_n = max over m <= n of (drawn_m +
  // (n - m) * gap), a running maximum.
  const ordered = `SELECT *, row_number() OVER (PARTITION BY k ORDER BY drawn_ms, j) AS n FROM (${drawn})`;
  const timed = `SELECT * FROM (SELECT *, toUInt64(n * ${VISIT_GAP_MS} + max(drawn_ms - n * ${VISIT_GAP_MS})
      OVER (PARTITION BY k ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS start_ms
    FROM (${ordered}))
  WHERE start_ms >= {from:UInt64} AND start_ms >= {c0:UInt64} AND start_ms < {c1:UInt64}`;
  const sources = classifiedSources(domain);
  const direct = sources.findIndex((s) => s.source.referrers[0] === '' && !s.source.utm) + 1;
  const choices = layer(timed, [
    `${pick(COUNTRIES.map((c) => c[1]), H(5))} AS ci`,
    `${pick(PLATFORMS.map((p) => p.weight), H(7))} AS pi`,
    `${pick(BROWSER_LAG.map((l) => l[1]), H(10))} - 1 AS br_lag`,
    `${pick(OS_LAG.map((l) => l[1]), H(11))} - 1 AS os_lag`,
    `${pick(ANDROID_LAG.map((l) => l[1]), H(12))} - 1 AS android_lag`,
    `toUInt8(${U(13)} * 7) AS os_minor`,
    `${U(14)} < 0.6 AS win11`,
    `${U(15)} < ${COOKIELESS_SHARE} AS cookieless`,
    `${pick(COOKIELESS_REASONS.map((r) => r[1]), H(16))} AS reason`,
    // Where the visit came from: returning visitors type the address more often.
    `if(j > 1 AND ${V(5)} < 0.45, ${direct}, ${pick(sources.map((s) => s.source.weight), VH(6))}) AS si`,
    `multiIf(${V(19)} < 0.05, 1, ${V(19)} < 0.062, 2, 0) AS link`,
    `${pick(SIGNUP_PLANS.map((p) => p[1]), VH(21))} AS plan`,
  ]);
  type Src = (typeof sources)[number]['source'];
  const utm = (f: (u: NonNullable<Src['utm']>) => string) => strArray(sources.map((s) => (s.source.utm ? f(s.source.utm) : '')));
  const any = (f: (s: Src) => string[] | undefined, h: string) => {
    const lists = `[${sources.map((s) => strArray(f(s.source) ?? []))}][si]`;
    return `${lists}[1 + ${h} % greatest(1, length(${lists}))]`;
  };
  const geo = COUNTRIES.map((c) => c[2]);
  const widths = PLATFORMS.map((p) => p.widths);
  const kind = (k: string) => OS_KINDS.indexOf(k as never) + 1;
  const values = layer(choices, [
    `${strArray(COUNTRIES.map((c) => c[0]))}[ci] AS country_code`,
    `${numArray(offsets(geo))}[ci] + ${pickIn(geo.map((g) => g.map((x) => x[2])), 'ci', H(6))} AS gi`,
    `${strArray(PLATFORMS.map((p) => p.device))}[pi] AS device_type`,
    `${strArray(PLATFORMS.map((p) => p.os))}[pi] AS os`,
    `${numArray(PLATFORMS.map((p) => kind(p.kind)))}[pi] AS os_kind`,
    `${pickIn(PLATFORMS.map((p) => p.browsers), 'pi', H(8))} AS bi`,
    `${numArray(offsets(widths))}[pi] + ${pickIn(widths.map((w) => w.map((x) => x[1])), 'pi', H(9))} AS wi`,
    `if(cookieless, ${strArray(COOKIELESS_REASONS.map((r) => r[0]))}[reason], '') AS cookieless_reason`,
    'cityHash64({seed:UInt64}, k, j, 999) AS session_id',
    'if(cookieless, cityHash64({seed:UInt64}, k, dn, 998), cityHash64({seed:UInt64}, k, 997)) AS visitor_id',
    'j = 1 AND NOT cookieless AS new_visitor',
    `[${sources.map((s) => `[${s.referrers.map((r) => `(${r.map(lit).join(', ')})`).join(',')}]`).join(',')}][si] AS refs`,
    `${utm((u) => u.source)}[si] AS utm_source`,
    `${utm((u) => u.medium)}[si] AS utm_medium`,
    `replaceOne(${any((s) => s.utm?.campaigns, VH(8))}, '{month}', formatDateTime(day, '%Y-%m')) AS utm_campaign`,
    `${any((s) => s.utm?.terms, VH(9))} AS utm_term`,
    `${any((s) => s.utm?.contents, VH(10))} AS utm_content`,
    `${numArray(sources.map((s) => s.source.landing + 1))}[si] AS landing`,
    // Pages: a single page for about 45% of visits (fewer from the home page, more from blog posts), then a geometric tail.
    `toUInt32(if(${V(11)} < [0.34, 0.45, 0.53][landing], 1, least(30, 2 + toUInt32(-log(1 - ${V(12)}) * 2.2)))) AS pv`,
    // Signups and downloads (of desktop apps, from desktops) end a visit of two pages or more on their page.
    `multiIf(pv < 2, 0, ${V(13)} < 0.03, 1, ${V(13)} < 0.065 AND device_type = 'desktop', 2, 0) AS goal`,
    `toUInt32(1 + ${VH(20)} % pv) AS lp`,
    `${strArray(SIGNUP_PLANS.map((p) => p[0]))}[plan] AS goal_plan`,
    `if(${V(22)} < 0.6, 'Demo Cleaner', 'Demo Antivirus') AS goal_product`,
    `if(link = 1, ${strArray(OUTBOUND_LINKS)}[1 + ${VH(23)} % ${OUTBOUND_LINKS.length}],
      concat('https://', {domain:String}, ${strArray(FILE_PATHS)}[1 + ${VH(23)} % ${FILE_PATHS.length}])) AS link_url`,
  ]);
  const page = (path: string) => PAGES.findIndex((p) => p[0] === path) + 1;
  const more = layer(values, [
    `[${geo.flat().map(([r, city]) => `(${lit(r)}, ${lit(city)})`).join(',')}][gi] AS geo`,
    `${strArray(BROWSERS)}[bi] AS browser`,
    `${numArray(widths.flat().map((w) => w[0]))}[wi] AS screen_width`,
    `refs[1 + ${VH(7)} % length(refs)] AS ref`,
    `${pickIn([1, 2, 3].map((l) => PAGES.map((p) => p[l] as number)), 'landing', VH(14), 10)} AS entry_id`,
    `arrayMap(i -> toUInt64(least(600000, 4000 + -log(1 - ${P(16)}) * 45000)), range(pv)) AS dwell`,
    `arrayMap(i -> 0.35 + 0.6 * ${P(17)}, range(pv)) AS eng_share`,
    `arrayMap(i -> ${P(18)} < 0.9, range(pv)) AS eng_sent`,
  ]);
  const described = layer(more, [
    "multiIf(screen_width < 576, 'mobile', screen_width < 992, 'tablet', screen_width < 1440, 'laptop', 'desktop') AS screen_size",
    `multiIf(os_kind = 1, if(browser = 'Firefox' OR NOT win11, '10', '11'),
      os_kind = 2, if(browser IN ('Safari', 'Firefox'), '10.15.7',
        concat(toString(${macMajor('dn - 365 * os_lag')}), '.', toString(${appleMinor('dn - 365 * os_lag')}), '.0')),
      os_kind = 4, concat(toString(${iosMajor('dn - 365 * os_lag')}), '.', toString(${appleMinor('dn - 365 * os_lag')})),
      os_kind = 5, toString(14 + intDiv(dn - ${day('2023-10-04')}, 330) - android_lag), '') AS os_version`,
    `arrayMap(i -> toUInt8(multiIf(i = pv - 1 AND goal = 1, ${page('/signup')}, i = pv - 1 AND goal = 2, ${page('/download')}, i = 0, entry_id,
      ${pick(PAGES.map((p) => p[4]), PH(15))})), range(pv)) AS page_ids`,
    'arrayCumSum(dwell) AS cum',
    'arrayMap((d, s) -> toUInt32(d * s), dwell, eng_share) AS eng',
    `multiIf(browser IN ('Chrome', 'Edge'), ${every(131, '2024-11-12', 28, 'br_lag')}, browser = 'Firefox', ${every(133, '2024-11-26', 28, 'br_lag')},
      browser = 'Opera', ${every(115, '2024-11-27', 28, 'br_lag')}, browser = 'Samsung Internet', ${every(26, '2024-06-01', 120, 'least(br_lag, 2)')},
      os_kind = 4, splitByChar('.', os_version)[1], toString(${iosMajor('dn - 365 * least(os_lag, 1)')})) AS browser_version`,
  ]);
  return described;
}

/**
 * One row per visit (see the file comment for the parameters), its events as parallel arrays: time (ms), kind (1
 * pageview, 2 engagement, 3 the goal: Signup or Download, 4 the link click) and page number within the visit.
 */
export function visitsSql(domain: string): string {
  return layer(visitRowsSql(domain), [
    // The snippet reports engaged time when a page is left, if it exceeds a second; a few reports never arrive.
    'arrayFilter(i -> eng[i] > 1000 AND eng_sent[i], range(1, pv + 1)) AS eng_pages',
    'arraySum(arrayMap(i -> eng[i], eng_pages)) AS eng_total',
    `arrayConcat(arrayMap((c, d) -> start_ms + c - d, cum, dwell), arrayMap(i -> start_ms + cum[i] - 1, eng_pages),
      if(goal = 0, [], [start_ms + cum[pv] - dwell[pv] + intDiv(dwell[pv], 2)]),
      if(link = 0, [], [start_ms + cum[lp] - dwell[lp] + intDiv(dwell[lp] * 4, 5)])) AS ev_ts`,
    'arrayConcat(arrayWithConstant(pv, 1), arrayWithConstant(length(eng_pages), 2), if(goal = 0, [], [3]), if(link = 0, [], [4])) AS ev_kind',
    'arrayConcat(range(1, pv + 1), eng_pages, if(goal = 0, [], [pv]), if(link = 0, [], [lp])) AS ev_page',
    'arrayMax(ev_ts) AS end_ms',
    'toUInt32((goal > 0) + (link > 0)) AS customs',
  ], 'end_ms <= {now:UInt64}');
}
