import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openClickHouse, queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';

/**
 * The embedded engine keeps a failed statement's partial output for the next statement (chDB 3.4): the platform's
 * client (openClickHouse) must hand every caller its own rows only, whatever failed before.
 */
describe('embedded ClickHouse: a failed statement\'s rows never reach the next caller', () => {
  let ch: ClickHouseClient;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-embedded-'));
  // Three rows, then the second branch fails at its memory limit: the three rows were already produced.
  const FAILS = "SELECT 0 AS q, 'stale' AS r FROM numbers(3) UNION ALL SELECT 1 AS q, toString(length(groupArray(number))) AS r FROM numbers(100000000) SETTINGS max_memory_usage = 100000000";

  before(async () => { ch = await openClickHouse({ dataDir: dir, clickhouse: { username: 'default', password: '', database: 'default' } }); });
  after(async () => { await ch.close(); rmSync(dir, { recursive: true, force: true }); });

  it('answers the next query with its own rows after a statement fails half-way', async () => {
    await assert.rejects(queryRows(ch, FAILS), /memory limit/i);
    assert.deepEqual(await queryRows(ch, 'SELECT 2 AS n'), [{ n: 2 }]);
  });

  it('does so for queries already waiting when the statement fails, and after a timeout that had streamed rows', async () => {
    const [failed, a, b] = await Promise.allSettled([queryRows(ch, FAILS), queryRows(ch, 'SELECT 4 AS n'), queryRows(ch, 'SELECT 5 AS n')]);
    assert.equal(failed.status, 'rejected');
    assert.deepEqual([a, b].map((x) => (x.status === 'fulfilled' ? x.value : x.reason)), [[{ n: 4 }], [{ n: 5 }]]);
    await assert.rejects(queryRows(ch, 'SELECT number FROM numbers(100000000000) WHERE sipHash64(number) % 1000000 = 0 SETTINGS max_execution_time = 1'), /timeout/i);
    assert.deepEqual(await queryRows(ch, 'SELECT 6 AS n'), [{ n: 6 }]);
  });
});
