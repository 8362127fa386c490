import { createHash, randomBytes } from 'node:crypto';
import { groups, toBase32 } from '../../core/antitheft/encoding.ts';
import type { Redis } from '../../core/redis.ts';

export const CODE_TTL_SECONDS = 15 * 60;

export interface CodeBinding { ownerId: string; ownerKeyId: string; ownerPublicKey: string; name: string; createdAt: number }

/** What a person types: case, dashes and spaces ignored; O, I and L read as 0, 1, 1. */
export const normaliseCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
const digest = (code: string) => createHash('sha256').update(`vigil-at/v1/enrollment-code\n${normaliseCode(code)}`).digest('hex');

/**
 * Enrollment codes: made by an owner in the dashboard, 60 random bits (12 base32 characters), bound to that owner and
 * their report key, valid 15 minutes and once. Redis keeps only the code's hash; taking it is one GETDEL, so two
 * agents racing with one code cannot both enroll.
 */
export class EnrollmentCodes {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(code: string) { return `${this.prefix}at:code:${digest(code)}`; }

  async create(binding: Omit<CodeBinding, 'createdAt'>): Promise<{ code: string; expiresAt: number }> {
    const code = groups(toBase32(randomBytes(8)).slice(0, 12));
    const createdAt = Date.now();
    await this.redis.set(this.key(code), JSON.stringify({ ...binding, createdAt }), 'EX', CODE_TTL_SECONDS);
    return { code, expiresAt: createdAt + CODE_TTL_SECONDS * 1000 };
  }

  /** The code's binding, once: a second take, or one after 15 minutes, gets null. */
  async take(code: string): Promise<CodeBinding | null> {
    const raw = await this.redis.getdel(this.key(code));
    return raw ? (JSON.parse(raw) as CodeBinding) : null;
  }

}
