import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from '../../../core/redis.ts';

export const SESSION_COOKIE = 'vigil_session';
const TTL_SECONDS = 14 * 86_400;

export interface SignInSession { accountId: string; csrf: string; createdAt: number }

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Dashboard sign-in sessions in Redis: the cookie holds a random token, Redis only its hash (a leaked dump cannot
 * sign anyone in). Each account's sessions are listed so a password change or deletion ends all of them.
 */
export class SignInSessions {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(token: string) { return `${this.prefix}auth:s:${digest(token)}`; }
  private listKey(accountId: string) { return `${this.prefix}auth:a:${accountId}`; }

  async create(accountId: string): Promise<{ token: string; session: SignInSession }> {
    const token = randomBytes(32).toString('base64url');
    const session: SignInSession = { accountId, csrf: randomBytes(24).toString('base64url'), createdAt: Date.now() };
    await this.redis.multi()
      .set(this.key(token), JSON.stringify(session), 'EX', TTL_SECONDS)
      .sadd(this.listKey(accountId), digest(token))
      .expire(this.listKey(accountId), TTL_SECONDS)
      .exec();
    return { token, session };
  }

  async get(token: string): Promise<SignInSession | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const raw = await this.redis.get(this.key(token));
    return raw ? (JSON.parse(raw) as SignInSession) : null;
  }

  async end(token: string): Promise<void> {
    await this.redis.del(this.key(token));
  }

  /** Ends every session of an account, except `keepToken` (the one changing its password stays signed in). */
  async endAll(accountId: string, keepToken?: string): Promise<void> {
    const keep = keepToken ? digest(keepToken) : null;
    const hashes = await this.redis.smembers(this.listKey(accountId));
    const drop = hashes.filter((h) => h !== keep);
    if (drop.length) {
      await this.redis.del(...drop.map((h) => `${this.prefix}auth:s:${h}`));
      await this.redis.srem(this.listKey(accountId), ...drop);
    }
  }

  static cookie(token: string, secure: boolean, maxAge = TTL_SECONDS): string {
    return `${SESSION_COOKIE}=${token}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }
}

/**
 * Failed sign-ins in 15 minutes: past 10 for one e-mail address (guessing one password) or 100 from one client
 * address (trying many accounts; an office shares one address), sign-in answers 429.
 */
export class SignInThrottle {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly limits = { email: 10, ip: 100 }) {}

  private keys(email: string, ip: string) {
    const h = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);
    return [`${this.prefix}auth:fail:e:${h(email)}`, `${this.prefix}auth:fail:i:${h(ip)}`];
  }

  async retryAfter(email: string, ip: string): Promise<number> {
    const [byEmail, byIp] = this.keys(email, ip) as [string, string];
    for (const [k, limit] of [[byEmail, this.limits.email], [byIp, this.limits.ip]] as const) {
      if (Number(await this.redis.get(k)) >= limit) return Math.max(1, await this.redis.ttl(k));
    }
    return 0;
  }

  async failed(email: string, ip: string): Promise<void> {
    for (const k of this.keys(email, ip)) {
      await this.redis.multi().incr(k).expire(k, 900, 'NX').exec();
    }
  }

  async succeeded(email: string): Promise<void> {
    await this.redis.del(this.keys(email, '')[0]!);
  }
}
