import { createHash, createHmac, randomBytes, randomFillSync } from 'node:crypto';
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

// Ids are drawn from a pooled buffer refilled 4 KiB at a time: one randomFillSync per ~170 requests instead of two
// randomBytes calls (each a Buffer allocation and a trip into OpenSSL) per request. Same CSPRNG, each byte used once.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** `bytes` fresh random bytes as hex; exported for the unit tests. */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  return pool.toString('hex', start, poolOffset);
}

export const newCookieValue = () => randomHex(16);
export const newSessionId = () => randomHex(8);

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
