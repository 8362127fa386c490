import { z } from 'zod';

/**
 * The anti-theft wire contract: every message between the agent, the anti-theft API, the worker and the owner's
 * browser, each with a version field. This folder imports nothing server-side (no Redis, ClickHouse or Koa), so the
 * agent bundle and the web app use it as it is. Sizes are bounded here, at the edge, for every reader.
 */
export const WIRE_VERSION = 1;
const v = z.literal(WIRE_VERSION);
const b64u = (min: number, max: number) => z.string().min(min).max(max).regex(/^[A-Za-z0-9_-]*$/, 'base64url');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex');

export const MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024;
/** A sealed payload holds interfaces, a position and traceroute hops: 64 KiB is far above a real one. */
export const MAX_PAYLOAD_B64 = 96 * 1024;
/** The JSON body of one report: payload, and a snapshot's ciphertext in base64url (4/3 of its bytes), plus slack. */
export const MAX_REPORT_BODY = MAX_PAYLOAD_B64 + Math.ceil(((MAX_SNAPSHOT_BYTES + 16) * 4) / 3) + 8 * 1024;

export const DeviceId = z.string().regex(/^dv_[0-9a-f]{24}$/, 'a device id (dv_ and 24 hex digits)');
export const OwnerKeyId = z.string().regex(/^ok_[0-9a-f]{24}$/, 'an owner key id (ok_ and 24 hex digits)');
export const ServerKeyId = z.string().regex(/^sk_[0-9a-f]{24}$/, 'a server key id (sk_ and 24 hex digits)');
export const ReportId = z.string().uuid('a report id (UUID)');
export const Mode = z.enum(['normal', 'stolen']);
export type Mode = z.infer<typeof Mode>;

/** A raw Ed25519 public key (32 bytes) and a raw uncompressed P-256 point (65 bytes), base64url. */
export const Ed25519Public = b64u(43, 43);
export const P256Public = b64u(87, 87);

// ---- sealing --------------------------------------------------------------------------------------------------

/** Data sealed to the owner's report key (see seal.ts): only the owner's private key opens it. */
export const Sealed = z.object({
  v,
  alg: z.literal('P256-HKDF-SHA256-A256GCM'),
  epk: P256Public,
  iv: b64u(16, 16),
  ct: b64u(22, MAX_PAYLOAD_B64),
}).strict();
export type Sealed = z.infer<typeof Sealed>;

// ---- what the agent captures (sealed; never seen by the server in plaintext) ---------------------------------

export const Interface = z.object({
  name: z.string().max(64), address: z.string().max(64), family: z.enum(['IPv4', 'IPv6']), mac: z.string().max(32),
  internal: z.boolean(), cidr: z.string().max(80).nullable(),
});
export const PositionSource = z.enum(['geoclue', 'corelocation', 'command', 'ip']);
export const Position = z.object({
  lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), accuracyM: z.number().nonnegative().nullable(),
  source: PositionSource, at: z.number().int(),
});
export type Position = z.infer<typeof Position>;
export const Hop = z.object({ hop: z.number().int().min(1).max(255), address: z.string().max(64).nullable(), rttMs: z.array(z.number()).max(10) });
export const Traceroute = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), tool: z.enum(['traceroute', 'tracepath']), target: z.string().max(255), hops: z.array(Hop).max(64) }),
  z.object({ status: z.literal('unavailable'), target: z.string().max(255), error: z.string().max(500) }),
]);
export type Traceroute = z.infer<typeof Traceroute>;
export const SnapshotRecord = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), type: z.literal('image/jpeg'), key: b64u(43, 43), size: z.number().int().positive().max(MAX_SNAPSHOT_BYTES),
    sha256: hex64 }),
  z.object({ status: z.enum(['no-camera', 'too-large', 'failed']), error: z.string().max(500) }),
]);
export type SnapshotRecord = z.infer<typeof SnapshotRecord>;

/** The plaintext of a report's sealed payload. */
export const ReportContent = z.object({
  v,
  capturedAt: z.number().int(),
  hostname: z.string().max(255),
  platform: z.string().max(32),
  agentVersion: z.string().max(32),
  interfaces: z.array(Interface).max(128),
  position: Position.nullable(),
  positionError: z.string().max(500).optional(),
  traceroute: Traceroute.optional(),
  snapshot: SnapshotRecord.optional(),
});
export type ReportContent = z.infer<typeof ReportContent>;

/** What the report endpoint learnt from the connection, sealed by the server to the owner and then forgotten. */
export const NetworkRecord = z.object({
  v,
  ip: z.string().max(64),
  city: z.string().max(200),
  region: z.string().max(200),
  country: z.string().max(8),
  position: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  accuracyKm: z.number().nullable(),
  source: z.literal('ip'),
  receivedAt: z.number().int(),
});
export type NetworkRecord = z.infer<typeof NetworkRecord>;

// ---- the report envelope (what the agent signs, queues and sends) ---------------------------------------------

export const Trigger = z.enum(['startup', 'schedule', 'network-change', 'mode-change']);
/** In the clear (the server routes and checks by it) and bound to the payload as AES-GCM additional data. */
export const ReportHeader = z.object({
  v,
  ownerKeyId: OwnerKeyId,
  deviceId: DeviceId,
  reportId: ReportId,
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  mode: Mode,
  /** reportHash of the device's previous report, '' for its first. */
  prevHash: z.union([hex64, z.literal('')]),
  capturedAt: z.number().int().min(0),
  trigger: Trigger,
}).strict();
export type ReportHeader = z.infer<typeof ReportHeader>;

export const SnapshotCipher = z.object({
  iv: b64u(16, 16),
  size: z.number().int().positive().max(MAX_SNAPSHOT_BYTES + 16),
  sha256: hex64, // of the ciphertext bytes
}).strict();
export const ReportEnvelope = z.object({
  v,
  header: ReportHeader,
  payload: Sealed,
  snapshot: SnapshotCipher.extend({ ct: z.string().max(Math.ceil(((MAX_SNAPSHOT_BYTES + 16) * 4) / 3)).regex(/^[A-Za-z0-9_-]*$/, 'base64url') }).strict().nullable(),
  /** Ed25519 by the device key over signedReportBytes(). */
  sig: b64u(86, 86),
}).strict();
export type ReportEnvelope = z.infer<typeof ReportEnvelope>;

// ---- enrollment and check-in ------------------------------------------------------------------------------------

export const EnrollmentCode = z.string().regex(/^[0-9A-Za-z-]{8,24}$/, 'an enrollment code (as shown in the dashboard)');
export const EnrollRequest = z.object({
  v,
  code: EnrollmentCode,
  publicKey: Ed25519Public,
  name: z.string().min(1).max(100),
  platform: z.string().max(32),
  agentVersion: z.string().max(32),
}).strict();
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const PublicOwnerKey = z.object({ keyId: OwnerKeyId, publicKey: P256Public, fingerprint: z.string() });
export type PublicOwnerKey = z.infer<typeof PublicOwnerKey>;
export const PublicServerKey = z.object({ keyId: ServerKeyId, publicKey: Ed25519Public, fingerprint: z.string(), createdAt: z.number().int() });
export type PublicServerKey = z.infer<typeof PublicServerKey>;

/** The server's countersignature of a report it received. */
export const Receipt = z.object({
  v,
  deviceId: DeviceId,
  reportId: ReportId,
  sequence: z.number().int(),
  reportHash: hex64,
  receivedAt: z.number().int(),
  serverKeyId: ServerKeyId,
  sig: b64u(86, 86),
}).strict();
export type Receipt = z.infer<typeof Receipt>;

export const Action = z.enum(['continue', 'forget']);
/** The server's answer to every check-in and report, signed so a network attacker cannot switch an agent off. */
export const CheckinAnswer = z.object({
  v,
  deviceId: DeviceId,
  mode: Mode,
  action: Action,
  reportIntervalS: z.number().int().positive(),
  checkInIntervalS: z.number().int().positive(),
  serverTime: z.number().int(),
  ownerKeyId: OwnerKeyId,
  accepted: Receipt.nullable(),
}).strict();
export type CheckinAnswer = z.infer<typeof CheckinAnswer>;
export const SignedAnswer = z.object({ answer: CheckinAnswer, serverKeyId: ServerKeyId, sig: b64u(86, 86) }).strict();
export type SignedAnswer = z.infer<typeof SignedAnswer>;

export const EnrollAnswer = z.object({
  v,
  deviceId: DeviceId,
  deviceFingerprint: z.string(),
  ownerKey: PublicOwnerKey,
  serverKey: PublicServerKey,
  signed: SignedAnswer,
}).strict();
export type EnrollAnswer = z.infer<typeof EnrollAnswer>;

// ---- the owner's report key, as the server keeps it (public half + two wrapped copies of the private half) ----

export const WrappedKey = z.object({
  kdf: z.enum(['PBKDF2-SHA256', 'HKDF-SHA256']),
  iterations: z.number().int().min(0).max(10_000_000),
  salt: b64u(22, 64),
  iv: b64u(16, 16),
  ct: b64u(100, 400),
}).strict();
export type WrappedKey = z.infer<typeof WrappedKey>;
export const MIN_PBKDF2_ITERATIONS = 600_000;
export const OwnerKeyRecord = z.object({
  v,
  keyId: OwnerKeyId,
  publicKey: P256Public,
  passphrase: WrappedKey.refine((w) => w.kdf === 'PBKDF2-SHA256' && w.iterations >= MIN_PBKDF2_ITERATIONS,
    `the passphrase wrap must be PBKDF2-SHA256 with at least ${MIN_PBKDF2_ITERATIONS} iterations`),
  recovery: WrappedKey.refine((w) => w.kdf === 'HKDF-SHA256', 'the recovery wrap must be HKDF-SHA256'),
}).strict();
export type OwnerKeyRecord = z.infer<typeof OwnerKeyRecord>;
