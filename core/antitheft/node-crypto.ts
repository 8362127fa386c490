import { createCipheriv, createDecipheriv, createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, sign,
  verify, type KeyObject } from 'node:crypto';
import { toB64u, type Digest } from './encoding.ts';
import type { SealBackend } from './seal.ts';
import { HEADERS, requestBytes, type Signer, type Verifier } from './signing.ts';

/**
 * node:crypto versions of the contract's primitives, for the agent and the server (not the browser): sealing costs
 * ~150 µs here against ~700 µs through WebCrypto, and the report endpoint seals every report's network record.
 */
export const nodeSealBackend: SealBackend = {
  async ephemeralEcdh(recipient) {
    const ecdh = createECDH('prime256v1');
    const epk = ecdh.generateKeys();
    return { epk: new Uint8Array(epk), shared: new Uint8Array(ecdh.computeSecret(recipient)) };
  },
  async hkdf(ikm, salt, info, length) {
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  },
  async aesGcmEncrypt(key, iv, plaintext, aad) {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
  },
  async aesGcmDecrypt(key, iv, ciphertext, aad) {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    return new Uint8Array(Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]));
  },
};

/** SHA-256 in the same turn (WebCrypto's digest is a round trip through libuv's pool: ~10x the cost for 1 KB). */
export const nodeDigest: Digest = (data) => createHash('sha256').update(data).digest();

/**
 * The four headers that sign one agent request (method POST, path, time, a fresh nonce and the body's hash). The agent
 * uses it for every call; tests and the bench use it to replay, age or mis-sign a request on purpose.
 */
export async function signedRequestHeaders(sign: Signer, deviceId: string, path: string, body: string,
  over: { timestamp?: number; nonce?: string } = {}): Promise<Record<string, string>> {
  const timestamp = over.timestamp ?? Date.now();
  const nonce = over.nonce ?? toB64u(randomBytes(18));
  const bodySha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const sig = await sign(requestBytes({ method: 'POST', path, timestamp, nonce, deviceId, bodySha256 }));
  return { [HEADERS.device]: deviceId, [HEADERS.timestamp]: String(timestamp), [HEADERS.nonce]: nonce, [HEADERS.signature]: toB64u(sig) };
}

// Ed25519 public keys as DER: a fixed 12-byte SPKI prefix before the 32 raw bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('an Ed25519 public key has 32 bytes');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export interface Ed25519Pair { publicKey: string; privateKeyPem: string }

export function generateEd25519(): Ed25519Pair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { publicKey: toB64u(new Uint8Array(der.subarray(ED25519_SPKI_PREFIX.length))), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

export function ed25519Signer(privateKeyPem: string): Signer {
  const key = createPrivateKey(privateKeyPem);
  return (message) => new Uint8Array(sign(null, message, key));
}

/** Verification with a cache of parsed keys: a device sends many reports, and parsing a key costs as much as a check. */
export function cachedVerifier(max = 10_000): Verifier {
  const keys = new Map<string, KeyObject>();
  return (publicKey, message, signature) => {
    const id = toB64u(publicKey);
    let key = keys.get(id);
    if (!key) {
      try { key = ed25519PublicKey(publicKey); } catch { return false; }
      if (keys.size >= max) keys.delete(keys.keys().next().value!);
      keys.set(id, key);
    }
    try { return verify(null, message, key, signature); } catch { return false; }
  };
}

export const nodeVerify: Verifier = cachedVerifier();

