import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

/**
 * Anti-theft data is its owner's alone, so the boundary is pinned in the source: analytics code (collector, query
 * engine, dashboard API, the demo tool, snippet) never names the antitheft database or imports the anti-theft module, and
 * only antitheft/store/owner-reads.ts reads that database.
 */
const ROOT = join(import.meta.dirname, '..', '..');
function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(join(ROOT, rel)).isDirectory()) return files(rel);
    return /\.(ts|js|svelte|sql|lua)$/.test(name) ? [rel] : [];
  });
}
const ANALYTICS = ['collector', 'dashboard/api', 'tools/demo', 'tracker-snippet', 'core/migrations'].flatMap(files)
  .filter((f) => !f.startsWith(join('core', 'migrations', 'antitheft')));
const ALL = ['antitheft', 'bin', 'collector', 'core', 'dashboard', 'tools', 'tracker-snippet', 'worker'].flatMap(files);

describe('anti-theft isolation in the source', () => {
  it('analytics code never names the antitheft database or imports anything of the anti-theft module', () => {
    assert.ok(ANALYTICS.length > 50, 'the scan found the analytics sources');
    for (const f of ANALYTICS) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      assert.doesNotMatch(text, /\bantitheft\s*\./i, `${f} names a table of the antitheft database`);
      assert.doesNotMatch(text, /from\s+['"][^'"]*antitheft\//, `${f} imports the anti-theft module`);
    }
  });

  it('only antitheft/store/owner-reads.ts reads the antitheft database', () => {
    const readers = ALL.filter((f) => /(?<!DELETE\s)\b(FROM|JOIN)\s+antitheft\./i.test(readFileSync(join(ROOT, f), 'utf8')));
    assert.deepEqual(readers.map((f) => relative('.', f)), [join('antitheft', 'store', 'owner-reads.ts')]);
  });

  it('every read in that module but the agent-authentication and server-key reads filters by owner_id', () => {
    const text = readFileSync(join(ROOT, 'antitheft/store/owner-reads.ts'), 'utf8');
    const statements = [...text.matchAll(/`(SELECT[\s\S]*?)`/g)].map((m) => m[1]!).filter((q) => /FROM antitheft\./.test(q));
    assert.ok(statements.length >= 6);
    for (const q of statements) {
      if (/antitheft\.server_keys/.test(q) || /FROM antitheft\.devices FINAL WHERE device_id = \{d:String\}$/.test(q.trim())) continue;
      assert.match(q, /owner_id = \{o:String\}/, `an owner read without the owner filter: ${q.slice(0, 120)}`);
    }
  });
});
