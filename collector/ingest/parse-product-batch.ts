import { badRequest } from '../../core/errors.ts';
import { MAX_NAME } from './parse-event.ts';
import { parseProps } from './props.ts';

export const MAX_BATCH = 1000;
/** Apps may queue events while offline; older ones are refused rather than silently shifted. */
const MAX_AGE_MS = 31 * 86_400_000;
const MAX_FUTURE_MS = 10 * 60_000;
const INSTALL_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface ProductEventInput {
  product: string;
  feature: string;
  name: string;
  installId: string;
  appVersion: string;
  os: string;
  osVersion: string;
  timestamp: number;
  props: Record<string, string>;
}

function str(e: Record<string, unknown>, field: string, names: string[], max: number, required: boolean): string {
  let v: unknown;
  for (const n of names) if (e[n] !== undefined && e[n] !== null) { v = e[n]; break; }
  if (v === undefined || v === '') {
    if (required) throw badRequest(`${field} is required`, field);
    return '';
  }
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`, field);
  const t = v.trim();
  if (t.length > max) throw badRequest(`${field} is longer than ${max} characters`, field);
  if (required && t === '') throw badRequest(`${field} is required`, field);
  return t;
}

function time(v: unknown, field: string, now: number): number {
  if (v === undefined || v === null) return now;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw badRequest(`${field} must be an ISO 8601 time or milliseconds since 1970`, field);
  if (ms < now - MAX_AGE_MS) throw badRequest(`${field} is more than 31 days old`, field);
  if (ms > now + MAX_FUTURE_MS) throw badRequest(`${field} is in the future`, field);
  return Math.round(ms);
}

/** `{ "events": [...] }` or a bare array; the whole batch is refused when one event is bad, naming it. */
export function parseProductBatch(body: unknown, now = Date.now()): ProductEventInput[] {
  const list = Array.isArray(body) ? body : (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(list)) throw badRequest('body must be {"events": [...]} or an array of events', 'events');
  if (list.length === 0) throw badRequest('events is empty', 'events');
  if (list.length > MAX_BATCH) throw badRequest(`events has ${list.length} items; at most ${MAX_BATCH} per request`, 'events');
  return list.map((raw, i) => {
    const at = `events[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest(`${at} must be an object`, at);
    const e = raw as Record<string, unknown>;
    const installId = str(e, `${at}.install_id`, ['install_id', 'installId'], 128, true);
    if (!INSTALL_ID.test(installId)) throw badRequest(`${at}.install_id may hold only letters, digits and . _ : -`, `${at}.install_id`);
    return {
      product: str(e, `${at}.product`, ['product'], 100, false),
      feature: str(e, `${at}.feature`, ['feature'], 100, false),
      name: str(e, `${at}.name`, ['name', 'event'], MAX_NAME, true),
      installId,
      appVersion: str(e, `${at}.app_version`, ['app_version', 'appVersion'], 50, false),
      os: str(e, `${at}.os`, ['os'], 50, false),
      osVersion: str(e, `${at}.os_version`, ['os_version', 'osVersion'], 50, false),
      timestamp: time(e.timestamp, `${at}.timestamp`, now),
      props: parseProps(e.props, `${at}.props`),
    };
  });
}
