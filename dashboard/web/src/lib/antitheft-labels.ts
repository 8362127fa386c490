import type { DeviceView } from '../../../../core/antitheft/owner-api.ts';
import type { Position, ReportHeader } from '../../../../core/antitheft/schemas.ts';
import { countryName } from './dimensions.ts';
import type { OpenedReport } from './state/vault.svelte.ts';

/** How the anti-theft pages word times, positions and device states. */
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [['second', 60], ['minute', 60], ['hour', 24], ['day', 30], ['month', 12], ['year', Infinity]];

/** 1712… → "3 minutes ago", "in 40 seconds"; null → "never". */
export function relative(at: number | null, now = Date.now()): string {
  if (at === null) return 'never';
  let v = (at - now) / 1000;
  if (Math.abs(v) < 5) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(v) < size) return rtf.format(Math.round(v), unit);
    v /= size;
  }
  return rtf.format(Math.round(v), 'year');
}

const stamp = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
/** A moment in the browser's time zone: "24 Nov 2026, 10:31:05". */
export const when = (at: number) => stamp.format(at);

export const SOURCE_LABELS: Record<Position['source'], string> = {
  geoclue: 'OS location (geoclue)',
  corelocation: 'OS location (Core Location)',
  command: 'Location command',
  ip: 'IP address (city level)',
};

export const TRIGGER_LABELS: Record<ReportHeader['trigger'], string> = {
  startup: 'Agent started', schedule: 'Scheduled', 'network-change': 'Network changed', 'mode-change': 'Mode changed',
};

export const STATUS_LABELS: Record<DeviceView['status'], string> = { active: 'Active', revoked: 'Key revoked', deactivated: 'Deactivated' };

/** Metres or kilometres: "±20 m", "±25 km"; null → "accuracy unknown". */
export function accuracy(metres: number | null): string {
  if (metres === null) return 'accuracy unknown';
  return metres < 1000 ? `±${Math.round(metres)} m` : `±${Math.round(metres / 1000)} km`;
}

/** Where a report places the device: the agent's own fix, else the server's look-up of the address it came from. */
export interface Located { lat: number; lon: number; at: number; source: string; precise: boolean; accuracyM: number | null }

export function locate(r: OpenedReport): Located | null {
  const p = r.content.position;
  if (p) return { lat: p.lat, lon: p.lon, at: r.header.capturedAt, source: SOURCE_LABELS[p.source], precise: p.source !== 'ip', accuracyM: p.accuracyM };
  const n = r.network;
  if (n.position) return { lat: n.position.lat, lon: n.position.lon, at: r.header.capturedAt, source: SOURCE_LABELS.ip, precise: false,
    accuracyM: n.accuracyKm === null ? null : n.accuracyKm * 1000 };
  return null;
}

/** "Paris, Île-de-France, France" from the network record, leaving out what the look-up did not know. */
export const place = (r: OpenedReport) =>
  [r.network.city, r.network.region, r.network.country && countryName(r.network.country)].filter(Boolean).join(', ');
