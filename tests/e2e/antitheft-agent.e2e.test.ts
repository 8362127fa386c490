import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAgent } from '../../antitheft/agent/build.ts';
import { queryRows } from '../../core/clickhouse.ts';
import { fromB64u } from '../../core/antitheft/encoding.ts';
import { openNetwork, openReport, openReportSnapshot } from '../../core/antitheft/report.ts';
import { ReportHeader, Sealed } from '../../core/antitheft/schemas.ts';
import { createLogger } from '../../core/log.ts';
import { startPlatform, type Platform, type Role } from '../../bin/platform.ts';
import { newCode, turnOn } from '../helpers/antitheft.ts';
import { DashboardClient } from '../helpers/dashboard-client.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { clickhouseText, redisText } from '../helpers/secret-scan.ts';

/**
 * The real agent, as one bundled file copied outside the repository (so no node_modules can help it), enrolled with a
 * code and run as its own process against the whole platform behind a reverse proxy that says the agent comes from a
 * public address (81.2.69.142, London in the bundled GeoIP data): normal reports, stolen mode with a traceroute to
 * 127.0.0.1 and a snapshot from ffmpeg's test source, a server outage with an agent restart (reports wait on disk and
 * arrive once, in order), a worker outage (jobs wait in Redis, sealed), then deactivation (the agent forgets its keys).
 * Afterwards no Redis key, ClickHouse table or log line holds the address, the city or the coordinates.
 */
const KNOWN = { ip: '81.2.69.142', city: 'London', lat: '48.85837', lon: '2.294481' };
const INTERVALS = { TRUST_PROXY: '1', ANTITHEFT_REPORT_INTERVAL_S: '5', ANTITHEFT_STOLEN_INTERVAL_S: '5', ANTITHEFT_CHECKIN_INTERVAL_S: '5' };
const WHERE_AM_I = `New location:\nLatitude:    ${KNOWN.lat}°\nLongitude:   ${KNOWN.lon}°\nAccuracy:    20.000000 meters\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | false | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('the anti-theft agent end to end', () => {
  let p: TestPlatform;
  let current: Platform;
  let proxy: Server;
  let target: string | null = null;
  let proxyUrl = '';
  let owner: DashboardClient;
  let key: Awaited<ReturnType<typeof turnOn>>;
  const work = mkdtempSync(join(tmpdir(), 'vigil-agent-e2e-'));
  const agentFile = join(work, 'vigil-agent.mjs');
  const stateDir = join(work, 'state');
  let agent: ChildProcess | null = null;
  let agentLog = '';
  let deviceId = '';
  const logs: string[] = [];

  const startAgent = () => {
    agent = spawn(process.execPath, [agentFile, 'run', '--state', stateDir], { cwd: work, env: { PATH: process.env.PATH ?? '' } });
    agent.stdout!.on('data', (d) => { agentLog += d; });
    agent.stderr!.on('data', (d) => { agentLog += d; });
  };
  const stopAgent = async () => {
    const a = agent!;
    if (a.exitCode !== null) return a.exitCode;
    const exited = new Promise<number | null>((r) => a.once('exit', r));
    a.kill('SIGTERM');
    return exited;
  };
  // Not spawnSync: the proxy the agent talks to runs in this process's event loop.
  const agentCli = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const c = spawn(process.execPath, [agentFile, ...args, '--state', stateDir], { cwd: work, env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => { stdout += d; });
    c.stderr.on('data', (d) => { stderr += d; });
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const restart = async (roles: Role[]) => {
    await current.stop();
    target = null;
    current = await startPlatform(p.cfg, roles, createLogger('warn', 'vigil-test', { write: (l: string) => { logs.push(l); } }));
    target = current.url;
  };
  const rows = <T>(sql: string, params: Record<string, unknown> = {}) => queryRows<T>(current.services.ch, sql, params);
  const stolenRows = () => rows<{ n: string }>("SELECT count() AS n FROM antitheft.reports FINAL WHERE mode = 'stolen' AND snapshot_size > 0").then((r) => Number(r[0]!.n));

  before(async () => {
    await buildAgent(agentFile);
    p = await startTestPlatform(INTERVALS);
    current = p;
    target = p.url;
    proxy = createServer((req, res) => {
      if (!target) { res.writeHead(502).end('{"error":"upstream down"}'); req.resume(); return; }
      const up = request(new URL(req.url!, target), { method: req.method, headers: { ...req.headers, 'x-forwarded-for': KNOWN.ip } }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    owner = new DashboardClient(proxyUrl); // through the proxy: it follows the platform across restarts
    await owner.post('/api/setup', { email: 'ann@example.com', password: 'ann password 12' });
    key = await turnOn(owner);
  });
  after(async () => {
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    await current?.stop();
    await p?.redisServer.stop();
    proxy?.close();
    rmSync(p?.dataDir ?? '/nonexistent', { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('enrolls with a code; the agent and the dashboard show the same fingerprints', async () => {
    const r = await agentCli('enroll', '--server', proxyUrl, '--code', await newCode(owner, 'Ann laptop'));
    assert.equal(r.status, 0, r.stderr);
    const device = (await owner.get('/api/antitheft/devices')).body.devices[0];
    deviceId = device.deviceId;
    assert.match(r.stdout, new RegExp(`Device key fingerprint: ${device.fingerprint}`));
    assert.match(r.stdout, new RegExp(`Owner key fingerprint:  ${(await owner.get('/api/antitheft/key')).body.fingerprint}`));
    for (const f of readdirSync(stateDir).filter((n) => n.endsWith('.pem') || n.endsWith('.json'))) {
      assert.equal(statSync(join(stateDir, f)).mode & 0o777, 0o600, f);
    }
    writeFileSync(join(stateDir, 'config.json'), JSON.stringify({
      locationCommand: [process.execPath, '-e', `process.stdout.write(${JSON.stringify(WHERE_AM_I)})`],
      cameraCommand: ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1', '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-'],
      tracerouteTarget: '127.0.0.1',
    }));
  });

  it('reports at start-up; marked stolen, it sends a traceroute and a snapshot, sealed for the owner', async () => {
    startAgent();
    await until('the start-up report', async () => Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports FINAL'))[0]!.n) >= 1);
    assert.equal((await owner.patch(`/api/antitheft/devices/${deviceId}`, { mode: 'stolen' })).status, 200);
    await until('a stolen-mode report with a snapshot', async () => (await stolenRows()) >= 1);
    const res = await owner.get(`/api/antitheft/devices/${deviceId}/reports`);
    const row = res.body.reports.find((r: { mode: string; snapshotSize: number }) => r.mode === 'stolen' && r.snapshotSize > 0);
    const header = ReportHeader.parse(JSON.parse(row.header));
    const pub = fromB64u(key.record.publicKey);
    const { content } = await openReport(key.privateKey, pub, header, Sealed.parse(JSON.parse(row.payload)));
    assert.deepEqual([content.position?.lat, content.position?.source], [48.85837, 'command']);
    assert.equal(content.traceroute?.status, 'ok');
    assert.ok(content.traceroute?.status === 'ok' && content.traceroute.hops.some((h) => h.address === '127.0.0.1'));
    const snap = (await owner.get(`/api/antitheft/devices/${deviceId}/reports/${row.reportId}/snapshot`)).body;
    const image = await openReportSnapshot(content, header, snap.iv, fromB64u(snap.ct));
    assert.deepEqual([...image.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const net = await openNetwork(key.privateKey, pub, header, Sealed.parse(JSON.parse(row.network)));
    assert.deepEqual([net.record.ip, net.record.city, net.record.country], [KNOWN.ip, KNOWN.city, 'GB']);
    const status = await agentCli('status');
    assert.match(status.stdout, /State: STOLEN \(reporting every 5 s\)/);
  });

  it('keeps reports on disk through a server outage and an agent restart, and delivers each once, in order', async () => {
    await current.stop();
    target = null;
    await sleep(11_000);
    await stopAgent();
    startAgent();
    await sleep(6_000);
    const queued = Number(/Queued reports:\s+(\d+)/.exec((await agentCli('status')).stdout)?.[1]);
    assert.ok(queued >= 3, `reports wait on disk (${queued})`);
    // The worker stays down at first: the reports reach BullMQ and wait there, sealed.
    current = await startPlatform(p.cfg, ['collector', 'dashboard'], createLogger('warn', 'vigil-test', { write: (l: string) => { logs.push(l); } }));
    target = current.url;
    await until('the queue on disk to empty', async () => /Queued reports:\s+0 /.test((await agentCli('status')).stdout), 60_000);
    const redis = await redisText(current.services.redis);
    assert.match(redis, /antitheft-reports/, 'the scan sees the waiting jobs');
    for (const secret of Object.values(KNOWN)) assert.ok(!redis.includes(secret), `Redis holds ${secret}`);
    await restart(['collector', 'dashboard', 'worker']);
    const storedCount = async () => Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports FINAL'))[0]!.n);
    const runState = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { sequence: number };
    await until('every report stored', async () => {
      const captured = runState().sequence;
      return /Queued reports:\s+0 /.test((await agentCli('status')).stdout) && (await storedCount()) === captured;
    }, 60_000);
    await stopAgent();
    await sleep(1500);
    // Reports captured after that check wait in the queue for the next start: still on disk, not lost.
    const total = runState().sequence;
    const waiting = new Set(existsSync(join(stateDir, 'queue')) ? readdirSync(join(stateDir, 'queue')).map((f) => Number(f.slice(0, 12))) : []);
    const got = await rows<{ s: string; at: string }>('SELECT sequence AS s, toUnixTimestamp64Milli(received_at) AS at FROM antitheft.reports FINAL ORDER BY sequence');
    const seqs = got.map((r) => Number(r.s));
    assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1).filter((n) => !waiting.has(n)), 'every sequence number once, none missing');
    for (let i = 1; i < got.length; i++) assert.ok(Number(got[i]!.at) >= Number(got[i - 1]!.at), 'delivered oldest first');
    assert.ok(Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.snapshots FINAL'))[0]!.n) >= 1, 'stolen-mode snapshots were stored');
    // A snapshot's ciphertext waits in Redis outside its job only until the job is done.
    await until('no stored snapshot left in Redis', async () => (await current.services.redis.keys(`${current.services.prefix}at:snap:*`)).length === 0, 10_000);
    await current.services.ch.command({ query: 'OPTIMIZE TABLE antitheft.reports FINAL' });
    assert.equal(Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports'))[0]!.n), seqs.length, 'one row per report, also before FINAL');
    const chain = await rows<{ h: string; prev: string }>("SELECT report_hash AS h, JSONExtractString(header, 'prevHash') AS prev FROM antitheft.reports FINAL ORDER BY sequence");
    for (let i = 1; i < chain.length; i++) assert.equal(chain[i]!.prev, chain[i - 1]!.h, `report ${i + 1} links to report ${i}`);
  });

  it('holds no address, city or coordinate in plaintext in Redis, ClickHouse or any log', async () => {
    const { text, tables } = await clickhouseText(current.services.ch);
    assert.ok(tables.includes('antitheft.reports') && tables.includes('antitheft.snapshots'));
    assert.ok(text.includes(deviceId), 'the scan reads the anti-theft rows');
    const redis = await redisText(current.services.redis);
    const everything = [['ClickHouse', text], ['Redis', redis], ['platform logs', [...p.logs, ...logs].join('\n')], ['agent log', agentLog]] as const;
    for (const [where, haystack] of everything) for (const secret of Object.values(KNOWN)) assert.ok(!haystack.includes(secret), `${where} holds ${secret}`);
  });

  it('deactivation deletes the reports and the agent forgets its keys and stops', async () => {
    startAgent();
    await sleep(1000);
    assert.equal((await owner.post(`/api/antitheft/devices/${deviceId}/deactivate`)).status, 200);
    const code = await new Promise<number | null>((r) => agent!.once('exit', r));
    assert.equal(code, 0);
    assert.equal(existsSync(join(stateDir, 'device-key.pem')), false);
    assert.equal(existsSync(join(stateDir, 'queue')), false);
    assert.equal(Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.reports FINAL WHERE device_id = {d:String}', { d: deviceId }))[0]!.n), 0);
    assert.equal(Number((await rows<{ n: string }>('SELECT count() AS n FROM antitheft.snapshots FINAL WHERE device_id = {d:String}', { d: deviceId }))[0]!.n), 0);
    assert.match((await agentCli('status')).stdout, /Not enrolled/);
  });
});
