import type { Traceroute } from '../../../core/antitheft/schemas.ts';
import { runCommand, thisHost, type Host } from './run-command.ts';

export type { Traceroute };
export type Hop = { hop: number; address: string | null; rttMs: number[] };

// The contract's limits (core/antitheft/schemas.ts).
const MAX_HOPS = 64;
const MAX_RTTS = 10;

const isNumber = (t: string) => /^\d+(\.\d+)?$/.test(t);
const isAddress = (t: string) => t.length <= 64 && /^[0-9a-f.:]+$/i.test(t) && /[.:]/.test(t) && !isNumber(t);
const validHop = (n: number) => Number.isInteger(n) && n >= 1 && n <= 255;

/**
 * `traceroute -n` output: " 1  127.0.0.1  0.030 ms  0.008 ms  0.007 ms"; "*" for a probe without answer; when later
 * probes answer from another router the first address is the hop's. "!H"-style flags are ignored.
 */
export function parseTraceroute(text: string): Hop[] {
  const hops: Hop[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)\s+(\S.*)$/.exec(line);
    if (!m || !validHop(Number(m[1]))) continue;
    let address: string | null = null;
    const rttMs: number[] = [];
    const toks = m[2]!.trim().split(/\s+/).map((t) => t.replace(/^\((.*)\)$/, '$1')); // "(addr)" when run without -n
    toks.forEach((tok, i) => {
      if (isNumber(tok) && toks[i + 1] === 'ms') rttMs.push(Number(tok));
      else if (address === null && isAddress(tok)) address = tok;
    });
    hops.push({ hop: Number(m[1]), address, rttMs: rttMs.slice(0, MAX_RTTS) });
  }
  return hops.slice(0, MAX_HOPS);
}

/**
 * `tracepath -n` output: " 1:  127.0.0.1   0.050ms reached", " 2:  no reply"; the "1?:" pmtu probes and the
 * "Resume:" summary are skipped; a hop printed twice (a pmtu change) is one hop.
 */
export function parseTracepath(text: string): Hop[] {
  const byHop = new Map<number, Hop>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\d+)(\?)?:\s+(\S+)\s*(.*)$/.exec(line);
    if (!m || m[2] || !validHop(Number(m[1]))) continue;
    const hop = Number(m[1]);
    const h = byHop.get(hop) ?? { hop, address: null, rttMs: [] };
    if (isAddress(m[3]!)) h.address ??= m[3]!;
    const rtt = /(\d+(?:\.\d+)?)ms/.exec(m[4]!);
    if (rtt && h.rttMs.length < MAX_RTTS) h.rttMs.push(Number(rtt[1]));
    byHop.set(hop, h);
  }
  return [...byHop.values()].sort((a, b) => a.hop - b.hop).slice(0, MAX_HOPS);
}

const TOOLS = [
  { tool: 'traceroute', names: ['traceroute', '/usr/sbin/traceroute', '/usr/bin/traceroute'], parse: parseTraceroute,
    argv: (bin: string, hops: number, target: string) => [bin, '-n', '-q', '3', '-w', '2', '-m', String(hops), target] },
  { tool: 'tracepath', names: ['tracepath', '/usr/sbin/tracepath', '/usr/bin/tracepath', '/bin/tracepath'], parse: parseTracepath,
    argv: (bin: string, hops: number, target: string) => [bin, '-n', '-m', String(hops), target] },
] as const;

/**
 * The route to the server, from the system's traceroute, else tracepath (also when traceroute fails); "unavailable"
 * with the reason otherwise. A run cut off by the time limit keeps the hops it printed: a partial route is still evidence.
 */
export async function captureTraceroute(target: string, cfg: { maxHops?: number; timeoutMs?: number } = {}, host: Host = thisHost): Promise<Traceroute> {
  // The target becomes an argument: never let it read as an option.
  if (!/^[A-Za-z0-9.:_-]{1,255}$/.test(target) || target.startsWith('-')) {
    return { status: 'unavailable', target: target.slice(0, 255), error: 'the traceroute target is not a host name or address' };
  }
  const maxHops = Math.max(1, Math.min(MAX_HOPS, Math.floor(cfg.maxHops ?? 30)));
  const deadline = Date.now() + (cfg.timeoutMs ?? 60_000);
  const installed = TOOLS.flatMap((t) => { const bin = host.find([...t.names]); return bin ? [{ ...t, bin }] : []; });
  if (installed.length === 0) return { status: 'unavailable', target, error: 'neither traceroute nor tracepath is installed' };
  const errors: string[] = [];
  for (const t of installed) {
    const left = deadline - Date.now();
    if (left < 1000) break;
    const r = await runCommand(t.argv(t.bin, maxHops, target), { timeoutMs: left, maxBytes: 256 * 1024 });
    const hops = t.parse(r.stdout.toString('utf8'));
    if (hops.length > 0) return { status: 'ok', tool: t.tool, target, hops };
    errors.push(`${t.tool}: ${r.stderr || r.error || 'printed no hops'}`);
  }
  return { status: 'unavailable', target, error: errors.join('; ').slice(0, 500) || 'no time left to trace the route' };
}
