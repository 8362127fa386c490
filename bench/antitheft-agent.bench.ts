/**
 * `npm run bench:agent`: the anti-theft agent's footprint on the protected computer in normal mode. The bundled agent
 * (one file, run with plain node, as users run it) is enrolled with a platform started as its own process; then it
 * runs for WINDOW_S seconds (120) with the normal hourly schedule and a check-in every CHECKIN_S (30) seconds, ten
 * times more often than the default 300 s, so the per-hour CPU figure below is an upper bound. Reported: resident
 * memory (VmRSS, VmHWM) and CPU seconds from /proc; the start-up (Node itself, the first report) apart from the idle
 * window.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAgent } from '../antitheft/agent/build.ts';
import { createOwnerKey } from '../core/antitheft/owner-key.ts';
import { cpuSeconds, freePort, sleep, startNode, stopChild, waitForHttp } from './lib/proc.ts';
import { fmt } from './lib/stats.ts';

const root = join(import.meta.dirname, '..');
const WINDOW_S = Number(process.env.WINDOW_S ?? 120);
const CHECKIN_S = Number(process.env.CHECKIN_S ?? 30);

const kb = (pid: number, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-agent-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const platform = startNode([join(root, 'bin', 'vigil.js'), 'start'], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn',
    ANTITHEFT_CHECKIN_INTERVAL_S: String(CHECKIN_S) }, join(work, 'platform.log'), root);
  try {
    const agentFile = await buildAgent(join(work, 'vigil-agent.mjs'));
    await waitForHttp(`${url}/healthz`, platform);
    const setup = await fetch(`${url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password: 'bench password 1' }) });
    const cookie = /vigil_session=[^;]+/.exec(setup.headers.get('set-cookie') ?? '')![0];
    const { csrf } = await setup.json() as { csrf: string };
    const call = async (method: string, path: string, body: unknown) => (await fetch(`${url}${path}`, { method, body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf } })).json() as Promise<Record<string, string>>;
    await call('PUT', '/api/antitheft/key', (await createOwnerKey('bench passphrase 1')).record);
    const { code } = await call('POST', '/api/antitheft/enrollment-codes', {});
    const state = join(work, 'state');
    await new Promise((r) => spawn(process.execPath, [agentFile, 'enroll', '--server', url, '--code', code!, '--state', state], { stdio: 'ignore' }).on('exit', r));
    // AGENT_NODE_FLAGS: node options to try (the service files pass the chosen ones).
    const flags = (process.env.AGENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const agent = spawn(process.execPath, [...flags, agentFile, 'run', '--state', state], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    agent.stderr.on('data', (d) => { log += d; });
    const t0 = Date.now();
    while (!log.includes('report delivered') && Date.now() - t0 < 30_000) await sleep(50);
    await sleep(1000);
    const pid = agent.pid!;
    const startCpu = cpuSeconds(pid);
    const startRss = kb(pid, 'VmRSS');
    // CPU per 30 s step: the first minutes include V8 compiling and collecting what start-up left.
    const steps: string[] = [];
    for (let t = 0; t < WINDOW_S; t += 30) {
      const c = cpuSeconds(pid);
      await sleep(Math.min(30, WINDOW_S - t) * 1000);
      steps.push(fmt((cpuSeconds(pid) - c) * 1000));
    }
    const idleCpu = cpuSeconds(pid) - startCpu;
    const rss = kb(pid, 'VmRSS');
    const hwm = kb(pid, 'VmHWM');
    const checkIns = (log.match(/"msg":"report delivered"/g) ?? []).length;
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    const perHour = (idleCpu / WINDOW_S) * 3600 + startCpu / 1; // idle rate for an hour, plus one report (the start-up one costs more)
    console.log(`agent bundle: ${fmt(readFileSync(agentFile).length / 1024)} KB; ${checkIns} report(s) delivered`);
    console.log(`start-up to first report delivered: ${fmt(startCpu, 2)} CPU-s, RSS ${fmt(startRss / 1024, 1)} MB`);
    console.log(`idle window ${WINDOW_S} s with a check-in every ${CHECKIN_S} s: ${fmt(idleCpu, 3)} CPU-s; RSS ${fmt(rss / 1024, 1)} MB (peak ${fmt(hwm / 1024, 1)} MB)`);
    console.log(`CPU ms per 30 s step of the window: ${steps.join(', ')}`);
    console.log(`per hour in normal mode, upper bound (check-ins ${fmt(300 / CHECKIN_S)}x the default, a report costed as at start-up): ${fmt(perHour, 2)} CPU-s`);
  } finally {
    await stopChild(platform);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
