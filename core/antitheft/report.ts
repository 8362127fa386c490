import { fromB64u, fromUtf8, sha256Hex, toB64u, utf8, webDigest, type Digest } from './encoding.ts';
import { NetworkRecord, ReportContent, WIRE_VERSION, type ReportEnvelope, type ReportHeader, type Sealed } from './schemas.ts';
import { openWithKey, seal, sealedKey, sealSnapshot, openSnapshot, type SealBackend } from './seal.ts';
import { headerAad, reportBytes, signedParts, type Signer, type Verifier } from './signing.ts';

/**
 * A report from capture to the owner's screen: the agent seals the content to the owner's key and signs the whole
 * (sealReport); the server checks the signature (verifyReport) and seals what it saw of the connection
 * (sealNetwork); the owner's browser opens both (openReport, openNetwork).
 */
export type SnapshotInput = { status: 'ok'; bytes: Uint8Array } | { status: 'no-camera' | 'too-large' | 'failed'; error: string };
export type ContentInput = Omit<ReportContent, 'v' | 'snapshot'>;

export async function sealReport(backend: SealBackend, sign: Signer, ownerPublic: Uint8Array, header: ReportHeader,
  content: ContentInput, snapshot?: SnapshotInput): Promise<ReportEnvelope> {
  let snapshotCipher: ReportEnvelope['snapshot'] = null;
  let record: ReportContent['snapshot'];
  if (snapshot?.status === 'ok') {
    const s = await sealSnapshot(backend, snapshot.bytes, header.deviceId, header.reportId);
    snapshotCipher = { iv: toB64u(s.iv), size: s.ciphertext.length, sha256: await sha256Hex(s.ciphertext), ct: toB64u(s.ciphertext) };
    record = { status: 'ok', type: 'image/jpeg', key: toB64u(s.key), size: snapshot.bytes.length, sha256: await sha256Hex(snapshot.bytes) };
  } else if (snapshot) {
    record = { status: snapshot.status, error: snapshot.error };
  }
  const full: ReportContent = { v: WIRE_VERSION, ...content, ...(record ? { snapshot: record } : {}) };
  const payload = await seal(backend, ownerPublic, 'report', utf8(JSON.stringify(full)), headerAad(header));
  const parts = { header, payload, snapshot: snapshotCipher && { iv: snapshotCipher.iv, size: snapshotCipher.size, sha256: snapshotCipher.sha256 } };
  const sig = await sign(reportBytes(parts));
  return { v: WIRE_VERSION, header, payload, snapshot: snapshotCipher, sig: toB64u(sig) };
}

/** The device's signature, and that the snapshot ciphertext is the one it signed. */
export async function verifyReport(verify: Verifier, devicePublic: Uint8Array, e: ReportEnvelope, digest: Digest = webDigest): Promise<boolean> {
  if (!(await verify(devicePublic, reportBytes(signedParts(e)), fromB64u(e.sig)))) return false;
  if (!e.snapshot) return true;
  const ct = fromB64u(e.snapshot.ct);
  return ct.length === e.snapshot.size && (await sha256Hex(ct, digest)) === e.snapshot.sha256;
}

export async function sealNetwork(backend: SealBackend, ownerPublic: Uint8Array, header: ReportHeader, record: NetworkRecord): Promise<Sealed> {
  return seal(backend, ownerPublic, 'network', utf8(JSON.stringify(record)), headerAad(header));
}

export interface OpenedReport { content: ReportContent; key: Uint8Array }

/** Opens a report's payload with the owner's private key; `key` is its one-time key (for an evidence export). */
export async function openReport(ownerPrivate: CryptoKey, ownerPublic: Uint8Array, header: ReportHeader, payload: Sealed): Promise<OpenedReport> {
  const key = await sealedKey(ownerPrivate, ownerPublic, 'report', payload);
  return { content: await openReportWithKey(key, header, payload), key };
}

export async function openReportWithKey(key: Uint8Array, header: ReportHeader, payload: Sealed): Promise<ReportContent> {
  return ReportContent.parse(JSON.parse(fromUtf8(await openWithKey(key, payload, headerAad(header)))));
}

export async function openNetwork(ownerPrivate: CryptoKey, ownerPublic: Uint8Array, header: ReportHeader, sealed: Sealed): Promise<{ record: NetworkRecord; key: Uint8Array }> {
  const key = await sealedKey(ownerPrivate, ownerPublic, 'network', sealed);
  return { record: await openNetworkWithKey(key, header, sealed), key };
}

export async function openNetworkWithKey(key: Uint8Array, header: ReportHeader, sealed: Sealed): Promise<NetworkRecord> {
  return NetworkRecord.parse(JSON.parse(fromUtf8(await openWithKey(key, sealed, headerAad(header)))));
}

/** A snapshot's image, from its ciphertext and the key that the opened payload carries. */
export async function openReportSnapshot(content: ReportContent, header: ReportHeader, iv: string, ciphertext: Uint8Array): Promise<Uint8Array> {
  if (content.snapshot?.status !== 'ok') throw new Error('this report has no snapshot');
  return openSnapshot(fromB64u(content.snapshot.key), fromB64u(iv), ciphertext, header.deviceId, header.reportId);
}
