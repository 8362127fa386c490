import type { Traceroute } from '../../../core/antitheft/schemas.ts';
import { findProgram, runCommand } from './run-command.ts';

export type { Traceroute };
type Hop = { hop: number; address: string | null; rttMs: number[] };

/** `traceroute -n` output: " 1  127.0.0.1  0.030 ms  0.008 ms  0.007 ms"; "*" for a probe without answer. */
export function parseTraceroute(text: string): Hop[] {
  const hops: Hop[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m || /^traceroute to/i.test(line)) continue;
    let address: string | null = null;
    const rttMs: number[] = [];
    for (const tok of m[2]!.trim().split(/\s+/)) {
      if (tok === '*' || tok === 'ms' || /^!/.test(tok)) continue;
      if (/^\d+(\.\d+)?$/.test(tok)) rttMs.push(Number(tok));
      else if (/^[0-9a-f.:]+$/i.test(tok) && address === null) address = tok;
    }
    hops.push({ hop: Number(m[1]), address, rttMs: rttMs.slice(0, 10) });
  }
  return hops;
}

/** `tracepath -n` output: " 1:  127.0.0.1   0.050ms reached"; "no reply" lines; pmtu lines ("1?:") skipped. */
export function parseTracepath(text: string): Hop[] {
  const byHop = new Map<number, Hop>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)(\?)?:\s+(\S+)\s*(.*)$/.exec(line);
    if (!m || m[2]) continue;
    const hop = Number(m[1]);
    const addr = m[3]!;
    const rtt = /([\d.]+)ms/.exec(m[4]!);
    const h = byHop.get(hop) ?? { hop, address: null, rttMs: [] };
    if (addr !== 'no' && /^[0-9a-f.:]+$/i.test(addr)) h.address ??= addr;
    if (rtt) h.rttMs.push(Number(rtt[1]));
    byHop.set(hop, h);
  }
  return [...byHop.values()].sort((a, b) => a.hop - b.hop);
}

/** The route to the server, from the system's traceroute or tracepath; "unavailable" with the reason otherwise. */
export async function captureTraceroute(target: string, cfg: { maxHops?: number; timeoutMs?: number } = {}): Promise<Traceroute> {
  const maxHops = String(cfg.maxHops ?? 30);
  const timeoutMs = cfg.timeoutMs ?? 60_000;
  const tr = findProgram(['traceroute', '/usr/sbin/traceroute', '/usr/bin/traceroute']);
  const tp = findProgram(['tracepath', '/usr/sbin/tracepath', '/usr/bin/tracepath', '/bin/tracepath']);
  if (!tr && !tp) return { status: 'unavailable', target, error: 'neither traceroute nor tracepath is installed' };
  const tool = tr ? 'traceroute' : 'tracepath';
  const argv = tr ? [tr, '-n', '-q', '3', '-w', '2', '-m', maxHops, target] : [tp!, '-n', '-m', maxHops, target];
  const r = await runCommand(argv, { timeoutMs, maxBytes: 256 * 1024 });
  const hops = (tool === 'traceroute' ? parseTraceroute : parseTracepath)(r.stdout.toString('utf8')).slice(0, 64);
  if (hops.length === 0) return { status: 'unavailable', target, error: (r.error ?? r.stderr ?? `${tool} printed no hops`).slice(0, 500) };
  return { status: 'ok', tool, target, hops };
}
