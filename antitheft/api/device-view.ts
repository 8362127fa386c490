import type { DeviceView } from '../../core/antitheft/owner-api.ts';
import type { DeviceRow } from '../store/owner.ts';
import type { LastSeen } from './device-directory.ts';

export interface Intervals { reportIntervalS: number; stolenIntervalS: number; checkInIntervalS: number }

/**
 * When a stolen device counts as silent: it has missed two reports. Its first stolen report is due at its next
 * check-in after being marked stolen; then every stolen interval. A little grace covers a slow network.
 */
export function silentSince(d: Pick<DeviceRow, 'mode' | 'status' | 'modeChangedAt'>, seen: LastSeen | undefined, iv: Intervals, now = Date.now()): number | null {
  if (d.mode !== 'stolen' || d.status !== 'active') return null;
  const stolenMs = iv.stolenIntervalS * 1000;
  const lastReport = seen?.reportAt ?? 0;
  const base = lastReport > d.modeChangedAt ? lastReport : d.modeChangedAt + Math.min(iv.checkInIntervalS, iv.reportIntervalS) * 1000;
  const since = base + 2 * stolenMs + Math.min(60_000, stolenMs / 2);
  return now >= since ? since : null;
}

export function deviceView(d: DeviceRow, seen: LastSeen | undefined, stats: { reports: number; snapshots: number; lastReceivedAt: number } | undefined,
  iv: Intervals, now = Date.now()): DeviceView {
  const lastReportAt = Math.max(seen?.reportAt ?? 0, stats?.lastReceivedAt ?? 0) || null;
  const interval = (d.mode === 'stolen' ? iv.stolenIntervalS : iv.reportIntervalS) * 1000;
  return {
    deviceId: d.deviceId, name: d.name, platform: d.platform, agentVersion: d.agentVersion, fingerprint: d.fingerprint, mode: d.mode,
    status: d.status === 'removed' ? 'deactivated' : d.status, createdAt: d.createdAt, modeChangedAt: d.modeChangedAt,
    lastContactAt: seen?.contactAt ?? null, lastReportAt, nextReportDueAt: d.status === 'active' && lastReportAt ? lastReportAt + interval : null,
    reports: stats?.reports ?? 0, snapshots: stats?.snapshots ?? 0, silentSince: silentSince(d, seen && { ...seen, reportAt: lastReportAt ?? 0 }, iv, now),
  };
}
