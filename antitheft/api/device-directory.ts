import { goneDeviceKey } from '../../core/antitheft/jobs.ts';
import type { Redis } from '../../core/redis.ts';
import type { Mode } from '../../core/antitheft/schemas.ts';
import { asOwner, type DeviceStatus } from '../store/owner.ts';
import type { OwnerReads } from '../store/owner-reads.ts';

/** What a report request is checked against and sealed to; cached in Redis so the hot path reads no table. */
export interface DeviceAuth {
  deviceId: string; ownerId: string; publicKey: string; status: DeviceStatus; mode: Mode; modeChangedAt: number;
  ownerKeyId: string; ownerPublicKey: string;
}
export interface LastSeen { contactAt: number; reportAt: number; sequence: number }
export interface Accepted { sequence: number; reportId: string; reportHash: string }

const CACHE_SECONDS = 3600;
/** A nonce is remembered for twice the allowed clock skew: any request old enough to be forgotten is refused as stale. */
const NONCE_MS = 10 * 60_000;

/**
 * The anti-theft API's per-device state in Redis: the cached auth record (filled from the store on a miss, dropped on
 * every owner change so the next check-in sees it), used nonces, the last accepted report, last contact. Keys hold
 * ids, public keys, times and sequence numbers only; never an address or a position.
 */
export class DeviceDirectory {
  constructor(private readonly redis: Redis, private readonly prefix: string, private readonly reads: OwnerReads) {}

  private k(kind: string, id: string) { return `${this.prefix}at:${kind}:${id}`; }

  async auth(deviceId: string): Promise<DeviceAuth | null> {
    const cached = await this.redis.get(this.k('dev', deviceId));
    if (cached) return JSON.parse(cached) as DeviceAuth;
    const d = await this.reads.deviceForAgent(deviceId);
    if (!d) return null;
    const key = await this.reads.ownerKey(asOwner(d.ownerId));
    const auth: DeviceAuth = { deviceId, ownerId: d.ownerId, publicKey: d.publicKey, status: key ? d.status : 'deactivated', mode: d.mode,
      modeChangedAt: d.modeChangedAt, ownerKeyId: key?.keyId ?? d.ownerKeyId, ownerPublicKey: key?.publicKey ?? '' };
    await this.redis.set(this.k('dev', deviceId), JSON.stringify(auth), 'EX', CACHE_SECONDS);
    return auth;
  }

  /** After any change an owner makes to a device (or to their key). */
  async invalidate(...deviceIds: string[]): Promise<void> {
    if (deviceIds.length) await this.redis.del(...deviceIds.map((id) => this.k('dev', id)));
  }

  /** true the first time a nonce is seen from this device. */
  async useNonce(deviceId: string, nonce: string): Promise<boolean> {
    return (await this.redis.set(this.k('n', `${deviceId}:${nonce}`), '1', 'PX', NONCE_MS, 'NX')) === 'OK';
  }

  async accepted(deviceId: string): Promise<Accepted | null> {
    const raw = await this.redis.get(this.k('acc', deviceId));
    return raw ? (JSON.parse(raw) as Accepted) : null;
  }

  /** Two plain commands, sent together by auto-pipelining: no MULTI, which costs two more and spans two cluster slots. */
  async accept(deviceId: string, a: Accepted, at: number): Promise<void> {
    await Promise.all([
      this.redis.set(this.k('acc', deviceId), JSON.stringify(a)),
      this.redis.hset(this.k('seen', deviceId), 'contactAt', at, 'reportAt', at, 'sequence', a.sequence),
    ]);
  }

  async contact(deviceId: string, at: number): Promise<void> {
    await this.redis.hset(this.k('seen', deviceId), 'contactAt', at);
  }

  async lastSeen(deviceIds: string[]): Promise<Map<string, LastSeen>> {
    const out = new Map<string, LastSeen>();
    if (deviceIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of deviceIds) pipe.hgetall(this.k('seen', id));
    const res = (await pipe.exec()) ?? [];
    deviceIds.forEach((id, i) => {
      const h = res[i]?.[1] as Record<string, string> | undefined;
      if (h && h.contactAt) out.set(id, { contactAt: Number(h.contactAt), reportAt: Number(h.reportAt ?? 0), sequence: Number(h.sequence ?? 0) });
    });
    return out;
  }

  /** Reports of this device still queued are dropped by the worker (deactivated, removed, or anti-theft off). */
  async markGone(...deviceIds: string[]): Promise<void> {
    const m = this.redis.multi();
    for (const id of deviceIds) m.set(goneDeviceKey(this.prefix, id), '1');
    if (deviceIds.length) await m.exec();
  }

  /** A removed device's state. */
  async forget(deviceId: string): Promise<void> {
    await this.redis.del(this.k('dev', deviceId), this.k('acc', deviceId), this.k('seen', deviceId)); // the gone mark stays
  }
}
