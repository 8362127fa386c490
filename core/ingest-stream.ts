import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from './redis.ts';
import type { ProductEventRow, SessionAttributes, SessionState, WebEventRow } from './event.ts';
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
/**
 * How long a cookie visitor's last visit start is kept, so that the next visit records it (sessions.prev_start). Visit
 * frequency over ranges up to this long groups only repeat visits; 32 days covers every month and the 30-day preset.
 */
export const VISIT_LINK_WINDOW_MS = 32 * 86_400_000;

/**
 * What the collector passes the ingest script for each event, in this order (after the call's four arguments):
 * site, the cookie's visitor id or '', the daily cookieless id, 'cookieless' or 'auto', why cookieless, a fresh
 * visitor id and visit id (used if this event needs them), the event row JSON, event time ms, kind ('p', 'c', 'e'),
 * page path, engagement ms, and the visit attributes JSON (used when this event starts a visit).
 */
export const EVENT_ARGS = ['site', 'cookie_id', 'cookieless_id', 'mode', 'cookieless_reason', 'new_visitor_id', 'new_session_id',
  'row', 'at', 'kind', 'path', 'engagement_ms', 'attributes'] as const;
/**
 * The visit snapshot of a web stream entry (its `m` field), an array of strings in this order: the event's visitor,
 * visit, id type, cookieless reason and new-visitor flag; the visit's version, start, end, pageviews, custom events,
 * engagement, entry and exit page, attributes JSON, id type, cookieless reason, new-visitor flag, site; and, when the
 * event continued a visit, the visit as it was before: end, pageviews, events, engagement, exit page. An array rather
 * than an object keeps each entry small; its order is this list, which the script and decodeEntry both read.
 */
export const SNAPSHOT_FIELDS = ['visitor', 'session', 'id_type', 'cookieless_reason', 'new_visitor', 'version', 'start', 'end',
  'pageviews', 'events', 'engagement_ms', 'entry_page', 'exit_page', 'attributes', 'visit_id_type', 'visit_cookieless_reason',
  'visit_new_visitor', 'site', 'prev_end', 'prev_pageviews', 'prev_events', 'prev_engagement_ms', 'prev_exit_page'] as const;
const positions = <T extends readonly string[]>(names: T) => Object.fromEntries(names.map((n, i) => [n, i])) as Record<T[number], number>;
const S = positions(SNAPSHOT_FIELDS);

/**
 * Visitor recognition, visit state and the append, in one atomic round trip (see the script's own comments), with
 * both lists above in front of it as Lua tables: A, each event argument's offset; M, each snapshot field's position.
 */
const luaTable = (names: readonly string[], base: number) => `{${names.map((n, i) => `['${n}'] = ${i + base}`).join(', ')}}`;
const INGEST_WEB_LUA = `local A = ${luaTable(EVENT_ARGS, 0)}\nlocal M = ${luaTable(SNAPSHOT_FIELDS, 1)}\nlocal PER_EVENT = ${EVENT_ARGS.length}\n`
  + readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'ingest-web.lua'), 'utf8');

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

/** Events per script call: enough to amortise the call, few enough that Redis never blocks others for long. */
const MAX_BATCH = 256;
type IngestCommand = (...args: string[]) => Promise<(string | number)[]>;
interface Pending { input: WebIngestInput; resolve: (r: WebIngestResult) => void; reject: (e: Error) => void }

/**
 * Gathers the events appended during one turn of the event loop and sends them as one script call (see
 * ingest-web.lua). No timer: the call leaves in the same turn (setImmediate), so batching adds no waiting, and under
 * load many requests share one round trip. Each event still gets its own answer.
 */
class WebIngestBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly cmd: IngestCommand;

  constructor(private readonly redis: Redis, private readonly prefix: string) {
    defineIngestCommands(redis);
    this.cmd = (redis as unknown as { vigilIngestWeb: IngestCommand }).vigilIngestWeb;
  }

  append(input: WebIngestInput): Promise<WebIngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    for (let i = 0; i < queue.length; i += MAX_BATCH) this.send(queue.slice(i, i + MAX_BATCH));
  }

  private send(batch: Pending[]): void {
    const args = [this.prefix, String(SESSION_TIMEOUT_MS), String(SESSION_TIMEOUT_MS), String(VISIT_LINK_WINDOW_MS)];
    for (const { input } of batch) {
      const { row } = input;
      const a: Record<(typeof EVENT_ARGS)[number], string> = { site: input.siteId, cookie_id: input.cookieId ?? '',
        cookieless_id: input.cookielessId, mode: input.forceCookieless ? 'cookieless' : 'auto', cookieless_reason: input.forceCookieless ?? '',
        new_visitor_id: input.newVisitorId, new_session_id: input.newSessionId, row: JSON.stringify(row), at: String(input.at),
        kind: eventKind(row.name), path: row.pathname, engagement_ms: String(row.engagement_ms), attributes: JSON.stringify(sessionAttributes(row)) };
      for (const name of EVENT_ARGS) args.push(a[name]);
    }
    this.cmd.apply(this.redis, args).then((out) => {
      if (!Array.isArray(out) || out.length !== 4 * batch.length) {
        const err = new Error(`ingest script answered ${Array.isArray(out) ? out.length : typeof out} values for ${batch.length} events`);
        for (const p of batch) p.reject(err);
        return;
      }
      batch.forEach((p, i) => {
        const id = out[4 * i];
        if (id === -1) p.reject(new Error(`ingest append refused: ${String(out[4 * i + 1])}`));
        else p.resolve({ stored: id !== 0, visitorId: String(out[4 * i + 1]), idType: out[4 * i + 2] as 'cookie' | 'cookieless', issuedCookie: out[4 * i + 3] === '1' });
      });
    }, (err: Error) => { for (const p of batch) p.reject(err); });
  }
}

const batchers = new WeakMap<Redis, Map<string, WebIngestBatcher>>();

/** Appends one web event durably: resolves once Redis has it (or has decided it is a stale engagement ping). */
export function appendWebEvent(redis: Redis, prefix: string, input: WebIngestInput): Promise<WebIngestResult> {
  let byPrefix = batchers.get(redis);
  if (!byPrefix) batchers.set(redis, (byPrefix = new Map()));
  let batcher = byPrefix.get(prefix);
  if (!batcher) byPrefix.set(prefix, (batcher = new WebIngestBatcher(redis, prefix)));
  return batcher.append(input);
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
  /** Start (ms) of the visitor's previous visit when within the link window; 0 when none or unknown. */
  prevStart: number;
  after: SessionState;
  before: SessionState | null;
}

export type DecodedEntry =
  /** `line`: the events row as one JSONEachRow line, the collector's JSON passed through with the visit's fields added. */
  | { kind: 'web'; line: string; visit: VisitSnapshot | null }
  | { kind: 'product'; rows: ProductEventRow[] };

/**
 * Turns a stream entry's field list back into rows; null for an entry that is not ours (logged and skipped). The
 * event row is never parsed: the worker hands the collector's JSON on to ClickHouse, which is most of its work saved.
 */
export function decodeEntry(fields: string[]): DecodedEntry | null {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  try {
    if (f.k === 'x' && f.d && f.m) return decodeCompactWeb(f.d, f.m, f.l);
    // The one-field-per-value layout of earlier versions: entries appended before an upgrade are still stored.
    if (f.k === 'w' && f.d && f.v && f.s) return decodeLegacyWeb(f);
    if (f.k === 'p' && f.d) return { kind: 'product', rows: JSON.parse(f.d) as ProductEventRow[] };
  } catch {
    return null;
  }
  return null;
}

/**
 * The events line: the row's JSON object with the visitor fields appended and, when the entry carries its visit, the
 * visit's stamp (events.visit, migration 012): the snapshot's attributes JSON as it is, with the visit's id type and
 * new-visitor flag added. Null if `d` is not a JSON object.
 */
function eventLine(d: string, visitorId: string, sessionId: string, idType: string, reason: string, newVisitor: string,
  visit: { attributes: string; idType: string; newVisitor: string } | null): string | null {
  if (!isObjectText(d)) return null;
  const stamp = visit && isObjectText(visit.attributes)
    ? `,"visit":${visit.attributes.length === 2 ? '{' : `${visit.attributes.slice(0, -1)},`}"id_type":"${cookieType(visit.idType)}",` +
      `"new_visitor":${visit.newVisitor === '1' ? 1 : 0}}`
    : '';
  const fields = `"visitor_id":"${visitorId}","session_id":"${sessionId}","id_type":"${cookieType(idType)}",` +
    `"cookieless_reason":${JSON.stringify(reason)},"new_visitor":${newVisitor === '1' ? 1 : 0}${stamp}}`;
  return d.length === 2 ? `{${fields}` : `${d.slice(0, -1)},${fields}`;
}

const isObjectText = (d: string) => d.charCodeAt(0) === 123 && d.charCodeAt(d.length - 1) === 125; // '{' ... '}'
const cookieType = (t: string) => (t === 'cookieless' ? 'cookieless' : 'cookie');

/**
 * A web entry as ingest-web.lua writes it: the event row (JSON from the collector), and the visit snapshot `m`, a
 * JSON array of SNAPSHOT_FIELDS. `l` is the start of the visitor's previous visit ('' none; absent in entries
 * written before visits were linked).
 */
function decodeCompactWeb(d: string, m: string, l: string | undefined): DecodedEntry | null {
  const v = JSON.parse(m) as string[];
  if (!Array.isArray(v) || v.length <= S.site) return null;
  const f = (name: (typeof SNAPSHOT_FIELDS)[number]) => v[S[name]] ?? '';
  const visitorId = hexToUInt64(f('visitor'));
  const sessionId = hexToUInt64(f('session'));
  const attributes = f('attributes') || '{}';
  const line = eventLine(d, visitorId, sessionId, f('id_type'), f('cookieless_reason'), f('new_visitor'),
    { attributes, idType: f('visit_id_type'), newVisitor: f('visit_new_visitor') });
  if (line === null) return null;
  const version = Number(f('version'));
  return {
    kind: 'web',
    line,
    visit: {
      siteId: f('site'),
      sessionId,
      visitorId,
      start: Number(f('start')),
      entryPage: f('entry_page'),
      attributes: JSON.parse(attributes) as SessionAttributes,
      idType: f('visit_id_type'),
      cookielessReason: f('visit_cookieless_reason'),
      newVisitor: f('visit_new_visitor') === '1' ? 1 : 0,
      prevStart: Number(l) || 0,
      after: { version, end: Number(f('end')), pageviews: Number(f('pageviews')), events: Number(f('events')),
        engagementMs: Number(f('engagement_ms')), exitPage: f('exit_page') },
      // The visit before this event, when the event continued one.
      before: v.length <= S.prev_exit_page ? null : { version: version - 1, end: Number(f('prev_end')), pageviews: Number(f('prev_pageviews')),
        events: Number(f('prev_events')), engagementMs: Number(f('prev_engagement_ms')), exitPage: f('prev_exit_page') },
    },
  };
}

function decodeLegacyWeb(f: Record<string, string>): DecodedEntry | null {
  const visitorId = hexToUInt64(f.v!);
  const sessionId = hexToUInt64(f.s!);
  const line = eventLine(f.d!, visitorId, sessionId, f.t ?? '', f.r ?? '', f.n ?? '',
    f.sv ? { attributes: f.sa ?? '{}', idType: f.st ?? '', newVisitor: f.sw ?? '' } : null);
  if (line === null) return null;
  return {
    kind: 'web',
    line,
    visit: f.sv ? {
      siteId: (JSON.parse(f.d!) as WebEventRow).site_id,
      sessionId,
      visitorId,
      start: Number(f.ss),
      entryPage: f.sn ?? '',
      attributes: JSON.parse(f.sa ?? '{}') as SessionAttributes,
      idType: f.st ?? '',
      cookielessReason: f.sr ?? '',
      newVisitor: f.sw === '1' ? 1 : 0,
      prevStart: 0,
      after: { version: Number(f.sv), end: Number(f.se), pageviews: Number(f.sp), events: Number(f.sc), engagementMs: Number(f.sg), exitPage: f.sx ?? '' },
      before: f.pe === undefined ? null : { version: Number(f.sv) - 1, end: Number(f.pe), pageviews: Number(f.pp), events: Number(f.pc),
        engagementMs: Number(f.pg), exitPage: f.px ?? '' },
    } : null,
  };
}
