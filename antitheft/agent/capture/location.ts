import type { Position } from '../../../core/antitheft/schemas.ts';
import { runCommand, thisHost, type Host } from './run-command.ts';

export type { Position };
/** A position as a parser reads it; capturePosition adds where it came from and when. */
export type Fix = Pick<Position, 'lat' | 'lon' | 'accuracyM'>;

const validFix = (lat: number, lon: number, acc: number | null): Fix | null =>
  Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180
    ? { lat, lon, accuracyM: acc !== null && Number.isFinite(acc) && acc >= 0 ? acc : null }
    : null;

/**
 * GeoClue's where-am-i: "New location:" blocks of "Latitude:    48.858370°", "Longitude:   2.294481°",
 * "Accuracy:    20.000000 meters"; later blocks are better fixes, so the last complete one counts, and an impossible
 * one is no position (not an earlier block instead). A decimal comma (printf in some locales) is read too.
 */
export function parseWhereAmI(text: string): Fix | null {
  type Block = { lat: number | null; lon: number | null; acc: number | null };
  const blocks: Block[] = [];
  let cur: Block | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*New location:/i.test(line)) { cur = null; continue; }
    const m = /^\s*(Latitude|Longitude|Accuracy):\s*([-+]?\d+(?:[.,]\d+)?)/i.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const v = Number(m[2]!.replace(',', '.'));
    if (!cur || (key === 'latitude' && cur.lat !== null)) blocks.push(cur = { lat: null, lon: null, acc: null });
    if (key === 'latitude') cur.lat = v;
    else if (key === 'longitude') cur.lon = v;
    else cur.acc = v;
  }
  const last = blocks.filter((b) => b.lat !== null && b.lon !== null).at(-1);
  return last ? validFix(last.lat!, last.lon!, last.acc) : null;
}

const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN);

/** The JSON object in a command's output: all of it, or else its last line that is one (a tool that logs first). */
function jsonObject(text: string): Record<string, unknown> | null {
  const candidates = [text.trim(), ...text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('{')).reverse()];
  for (const c of candidates) {
    try {
      const o: unknown = JSON.parse(c);
      if (o && typeof o === 'object' && !Array.isArray(o)) return o as Record<string, unknown>;
    } catch { /* try the next */ }
  }
  return null;
}

/** A command's JSON: {lat|latitude, lon|lng|longitude, accuracy|accuracyM|h_accuracy|horizontalAccuracy}, numbers or numeric strings. */
export function parseLocationJson(text: string): Fix | null {
  const o = jsonObject(text);
  if (!o) return null;
  const acc = num(o.accuracy ?? o.accuracyM ?? o.h_accuracy ?? o.horizontalAccuracy);
  return validFix(num(o.lat ?? o.latitude), num(o.lon ?? o.lng ?? o.longitude), Number.isNaN(acc) ? null : acc);
}

/** CoreLocationCLI -json: {"latitude":..,"longitude":..,"h_accuracy":..} (strings in older versions). */
export function parseCoreLocationJson(text: string): Fix | null {
  const o = jsonObject(text);
  if (!o) return null;
  const acc = num(o.h_accuracy ?? o.horizontalAccuracy);
  return validFix(num(o.latitude), num(o.longitude), Number.isNaN(acc) ? null : acc);
}

/** A configured location command may print either JSON or where-am-i's text. */
export function parseCommandOutput(text: string): Fix | null {
  return text.trimStart().startsWith('{') ? parseLocationJson(text) : parseWhereAmI(text);
}

const GEOCLUE = ['/usr/libexec/geoclue-2.0/demos/where-am-i', '/usr/lib/geoclue-2.0/demos/where-am-i', 'where-am-i'];
// launchd's PATH has neither Homebrew prefix, hence the absolute paths.
const CORELOCATION = ['CoreLocationCLI', '/opt/homebrew/bin/CoreLocationCLI', '/usr/local/bin/CoreLocationCLI'];

interface Plan { source: Position['source']; attempts: string[][]; parse: (text: string) => Fix | null }

function plan(cfg: { command?: string[] }, timeoutMs: number, host: Host): Plan | null {
  if (cfg.command) return { source: 'command', attempts: [cfg.command], parse: parseCommandOutput };
  if (host.platform === 'linux') {
    const bin = host.find(GEOCLUE);
    // where-am-i keeps listening until -t runs out: leave it time to exit by itself before the kill.
    const t = String(Math.max(1, Math.min(20, Math.floor(timeoutMs / 1000) - 5)));
    return bin ? { source: 'geoclue', attempts: [[bin, '-t', t]], parse: parseWhereAmI } : null;
  }
  if (host.platform === 'darwin') {
    const bin = host.find(CORELOCATION);
    // CoreLocationCLI 4 takes --json, older versions -json.
    return bin ? { source: 'corelocation', attempts: [[bin, '--json'], [bin, '-json']], parse: parseCoreLocationJson } : null;
  }
  return null;
}

/** The OS position fix, from a configured command, GeoClue (Linux) or CoreLocationCLI (macOS); null with the reason otherwise. */
export async function capturePosition(cfg: { command?: string[]; timeoutMs?: number }, host: Host = thisHost): Promise<{ position: Position | null; error?: string }> {
  const timeoutMs = cfg.timeoutMs ?? 30_000;
  const p = plan(cfg, timeoutMs, host);
  if (!p) return { position: null, error: 'no location service found (GeoClue where-am-i on Linux, CoreLocationCLI on macOS, or locationCommand in config.json)' };
  const deadline = Date.now() + timeoutMs;
  let error = 'no location command ran';
  for (const argv of p.attempts) {
    const left = deadline - Date.now();
    if (left < 1000) break;
    const r = await runCommand(argv, { timeoutMs: left, maxBytes: 64 * 1024 });
    const text = r.stdout.toString('utf8');
    const fix = text.trim() ? p.parse(text) : null; // where-am-i can exit non-zero after printing a fix
    if (fix) return { position: { ...fix, source: p.source, at: Date.now() } };
    error = text.trim()
      ? `${argv[0]} printed no valid position (missing, or latitude/longitude out of range): ${JSON.stringify(text.trim().slice(0, 120))}`
      : r.error ?? `${argv[0]} printed nothing`;
    if (r.error?.includes('did not finish')) break; // another attempt would time out too
  }
  return { position: null, error: error.slice(0, 500) };
}
