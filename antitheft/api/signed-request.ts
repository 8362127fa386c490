import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { fromB64u } from '../../core/antitheft/encoding.ts';
import { HEADERS, MAX_SKEW_MS, requestBytes, type Verifier } from '../../core/antitheft/signing.ts';
import { HttpError } from '../../core/errors.ts';
import type { DeviceAuth, DeviceDirectory } from './device-directory.ts';

export const agentError = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
  new HttpError(status, code, message, undefined, headers);

export interface SignatureHeaders { deviceId: string; timestamp: number; nonce: string; signature: Uint8Array }

/** The four signature headers, well formed, or a 400 naming the one that is not. */
export function signatureHeaders(ctx: Context): SignatureHeaders {
  const deviceId = ctx.get(HEADERS.device);
  const ts = ctx.get(HEADERS.timestamp);
  const nonce = ctx.get(HEADERS.nonce);
  const sig = ctx.get(HEADERS.signature);
  if (!/^(dv_[0-9a-f]{24}|new)$/.test(deviceId)) throw agentError(400, 'missing_signature', `${HEADERS.device} must be a device id (or "new" when enrolling)`);
  if (!/^\d{13}$/.test(ts)) throw agentError(400, 'missing_signature', `${HEADERS.timestamp} must be the time in milliseconds since 1970`);
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) throw agentError(400, 'missing_signature', `${HEADERS.nonce} must be 16 to 64 base64url characters`);
  if (!/^[A-Za-z0-9_-]{86}$/.test(sig)) throw agentError(400, 'missing_signature', `${HEADERS.signature} must be an Ed25519 signature in base64url`);
  return { deviceId, timestamp: Number(ts), nonce, signature: fromB64u(sig) };
}

export function checkSkew(timestamp: number, now = Date.now()): void {
  if (Math.abs(now - timestamp) > MAX_SKEW_MS) {
    throw agentError(401, 'stale_timestamp', `the request's timestamp is more than ${MAX_SKEW_MS / 60_000} minutes from the server's clock (${new Date(now).toISOString()})`);
  }
}

export async function verifyRequestSignature(verify: Verifier, ctx: Context, h: SignatureHeaders, publicKey: Uint8Array, body: string): Promise<void> {
  const bodySha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const ok = await verify(publicKey, requestBytes({ method: ctx.method, path: ctx.path, timestamp: h.timestamp, nonce: h.nonce, deviceId: h.deviceId, bodySha256 }), h.signature);
  if (!ok) throw agentError(401, 'bad_signature', 'the request signature does not match this device key, method, path, time, nonce and body');
}

/**
 * Checks an enrolled device's request, cheapest refusal first: headers, clock, the device and its key, the
 * signature, then the nonce (only a correctly signed request may use one up, so nobody can burn a device's nonces).
 */
export async function authenticateDevice(ctx: Context, body: string, dir: DeviceDirectory, verify: Verifier): Promise<DeviceAuth> {
  const h = signatureHeaders(ctx);
  checkSkew(h.timestamp);
  if (h.deviceId === 'new') throw agentError(401, 'unknown_device', 'this request needs an enrolled device id');
  const device = await dir.auth(h.deviceId);
  if (!device || device.status === 'removed') throw agentError(401, 'unknown_device', 'no such device: enroll it again with a new code');
  if (device.status === 'revoked') throw agentError(401, 'key_revoked', "this device's key was revoked by its owner: enroll it again with a new code");
  await verifyRequestSignature(verify, ctx, h, fromB64u(device.publicKey), body);
  if (!(await dir.useNonce(device.deviceId, h.nonce))) throw agentError(409, 'replayed_request', 'this request was already received (nonce used)');
  return device;
}
