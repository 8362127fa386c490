import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `npm test`: the type checks (server and web app), then every *.test.ts under tests/ with node's test runner (each file in its own
 * process), then one closing line `N passed, N failed`. Arguments narrow the run to paths containing them.
 */
const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function find(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'artifacts' ? [] : find(p);
    return name.endsWith('.test.ts') ? [relative(root, p)] : [];
  });
}

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    const tee = (d: Buffer) => { out += d; process.stdout.write(d); };
    child.stdout.on('data', tee);
    child.stderr.on('data', tee);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const files = find(join(root, 'tests')).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
let passed = 0;
let failed = 0;

if (filters.length === 0) {
  console.log('== type check (tsc --noEmit)');
  const tsc = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  if (tsc.code === 0) passed += 1; else { failed += 1; console.log('type check failed'); }
  console.log('== web app check (svelte-check)');
  const web = await run(process.execPath, [join(root, 'node_modules/svelte-check/bin/svelte-check'), '--tsconfig', join(root, 'dashboard/web/tsconfig.json'),
    '--threshold', 'warning', '--output', 'human']);
  if (web.code === 0) passed += 1; else { failed += 1; console.log('web app check failed'); }
}

// Two files at a time: each integration file loads its own embedded ClickHouse (~260 MB) and redis-server.
// Crash tests come last, alone: they time kills against a load and need the machine to themselves.
const crash = files.filter((f) => f.startsWith('tests/crash/'));
const rest = files.filter((f) => !crash.includes(f));
for (const [group, concurrency] of [[rest, 2], [crash, 1]] as const) {
  if (group.length === 0) continue;
  const result = await run(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...group]);
  const count = (label: string) => Number(new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(result.out)?.[1] ?? 0);
  passed += count('pass');
  const failedHere = count('fail') + count('cancelled');
  failed += failedHere;
  if (result.code !== 0 && failedHere === 0) failed += 1; // the runner itself failed
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
