import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ReportQueue } from '../../antitheft/agent/queue.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'vigil-queue-')), 'queue');
const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(100) });
const roomy = { maxBytes: 1e9, maxCount: 1000 };
const QUEUE_TS = new URL('../../antitheft/agent/queue.ts', import.meta.url).pathname;

describe("the agent's offline queue", () => {
  it('delivers oldest first by sequence, also after a restart (a new instance on the same directory)', async () => {
    const d = dir();
    const q = new ReportQueue(d, roomy);
    for (const s of [3, 1, 12, 2]) await q.put({ sequence: s, mode: s === 2 ? 'stolen' : 'normal', body: body(s) });
    const again = new ReportQueue(d, roomy);
    assert.deepEqual(await again.list(), [1, 2, 3, 12].map((s) => ({ sequence: s, mode: s === 2 ? 'stolen' : 'normal', bytes: body(s).length })));
    assert.deepEqual(await again.read(12), { sequence: 12, mode: 'normal', body: body(12) });
    await again.remove(1);
    assert.deepEqual(await again.stats(), { count: 3, bytes: 3 * body(1).length + 1, oldestSequence: 2, stolenCount: 1 });
    await assert.rejects(again.read(1), /report 1 is not in the queue/);
  });

  it('names files by zero-padded sequence and mode', async () => {
    const d = dir();
    await new ReportQueue(d, roomy).put({ sequence: 42, mode: 'stolen', body: '{}' });
    assert.deepEqual(readdirSync(d), ['000000000042-stolen.json']);
    await assert.rejects(new ReportQueue(d, roomy).put({ sequence: -1, mode: 'normal', body: '{}' }), /bad report sequence/);
  });

  it('over its count cap drops the oldest normal-mode reports first and never a stolen-mode one', async () => {
    const q = new ReportQueue(dir(), { maxBytes: 1e9, maxCount: 3 });
    await q.put({ sequence: 1, mode: 'stolen', body: body(1) });
    await q.put({ sequence: 2, mode: 'normal', body: body(2) });
    await q.put({ sequence: 3, mode: 'normal', body: body(3) });
    assert.deepEqual(await q.put({ sequence: 4, mode: 'stolen', body: body(4) }), [2]);
    assert.deepEqual(await q.put({ sequence: 5, mode: 'stolen', body: body(5) }), [3]);
    assert.deepEqual(await q.put({ sequence: 6, mode: 'stolen', body: body(6) }), [], 'only stolen ones left: all kept');
    assert.deepEqual((await q.list()).map((e) => e.sequence), [1, 4, 5, 6]);
  });

  it('over its byte cap drops as many old normal-mode reports as it takes', async () => {
    const size = body(1).length;
    const q = new ReportQueue(dir(), { maxBytes: size * 3, maxCount: 1000 });
    for (const s of [1, 2, 3]) await q.put({ sequence: s, mode: 'normal', body: body(s) });
    assert.deepEqual(await q.put({ sequence: 4, mode: 'stolen', body: 'y'.repeat(size * 2) }), [1, 2]);
    assert.deepEqual((await q.stats()).bytes, size * 3);
  });

  it("keeps files readable by the agent's user only, and ignores what a crash mid-write left", async () => {
    const d = dir();
    const q = new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 });
    await q.put({ sequence: 7, mode: 'stolen', body: body(7) });
    writeFileSync(join(d, '.tmp-999-8-abcd'), '{"half');
    writeFileSync(join(d, 'notes.txt'), 'unrelated');
    const fresh = new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 });
    assert.deepEqual((await fresh.list()).map((e) => e.sequence), [7]);
    assert.ok(!readdirSync(d).some((f) => f.startsWith('.tmp-')));
    assert.equal(statSync(join(d, '000000000007-stolen.json')).mode & 0o777, 0o600);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    await fresh.clear();
    assert.deepEqual(await new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 }).list(), []);
    assert.deepEqual(readdirSync(d), ['notes.txt'], 'clear deletes reports only');
  });

  it('is consistent after a kill -9 in the middle of writing: every listed report whole, no temp file left', async () => {
    const d = dir();
    // A writer that puts reports as fast as it can, killed at an arbitrary point of a put.
    const script = `import { ReportQueue } from ${JSON.stringify(QUEUE_TS)};
      const q = new ReportQueue(${JSON.stringify(d)}, { maxBytes: 1e9, maxCount: 100000 });
      for (let s = 1; ; s++) { await q.put({ sequence: s, mode: 'normal', body: JSON.stringify({ s, pad: 'z'.repeat(20000) }) }); if (s === 20) console.log('ready'); }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (String(d).includes('ready')) resolve(); });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));

    const q = new ReportQueue(d, roomy);
    const listed = (await q.list()).map((e) => e.sequence);
    assert.ok(listed.length >= 20);
    assert.deepEqual(listed, Array.from({ length: listed.length }, (_, i) => i + 1), 'no gap: each put finished before the next began');
    for (const s of listed) assert.equal(JSON.parse((await q.read(s)).body).s, s);
    assert.ok(!readdirSync(d).some((f) => f.startsWith('.tmp-')), 'the half-written temp file was removed');
    await q.put({ sequence: listed.length + 1, mode: 'normal', body: body(0) });
    assert.equal(readFileSync(join(d, `${String(listed.length + 1).padStart(12, '0')}-normal.json`), 'utf8'), body(0));
  });
});
