import { z } from 'zod';
import { DeviceId, Mode, ReportId } from './schemas.ts';

/**
 * The one job that crosses from the anti-theft API to the worker (BullMQ queue REPORT_QUEUE, job id = report id):
 * a verified report as it will be stored. Every field that could say where the device is stays sealed: header,
 * signature and receipt are in the clear, the payload, the server's network record and the snapshot are ciphertext.
 */
export const REPORT_QUEUE = 'antitheft-reports';

export const ReportJob = z.object({
  v: z.literal(1),
  ownerId: z.string().min(1).max(64),
  deviceId: DeviceId,
  reportId: ReportId,
  sequence: z.number().int().min(1),
  mode: Mode,
  capturedAt: z.number().int(),
  receivedAt: z.number().int(),
  /** JSON texts of the header, the sealed payload, the sealed network record and the receipt, stored as they are. */
  header: z.string(),
  payload: z.string(),
  network: z.string(),
  receipt: z.string(),
  signature: z.string(),
  reportHash: z.string().regex(/^[0-9a-f]{64}$/),
  reportSize: z.number().int().nonnegative(),
  /**
   * The snapshot's ciphertext (base64url, up to ~2.7 MB) is not in the job: the API writes it to snapshotKey() just
   * before it adds the job, and the worker reads it there, so BullMQ never encodes, copies and parses it. `ct` inline
   * is what jobs queued by an earlier version carry; the worker still accepts them.
   */
  snapshot: z.object({ iv: z.string(), size: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/), ct: z.string().optional() }).nullable(),
});
export type ReportJob = z.infer<typeof ReportJob>;

/**
 * Set by the API when an owner deactivates or removes a device (or turns anti-theft off): the worker drops that
 * device's jobs still in the queue instead of storing them after the deletion.
 */
export const goneDeviceKey = (prefix: string, deviceId: string) => `${prefix}at:gone:${deviceId}`;

/** A queued report's snapshot ciphertext, from the API's acceptance until the worker's job for it is completed. */
export const snapshotKey = (prefix: string, reportId: string) => `${prefix}at:snap:${reportId}`;
