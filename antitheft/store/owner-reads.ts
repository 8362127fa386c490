import { queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { OwnerKeyRecord } from '../../core/antitheft/schemas.ts';
import type { DeviceRow, OwnerId } from './owner.ts';
import { DEVICE_COLUMNS, toDevice, type DeviceDbRow } from './rows.ts';

export interface StoredReport {
  reportId: string; sequence: number; receivedAt: number; capturedAt: number; mode: string;
  header: string; payload: string; network: string; signature: string; reportHash: string; receipt: string;
  reportSize: number; snapshotSize: number; snapshotHash: string;
}
export interface StoredSnapshot { iv: string; sealed: string; size: number; sha256: string }

/**
 * The one module that reads the antitheft database. Every owner read takes the authenticated OwnerId and filters by
 * it in SQL, so another owner's id, device or report is simply not found. Two reads are not an owner's: the device
 * record an agent's request is checked against (deviceForAgent: its public key, owner and status, before the
 * signature is known to be good) and the server key. Analytics code never imports this (a test fails if it does).
 */
export class OwnerReads {
  constructor(private readonly ch: ClickHouseClient) {}

  async ownerKey(owner: OwnerId): Promise<OwnerKeyRecord | null> {
    const [r] = await queryRows<{ key_id: string; public_key: string; passphrase_wrap: string; recovery_wrap: string }>(this.ch,
      'SELECT key_id, public_key, passphrase_wrap, recovery_wrap FROM antitheft.owner_keys FINAL WHERE owner_id = {o:String}', { o: owner });
    if (!r) return null;
    return OwnerKeyRecord.parse({ v: 1, keyId: r.key_id, publicKey: r.public_key, passphrase: JSON.parse(r.passphrase_wrap), recovery: JSON.parse(r.recovery_wrap) });
  }

  async devices(owner: OwnerId): Promise<DeviceRow[]> {
    return (await queryRows<DeviceDbRow>(this.ch, `SELECT ${DEVICE_COLUMNS} FROM antitheft.devices FINAL
      WHERE owner_id = {o:String} AND status != 'removed' ORDER BY created_at`, { o: owner })).map(toDevice);
  }

  async device(owner: OwnerId, deviceId: string): Promise<DeviceRow | null> {
    const [r] = await queryRows<DeviceDbRow>(this.ch, `SELECT ${DEVICE_COLUMNS} FROM antitheft.devices FINAL
      WHERE owner_id = {o:String} AND device_id = {d:String} AND status != 'removed'`, { o: owner, d: deviceId });
    return r ? toDevice(r) : null;
  }

  /** Per device: stored reports, the last one's receive time, and how many carry a snapshot. */
  async reportStats(owner: OwnerId): Promise<Map<string, { reports: number; lastReceivedAt: number; snapshots: number }>> {
    const rows = await queryRows<{ device_id: string; n: string; last_ms: string; snaps: string }>(this.ch, `SELECT device_id, count() AS n,
      toUnixTimestamp64Milli(max(received_at)) AS last_ms, countIf(snapshot_size > 0) AS snaps
      FROM antitheft.reports FINAL WHERE owner_id = {o:String} GROUP BY device_id`, { o: owner });
    return new Map(rows.map((r) => [r.device_id, { reports: Number(r.n), lastReceivedAt: Number(r.last_ms), snapshots: Number(r.snaps) }]));
  }

  /** A device's reports, newest first, `limit` at a time before sequence `before`. */
  async reports(owner: OwnerId, deviceId: string, opts: { limit: number; before?: number }): Promise<StoredReport[]> {
    const rows = await queryRows<Record<string, string>>(this.ch, `SELECT toString(report_id) AS report_id, sequence,
      toUnixTimestamp64Milli(received_at) AS received_ms, toUnixTimestamp64Milli(captured_at) AS captured_ms, mode, header, payload, network,
      signature, report_hash, receipt, report_size, snapshot_size, snapshot_hash
      FROM antitheft.reports FINAL
      WHERE owner_id = {o:String} AND device_id = {d:String} AND sequence < {before:UInt64}
      ORDER BY sequence DESC LIMIT {limit:UInt32}`, { o: owner, d: deviceId, before: opts.before ?? Number.MAX_SAFE_INTEGER, limit: opts.limit });
    return rows.map((r) => ({ reportId: r.report_id!, sequence: Number(r.sequence), receivedAt: Number(r.received_ms), capturedAt: Number(r.captured_ms),
      mode: r.mode!, header: r.header!, payload: r.payload!, network: r.network!, signature: r.signature!, reportHash: r.report_hash!, receipt: r.receipt!,
      reportSize: Number(r.report_size), snapshotSize: Number(r.snapshot_size), snapshotHash: r.snapshot_hash! }));
  }

  async snapshot(owner: OwnerId, deviceId: string, reportId: string): Promise<StoredSnapshot | null> {
    const [r] = await queryRows<{ iv: string; sealed: string; size: string; sha256: string }>(this.ch, `SELECT iv, sealed, size, sha256
      FROM antitheft.snapshots FINAL WHERE owner_id = {o:String} AND device_id = {d:String} AND report_id = toUUIDOrZero({r:String})`,
    { o: owner, d: deviceId, r: reportId });
    return r ? { iv: r.iv, sealed: r.sealed, size: Number(r.size), sha256: r.sha256 } : null;
  }

  /** For checking an agent's request: the device's key, owner and status (not an owner read: the device is the caller). */
  async deviceForAgent(deviceId: string): Promise<DeviceRow | null> {
    const [r] = await queryRows<DeviceDbRow>(this.ch, `SELECT ${DEVICE_COLUMNS} FROM antitheft.devices FINAL WHERE device_id = {d:String}`, { d: deviceId });
    return r ? toDevice(r) : null;
  }

  /** The server's countersigning key: the oldest, so every process of a deployment signs with the same one. */
  async serverKey(): Promise<{ keyId: string; publicKey: string; privateKeyPem: string; createdAt: number } | null> {
    const [r] = await queryRows<{ key_id: string; public_key: string; private_key: string; created_ms: string }>(this.ch, `SELECT key_id, public_key,
      private_key, toUnixTimestamp64Milli(created_at) AS created_ms FROM antitheft.server_keys FINAL ORDER BY created_at, key_id LIMIT 1`);
    return r ? { keyId: r.key_id, publicKey: r.public_key, privateKeyPem: r.private_key, createdAt: Number(r.created_ms) } : null;
  }
}
