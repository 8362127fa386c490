import { createHash, createHmac, randomBytes } from 'node:crypto';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import { keys } from '../../core/ingest-stream.ts';
import type { Redis } from '../../core/redis.ts';

export const VISITOR_COOKIE = 'vigil_id';
const COOKIE_VALUE = /^[0-9a-f]{32}$/;

/** The random id in the visitor cookie, if the request carries a well-formed one. */
export function readVisitorCookie(header: string | undefined): string | null {
  if (!header) return null;
  const value = parseCookie(header)[VISITOR_COOKIE];
  return value && COOKIE_VALUE.test(value) ? value : null;
}

export const newCookieValue = () => randomBytes(16).toString('hex');
export const newSessionId = () => randomBytes(8).toString('hex');

/**
 * The stored visitor id of a cookie on one site. Hashing with the site keeps one visitor's rows on two sites of the
 * same collector unlinkable in the store.
 */
export function cookieVisitorId(cookieValue: string, siteId: string): string {
  return createHash('sha256').update(`${siteId}\0${cookieValue}`).digest('hex').slice(0, 16);
}

export function visitorCookieHeader(value: string, maxAgeSeconds: number, secure: boolean): string {
  return serializeCookie(VISITOR_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeSeconds, path: '/' });
}

/**
 * Cookieless visitors are a daily-rotating salted hash of site, IP and user agent. The salt is random, shared by all
 * collectors through Redis, and expires after two days, so yesterday's hashes cannot be recomputed or linked.
 */
export class DailySalt {
  private day = '';
  private salt: Buffer | null = null;

  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async current(now = Date.now()): Promise<Buffer> {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day === this.day && this.salt) return this.salt;
    const key = keys(this.prefix).salt(day);
    await this.redis.set(key, randomBytes(32).toString('hex'), 'EX', 2 * 86_400, 'NX');
    const value = await this.redis.get(key);
    if (!value) throw new Error('daily salt vanished from Redis');
    this.day = day;
    this.salt = Buffer.from(value, 'hex');
    return this.salt;
  }
}

export function cookielessVisitorId(salt: Buffer, siteId: string, ip: string, userAgent: string): string {
  return createHmac('sha256', salt).update(`${siteId}\0${ip}\0${userAgent}`).digest('hex').slice(0, 16);
}
