import { COUNTRIES, HOUR_WEIGHTS, WEEKDAY_WEIGHTS } from './catalog.ts';
import { dayNumber as day, hash, lit, numArray, pick, pickIn, strArray, uniform } from './sql.ts';

/**
 * The two demo products and the SQL that generates their usage. One row of numbers() is one install, first seen on a
 * day drawn like the site's visitors (weekdays busier, growth over the months). An install stays for a lifetime
 * drawn from a churn mix (tried once, gone within two weeks, a few months, or kept), is active on some of its days,
 * uses a few features per active day, and moves to each new app version some days after its release.
 */

interface Feature {
  name: string;
  description: string;
  weight: number;
  /** Event names with their weights, and optionally a prop with its possible values. */
  events: Array<[name: string, weight: number, prop?: [string, string[]]]>;
}
export interface DemoProduct {
  name: string;
  /** Share of the run's product events. */
  share: number;
  os: Array<[string, number]>;
  /** Three versions; the second and third are released at these fractions of the period. */
  versions: [string, string, string];
  releases: [number, number];
  features: Feature[];
}

const SCAN: Feature['events'] = [['scan_started', 50], ['scan_completed', 45, ['items', ['120', '850', '2400', '10500', '48000']]],
  ['scan_cancelled', 5]];
const f = (name: string, weight: number, description: string, events: Feature['events']): Feature => ({ name, weight, description, events });

export const DEMO_PRODUCTS: DemoProduct[] = [
  {
    name: 'Demo Cleaner', share: 0.55, os: [['macOS', 60], ['Windows', 40]], versions: ['2.1.4', '2.2.1', '2.3.0'], releases: [0.35, 0.72],
    features: [
      f('Disk scan', 30, 'Finds caches, logs and leftovers that can be removed safely.', SCAN),
      f('Duplicate finder', 15, 'Finds identical files and photos and removes the extra copies.',
        [['duplicates_search', 60], ['duplicates_removed', 40, ['count', ['3', '12', '40', '150']]]]),
      f('Privacy cleaner', 12, 'Clears browser history, cookies and caches.',
        [['browser_data_cleaned', 100, ['browser', ['Chrome', 'Safari', 'Firefox', 'Edge']]]]),
      f('Large files', 10, 'Lists the biggest files so they can be reviewed and deleted.',
        [['large_files_scan', 60], ['large_file_deleted', 40, ['size_mb', ['250', '700', '1800', '4200']]]]),
      f('Startup manager', 8, 'Turns apps that start with the computer on or off.', [['startup_item_disabled', 70], ['startup_item_enabled', 30]]),
      f('App uninstaller', 7, 'Removes an app together with its support files.', [['app_uninstalled', 100]]),
      f('Scheduled cleanup', 5, 'Runs a cleanup automatically on a schedule.', [['scheduled_cleanup_run', 100]]),
      f('Settings', 3, "Changes to the app's preferences.", [['settings_changed', 100]]),
    ],
  },
  {
    name: 'Demo Antivirus', share: 0.45, os: [['Windows', 75], ['macOS', 25]], versions: ['4.8.2', '4.9.0', '5.0.1'], releases: [0.28, 0.64],
    features: [
      f('Real-time shield', 30, 'Checks files as they are opened and blocks threats.', [['status_checked', 55],
        ['threat_blocked', 25, ['threat', ['Trojan', 'Adware', 'PUP', 'Phishing', 'Ransomware']]], ['shield_paused', 10], ['shield_resumed', 10]]),
      f('Web protection', 20, 'Blocks phishing, malware and scam sites in the browser.',
        [['url_blocked', 60, ['category', ['phishing', 'malware', 'tracker', 'scam']]], ['site_allowed', 40]]),
      f('Scheduled scan', 15, 'Scans the computer automatically on a schedule.',
        [['scheduled_scan_completed', 100, ['items', ['5200', '18000', '64000']]]]),
      f('Quick scan', 15, 'Scans the places malware usually hides, in a minute or two.', SCAN),
      f('Full scan', 6, 'Scans every file on every disk.', SCAN),
      f('Quarantine', 6, 'Isolates detected files; they can be restored or deleted.', [['file_quarantined', 70], ['file_restored', 30]]),
      f('Firewall', 5, 'Controls which apps may connect to the network.', [['rule_added', 60], ['app_blocked', 40]]),
      f('Password leak check', 3, 'Checks whether saved passwords appear in known leaks.',
        [['leak_check', 100, ['result', ['clean', 'clean', 'clean', 'leaked']]]]),
    ],
  },
];

const H = (n: number) => hash('k', n);
const U = (n: number) => uniform('k', n);
const offsets = (lists: readonly (readonly unknown[])[]) => lists.map((_, i) => lists.slice(0, i).reduce((a, l) => a + l.length, 0));

/**
 * One row per product event of `product`. Parameters: seed, k0/n (install numbers), weeks Array(Date), weekTable
 * Array(UInt16), tz, from/now (ms), firstDay/lastDay Int32 (day numbers of from and now), r2/r3 Int32 (release days),
 * product String (its id).
 */
export function productEventsSql(product: DemoProduct, index: number): string {
  const P = index * 100; // keeps the two products' draws apart
  const events = product.features.map((f) => f.events);
  const flat = events.flat();
  const props = flat.map((e) => e[2]);
  const macMajor = `multiIf(bd >= ${day('2025-09-15')}, 26, bd >= ${day('2024-09-16')}, 15, 14)`;
  return `SELECT
      {product:String} AS product_id, generateUUIDv4() AS event_id,
      fromUnixTimestamp64Milli(toInt64(ts), 'UTC') AS timestamp,
      fromUnixTimestamp64Milli(toInt64(least({now:UInt64}, ts + 300 + ${hash('k', 'd', 'e', P + 9)} % 2700
        + if(${uniform('k', 'd', P + 10)} < 0.03, ${hash('k', 'd', P + 11)} % 14400000, 0))), 'UTC') AS received_at,
      ${strArray(product.features.map((f) => f.name))}[fi] AS feature,
      ${strArray(flat.map((e) => e[0]))}[ni] AS name,
      lower(hex(cityHash64({seed:UInt64}, ${index}, k))) AS install_id,
      app_version, os, os_version, country_code,
      if(${strArray(props.map((p) => p?.[0] ?? ''))}[ni] = '', CAST(map(), 'Map(String, String)'),
        map(${strArray(props.map((p) => p?.[0] ?? ''))}[ni], [${props.map((p) => strArray(p?.[1] ?? ['']))}][ni]
          [1 + ${hash('k', 'd', 'e', P + 12)} % ${numArray(props.map((p) => p?.[1].length ?? 1))}[ni]])) AS props
    FROM (
      SELECT *, e,
        ${pick(product.features.map((f) => f.weight), hash('k', 'd', 'e', P + 7))} AS fi,
        ${numArray(offsets(events))}[fi] + ${pickIn(events.map((list) => list.map((e) => e[1])), 'fi', hash('k', 'd', 'e', P + 8))} AS ni,
        day_start + toUInt64(e) * (30000 + ${hash('k', 'd', 'e', P + 13)} % 600000) AS ts
      FROM (
        SELECT *, d,
          toUInt64(toUnixTimestamp(toDateTime(bday + d, {tz:String}))) * 1000
            + ((${pick(HOUR_WEIGHTS, hash('k', 'd', P + 5))} - 1) * 3600 + ${hash('k', 'd', P + 6)} % 3600) * 1000 AS day_start,
          -- Each install moves to a new version some days after its release; new installs start on the newest.
          multiIf(bd + d >= {r3:Int32} + up3 OR bd >= {r3:Int32}, ${lit(product.versions[2])},
            bd + d >= {r2:Int32} + up2 OR bd >= {r2:Int32}, ${lit(product.versions[1])}, ${lit(product.versions[0])}) AS app_version
        FROM (
          SELECT
            number AS k,
            {weeks:Array(Date)}[{weekTable:Array(UInt16)}[1 + bitShiftRight(${H(P + 1)}, 54)]] + (${pick(WEEKDAY_WEIGHTS, H(P + 2))} - 1) AS bday,
            toInt32(bday) AS bd,
            ${strArray(product.os.map((o) => o[0]))}[${pick(product.os.map((o) => o[1]), H(P + 3))}] AS os,
            if(os = 'macOS', concat(toString(${macMajor}), '.', toString(${H(P + 4)} % 5)), if(${U(P + 4)} < 0.62, '11', '10')) AS os_version,
            ${strArray(COUNTRIES.map((c) => c[0]))}[${pick(COUNTRIES.map((c) => c[1]), H(P + 5), 12)}] AS country_code,
            -- Activity: how often an install is used, and for how long (days) it stays.
            0.08 + 0.75 * pow(${U(P + 6)}, 1.5) AS activity,
            multiIf(${U(P + 7)} < 0.3, 0, ${U(P + 7)} < 0.55, 1 + toUInt32(-log(1 - ${U(P + 8)}) * 10),
              ${U(P + 7)} < 0.9, toUInt32(-log(1 - ${U(P + 8)}) * 90), 100000) AS lifetime,
            if(${U(P + 9)} < 0.1, 100000, toUInt32(-log(1 - ${U(P + 10)}) * 7)) AS up2,
            if(${U(P + 11)} < 0.1, 100000, toUInt32(-log(1 - ${U(P + 12)}) * 7)) AS up3,
            arrayFilter(x -> x = 0 OR ${uniform('k', 'x', P + 13)} < activity * if(toDayOfWeek(bday + x) >= 6, 0.7, 1),
              range(toUInt32(greatest(0, least(lifetime, {lastDay:Int32} - bd)) + 1))) AS days
          FROM numbers_mt({k0:UInt64}, {n:UInt64})
          WHERE bd >= {firstDay:Int32} AND bd <= {lastDay:Int32}
        )
        ARRAY JOIN days AS d
      )
      ARRAY JOIN range(1 + least(toUInt32(-log(1 - ${uniform('k', 'd', P + 14)}) * 2.5), 15)) AS e
    )
    WHERE ts >= {from:UInt64} AND ts <= {now:UInt64}`;
}

export function productInsertSql(product: DemoProduct, index: number): string {
  return `INSERT INTO product_events (product_id, event_id, timestamp, received_at, feature, name, install_id, app_version, os, os_version,
      country_code, props)
    SELECT product_id, event_id, timestamp, received_at, feature, name, install_id, app_version, os, os_version, country_code, props
    FROM (${productEventsSql(product, index)})
    SETTINGS max_block_size = 2048, max_insert_threads = 2`;
}

export function productCountSql(product: DemoProduct, index: number): string {
  return `SELECT count() AS events FROM (${productEventsSql(product, index)}) SETTINGS max_block_size = 2048`;
}
