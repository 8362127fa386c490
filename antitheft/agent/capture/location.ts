import { platform } from 'node:os';
import type { Position } from '../../../core/antitheft/schemas.ts';
import { findProgram, runCommand } from './run-command.ts';

export type { Position };
type Fix = Omit<Position, 'source' | 'at'>;

const valid = (lat: number, lon: number) => Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;

/** GeoClue's where-am-i: blocks of "Latitude: 48.858370°", "Longitude: ...", "Accuracy: 20.000000 meters"; the last complete one counts. */
export function parseWhereAmI(text: string): Fix | null {
  let lat: number | null = null;
  let lon: number | null = null;
  let acc: number | null = null;
  let found: Fix | null = null;
  for (const line of text.split('\n')) {
    const m = /^\s*(Latitude|Longitude|Accuracy):\s*(-?[\d.]+)/i.exec(line);
    if (!m) continue;
    const v = Number(m[2]);
    const key = m[1]!.toLowerCase();
    if (key === 'latitude') { lat = v; lon = null; acc = null; }
    else if (key === 'longitude') lon = v;
    else acc = v;
    if (lat !== null && lon !== null && key !== 'latitude' && valid(lat, lon)) found = { lat, lon, accuracyM: acc };
  }
  return found;
}

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/** CoreLocationCLI -json, or a configured command's JSON: {lat|latitude, lon|lng|longitude, accuracy|accuracyM|h_accuracy}. */
export function parseLocationJson(text: string): Fix | null {
  let o: Record<string, unknown>;
  try { o = JSON.parse(text) as Record<string, unknown>; } catch { return null; }
  if (!o || typeof o !== 'object') return null;
  const lat = num(o.lat ?? o.latitude);
  const lon = num(o.lon ?? o.lng ?? o.longitude);
  const accRaw = num(o.accuracy ?? o.accuracyM ?? o.h_accuracy ?? o.horizontalAccuracy);
  return valid(lat, lon) ? { lat, lon, accuracyM: Number.isFinite(accRaw) && accRaw >= 0 ? accRaw : null } : null;
}
export const parseCoreLocationJson = parseLocationJson;

const GEOCLUE = ['/usr/libexec/geoclue-2.0/demos/where-am-i', '/usr/lib/geoclue-2.0/demos/where-am-i', 'where-am-i'];

/** The OS position fix, from a configured command, GeoClue (Linux) or CoreLocationCLI (macOS); null with the reason otherwise. */
export async function capturePosition(cfg: { command?: string[]; timeoutMs?: number }): Promise<{ position: Position | null; error?: string }> {
  const timeoutMs = cfg.timeoutMs ?? 30_000;
  let argv: string[];
  let source: Position['source'];
  if (cfg.command) { argv = cfg.command; source = 'command'; }
  else if (platform() === 'linux' && findProgram(GEOCLUE)) { argv = [findProgram(GEOCLUE)!, '-t', '20']; source = 'geoclue'; }
  else if (platform() === 'darwin' && findProgram(['CoreLocationCLI', '/usr/local/bin/CoreLocationCLI', '/opt/homebrew/bin/CoreLocationCLI'])) {
    argv = [findProgram(['CoreLocationCLI', '/usr/local/bin/CoreLocationCLI', '/opt/homebrew/bin/CoreLocationCLI'])!, '-json']; source = 'corelocation';
  } else {
    return { position: null, error: 'no location service found (GeoClue where-am-i on Linux, CoreLocationCLI on macOS, or locationCommand in config.json)' };
  }
  const r = await runCommand(argv, { timeoutMs, maxBytes: 64 * 1024 });
  if (!r.ok && r.stdout.length === 0) return { position: null, error: r.error ?? 'the location command failed' };
  const text = r.stdout.toString('utf8');
  const fix = text.trim().startsWith('{') ? parseLocationJson(text) : parseWhereAmI(text);
  if (!fix) return { position: null, error: 'the location command printed no valid position' };
  return { position: { ...fix, source, at: Date.now() } };
}
