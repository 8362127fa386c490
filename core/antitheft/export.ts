import { z } from 'zod';
import { fromB64u, sha256Hex, toB64u, utf8, fromUtf8 } from './encoding.ts';
import { openNetworkWithKey, openReportWithKey } from './report.ts';
import { NetworkRecord, PublicServerKey, Receipt, ReportContent, ReportHeader, Sealed, SnapshotCipher } from './schemas.ts';
import { sealedKey, openSnapshot } from './seal.ts';
import { partsHash, receiptBytes, reportBytes, fingerprint, type Verifier } from './signing.ts';

/**
 * The evidence export an owner can hand to the police, built in the owner's browser and checked by
 * `vigil-agent verify`. Files (a zip):
 *   manifest.json          device key, owner key id, server keys, and the SHA-256 of every other file
 *   reports.json, .csv     the opened reports: positions, addresses, interfaces, traceroutes
 *   envelopes/<seq>.json   what the device signed (header, sealed payload, snapshot hash, signature), the server's
 *                          receipt, the sealed network record, and the one-time keys of that report's two sealed parts
 *   snapshots/<seq>.jpg    the opened camera snapshots
 * Revealing a report's one-time keys opens that report only; with them a verifier checks, without the owner's key,
 * that every line of reports.json is exactly what the device sealed and signed, and what the server countersigned.
 */
export const ExportEnvelope = z.object({
  v: z.literal(1),
  signed: z.object({ header: ReportHeader, payload: Sealed, snapshot: SnapshotCipher.nullable() }),
  sig: z.string(),
  receipt: Receipt,
  network: Sealed,
  keys: z.object({ payload: z.string(), network: z.string() }),
});
export type ExportEnvelope = z.infer<typeof ExportEnvelope>;

export const ExportedReport = z.object({
  sequence: z.number().int(), reportId: z.string(), mode: z.string(), trigger: z.string(), capturedAt: z.number(), receivedAt: z.number(),
  content: ReportContent, network: NetworkRecord, snapshot: z.string().nullable(),
});
export type ExportedReport = z.infer<typeof ExportedReport>;

export const Manifest = z.object({
  v: z.literal(1),
  kind: z.literal('vigil-antitheft-export'),
  exportedAt: z.number().int(),
  device: z.object({ deviceId: z.string(), name: z.string(), publicKey: z.string(), fingerprint: z.string() }),
  ownerKeyId: z.string(),
  serverKeys: z.array(PublicServerKey),
  reports: z.number().int(),
  files: z.record(z.string(), z.string()),
});
export type Manifest = z.infer<typeof Manifest>;

export interface StoredRow { sequence: number; receivedAt: number; header: string; payload: string; network: string; signature: string; receipt: string }

export interface ExportInput {
  device: Manifest['device'];
  ownerKeyId: string;
  ownerPrivate: CryptoKey;
  ownerPublic: Uint8Array;
  serverKeys: PublicServerKey[];
  rows: StoredRow[];
  /** The snapshot ciphertext of a report (fetched from the server), or null. */
  snapshot: (row: StoredRow, header: ReportHeader) => Promise<{ iv: string; ct: Uint8Array; size: number; sha256: string } | null>;
  now?: number;
}

const csvCell = (v: unknown) => { const s = v === null || v === undefined ? '' : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
const CSV_COLUMNS = ['sequence', 'report_id', 'mode', 'trigger', 'captured_at', 'received_at', 'position_source', 'lat', 'lon', 'accuracy_m',
  'ip', 'ip_city', 'ip_country', 'ip_lat', 'ip_lon', 'interfaces', 'traceroute_hops', 'snapshot'];

export function reportsCsv(reports: ExportedReport[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of reports) {
    const c = r.content;
    lines.push([r.sequence, r.reportId, r.mode, r.trigger, new Date(r.capturedAt).toISOString(), new Date(r.receivedAt).toISOString(),
      c.position?.source ?? '', c.position?.lat ?? '', c.position?.lon ?? '', c.position?.accuracyM ?? '', r.network.ip, r.network.city, r.network.country,
      r.network.position?.lat ?? '', r.network.position?.lon ?? '', c.interfaces.filter((i) => !i.internal).map((i) => `${i.name} ${i.address}`).join('; '),
      c.traceroute?.status === 'ok' ? c.traceroute.hops.map((h) => h.address ?? '*').join(' > ') : '', r.snapshot ?? ''].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Opens every report with the owner's key and lays out the export's files. */
export async function buildExport(input: ExportInput): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const reports: ExportedReport[] = [];
  for (const row of [...input.rows].sort((a, b) => a.sequence - b.sequence)) {
    const header = ReportHeader.parse(JSON.parse(row.header));
    const payload = Sealed.parse(JSON.parse(row.payload));
    const network = Sealed.parse(JSON.parse(row.network));
    const pKey = await sealedKey(input.ownerPrivate, input.ownerPublic, 'report', payload);
    const nKey = await sealedKey(input.ownerPrivate, input.ownerPublic, 'network', network);
    const content = await openReportWithKey(pKey, header, payload);
    const net = await openNetworkWithKey(nKey, header, network);
    const snap = content.snapshot?.status === 'ok' ? await input.snapshot(row, header) : null;
    let snapshotPath: string | null = null;
    if (snap && content.snapshot?.status === 'ok') {
      const image = await openSnapshot(fromB64u(content.snapshot.key), fromB64u(snap.iv), snap.ct, header.deviceId, header.reportId);
      snapshotPath = `snapshots/${header.sequence}.jpg`;
      files.set(snapshotPath, image);
    }
    const env: ExportEnvelope = { v: 1, signed: { header, payload, snapshot: snap ? { iv: snap.iv, size: snap.size, sha256: snap.sha256 } : null },
      sig: row.signature, receipt: Receipt.parse(JSON.parse(row.receipt)), network, keys: { payload: toB64u(pKey), network: toB64u(nKey) } };
    files.set(`envelopes/${header.sequence}.json`, utf8(JSON.stringify(env, null, 2)));
    reports.push({ sequence: header.sequence, reportId: header.reportId, mode: header.mode, trigger: header.trigger, capturedAt: header.capturedAt,
      receivedAt: row.receivedAt, content, network: net, snapshot: snapshotPath });
  }
  files.set('reports.json', utf8(JSON.stringify(reports, null, 2)));
  files.set('reports.csv', utf8(reportsCsv(reports)));
  const hashes: Record<string, string> = {};
  for (const [path, bytes] of files) hashes[path] = await sha256Hex(bytes);
  const manifest: Manifest = { v: 1, kind: 'vigil-antitheft-export', exportedAt: input.now ?? Date.now(), device: input.device, ownerKeyId: input.ownerKeyId,
    serverKeys: input.serverKeys, reports: reports.length, files: hashes };
  files.set('manifest.json', utf8(JSON.stringify(manifest, null, 2)));
  return files;
}

export interface VerifyResult { ok: boolean; problems: string[]; notes: string[]; reports: number; deviceFingerprint: string | null }

/** Checks an export's files: hashes, device signatures, server receipts, the hash chain, and the opened contents. */
export async function verifyExport(files: Map<string, Uint8Array>, verify: Verifier): Promise<VerifyResult> {
  const problems: string[] = [];
  const notes: string[] = [];
  const raw = files.get('manifest.json');
  if (!raw) return { ok: false, problems: ['manifest.json is missing'], notes, reports: 0, deviceFingerprint: null };
  const m = Manifest.safeParse(JSON.parse(fromUtf8(raw)));
  if (!m.success) return { ok: false, problems: [`manifest.json is not a Vigil export manifest: ${m.error.issues[0]?.message}`], notes, reports: 0, deviceFingerprint: null };
  const manifest = m.data;
  for (const [path, hash] of Object.entries(manifest.files)) {
    const bytes = files.get(path);
    if (!bytes) problems.push(`${path} is listed in the manifest but missing`);
    else if ((await sha256Hex(bytes)) !== hash) problems.push(`${path} was changed after the export (its SHA-256 differs from the manifest)`);
  }
  for (const path of files.keys()) if (path !== 'manifest.json' && !(path in manifest.files)) problems.push(`${path} is not listed in the manifest`);
  const fp = await fingerprint('device', manifest.device.publicKey);
  if (fp !== manifest.device.fingerprint) problems.push('the device fingerprint in the manifest is not that of its public key');
  const devicePub = fromB64u(manifest.device.publicKey);
  const opened = ExportedReport.array().safeParse(JSON.parse(fromUtf8(files.get('reports.json') ?? utf8('[]'))));
  if (!opened.success) problems.push('reports.json does not hold reports');
  const bySeq = new Map((opened.success ? opened.data : []).map((r) => [r.sequence, r]));
  const hashes = new Map<number, string>();
  const envelopes = [...files.keys()].filter((p) => /^envelopes\/\d+\.json$/.test(p)).sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  for (const path of envelopes) {
    const e = ExportEnvelope.safeParse(JSON.parse(fromUtf8(files.get(path)!)));
    if (!e.success) { problems.push(`${path}: not an export envelope`); continue; }
    const env = e.data;
    const h = env.signed.header;
    const at = `report ${h.sequence}`;
    if (h.deviceId !== manifest.device.deviceId) problems.push(`${at}: from another device`);
    if (!(await verify(devicePub, reportBytes(env.signed), fromB64u(env.sig)))) problems.push(`${at}: the device signature does not verify`);
    const hash = await partsHash(env.signed, env.sig);
    hashes.set(h.sequence, hash);
    const r = env.receipt;
    const serverKey = manifest.serverKeys.find((k) => k.keyId === r.serverKeyId);
    if (!serverKey) problems.push(`${at}: the receipt's server key is not in the manifest`);
    else if (!(await verify(fromB64u(serverKey.publicKey), receiptBytes(r), fromB64u(r.sig)))) problems.push(`${at}: the server receipt's signature does not verify`);
    if (r.reportHash !== hash || r.reportId !== h.reportId || r.sequence !== h.sequence) problems.push(`${at}: the receipt is for another report`);
    const report = bySeq.get(h.sequence);
    if (!report) { problems.push(`${at}: missing from reports.json`); continue; }
    try {
      const content = await openReportWithKey(fromB64u(env.keys.payload), h, env.signed.payload);
      if (JSON.stringify(content) !== JSON.stringify(report.content)) problems.push(`${at}: reports.json differs from what the device sealed`);
      const net = await openNetworkWithKey(fromB64u(env.keys.network), h, env.network);
      if (JSON.stringify(net) !== JSON.stringify(report.network)) problems.push(`${at}: reports.json's network record differs from what the server sealed`);
      if (content.snapshot?.status === 'ok') {
        const image = report.snapshot ? files.get(report.snapshot) : undefined;
        if (!image) problems.push(`${at}: its snapshot is missing`);
        else if ((await sha256Hex(image)) !== content.snapshot.sha256) problems.push(`${at}: the snapshot is not the one the device sealed`);
      }
    } catch (err) {
      problems.push(`${at}: ${(err as Error).message}`);
    }
  }
  const seqs = [...hashes.keys()].sort((a, b) => a - b);
  for (let i = 1; i < seqs.length; i++) {
    const [prev, cur] = [seqs[i - 1]!, seqs[i]!];
    const env = ExportEnvelope.parse(JSON.parse(fromUtf8(files.get(`envelopes/${cur}.json`)!)));
    if (cur === prev + 1) {
      if (env.signed.header.prevHash !== hashes.get(prev)) problems.push(`report ${cur}: its previous-report hash does not match report ${prev} (the chain is broken)`);
    } else {
      notes.push(`reports ${prev + 1}-${cur - 1} are not in this export (not delivered, dropped by the agent's queue limit, or expired)`);
    }
  }
  if (seqs.length !== manifest.reports) problems.push(`the manifest counts ${manifest.reports} reports, the export holds ${seqs.length}`);
  return { ok: problems.length === 0, problems, notes, reports: seqs.length, deviceFingerprint: fp };
}
