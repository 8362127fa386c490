import { canonicalBytes } from './canonical.ts';
import { buf, fromB64u, fromBase32, groups, randomBytes, subtle, toB64u, toBase32, utf8 } from './encoding.ts';
import { MIN_PBKDF2_ITERATIONS, OwnerKeyRecord, WIRE_VERSION, type WrappedKey } from './schemas.ts';
import { fingerprint, ownerKeyId } from './signing.ts';

/**
 * The owner's report key, made and opened in the owner's browser (WebCrypto): an ECDH P-256 pair whose private half
 * leaves the page only wrapped with AES-256-GCM, once under a key derived from the owner's passphrase (PBKDF2-SHA-256,
 * 600,000 iterations) and once under a random recovery key shown once. The server keeps the public key and the two
 * wrapped copies; it can open neither. Unwrapped, the key is non-extractable: page scripts can use it, not read it.
 */
const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const RECOVERY_BYTES = 20;

export class WrongSecretError extends Error {}

const wrapAad = (keyId: string, kind: 'passphrase' | 'recovery') => canonicalBytes({ purpose: 'vigil-at/v1/owner-key', keyId, kind });

async function passphraseKey(passphrase: string, salt: Uint8Array, iterations: number, usage: KeyUsage): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', buf(utf8(passphrase.normalize('NFC'))), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations }, base, { name: 'AES-GCM', length: 256 }, false, [usage]);
}

async function recoveryWrapKey(recovery: Uint8Array, salt: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', buf(recovery), 'HKDF', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(utf8('vigil-at/v1/recovery')) }, base,
    { name: 'AES-GCM', length: 256 }, false, [usage]);
}

async function wrap(priv: CryptoKey, wrapping: CryptoKey, aad: Uint8Array, kdf: WrappedKey['kdf'], iterations: number, salt: Uint8Array): Promise<WrappedKey> {
  const iv = randomBytes(12);
  const ct = new Uint8Array(await subtle().wrapKey('pkcs8', priv, wrapping, { name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad) }));
  return { kdf, iterations, salt: toB64u(salt), iv: toB64u(iv), ct: toB64u(ct) };
}

async function unwrap(w: WrappedKey, unwrapping: CryptoKey, aad: Uint8Array): Promise<CryptoKey> {
  try {
    return await subtle().unwrapKey('pkcs8', buf(fromB64u(w.ct)), unwrapping, { name: 'AES-GCM', iv: buf(fromB64u(w.iv)), additionalData: buf(aad) },
      ECDH, false, ['deriveBits']);
  } catch {
    throw new WrongSecretError('wrong passphrase or recovery key');
  }
}

export interface NewOwnerKey {
  record: OwnerKeyRecord;
  /** Shown once to the owner, never sent: 32 base32 characters in groups of four. */
  recoveryKey: string;
  fingerprint: string;
  /** The unwrapped private key, non-extractable, for this page. */
  privateKey: CryptoKey;
}

export async function createOwnerKey(passphrase: string, iterations = MIN_PBKDF2_ITERATIONS): Promise<NewOwnerKey> {
  if (passphrase.length < 10) throw new Error('the passphrase needs at least 10 characters');
  const pair = await subtle().generateKey(ECDH, true, ['deriveBits']) as CryptoKeyPair;
  const publicKey = toB64u(new Uint8Array(await subtle().exportKey('raw', pair.publicKey)));
  const keyId = await ownerKeyId(publicKey);
  const recovery = randomBytes(RECOVERY_BYTES);
  const pSalt = randomBytes(16);
  const rSalt = randomBytes(16);
  const record: OwnerKeyRecord = {
    v: WIRE_VERSION,
    keyId,
    publicKey,
    passphrase: await wrap(pair.privateKey, await passphraseKey(passphrase, pSalt, iterations, 'wrapKey'), wrapAad(keyId, 'passphrase'),
      'PBKDF2-SHA256', iterations, pSalt),
    recovery: await wrap(pair.privateKey, await recoveryWrapKey(recovery, rSalt, 'wrapKey'), wrapAad(keyId, 'recovery'), 'HKDF-SHA256', 0, rSalt),
  };
  // The extractable handle is dropped here; the page keeps a non-extractable copy, opened as any later unlock would.
  const privateKey = await unlockWithRecovery(record, toBase32(recovery));
  return { record: OwnerKeyRecord.parse(record), recoveryKey: groups(toBase32(recovery)), fingerprint: await fingerprint('owner', publicKey), privateKey };
}

export async function unlockWithPassphrase(record: OwnerKeyRecord, passphrase: string): Promise<CryptoKey> {
  const w = record.passphrase;
  return unwrap(w, await passphraseKey(passphrase, fromB64u(w.salt), w.iterations, 'unwrapKey'), wrapAad(record.keyId, 'passphrase'));
}

export async function unlockWithRecovery(record: OwnerKeyRecord, recoveryKey: string): Promise<CryptoKey> {
  let bytes: Uint8Array;
  try { bytes = fromBase32(recoveryKey); } catch { throw new WrongSecretError('a recovery key has only the letters and digits shown when it was made'); }
  if (bytes.length !== RECOVERY_BYTES) throw new WrongSecretError(`a recovery key has ${Math.ceil((RECOVERY_BYTES * 8) / 5)} characters`);
  return unwrap(record.recovery, await recoveryWrapKey(bytes, fromB64u(record.recovery.salt), 'unwrapKey'), wrapAad(record.keyId, 'recovery'));
}

/**
 * A new passphrase for the same key (the recovery key stays valid): the key is opened extractable for this one
 * re-wrap only, and the handle is dropped when the function returns.
 */
export async function changePassphrase(record: OwnerKeyRecord, currentPassphrase: string, newPassphrase: string,
  iterations = MIN_PBKDF2_ITERATIONS): Promise<OwnerKeyRecord> {
  if (newPassphrase.length < 10) throw new Error('the passphrase needs at least 10 characters');
  const w = record.passphrase;
  const aad = wrapAad(record.keyId, 'passphrase');
  let priv: CryptoKey;
  try {
    priv = await subtle().unwrapKey('pkcs8', buf(fromB64u(w.ct)), await passphraseKey(currentPassphrase, fromB64u(w.salt), w.iterations, 'unwrapKey'),
      { name: 'AES-GCM', iv: buf(fromB64u(w.iv)), additionalData: buf(aad) }, ECDH, true, ['deriveBits']);
  } catch {
    throw new WrongSecretError('wrong passphrase');
  }
  const salt = randomBytes(16);
  const passphrase = await wrap(priv, await passphraseKey(newPassphrase, salt, iterations, 'wrapKey'), aad, 'PBKDF2-SHA256', iterations, salt);
  return OwnerKeyRecord.parse({ ...record, passphrase });
}
