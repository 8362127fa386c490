import Router from '@koa/router';
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { Queue } from 'bullmq';
import { fromB64u } from '../../core/antitheft/encoding.ts';
import type { ReportJob } from '../../core/antitheft/jobs.ts';
import { nodeDigest, nodeSealBackend, nodeVerify } from '../../core/antitheft/node-crypto.ts';
import { sealNetwork, verifyReport } from '../../core/antitheft/report.ts';
import { EnrollRequest, MAX_REPORT_BODY, ReportEnvelope, WIRE_VERSION, type CheckinAnswer, type EnrollAnswer, type Receipt,
  type SignedAnswer } from '../../core/antitheft/schemas.ts';
import { fingerprint, reportHash } from '../../core/antitheft/signing.ts';
import type { Config } from '../../core/config.ts';
import type { GeoLookup } from '../../core/geo.ts';
import { readBody } from '../../core/http.ts';
import type { RateLimiter } from '../../core/rate-limit.ts';
import { asOwner } from '../store/owner.ts';
import type { OwnerReads } from '../store/owner-reads.ts';
import type { AntitheftWrites } from '../store/writes.ts';
import type { DeviceAuth, DeviceDirectory } from './device-directory.ts';
import type { EnrollmentCodes } from './enrollment-codes.ts';
import type { ServerKey } from './server-key.ts';
import { agentError, authenticateDevice, checkSkew, signatureHeaders, verifyRequestSignature } from './signed-request.ts';

export interface AgentApiDeps {
  cfg: Config['antitheft'];
  reads: OwnerReads;
  writes: AntitheftWrites;
  directory: DeviceDirectory;
  codes: EnrollmentCodes;
  serverKey: ServerKey;
  queue: Queue<ReportJob>;
  /** Where a report's snapshot ciphertext waits for the worker (jobs.ts snapshotKey), outside the job. */
  stashSnapshot(reportId: string, ciphertext: string): Promise<void>;
  geo: GeoLookup;
  deviceLimiter: RateLimiter;
  enrollLimiter: RateLimiter;
}

const SMALL_BODY = 8 * 1024;

function parseJson(text: string): unknown {
  if (text.trim() === '') throw agentError(400, 'invalid_request', 'request body is empty; expected a JSON object');
  try { return JSON.parse(text); } catch { throw agentError(400, 'invalid_request', 'request body is not valid JSON'); }
}

/**
 * The agent's side of the anti-theft API: enroll with a code, check in, deliver reports. Every request is signed by
 * the device key; every answer by the server key. The address a request came from is looked up, sealed to the
 * device's owner inside the report job and then dropped: it is never queued, stored or logged in the clear.
 */
export function createAgentRouter(deps: AgentApiDeps): Router {
  const { cfg, directory } = deps;
  const router = new Router({ prefix: '/api/antitheft/agent' });

  const answer = async (device: DeviceAuth, accepted: Receipt | null): Promise<SignedAnswer> => {
    const reportIntervalS = device.mode === 'stolen' ? cfg.stolenIntervalS : cfg.reportIntervalS;
    const a: CheckinAnswer = { v: WIRE_VERSION, deviceId: device.deviceId, mode: device.mode, action: device.status === 'deactivated' ? 'forget' : 'continue',
      reportIntervalS, checkInIntervalS: Math.min(cfg.checkInIntervalS, reportIntervalS), serverTime: Date.now(), ownerKeyId: device.ownerKeyId, accepted };
    return deps.serverKey.answer(a);
  };
  const limit = (device: DeviceAuth) => {
    const wait = deps.deviceLimiter.hit(device.deviceId);
    if (wait) throw agentError(429, 'rate_limited', 'too many requests from this device', { 'Retry-After': String(wait) });
  };

  router.post('/enroll', async (ctx) => {
    const wait = deps.enrollLimiter.hit(ctx.ip);
    if (wait) throw agentError(429, 'rate_limited', 'too many enrollment attempts from this address', { 'Retry-After': String(wait) });
    const text = await readBody(ctx, SMALL_BODY);
    const h = signatureHeaders(ctx);
    checkSkew(h.timestamp);
    const req = EnrollRequest.parse(parseJson(text));
    // Proof that the agent holds the private half of the key it enrolls (checked before the code is used up).
    await verifyRequestSignature(nodeVerify, ctx, h, fromB64u(req.publicKey), text);
    const binding = await deps.codes.take(req.code);
    if (!binding) throw agentError(400, 'invalid_code', 'this enrollment code is unknown, expired (codes last 15 minutes) or already used: make a new one in the dashboard');
    const ownerKey = await deps.reads.ownerKey(asOwner(binding.ownerId));
    if (!ownerKey || ownerKey.keyId !== binding.ownerKeyId) throw agentError(409, 'owner_key_changed', 'the owner turned anti-theft off or changed their key since this code was made');
    const now = Date.now();
    const deviceId = `dv_${randomBytes(12).toString('hex')}`;
    const device = { deviceId, ownerId: binding.ownerId, name: binding.name || req.name, platform: req.platform, agentVersion: req.agentVersion,
      publicKey: req.publicKey, fingerprint: await fingerprint('device', req.publicKey), ownerKeyId: ownerKey.keyId, mode: 'normal' as const,
      status: 'active' as const, createdAt: now, modeChangedAt: now };
    await deps.writes.putDevice(device);
    await directory.invalidate(deviceId);
    const auth = (await directory.auth(deviceId))!;
    const body: EnrollAnswer = { v: WIRE_VERSION, deviceId, deviceFingerprint: device.fingerprint,
      ownerKey: { keyId: ownerKey.keyId, publicKey: ownerKey.publicKey, fingerprint: await fingerprint('owner', ownerKey.publicKey) },
      serverKey: deps.serverKey.publicKey, signed: await answer(auth, null) };
    ctx.status = 201;
    ctx.body = body;
  });

  router.post('/check-in', async (ctx) => {
    const text = await readBody(ctx, SMALL_BODY);
    const device = await authenticateDevice(ctx, text, directory, nodeVerify);
    limit(device);
    await directory.contact(device.deviceId, Date.now());
    ctx.body = await answer(device, null);
  });

  router.post('/reports', async (ctx) => {
    const text = await readBody(ctx, MAX_REPORT_BODY);
    const device = await authenticateDevice(ctx, text, directory, nodeVerify);
    limit(device);
    if (device.status === 'deactivated') { ctx.body = await answer(device, null); return; } // told to forget; nothing stored
    const env = ReportEnvelope.parse(parseJson(text));
    const h = env.header;
    if (h.deviceId !== device.deviceId) throw agentError(400, 'device_mismatch', 'header.deviceId is not the device that signed the request');
    if (h.ownerKeyId !== device.ownerKeyId) throw agentError(400, 'owner_key_mismatch', "header.ownerKeyId is not the owner's current report key");
    if (!(await verifyReport(nodeVerify, fromB64u(device.publicKey), env, nodeDigest))) {
      throw agentError(400, 'bad_report_signature', "the report's device signature does not match its header, payload and snapshot");
    }
    const last = await directory.accepted(device.deviceId);
    if (last?.reportId === h.reportId) throw agentError(409, 'duplicate_report', `report ${h.reportId} was already accepted`);
    if (last && h.sequence <= last.sequence) throw agentError(409, 'stale_sequence', `sequence ${h.sequence} is not after the last accepted (${last.sequence})`);
    const receivedAt = Date.now();
    const hash = await reportHash(env, nodeDigest);
    const receipt = await deps.serverKey.receipt({ deviceId: device.deviceId, reportId: h.reportId, sequence: h.sequence, reportHash: hash, receivedAt });
    const job: ReportJob = { v: 1, ownerId: device.ownerId, deviceId: device.deviceId, reportId: h.reportId, sequence: h.sequence, mode: h.mode,
      capturedAt: h.capturedAt, receivedAt, header: JSON.stringify(h), payload: JSON.stringify(env.payload),
      network: JSON.stringify(await sealedNetwork(deps, ctx, device, env.header, receivedAt)), receipt: JSON.stringify(receipt), signature: env.sig,
      reportHash: hash, reportSize: Buffer.byteLength(text), snapshot: env.snapshot && { iv: env.snapshot.iv, size: env.snapshot.size, sha256: env.snapshot.sha256 } };
    // Snapshot, job, acceptance, in that order: a job never points to a missing snapshot, and a crash before the
    // acceptance makes the agent resend: the same key is written again, and the same job id adds nothing.
    if (env.snapshot) await deps.stashSnapshot(h.reportId, env.snapshot.ct);
    await deps.queue.add('report', job, { jobId: h.reportId });
    await directory.accept(device.deviceId, { sequence: h.sequence, reportId: h.reportId, reportHash: hash }, receivedAt);
    ctx.status = 202;
    ctx.body = await answer(device, receipt);
  });

  router.get('/server-keys', (ctx) => { ctx.body = { keys: [deps.serverKey.publicKey] }; });
  return router;
}

async function sealedNetwork(deps: AgentApiDeps, ctx: Context, device: DeviceAuth, header: ReportEnvelope['header'], receivedAt: number) {
  const ip = ctx.ip;
  const g = deps.geo.locate(ip);
  return sealNetwork(nodeSealBackend, fromB64u(device.ownerPublicKey), header, {
    v: WIRE_VERSION, ip, city: g.city, region: g.region, country: g.countryCode,
    position: g.lat !== null && g.lon !== null ? { lat: g.lat, lon: g.lon } : null,
    // DB-IP Lite has no radius: a city-level estimate, said as such in the owner's view.
    accuracyKm: g.accuracyKm ?? (g.lat !== null ? 50 : null), source: 'ip', receivedAt,
  });
}
