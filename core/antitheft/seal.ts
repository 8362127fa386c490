import { buf, concatBytes, fromB64u, fromUtf8, randomBytes, subtle, toB64u, utf8 } from './encoding.ts';
import { Sealed, WIRE_VERSION } from './schemas.ts';

/**
 * Sealing to the owner's report key (an ECIES): a fresh ephemeral P-256 key per sealed object, ECDH with the owner's
 * public key, HKDF-SHA-256 (salt = ephemeral point || owner point, info = the purpose label) to a one-time AES-256 key,
 * AES-256-GCM with the caller's additional data (the report header), so a payload cannot be moved to another report.
 * The format is written once here; the primitives come from a backend: WebCrypto (browser, agent, tests) or
 * node:crypto (node-crypto.ts: 5x faster, for the report endpoint that seals every connection's address).
 */
export const SEAL_ALG = 'P256-HKDF-SHA256-A256GCM' as const;
export type SealPurpose = 'report' | 'network';
const info = (purpose: SealPurpose) => `vigil-at/v1/${purpose}`;

export interface SealBackend {
  /** A fresh ephemeral P-256 key's raw public point and its ECDH shared secret (x coordinate) with `recipient`. */
  ephemeralEcdh(recipient: Uint8Array): Promise<{ epk: Uint8Array; shared: Uint8Array }>;
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Promise<Uint8Array>;
  aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  aesGcmDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

export const webSealBackend: SealBackend = {
  async ephemeralEcdh(recipient) {
    const pair = await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']) as CryptoKeyPair;
    const pub = await subtle().importKey('raw', buf(recipient), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const shared = new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: pub }, pair.privateKey, 256));
    return { epk: new Uint8Array(await subtle().exportKey('raw', pair.publicKey)), shared };
  },
  async hkdf(ikm, salt, label, length) {
    const base = await subtle().importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
    return new Uint8Array(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(utf8(label)) }, base, length * 8));
  },
  async aesGcmEncrypt(key, iv, plaintext, aad) {
    const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['encrypt']);
    return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad) }, k, buf(plaintext)));
  },
  async aesGcmDecrypt(key, iv, ciphertext, aad) {
    const k = await subtle().importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad) }, k, buf(ciphertext)));
  },
};

export class SealError extends Error {}

/** Seals `plaintext` to the owner's raw P-256 public key. */
export async function seal(backend: SealBackend, recipient: Uint8Array, purpose: SealPurpose, plaintext: Uint8Array, aad: Uint8Array): Promise<Sealed> {
  const { epk, shared } = await backend.ephemeralEcdh(recipient);
  const key = await backend.hkdf(shared, concatBytes(epk, recipient), info(purpose), 32);
  const iv = randomBytes(12);
  const ct = await backend.aesGcmEncrypt(key, iv, plaintext, aad);
  return { v: WIRE_VERSION, alg: SEAL_ALG, epk: toB64u(epk), iv: toB64u(iv), ct: toB64u(ct) };
}

export async function sealJson(backend: SealBackend, recipient: Uint8Array, purpose: SealPurpose, value: unknown, aad: Uint8Array): Promise<Sealed> {
  return seal(backend, recipient, purpose, utf8(JSON.stringify(value)), aad);
}

/**
 * The one-time AES key of a sealed object, derived with the owner's private key (which may be non-extractable:
 * deriveBits works on it). Revealing it opens that one object and nothing else, which is what an evidence export
 * hands to a verifier.
 */
export async function sealedKey(ownerPrivate: CryptoKey, ownerPublic: Uint8Array, purpose: SealPurpose, sealed: Sealed): Promise<Uint8Array> {
  const epk = fromB64u(sealed.epk);
  let shared: Uint8Array;
  try {
    const pub = await subtle().importKey('raw', buf(epk), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    shared = new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: pub }, ownerPrivate, 256));
  } catch {
    throw new SealError('the sealed data carries an invalid ephemeral key');
  }
  return webSealBackend.hkdf(shared, concatBytes(epk, ownerPublic), info(purpose), 32);
}

/** Opens with a one-time key: the owner's (via sealedKey) or one revealed in an export. */
export async function openWithKey(key: Uint8Array, sealed: Sealed, aad: Uint8Array): Promise<Uint8Array> {
  try {
    return await webSealBackend.aesGcmDecrypt(key, fromB64u(sealed.iv), fromB64u(sealed.ct), aad);
  } catch {
    throw new SealError('the sealed data does not open with this key (wrong key, or the data or its header was changed)');
  }
}

export async function open(ownerPrivate: CryptoKey, ownerPublic: Uint8Array, purpose: SealPurpose, sealed: Sealed, aad: Uint8Array): Promise<Uint8Array> {
  return openWithKey(await sealedKey(ownerPrivate, ownerPublic, purpose, sealed), sealed, aad);
}

export async function openJson(ownerPrivate: CryptoKey, ownerPublic: Uint8Array, purpose: SealPurpose, sealed: Sealed, aad: Uint8Array): Promise<unknown> {
  return JSON.parse(fromUtf8(await open(ownerPrivate, ownerPublic, purpose, sealed, aad)));
}

// ---- snapshots: their own random key, carried inside the sealed payload -----------------------------------------

export interface SnapshotSealed { key: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array }
export const snapshotAad = (deviceId: string, reportId: string) => utf8(`vigil-at/v1/snapshot\n${deviceId}\n${reportId}`);

export async function sealSnapshot(backend: SealBackend, image: Uint8Array, deviceId: string, reportId: string): Promise<SnapshotSealed> {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  return { key, iv, ciphertext: await backend.aesGcmEncrypt(key, iv, image, snapshotAad(deviceId, reportId)) };
}

export async function openSnapshot(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, deviceId: string, reportId: string): Promise<Uint8Array> {
  try {
    return await webSealBackend.aesGcmDecrypt(key, iv, ciphertext, snapshotAad(deviceId, reportId));
  } catch {
    throw new SealError('the snapshot does not open with its key (changed, or moved from another report)');
  }
}
