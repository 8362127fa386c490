import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from './redis.ts';
import type { ProductEventRow, SessionAttributes, SessionState, VisitFields, WebEventRow } from './event.ts';
import { hexToUInt64, sessionAttributes } from './event.ts';

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

/** Visitor recognition, visit state and the append, in one atomic round trip (see the script's own comments). */
const INGEST_WEB_LUA = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'ingest-web.lua'), 'utf8');

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
  /** Event time in ms: now for live traffic, the historical time for imports and fixtures. */
  at: number;
  row: WebEventRow;
}

/** Engagement pings extend a visit but never open one; custom events count as interaction (not a bounce). */
export function eventKind(name: string): 'p' | 'c' | 'e' {
  return name === 'pageview' ? 'p' : name === 'engagement' ? 'e' : 'c';
}

export interface WebIngestResult { stored: boolean; visitorId: string; idType: 'cookie' | 'cookieless'; issuedCookie: boolean }

export function defineIngestCommands(redis: Redis): void {
  if (!(redis as unknown as Record<string, unknown>).vigilIngestWeb) {
    redis.defineCommand('vigilIngestWeb', { numberOfKeys: 0, lua: INGEST_WEB_LUA });
  }
}

export async function appendWebEvent(redis: Redis, prefix: string, input: WebIngestInput): Promise<WebIngestResult> {
  const cmd = (redis as unknown as { vigilIngestWeb: (...a: string[]) => Promise<[string | null, string, string, string]> }).vigilIngestWeb;
  const { row } = input;
  const [id, visitorId, idType, isNew] = await cmd.call(redis,
    prefix, input.siteId, input.cookieId ?? '', input.cookielessId,
    input.forceCookieless ? 'cookieless' : 'auto', input.forceCookieless ?? '', input.newVisitorId, input.newSessionId,
    String(SESSION_TIMEOUT_MS), String(SESSION_TIMEOUT_MS), JSON.stringify(row), String(input.at), eventKind(row.name),
    row.pathname, String(row.engagement_ms), JSON.stringify(sessionAttributes(row)));
  return { stored: id !== null, visitorId, idType: idType as 'cookie' | 'cookieless', issuedCookie: isNew === '1' };
}

export async function appendProductEvents(redis: Redis, prefix: string, rows: ProductEventRow[]): Promise<void> {
  await redis.xadd(keys(prefix).stream, '*', 'k', 'p', 'd', JSON.stringify(rows));
}

/** A web event's visit as the ingest script left it: fixed facts, the state after this event, and the one before. */
export interface VisitSnapshot {
  siteId: string;
  sessionId: string;
  visitorId: string;
  start: number;
  entryPage: string;
  attributes: SessionAttributes;
  idType: string;
  cookielessReason: string;
  newVisitor: 0 | 1;
  after: SessionState;
  before: SessionState | null;
}

export type DecodedEntry =
  | { kind: 'web'; row: WebEventRow & VisitFields; visit: VisitSnapshot | null }
  | { kind: 'product'; rows: ProductEventRow[] };

/** Turns a stream entry's field list back into rows; null for an entry that is not ours (logged and skipped). */
export function decodeEntry(fields: string[]): DecodedEntry | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  try {
    if (f.k === 'w' && f.d && f.v && f.s) {
      const row = JSON.parse(f.d) as WebEventRow;
      const visitorId = hexToUInt64(f.v);
      const sessionId = hexToUInt64(f.s);
      return {
        kind: 'web',
        row: { ...row, visitor_id: visitorId, session_id: sessionId, id_type: f.t === 'cookieless' ? 'cookieless' : 'cookie',
          cookieless_reason: f.r ?? '', new_visitor: f.n === '1' ? 1 : 0 },
        visit: f.sv ? {
          siteId: row.site_id,
          sessionId,
          visitorId,
          start: Number(f.ss),
          entryPage: f.sn ?? '',
          attributes: JSON.parse(f.sa ?? '{}') as SessionAttributes,
          idType: f.st ?? '',
          cookielessReason: f.sr ?? '',
          newVisitor: f.sw === '1' ? 1 : 0,
          after: { version: Number(f.sv), end: Number(f.se), pageviews: Number(f.sp), events: Number(f.sc), engagementMs: Number(f.sg), exitPage: f.sx ?? '' },
          before: f.pe === undefined ? null : { version: Number(f.sv) - 1, end: Number(f.pe), pageviews: Number(f.pp), events: Number(f.pc),
            engagementMs: Number(f.pg), exitPage: f.px ?? '' },
        } : null,
      };
    }
    if (f.k === 'p' && f.d) return { kind: 'product', rows: JSON.parse(f.d) as ProductEventRow[] };
  } catch {
    return null;
  }
  return null;
}
