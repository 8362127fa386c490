import type { AgentDownloadInfo, DeviceView, EnrollmentCodeView, ReportRowView, SnapshotView } from '../../../../../core/antitheft/owner-api.ts';
import type { Mode, OwnerKeyRecord, PublicServerKey, WrappedKey } from '../../../../../core/antitheft/schemas.ts';
import { ApiError, api, type RequestOptions } from './client.ts';

/** Typed calls of the anti-theft owner API (antitheft/api/owner-routes.ts); every one needs the signed-in session. */
const id = encodeURIComponent;
const base = '/api/antitheft';
const device = (deviceId: string) => `${base}/devices/${id(deviceId)}`;

/** The device as the reports endpoint describes it: what an evidence export's manifest names. */
export interface ReportDevice { deviceId: string; publicKey: string; fingerprint: string; name: string }
export interface ReportsPage { reports: ReportRowView[]; device: ReportDevice }
export interface OwnerKeyInfo { key: OwnerKeyRecord | null; fingerprint: string | null }
export interface DeviceList { devices: DeviceView[]; serverTime: number }

/** The most the reports endpoint answers in one page. */
export const REPORT_PAGE = 200;

export const antitheft = {
  key: (opts?: RequestOptions) => api.get<OwnerKeyInfo>(`${base}/key`, opts),
  /** Turning anti-theft on: the record made in this page (public key and two wrapped copies of the private one). */
  turnOn: (record: OwnerKeyRecord) => api.put<{ key: OwnerKeyRecord; fingerprint: string }>(`${base}/key`, record),
  changePassphrase: (passphrase: WrappedKey) => api.patch<{ key: OwnerKeyRecord }>(`${base}/key`, { passphrase }).then((r) => r.key),
  /** Deletes every report, snapshot and the key; devices are told to forget theirs. */
  turnOff: () => api.delete(`${base}/key`),

  newCode: (name: string) => api.post<EnrollmentCodeView>(`${base}/enrollment-codes`, { name }),
  devices: (opts?: RequestOptions) => api.get<DeviceList>(`${base}/devices`, opts),
  device: (deviceId: string, opts?: RequestOptions) => api.get<{ device: DeviceView }>(device(deviceId), opts).then((r) => r.device),
  update: (deviceId: string, change: { name?: string; mode?: Mode }) => api.patch<{ device: DeviceView }>(device(deviceId), change).then((r) => r.device),
  deactivate: (deviceId: string) => api.post<{ device: DeviceView }>(`${device(deviceId)}/deactivate`).then((r) => r.device),
  revoke: (deviceId: string) => api.post<{ device: DeviceView }>(`${device(deviceId)}/revoke`).then((r) => r.device),
  remove: (deviceId: string) => api.delete(device(deviceId)),

  /** Newest first, `limit` at a time, below sequence `before`. */
  reports: (deviceId: string, page: { limit?: number; before?: number } = {}, opts?: RequestOptions) => {
    const qs = new URLSearchParams();
    if (page.limit) qs.set('limit', String(page.limit));
    if (page.before) qs.set('before', String(page.before));
    return api.get<ReportsPage>(`${device(deviceId)}/reports${qs.size ? `?${qs}` : ''}`, opts);
  },
  snapshot: (deviceId: string, reportId: string, opts?: RequestOptions) =>
    api.get<SnapshotView>(`${device(deviceId)}/reports/${id(reportId)}/snapshot`, opts),
  serverKeys: () => api.get<{ keys: PublicServerKey[] }>(`${base}/server-keys`).then((r) => r.keys),
  /** The agent download (public); null when the server has not built it. */
  agentInfo: () => api.get<AgentDownloadInfo>(`${base}/agent/info`).catch((err) => {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }),
};

/** Every report of a device, paging down by sequence: for an evidence export. */
export async function allReports(deviceId: string, onpage?: (count: number) => void): Promise<ReportsPage> {
  const first = await antitheft.reports(deviceId, { limit: REPORT_PAGE });
  const reports = [...first.reports];
  let last = first.reports;
  while (last.length === REPORT_PAGE) {
    onpage?.(reports.length);
    last = (await antitheft.reports(deviceId, { limit: REPORT_PAGE, before: last[last.length - 1]!.sequence })).reports;
    reports.push(...last);
  }
  return { reports, device: first.device };
}
