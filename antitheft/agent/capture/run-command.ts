import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface CommandResult { ok: boolean; code: number | null; stdout: Buffer; stderr: string; error?: string }

/**
 * Runs a program (no shell) with a time limit and an output limit, for the agent's location, traceroute and camera
 * captures: a hung or chatty tool is killed, and the answer says why instead of throwing.
 */
export function runCommand(argv: string[], opts: { timeoutMs: number; maxBytes: number }): Promise<CommandResult> {
  return new Promise((resolve) => {
    const [prog, ...args] = argv;
    if (!prog) return resolve({ ok: false, code: null, stdout: Buffer.alloc(0), stderr: '', error: 'no command given' });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let error: string | undefined;
    let child;
    try {
      child = spawn(prog, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      return resolve({ ok: false, code: null, stdout: Buffer.alloc(0), stderr: '', error: `cannot run ${prog}: ${(err as Error).message}` });
    }
    const timer = setTimeout(() => { error = `${prog} did not finish within ${opts.timeoutMs} ms`; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > opts.maxBytes) {
        error ??= `output larger than ${opts.maxBytes} bytes`;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(d);
    });
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 4000) stderr += String(d); });
    child.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code === 'ENOENT' ? `not found: ${prog}` : `cannot run ${prog}: ${err.message}`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: !error && code === 0, code, stdout: Buffer.concat(chunks), stderr: stderr.trim(), ...(error ? { error } : code !== 0 ? { error: `${prog} exited with ${code}${stderr.trim() ? `: ${stderr.trim().slice(0, 300)}` : ''}` } : {}) });
    });
  });
}

/** The first of `names` that is an executable file, as an absolute path or found in PATH. */
export function findProgram(names: string[], path = process.env.PATH ?? ''): string | null {
  for (const name of names) {
    const candidates = isAbsolute(name) ? [name] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
    for (const c of candidates) {
      try { accessSync(c, constants.X_OK); return c; } catch { /* not here */ }
    }
  }
  return null;
}
