import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ReportQueue } from '../../antitheft/agent/queue.ts';

const dir = () => join(mkdtempSync(join(tmpdir(), 'vigil-queue-')), 'queue');
const body = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(100) });

describe("the agent's offline queue", () => {
  it('delivers oldest first by sequence, also after a restart (a new instance on the same directory)', async () => {
    const d = dir();
    const q = new ReportQueue(d, { maxBytes: 1e9, maxCount: 1000 });
    for (const s of [3, 1, 12, 2]) await q.put({ sequence: s, mode: 'normal', body: body(s) });
    const again = new ReportQueue(d, { maxBytes: 1e9, maxCount: 1000 });
    assert.deepEqual((await again.list()).map((e) => e.sequence), [1, 2, 3, 12]);
    assert.equal((await again.read(12)).body, body(12));
    await again.remove(1);
    assert.deepEqual((await again.stats()).oldestSequence, 2);
  });

  it('over its cap drops the oldest normal-mode reports first and never a stolen-mode one', async () => {
    const q = new ReportQueue(dir(), { maxBytes: 1e9, maxCount: 3 });
    await q.put({ sequence: 1, mode: 'stolen', body: body(1) });
    await q.put({ sequence: 2, mode: 'normal', body: body(2) });
    await q.put({ sequence: 3, mode: 'normal', body: body(3) });
    assert.deepEqual(await q.put({ sequence: 4, mode: 'stolen', body: body(4) }), [2]);
    assert.deepEqual(await q.put({ sequence: 5, mode: 'stolen', body: body(5) }), [3]);
    assert.deepEqual(await q.put({ sequence: 6, mode: 'stolen', body: body(6) }), [], 'only stolen ones left: all kept');
    assert.deepEqual((await q.list()).map((e) => e.sequence), [1, 4, 5, 6]);
  });

  it("keeps files readable by the agent's user only, and ignores what a crash mid-write left", async () => {
    const d = dir();
    const q = new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 });
    await q.put({ sequence: 7, mode: 'stolen', body: body(7) });
    writeFileSync(join(d, '.tmp-999-8'), '{"half');
    writeFileSync(join(d, 'notes.txt'), 'unrelated');
    const fresh = new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 });
    assert.deepEqual((await fresh.list()).map((e) => e.sequence), [7]);
    assert.ok(!readdirSync(d).some((f) => f.startsWith('.tmp-')));
    assert.equal(statSync(join(d, '000000000007-stolen.json')).mode & 0o777, 0o600);
    assert.equal(statSync(d).mode & 0o777, 0o700);
    await fresh.clear();
    assert.deepEqual(await new ReportQueue(d, { maxBytes: 1e9, maxCount: 10 }).list(), []);
  });
});
