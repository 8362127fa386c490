import { z } from 'zod';
import { Mode, OwnerKeyRecord, WrappedKey } from './schemas.ts';

/** The owner API's requests and answers, shared by the server's routes and the dashboard's web app. */
export interface DeviceView {
  deviceId: string;
  name: string;
  platform: string;
  agentVersion: string;
  fingerprint: string;
  mode: Mode;
  status: 'active' | 'revoked' | 'deactivated';
  createdAt: number;
  modeChangedAt: number;
  lastContactAt: number | null;
  lastReportAt: number | null;
  nextReportDueAt: number | null;
  reports: number;
  snapshots: number;
  /** A stolen device that has missed two reports: since when. */
  silentSince: number | null;
}

/** One stored report as the owner's browser receives it: the clear header and receipt, the rest sealed. */
export interface ReportRowView {
  reportId: string;
  sequence: number;
  receivedAt: number;
  capturedAt: number;
  mode: Mode;
  header: string;
  payload: string;
  network: string;
  signature: string;
  reportHash: string;
  receipt: string;
  snapshotSize: number;
  snapshotHash: string;
}

export interface SnapshotView { iv: string; ct: string; size: number; sha256: string }

export interface EnrollmentCodeView { code: string; expiresAt: number; command: string; downloadUrl: string; sha256: string | null }

export interface AgentDownloadInfo { version: string; sha256: string; size: number; url: string }

export const PutOwnerKey = OwnerKeyRecord;
export const ChangePassphrase = z.object({ passphrase: WrappedKey }).strict();
export const NewEnrollmentCode = z.object({ name: z.string().max(100).default('') }).strict();
export const DeviceChange = z.object({ name: z.string().min(1).max(100).optional(), mode: Mode.optional() }).strict()
  .refine((c) => c.name !== undefined || c.mode !== undefined, 'send a name or a mode');
export const ReportPage = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  before: z.coerce.number().int().min(1).optional(),
}).strict();
