import { badRequest } from '../../core/errors.ts';
import { parseProps } from './props.ts';

/** A snippet event after validation. Short keys (n,u,d,r,w,p) and Plausible's long ones are both accepted. */
export interface WebEventInput {
  name: string;
  url: string;
  domain: string;
  referrer: string;
  width: number | undefined;
  props: Record<string, string>;
  hashRouting: boolean;
  engagementMs: number;
  noCookie: boolean;
}

export const MAX_NAME = 120;
const MAX_URL = 4096;

function pick(body: Record<string, unknown>, ...names: string[]): unknown {
  for (const n of names) if (body[n] !== undefined && body[n] !== null) return body[n];
  return undefined;
}

function text(body: Record<string, unknown>, field: string, names: string[], { required = false, max = MAX_URL } = {}): string {
  const v = pick(body, ...names);
  if (v === undefined || v === '') {
    if (required) throw badRequest(`${field} is required`, field);
    return '';
  }
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`, field);
  if (v.length > max) throw badRequest(`${field} is longer than ${max} characters`, field);
  return v;
}

function flag(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

export function parseWebEvent(body: unknown): WebEventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const name = text(b, 'name', ['n', 'name'], { required: true, max: MAX_NAME }).trim();
  if (name === '') throw badRequest('name is required', 'name');
  const url = text(b, 'url', ['u', 'url'], { required: true });
  const domain = text(b, 'domain', ['d', 'domain'], { required: true, max: 253 }).trim();
  const referrer = text(b, 'referrer', ['r', 'referrer']);
  const w = pick(b, 'w', 'width', 'screen_width');
  if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w > 100_000)) {
    throw badRequest('width must be a whole number of pixels', 'width');
  }
  const e = pick(b, 'e', 'engagement_time');
  if (e !== undefined && (typeof e !== 'number' || !Number.isFinite(e) || e < 0)) {
    throw badRequest('engagement_time must be a non-negative number of milliseconds', 'engagement_time');
  }
  if (name === 'engagement' && e === undefined) throw badRequest('engagement events need engagement_time (e)', 'engagement_time');
  return {
    name,
    url,
    domain,
    referrer,
    width: w as number | undefined,
    props: parseProps(pick(b, 'p', 'props', 'm', 'meta')),
    hashRouting: flag(pick(b, 'h', 'hash')),
    // A tab left open for days is not a visit of days: cap one ping at 30 minutes.
    engagementMs: Math.min(Math.round((e as number | undefined) ?? 0), 30 * 60_000),
    noCookie: flag(pick(b, 'nc', 'no_cookie')),
  };
}
