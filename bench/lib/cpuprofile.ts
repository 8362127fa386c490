import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, and total (inclusive) time per function. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] }

export interface ProfileLine { name: string; where: string; selfPct: number; totalPct: number }

export function summariseProfile(file: string, root: string, top = 25): { self: ProfileLine[]; total: ProfileLine[]; idlePct: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Time per sample from timeDeltas (sampling is not perfectly regular).
  const selfTime = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    selfTime.set(samples[i]!, (selfTime.get(samples[i]!) ?? 0) + dt);
  }
  const all = [...selfTime.values()].reduce((s, v) => s + v, 0) || 1;
  const key = (n: ProfileNode) => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const where = url ? `${url.startsWith('/') ? relative(root, url) : url}:${n.callFrame.lineNumber + 1}` : '(native)';
    return { name: n.callFrame.functionName || '(anonymous)', where };
  };
  const self = new Map<string, ProfileLine>();
  const total = new Map<string, ProfileLine>();
  let idle = 0;
  for (const [id, t] of selfTime) {
    const n = byId.get(id)!;
    const k = key(n);
    if (k.name === '(idle)') idle += t;
    const sk = `${k.name}@${k.where}`;
    const line = self.get(sk) ?? { ...k, selfPct: 0, totalPct: 0 };
    line.selfPct += (100 * t) / all;
    self.set(sk, line);
    // Inclusive time: every distinct function on the stack gets this sample's time once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = key(byId.get(cur)!);
      const fk = `${f.name}@${f.where}`;
      if (seen.has(fk)) continue;
      seen.add(fk);
      const tl = total.get(fk) ?? { ...f, selfPct: 0, totalPct: 0 };
      tl.totalPct += (100 * t) / all;
      total.set(fk, tl);
    }
  }
  const skip = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);
  return {
    self: [...self.values()].sort((a, b) => b.selfPct - a.selfPct).slice(0, top),
    total: [...total.values()].filter((l) => !skip.has(l.name)).sort((a, b) => b.totalPct - a.totalPct).slice(0, top),
    idlePct: (100 * idle) / all,
  };
}

/** Self time grouped by package (node_modules/<pkg>) or source folder, which is often the clearer picture. */
export function selfByPackage(file: string, root: string): { pkg: string; pct: number }[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const out = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? deltas[i] ?? 0;
    const n = byId.get(samples[i]!)!;
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    let pkg: string;
    if (!url) pkg = n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
    else if (url.startsWith('node:')) pkg = 'node:' + url.slice(5).split('/')[0];
    else {
      const rel = relative(root, url);
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
      pkg = m ? m[1]! : rel.split('/').slice(0, 2).join('/');
    }
    out.set(pkg, (out.get(pkg) ?? 0) + dt);
    all += dt;
  }
  return [...out.entries()].map(([pkg, t]) => ({ pkg, pct: (100 * t) / (all || 1) })).sort((a, b) => b.pct - a.pct);
}
