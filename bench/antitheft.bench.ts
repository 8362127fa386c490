/**
 * `npm run bench:antitheft`: signed sealed reports per second through the anti-theft API, BullMQ and the worker into
 * the embedded store, from many simulated devices. The platform runs as its own process (`vigil start`); this
 * process enrolls the devices with the agent's own code, seals and signs every report BEFORE the clock starts (so that
 * work is outside the measured server) and signs each request as the agent does (also before the clock, with a
 * timestamp well inside the allowed skew), then sends them, each device in order, CONCURRENCY at a time, and waits until the owner API counts every accepted report as stored.
 * Baseline in the same run: a bare node:http server reading and JSON-parsing the same bodies (bench/lib/bare-server.ts).
 * CPU per report is read from /proc for the platform (and per thread name), its redis-server and this load generator.
 * Env: DEVICES (200), REPORTS (20000), SNAPSHOT_REPORTS (1000), SNAPSHOT_KB (100), CONCURRENCY (64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { fromB64u } from '../core/antitheft/encoding.ts';
import { ed25519Signer, nodeSealBackend, signedRequestHeaders } from '../core/antitheft/node-crypto.ts';
import { createOwnerKey } from '../core/antitheft/owner-key.ts';
import { sealReport } from '../core/antitheft/report.ts';
import { reportHash } from '../core/antitheft/signing.ts';
import { enroll } from '../antitheft/agent/enroll.ts';
import { AgentState } from '../antitheft/agent/state.ts';
import { cpuSeconds, freePort, mainThreadCpuSeconds, ownCpuSeconds, readPid, sleep, startNode, stopChild, threadCpuByName, waitForHttp } from './lib/proc.ts';
import { fmt, table } from './lib/stats.ts';

const root = join(import.meta.dirname, '..');
const env = (k: string, d: number) => Number(process.env[k] ?? d);
const DEVICES = env('DEVICES', 200);
const REPORTS = env('REPORTS', 20_000);
const SNAPSHOT_REPORTS = env('SNAPSHOT_REPORTS', 1000);
const SNAPSHOT_KB = env('SNAPSHOT_KB', 100);
const CONCURRENCY = env('CONCURRENCY', 64);
const DEADLINE_MS = 600_000;

interface Request { body: string; headers: Record<string, string> }
interface Device { id: string; requests: Request[] }

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * The four signature headers as the agent makes them. Done before the clock starts, like the sealing: the server's
 * work is the same, and the load generator on the same 2 cores takes less of them (timestamps stay well inside the
 * 5-minute skew the server allows: no send phase here lasts a minute).
 */
/** One POST over a kept-alive connection (node:http: fetch would cost the load generator 3x). */
function post(url: URL, r: Request): Promise<number> {
  const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(r.body)), ...r.headers };
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode! < 300 ? resolve(res.statusCode!) : reject(new Error(`${res.statusCode} ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A dashboard session for the owner: cookie and CSRF token. */
async function session(url: string) {
  const res = await fetch(`${url}/api/setup`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench password 1' }) });
  const cookie = /vigil_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')![0];
  const { csrf } = await res.json() as { csrf: string };
  return async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? null : r.json();
  };
}

async function sealAll(devices: { id: string; ownerKeyId: string; sign: ReturnType<typeof ed25519Signer> }[], ownerPub: Uint8Array, total: number, snapshotBytes: number) {
  const out: string[][] = devices.map(() => []);
  const prev = devices.map(() => '');
  const image = new Uint8Array(snapshotBytes);
  if (snapshotBytes) { image.set(randomBytes(snapshotBytes)); image.set([0xff, 0xd8, 0xff]); }
  for (let i = 0; i < total; i++) {
    const d = i % devices.length;
    const dev = devices[d]!;
    const at = Date.now();
    const header = { v: 1 as const, ownerKeyId: dev.ownerKeyId, deviceId: dev.id, reportId: randomUUID(), sequence: out[d]!.length + 1 + (snapshotBytes ? 1_000_000 : 0),
      mode: snapshotBytes ? 'stolen' as const : 'normal' as const, prevHash: prev[d]!, capturedAt: at, trigger: 'schedule' as const };
    const env = await sealReport(nodeSealBackend, dev.sign, ownerPub, header, { capturedAt: at, hostname: `bench-${d}`, platform: 'linux', agentVersion: 'bench',
      interfaces: [{ name: 'eth0', address: '10.0.0.2', family: 'IPv4', mac: '00:00:00:00:00:01', internal: false, cidr: '10.0.0.2/24' }],
      position: { lat: 52.52, lon: 13.405, accuracyM: 30, source: 'command', at } }, snapshotBytes ? { status: 'ok', bytes: image } : undefined);
    prev[d] = await reportHash(env);
    out[d]!.push(JSON.stringify(env));
  }
  return out;
}

async function send(devices: Device[], url: URL): Promise<{ accepted: number; refused: number; ms: number }> {
  let accepted = 0;
  let refused = 0;
  const queue = devices.map((d) => ({ d, i: 0 }));
  const start = performance.now();
  const worker = async () => {
    for (;;) {
      const slot = queue.shift();
      if (!slot) return;
      if (slot.i >= slot.d.requests.length) continue;
      try {
        await post(url, slot.d.requests[slot.i]!);
        accepted++;
      } catch (err) {
        refused++;
        if (refused < 5) console.error(`refused: ${(err as Error).message}`);
      }
      slot.i++;
      if (slot.i < slot.d.requests.length) queue.push(slot);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { accepted, refused, ms: performance.now() - start };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'vigil-bench-at-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // PROFILE=dir: the platform writes a V8 CPU profile there on exit (node --cpu-prof).
  const profile = process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : [];
  const platform = startNode([...profile, join(root, 'bin', 'vigil.js'), 'start'], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), LOG_LEVEL: 'warn',
    ANTITHEFT_DEVICE_RATE_PER_MINUTE: '100000', ANTITHEFT_ENROLL_RATE_PER_MINUTE: '100000' }, join(work, 'platform.log'), root);
  const results: string[][] = [];
  try {
    await waitForHttp(`${url}/healthz`, platform);
    const call = await session(url);
    const key = await createOwnerKey('bench passphrase 1');
    await call('PUT', '/api/antitheft/key', key.record);
    const enrolled: { id: string; ownerKeyId: string; sign: ReturnType<typeof ed25519Signer> }[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const { code } = await call('POST', '/api/antitheft/enrollment-codes', { name: `bench ${i}` }) as { code: string };
      const state = new AgentState(join(work, `agent-${i}`));
      const e = await enroll(state, url, code, `bench-${i}`);
      const sign = ed25519Signer(state.privateKeyPem());
      enrolled.push({ id: e.deviceId, ownerKeyId: e.ownerKey.keyId, sign });
    }
    const ownerPub = fromB64u(key.record.publicKey);
    const redisPid = readPid(join(work, 'data', 'redis', 'redis.pid'));
    const stored = async () => ((await call('GET', '/api/antitheft/devices')) as { devices: { reports: number }[] }).devices.reduce((n, d) => n + d.reports, 0);

    for (const [label, total, bytes] of [['no snapshot', REPORTS, 0], [`${SNAPSHOT_KB} KB snapshot`, SNAPSHOT_REPORTS, SNAPSHOT_KB * 1024]] as const) {
      if (total === 0) continue;
      const t0 = performance.now();
      const bodies = await sealAll(enrolled, ownerPub, total, bytes);
      const path = '/api/antitheft/agent/reports';
      const devices = await Promise.all(enrolled.map(async (d, i) => ({ id: d.id,
        requests: await Promise.all(bodies[i]!.map(async (body) => ({ body, headers: await signedRequestHeaders(d.sign, d.id, path, body) }))) })));
      console.log(`sealed and signed ${total} reports (${label}) in ${fmt(performance.now() - t0)} ms, outside the server`);
      const before = await stored();
      const cpu0 = { vigil: cpuSeconds(platform.proc.pid), js: mainThreadCpuSeconds(platform.proc.pid), redis: cpuSeconds(redisPid), load: ownCpuSeconds() };
      const threads0 = threadCpuByName(platform.proc.pid);
      const start = performance.now();
      const r = await send(devices, new URL(path, url));
      const acceptMs = performance.now() - start;
      while ((await stored()) < before + r.accepted) {
        if (performance.now() - start > DEADLINE_MS) throw new Error('reports were not all stored within 10 minutes');
        await sleep(500); // each poll costs the store a FINAL count: not too often
      }
      const storedMs = performance.now() - start;
      const cpu = { vigil: cpuSeconds(platform.proc.pid) - cpu0.vigil, js: mainThreadCpuSeconds(platform.proc.pid) - cpu0.js,
        redis: cpuSeconds(redisPid) - cpu0.redis, load: ownCpuSeconds() - cpu0.load };
      const got = (await stored()) - before;
      const per = (s: number) => fmt((s * 1e6) / r.accepted);
      results.push([label, fmt(r.accepted), fmt(r.refused), fmt(got), fmt(r.accepted / (acceptMs / 1000)), fmt(got / (storedMs / 1000)),
        per(cpu.vigil), per(cpu.js), per(cpu.redis), per(cpu.vigil + cpu.redis), per(cpu.load)]);
      if (got !== r.accepted) console.error(`MISMATCH: ${r.accepted} accepted, ${got} stored`);
      const threads = [...threadCpuByName(platform.proc.pid)].map(([name, s]) => [name, s - (threads0.get(name) ?? 0)] as const)
        .filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]);
      console.log(`platform CPU by thread (${label}), µs per report: ${threads.slice(0, 10).map(([n, s]) => `${n} ${per(s)}`).join(', ')}`);
    }
    // The floor: the same bodies to a server that only reads and parses them.
    const barePort = await freePort();
    const bare = startNode(['--import', 'tsx', 'bench/lib/bare-server.ts'], { PORT: String(barePort) }, join(work, 'bare.log'), root);
    await waitForHttp(`http://127.0.0.1:${barePort}/`, bare, 30_000, () => true);
    const bodies = await sealAll(enrolled, ownerPub, Math.min(REPORTS || 2000, 10_000), 0);
    const c0 = cpuSeconds(bare.proc.pid);
    const f = await send(enrolled.map((d, i) => ({ id: d.id, requests: bodies[i]!.map((body) => ({ body, headers: {} })) })), new URL(`http://127.0.0.1:${barePort}/`));
    const fc = cpuSeconds(bare.proc.pid) - c0;
    results.push(['floor: bare node:http', fmt(f.accepted), fmt(f.refused), '-', fmt(f.accepted / (f.ms / 1000)), '-', fmt((fc * 1e6) / f.accepted), '-', '-', '-', '-']);
    await stopChild(bare);
  } finally {
    await stopChild(platform);
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\n${DEVICES} devices, ${CONCURRENCY} requests in flight, 2-core machine\n`);
  console.log(table(['run', 'accepted', 'refused', 'stored', 'accepted/s', 'stored/s', 'µs CPU vigil', '(main thread)', 'µs redis', 'µs server total', 'µs load gen'], results));
}

await main();
