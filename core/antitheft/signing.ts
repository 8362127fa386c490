import { canonicalBytes } from './canonical.ts';
import { buf, fromB64u, groups, sha256, sha256Hex, subtle, toBase32, toHex, utf8, webDigest, type Digest } from './encoding.ts';
import type { CheckinAnswer, ReportEnvelope, ReportHeader, Sealed } from './schemas.ts';

/**
 * What is signed, and how keys are named and shown. Every signature is Ed25519 over canonical bytes that start with a
 * purpose label, so a signature made for one purpose can never be replayed as another.
 * Signing happens with node:crypto in the agent and server (see node-crypto.ts); verification here uses WebCrypto so
 * the same check runs in a browser.
 */
export type Signer = (message: Uint8Array) => Promise<Uint8Array> | Uint8Array;
export type Verifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => Promise<boolean> | boolean;

export const webVerify: Verifier = async (publicKey, message, signature) => {
  try {
    const key = await subtle().importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
    return await subtle().verify({ name: 'Ed25519' }, key, buf(signature), buf(message));
  } catch {
    return false;
  }
};

// ---- requests ---------------------------------------------------------------------------------------------------

export const HEADERS = { device: 'x-vigil-device', timestamp: 'x-vigil-timestamp', nonce: 'x-vigil-nonce', signature: 'x-vigil-signature' } as const;
/** The agent's clock may differ from the server's by this much; older or newer requests are refused. */
export const MAX_SKEW_MS = 5 * 60_000;

export interface RequestToSign { method: string; path: string; timestamp: number; nonce: string; deviceId: string; bodySha256: string }

/** One line per field: none of them can contain a newline (checked by the server before it verifies). */
export function requestBytes(r: RequestToSign): Uint8Array {
  return utf8(['vigil-at/v1/request', r.method.toUpperCase(), r.path, String(r.timestamp), r.nonce, r.deviceId, r.bodySha256].join('\n'));
}

// ---- reports ----------------------------------------------------------------------------------------------------

export interface SignedParts { header: ReportHeader; payload: Sealed; snapshot: { iv: string; size: number; sha256: string } | null }

/** The bytes the device signs when it captures a report: header, sealed payload and the snapshot ciphertext's hash. */
export function reportBytes(p: SignedParts): Uint8Array {
  return canonicalBytes({ purpose: 'vigil-at/v1/report', header: p.header, payload: p.payload, snapshot: p.snapshot });
}

export const signedParts = (e: ReportEnvelope): SignedParts => ({
  header: e.header, payload: e.payload, snapshot: e.snapshot ? { iv: e.snapshot.iv, size: e.snapshot.size, sha256: e.snapshot.sha256 } : null,
});

/** A report's identity in the evidence chain: the next report's prevHash, and what the server's receipt signs. */
export async function reportHash(e: ReportEnvelope, digest: Digest = webDigest): Promise<string> {
  return partsHash(signedParts(e), e.sig, digest);
}

/** The same hash from the signed parts alone (an export keeps the snapshot's hash, not its ciphertext). */
export async function partsHash(parts: SignedParts, sig: string, digest: Digest = webDigest): Promise<string> {
  return sha256Hex(canonicalBytes({ header: parts.header, payload: parts.payload, snapshot: parts.snapshot, sig }), digest);
}

/** Additional data that binds a sealed payload to its header. */
export const headerAad = (h: ReportHeader) => canonicalBytes({ purpose: 'vigil-at/v1/header', header: h });

// ---- server signatures ------------------------------------------------------------------------------------------

export interface ReceiptFields { deviceId: string; reportId: string; sequence: number; reportHash: string; receivedAt: number; serverKeyId: string }
export const receiptBytes = (r: ReceiptFields) => canonicalBytes({ purpose: 'vigil-at/v1/receipt', deviceId: r.deviceId, reportId: r.reportId,
  sequence: r.sequence, reportHash: r.reportHash, receivedAt: r.receivedAt, serverKeyId: r.serverKeyId });
export const answerBytes = (a: CheckinAnswer) => canonicalBytes({ purpose: 'vigil-at/v1/answer', answer: a });

// ---- names and fingerprints ----------------------------------------------------------------------------------------

async function keyDigest(kind: string, raw: Uint8Array): Promise<Uint8Array> {
  return sha256(new Uint8Array([...utf8(`vigil-at/v1/${kind}\n`), ...raw]));
}

/**
 * A key as people compare it on two screens: 80 bits of its hash in base32, four groups of four (e.g. 7K3M-Q9XD-2FBA-KW0E).
 * The device key's is shown in the dashboard and by the agent at enrollment; the owner key's by both too.
 */
export async function fingerprint(kind: 'device' | 'owner' | 'server', publicKeyB64u: string): Promise<string> {
  return groups(toBase32((await keyDigest(kind, fromB64u(publicKeyB64u))).subarray(0, 10)));
}

export async function ownerKeyId(publicKeyB64u: string): Promise<string> {
  return `ok_${toHex((await keyDigest('owner', fromB64u(publicKeyB64u))).subarray(0, 12))}`;
}

export async function serverKeyId(publicKeyB64u: string): Promise<string> {
  return `sk_${toHex((await keyDigest('server', fromB64u(publicKeyB64u))).subarray(0, 12))}`;
}
