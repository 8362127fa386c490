import { toChTime } from '../../core/event.ts';
import type { DeviceRow } from './owner.ts';

/** The devices table's columns and their mapping, shared by the reads and the writes of antitheft/store. */
export const DEVICE_COLUMNS = 'device_id, owner_id, name, platform, agent_version, public_key, fingerprint, owner_key_id, mode, status, '
  + 'toUnixTimestamp64Milli(created_at) AS created_ms, toUnixTimestamp64Milli(mode_changed_at) AS mode_ms';

export interface DeviceDbRow {
  device_id: string; owner_id: string; name: string; platform: string; agent_version: string; public_key: string; fingerprint: string;
  owner_key_id: string; mode: string; status: string; created_ms: string | number; mode_ms: string | number;
}

export const toDevice = (r: DeviceDbRow): DeviceRow => ({
  deviceId: r.device_id, ownerId: r.owner_id, name: r.name, platform: r.platform, agentVersion: r.agent_version, publicKey: r.public_key,
  fingerprint: r.fingerprint, ownerKeyId: r.owner_key_id, mode: r.mode === 'stolen' ? 'stolen' : 'normal', status: r.status as DeviceRow['status'],
  createdAt: Number(r.created_ms), modeChangedAt: Number(r.mode_ms),
});

export const fromDevice = (d: DeviceRow) => ({
  device_id: d.deviceId, owner_id: d.ownerId, name: d.name, platform: d.platform, agent_version: d.agentVersion, public_key: d.publicKey,
  fingerprint: d.fingerprint, owner_key_id: d.ownerKeyId, mode: d.mode, status: d.status, created_at: toChTime(d.createdAt), mode_changed_at: toChTime(d.modeChangedAt),
  version: Date.now() * 1000 + Math.floor(Math.random() * 1000),
});
