import type { Redis } from './redis.ts';
import type { ProductEventRow, VisitFields, WebEventRow } from './event.ts';
import { hexToUInt64 } from './event.ts';

/**
 * The durable ingest buffer: one Redis stream that the collector appends to (a 202 is sent only after the append)
 * and the worker drains into ClickHouse in large batches. Web events are one entry each; a product batch is one entry.
 */
export const keys = (prefix: string) => ({
  stream: `${prefix}ingest`,
  group: 'workers',
  inflight: `${prefix}ingest:inflight`,
  lease: (owner: string) => `${prefix}worker:lease:${owner}`,
  drops: `${prefix}drops`,
  dropsFlushing: `${prefix}drops:flushing`,
  salt: (day: string) => `${prefix}salt:${day}`,
});

export const SESSION_TIMEOUT_MS = 30 * 60_000;

/**
 * Visitor recognition, sessions and the append, in one atomic round trip.
 * Without a cookie, a cookie id issued to the same daily hash in the last 30 minutes that never came back means the
 * browser refuses cookies: the visit keeps that id and is marked cookieless ('refused'). Engagement pings for a
 * session that has already ended are dropped rather than opening an empty visit. Not for Redis Cluster (keys are
 * derived inside the script).
 */
const INGEST_WEB_LUA = `
local p, site = ARGV[1], ARGV[2]
local visitor, idtype, reason, isnew = '', 'cookie', '', '0'
if ARGV[5] == 'cookieless' then
  visitor, idtype, reason = ARGV[4], 'cookieless', ARGV[6]
elseif ARGV[3] ~= '' then
  visitor = ARGV[3]
else
  local ik = p .. 'iss:' .. site .. ':' .. ARGV[4]
  local issued = redis.call('GET', ik)
  if issued then
    visitor, idtype, reason = issued, 'cookieless', 'refused'
    redis.call('PEXPIRE', ik, ARGV[10])
  else
    visitor, isnew = ARGV[7], '1'
    redis.call('SET', ik, visitor, 'PX', ARGV[10])
  end
end
local sk = p .. 's:' .. site .. ':' .. visitor
local session = redis.call('GET', sk)
if not session then
  if ARGV[12] == '1' then return {false, visitor, idtype, isnew} end
  session = ARGV[8]
end
redis.call('SET', sk, session, 'PX', ARGV[9])
local id = redis.call('XADD', p .. 'ingest', '*', 'k', 'w', 'd', ARGV[11], 'v', visitor, 's', session, 't', idtype, 'r', reason, 'n', isnew)
return {id, visitor, idtype, isnew}
`;

export interface WebIngestInput {
  siteId: string;
  /** The visitor cookie's id when the browser sent one (16 hex digits). */
  cookieId: string | null;
  /** Daily-rotating salted hash of site, IP and user agent (16 hex digits). */
  cookielessId: string;
  /** Set when the visit must not use a cookie (DNT, GPC, the snippet's no-cookie flag). */
  forceCookieless: string | null;
  newVisitorId: string;
  newSessionId: string;
  requireSession: boolean;
  row: WebEventRow;
}

export interface WebIngestResult { stored: boolean; visitorId: string; idType: 'cookie' | 'cookieless'; issuedCookie: boolean }

export function defineIngestCommands(redis: Redis): void {
  if (!(redis as unknown as Record<string, unknown>).vigilIngestWeb) {
    redis.defineCommand('vigilIngestWeb', { numberOfKeys: 0, lua: INGEST_WEB_LUA });
  }
}

export async function appendWebEvent(redis: Redis, prefix: string, input: WebIngestInput): Promise<WebIngestResult> {
  const cmd = (redis as unknown as { vigilIngestWeb: (...a: string[]) => Promise<[string | null, string, string, string]> }).vigilIngestWeb;
  const [id, visitorId, idType, isNew] = await cmd.call(redis,
    prefix, input.siteId, input.cookieId ?? '', input.cookielessId,
    input.forceCookieless ? 'cookieless' : 'auto', input.forceCookieless ?? '', input.newVisitorId, input.newSessionId,
    String(SESSION_TIMEOUT_MS), String(SESSION_TIMEOUT_MS), JSON.stringify(input.row), input.requireSession ? '1' : '0');
  return { stored: id !== null, visitorId, idType: idType as 'cookie' | 'cookieless', issuedCookie: isNew === '1' };
}

export async function appendProductEvents(redis: Redis, prefix: string, rows: ProductEventRow[]): Promise<void> {
  await redis.xadd(keys(prefix).stream, '*', 'k', 'p', 'd', JSON.stringify(rows));
}

export type DecodedEntry =
  | { kind: 'web'; row: WebEventRow & VisitFields }
  | { kind: 'product'; rows: ProductEventRow[] };

/** Turns a stream entry's field list back into rows; null for an entry that is not ours (logged and skipped). */
export function decodeEntry(fields: string[]): DecodedEntry | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  try {
    if (f.k === 'w' && f.d && f.v && f.s) {
      const row = JSON.parse(f.d) as WebEventRow;
      return {
        kind: 'web',
        row: { ...row, visitor_id: hexToUInt64(f.v), session_id: hexToUInt64(f.s), id_type: f.t === 'cookieless' ? 'cookieless' : 'cookie',
          cookieless_reason: f.r ?? '', new_visitor: f.n === '1' ? 1 : 0 },
      };
    }
    if (f.k === 'p' && f.d) return { kind: 'product', rows: JSON.parse(f.d) as ProductEventRow[] };
  } catch {
    return null;
  }
  return null;
}
