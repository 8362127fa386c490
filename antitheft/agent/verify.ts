import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { unzipSync } from 'fflate';
import { verifyExport, type VerifyResult } from '../../core/antitheft/export.ts';
import { nodeVerify } from '../../core/antitheft/node-crypto.ts';

/** The files of an export: the zip the dashboard downloads, or a folder it was unpacked into. */
export function readExport(path: string): Map<string, Uint8Array> {
  if (statSync(path).isDirectory()) {
    const files = new Map<string, Uint8Array>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p); else files.set(relative(path, p).split('\\').join('/'), new Uint8Array(readFileSync(p)));
      }
    };
    walk(path);
    return files;
  }
  const entries = unzipSync(new Uint8Array(readFileSync(path)));
  return new Map(Object.entries(entries).filter(([name]) => !name.endsWith('/')));
}

/** `vigil-agent verify EXPORT`: signatures, receipts, hash chain and contents, told in plain lines. */
export async function verifyCommand(path: string, print: (line: string) => void): Promise<VerifyResult> {
  const result = await verifyExport(readExport(path), nodeVerify);
  print(result.ok ? `OK: ${result.reports} reports verified` : `FAILED: ${result.problems.length} problem(s) in ${result.reports} reports`);
  if (result.deviceFingerprint) print(`Device key fingerprint: ${result.deviceFingerprint} (compare with the one shown when the device was enrolled)`);
  print('Checked: every file against the manifest, each report\'s device signature, each server receipt, the hash chain, and that');
  print('reports.json and the snapshots are exactly what the device sealed (opened with the one-time keys in the export).');
  for (const p of result.problems) print(`  problem: ${p}`);
  for (const n of result.notes) print(`  note: ${n}`);
  return result;
}
