import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHROME_UA, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** `vigil start --collectors N`: collector processes beside the store process, on a port of their own. */
describe('collector processes: more collectors on one machine, sharing a port', () => {
  let p: TestPlatform;
  let n = 0;
  // A new connection per request (Connection: close), so node:cluster hands requests to both processes.
  const send = (url: string, body: object, ip = `81.2.69.${160 + (n++ % 30)}`) => fetch(`${url}/api/event`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'user-agent': CHROME_UA, 'x-forwarded-for': ip, connection: 'close' } });
  const health = async (url: string) => (await (await fetch(`${url}/healthz`, { headers: { connection: 'close' } })).json()) as { roles: string[]; pid: number };
  const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 20_000) => {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    p = await startTestPlatform({ TRUST_PROXY: '1' }, ['collector', 'dashboard', 'worker'], { collectors: 2 });
    await p.registry.addSite({ domain: 'example.com' });
  });
  after(() => p.close());

  it('runs two collector processes, each its own process, answering as collectors only', async () => {
    const pids = p.collectorProcesses!.pids();
    assert.equal(pids.length, 2);
    assert.ok(!pids.includes(process.pid));
    const seen = new Set<number>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const h = await health(p.collectorsUrl!);
      assert.deepEqual(h.roles, ['collector']);
      seen.add(h.pid);
    }
    assert.deepEqual([...seen].sort(), [...pids].sort(), 'both processes answer on the shared port');
    // The dashboard and the store stay in the store process.
    assert.notEqual((await fetch(`${p.url}/api/users`)).status, 404);
    assert.equal((await fetch(`${p.collectorsUrl}/api/users`, { headers: { connection: 'close' } })).status, 404);
  });

  it('stores every event accepted by either process once, through Redis and the store process\'s worker', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      send(p.collectorsUrl!, { n: 'pageview', u: `https://example.com/p${i}`, d: 'example.com', p: { t: 'procs' } })));
    assert.deepEqual(answers.map((r) => r.status), Array(40).fill(202));
    await p.waitForCount("SELECT count() FROM events WHERE props['t'] = 'procs'", 40);
    const [row] = await p.rows<{ n: string; u: string }>("SELECT count() AS n, uniqExact(pathname) AS u FROM events WHERE props['t'] = 'procs'");
    assert.deepEqual([Number(row!.n), Number(row!.u)], [40, 40]);
  });

  it('takes a site added after the start at once: a lookup that misses asks the store process for the registry', async () => {
    await p.registry.addSite({ domain: 'late.example' });
    const res = await send(p.collectorsUrl!, { n: 'pageview', u: 'https://late.example/', d: 'late.example', p: { t: 'late' } });
    assert.equal(res.status, 202);
    await p.waitForCount("SELECT count() FROM events WHERE props['t'] = 'late'", 1);
    const unknown = await send(p.collectorsUrl!, { n: 'pageview', u: 'https://nobody.example/', d: 'nobody.example' });
    assert.equal(unknown.status, 404);
  });

  it('starts another collector process when one dies, and keeps accepting meanwhile', async () => {
    const [victim, other] = p.collectorProcesses!.pids();
    process.kill(victim!, 'SIGKILL');
    await until(() => { const now = p.collectorProcesses!.pids(); return now.length === 2 && !now.includes(victim!); }, 'a new process replaced the killed one');
    assert.ok(p.collectorProcesses!.pids().includes(other!));
    const res = await send(p.collectorsUrl!, { n: 'pageview', u: 'https://example.com/after', d: 'example.com', p: { t: 'after-kill' } });
    assert.equal(res.status, 202);
    await p.waitForCount("SELECT count() FROM events WHERE props['t'] = 'after-kill'", 1);
  });

  it('stops its collector processes when the platform stops', async () => {
    const pids = p.collectorProcesses!.pids();
    await p.close();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `process ${pid} is gone`);
    p = { close: async () => undefined } as unknown as TestPlatform;
  });
});
