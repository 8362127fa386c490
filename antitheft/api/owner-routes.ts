import Router from '@koa/router';
import type { Context } from 'koa';
import { ChangePassphrase, DeviceChange, NewEnrollmentCode, PutOwnerKey, ReportPage, type EnrollmentCodeView, type ReportRowView } from '../../core/antitheft/owner-api.ts';
import { fingerprint, ownerKeyId } from '../../core/antitheft/signing.ts';
import { HttpError, notFound } from '../../core/errors.ts';
import { ownOrigin, readBodyAs } from '../../core/http.ts';
import type { DeviceRow, OwnerId } from '../store/owner.ts';
import type { OwnerReads } from '../store/owner-reads.ts';
import type { AntitheftWrites } from '../store/writes.ts';
import { agentDownloadInfo, AGENT_URL } from './agent-download.ts';
import type { DeviceDirectory } from './device-directory.ts';
import { deviceView, type Intervals } from './device-view.ts';
import type { EnrollmentCodes } from './enrollment-codes.ts';
import { ownerOf } from './owner-session.ts';
import type { ServerKey } from './server-key.ts';

export interface OwnerApiDeps { intervals: Intervals; reads: OwnerReads; writes: AntitheftWrites; directory: DeviceDirectory; codes: EnrollmentCodes; serverKey: ServerKey }

const noDevice = () => notFound('no such device');

/**
 * A report job the worker had already checked before the device was marked gone can land just after the first
 * DELETE; a second one a few seconds later removes it. (The first answers the owner at once.)
 */
function deleteTwice(writes: AntitheftWrites, remove: (w: AntitheftWrites) => Promise<void>): Promise<void> {
  setTimeout(() => { remove(writes).catch(() => undefined); }, 5000).unref();
  return remove(writes);
}

/**
 * The owner's side: their report key (public half and wrapped copies), enrollment codes, devices and their sealed
 * reports. Every route starts from ownerOf(ctx) and every read filters by that owner, so another owner's device is a
 * 404 like one that does not exist. Changes to a device reach its agent at the next check-in.
 */
export function createOwnerRouter(deps: OwnerApiDeps): Router {
  const { reads, writes, directory } = deps;
  const router = new Router({ prefix: '/api/antitheft' });

  const myDevice = async (ctx: Context): Promise<{ owner: OwnerId; device: DeviceRow }> => {
    const owner = ownerOf(ctx);
    const id = ctx.params.id ?? '';
    const device = /^dv_[0-9a-f]{24}$/.test(id) ? await reads.device(owner, id) : null;
    if (!device) throw noDevice();
    return { owner, device };
  };
  const change = async (device: DeviceRow, patch: Partial<DeviceRow>) => {
    const next = { ...device, ...patch };
    await writes.putDevice(next);
    await directory.invalidate(device.deviceId);
    return next;
  };
  const views = async (owner: OwnerId, devices: DeviceRow[]) => {
    const [seen, stats] = await Promise.all([directory.lastSeen(devices.map((d) => d.deviceId)), reads.reportStats(owner)]);
    return devices.map((d) => deviceView(d, seen.get(d.deviceId), stats.get(d.deviceId), deps.intervals));
  };

  router.get('/key', async (ctx) => {
    const key = await reads.ownerKey(ownerOf(ctx));
    ctx.body = { key, fingerprint: key ? await fingerprint('owner', key.publicKey) : null };
  });

  // Turning anti-theft on: the browser made the key; the server keeps what it sent, which it cannot open.
  router.put('/key', async (ctx) => {
    const owner = ownerOf(ctx);
    const key = await readBodyAs(ctx, PutOwnerKey);
    if (key.keyId !== (await ownerKeyId(key.publicKey))) throw new HttpError(400, 'invalid_request', 'keyId is not the id of this public key', 'keyId');
    if (await reads.ownerKey(owner)) throw new HttpError(409, 'conflict', 'anti-theft is already on for this account; turn it off first to make a new key');
    await writes.putOwnerKey(owner, key);
    ctx.status = 201;
    ctx.body = { key, fingerprint: await fingerprint('owner', key.publicKey) };
  });

  router.patch('/key', async (ctx) => {
    const owner = ownerOf(ctx);
    const { passphrase } = await readBodyAs(ctx, ChangePassphrase);
    const key = await reads.ownerKey(owner);
    if (!key) throw notFound('anti-theft is off for this account');
    const next = PutOwnerKey.parse({ ...key, passphrase });
    await writes.putOwnerKey(owner, next);
    ctx.body = { key: next };
  });

  // Turning anti-theft off: every device is told to forget its keys; reports, snapshots and the key are deleted.
  router.delete('/key', async (ctx) => {
    const owner = ownerOf(ctx);
    const devices = await reads.devices(owner);
    for (const d of devices) if (d.status !== 'deactivated') await writes.putDevice({ ...d, status: 'deactivated' });
    await directory.markGone(...devices.map((d) => d.deviceId));
    await deleteTwice(writes, (w) => w.deleteOwnerData(owner));
    await directory.invalidate(...devices.map((d) => d.deviceId));
    ctx.status = 204;
  });

  router.post('/enrollment-codes', async (ctx) => {
    const owner = ownerOf(ctx);
    const { name } = await readBodyAs(ctx, NewEnrollmentCode);
    const key = await reads.ownerKey(owner);
    if (!key) throw new HttpError(409, 'conflict', 'turn anti-theft on first (it makes the key reports are sealed to)');
    const { code, expiresAt } = await deps.codes.create({ ownerId: owner, ownerKeyId: key.keyId, ownerPublicKey: key.publicKey, name });
    const origin = ownOrigin(ctx);
    const body: EnrollmentCodeView = { code, expiresAt, command: `node vigil-agent.mjs enroll --server ${origin} --code ${code}`,
      downloadUrl: `${origin}${AGENT_URL}`, sha256: (await agentDownloadInfo())?.sha256 ?? null };
    ctx.status = 201;
    ctx.body = body;
  });

  router.get('/devices', async (ctx) => {
    const owner = ownerOf(ctx);
    ctx.body = { devices: await views(owner, await reads.devices(owner)), serverTime: Date.now() };
  });

  router.get('/devices/:id', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    ctx.body = { device: (await views(owner, [device]))[0] };
  });

  router.patch('/devices/:id', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    const c = await readBodyAs(ctx, DeviceChange);
    if (c.mode && device.status !== 'active') throw new HttpError(409, 'conflict', `this device is ${device.status}; it no longer reports`);
    const next = await change(device, { ...(c.name ? { name: c.name } : {}),
      ...(c.mode && c.mode !== device.mode ? { mode: c.mode, modeChangedAt: Date.now() } : {}) });
    ctx.body = { device: (await views(owner, [next]))[0] };
  });

  router.post('/devices/:id/deactivate', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    const next = await change(device, { status: 'deactivated', mode: 'normal' });
    await directory.markGone(device.deviceId);
    await deleteTwice(writes, (w) => w.deleteDeviceData(owner, device.deviceId));
    ctx.body = { device: (await views(owner, [next]))[0] };
  });

  router.post('/devices/:id/revoke', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    const next = await change(device, { status: 'revoked' });
    ctx.body = { device: (await views(owner, [next]))[0] };
  });

  router.delete('/devices/:id', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    await change(device, { status: 'removed' });
    await directory.markGone(device.deviceId);
    await deleteTwice(writes, (w) => w.deleteDeviceData(owner, device.deviceId));
    await directory.forget(device.deviceId);
    ctx.status = 204;
  });

  router.get('/devices/:id/reports', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    const page = ReportPage.parse(ctx.query);
    const rows = await reads.reports(owner, device.deviceId, page);
    const reports: ReportRowView[] = rows.map((r) => ({ reportId: r.reportId, sequence: r.sequence, receivedAt: r.receivedAt, capturedAt: r.capturedAt,
      mode: r.mode === 'stolen' ? 'stolen' : 'normal', header: r.header, payload: r.payload, network: r.network, signature: r.signature,
      reportHash: r.reportHash, receipt: r.receipt, snapshotSize: r.snapshotSize, snapshotHash: r.snapshotHash }));
    ctx.body = { reports, device: { deviceId: device.deviceId, publicKey: device.publicKey, fingerprint: device.fingerprint, name: device.name } };
  });

  router.get('/devices/:id/reports/:reportId/snapshot', async (ctx) => {
    const { owner, device } = await myDevice(ctx);
    const s = await reads.snapshot(owner, device.deviceId, ctx.params.reportId ?? '');
    if (!s) throw notFound('this report has no snapshot');
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = { iv: s.iv, ct: s.sealed, size: s.size, sha256: s.sha256 };
  });

  router.get('/server-keys', (ctx) => { ownerOf(ctx); ctx.body = { keys: [deps.serverKey.publicKey] }; });
  return router;
}
