import { exec, insertRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { deleteFrom } from '../../core/cluster.ts';
import { toChTime } from '../../core/event.ts';
import type { OwnerKeyRecord } from '../../core/antitheft/schemas.ts';
import type { DeviceRow, OwnerId } from './owner.ts';
import { fromDevice } from './rows.ts';

/**
 * Writes the anti-theft API makes to its database on an owner's or an enrollment's behalf (reports are written by
 * the worker). Deletions are real DELETEs: what an owner removes is gone, not hidden.
 */
export class AntitheftWrites {
  constructor(private readonly ch: ClickHouseClient) {}

  async putOwnerKey(owner: OwnerId, key: OwnerKeyRecord): Promise<void> {
    await insertRows(this.ch, 'antitheft.owner_keys', [{ owner_id: owner, key_id: key.keyId, public_key: key.publicKey,
      passphrase_wrap: JSON.stringify(key.passphrase), recovery_wrap: JSON.stringify(key.recovery), created_at: toChTime(Date.now()),
      version: Date.now() * 1000 + Math.floor(Math.random() * 1000) }]);
  }

  /** Turning anti-theft off: reports, snapshots and the wrapped key go (the key was the only way to open them; devices stay, deactivated, to be told to forget). */
  async deleteOwnerData(owner: OwnerId): Promise<void> {
    for (const table of ['reports', 'snapshots', 'owner_keys'] as const) {
      await exec(this.ch, `${deleteFrom(this.ch, `antitheft.${table}`)} WHERE owner_id = {o:String}`, { o: owner });
    }
  }

  async putDevice(d: DeviceRow): Promise<void> {
    await insertRows(this.ch, 'antitheft.devices', [fromDevice(d)]);
  }

  /** A deactivated or removed device's reports and snapshots. */
  async deleteDeviceData(owner: OwnerId, deviceId: string): Promise<void> {
    for (const table of ['reports', 'snapshots'] as const) {
      await exec(this.ch, `${deleteFrom(this.ch, `antitheft.${table}`)} WHERE owner_id = {o:String} AND device_id = {d:String}`, { o: owner, d: deviceId });
    }
  }

  async insertServerKey(key: { keyId: string; publicKey: string; privateKeyPem: string; createdAt: number }): Promise<void> {
    await insertRows(this.ch, 'antitheft.server_keys', [{ key_id: key.keyId, public_key: key.publicKey, private_key: key.privateKeyPem,
      created_at: toChTime(key.createdAt) }]);
  }
}
