import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

export interface CommandResult { ok: boolean; code: number | null; stdout: Buffer; stderr: string; error?: string }
export interface CommandOptions { timeoutMs: number; maxBytes: number; input?: string | Buffer }

const STDERR_KEEP = 4000;

/**
 * Runs a program (no shell) with a time limit and an output limit, for the agent's location, traceroute and camera
 * captures: a hung or chatty tool is killed, and the answer says why instead of throwing.
 */
export function runCommand(argv: string[], opts: CommandOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const [prog, ...args] = argv;
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let error: string | undefined;
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const err = stderr.trim();
      error ??= code === 0 ? undefined
        : signal ? `${prog} was killed by ${signal}`
        : `${prog} exited with ${code}${err ? `: ${err.slice(0, 300)}` : ''}`;
      resolve({ ok: !error, code, stdout: Buffer.concat(chunks), stderr: err, ...(error ? { error } : {}) });
    };
    if (!prog) return resolve({ ok: false, code: null, stdout: Buffer.alloc(0), stderr: '', error: 'no command given' });

    let child: ChildProcess;
    try {
      // Its own process group, so that a kill also reaches what it started (a configured script's children).
      child = spawn(prog, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    } catch (err) {
      return resolve({ ok: false, code: null, stdout: Buffer.alloc(0), stderr: '', error: `cannot run ${prog}: ${(err as Error).message}` });
    }
    const kill = (why: string) => {
      error ??= why;
      try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
      // A grandchild that left the group could hold the pipes open; 'close' must not wait for it.
      child.stdout?.destroy();
      child.stderr?.destroy();
    };
    const timer = setTimeout(() => kill(`${prog} did not finish within ${opts.timeoutMs} ms`), opts.timeoutMs);

    child.stdout!.on('data', (d: Buffer) => {
      if (size + d.length > opts.maxBytes) return kill(`output larger than ${opts.maxBytes} bytes`);
      size += d.length;
      chunks.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < STDERR_KEEP) stderr += String(d).slice(0, STDERR_KEEP - stderr.length); });
    child.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code === 'ENOENT' ? `not found: ${prog}` : `cannot run ${prog}: ${err.message}`;
      if (child.pid === undefined) finish(null, null); // it never started: no 'close' to wait for
    });
    child.on('close', (code, signal) => finish(code, signal));
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => { /* the program exited without reading all of it: its exit code tells */ });
      child.stdin!.end(opts.input);
    }
  });
}

/** The first of `names` that is an executable file, as an absolute path or found in PATH. */
export function findProgram(names: string[], path = process.env.PATH ?? ''): string | null {
  for (const name of names) {
    const candidates = isAbsolute(name) ? [name] : name.includes('/') ? [] : path.split(delimiter).filter(Boolean).map((d) => join(d, name));
    for (const c of candidates) {
      try {
        accessSync(c, constants.X_OK);
        if (statSync(c).isFile()) return c; // X_OK also holds for directories
      } catch { /* not here */ }
    }
  }
  return null;
}

/** What a capture asks of this computer; tests pass another one to reach the branches this machine does not take. */
export interface Host { platform: NodeJS.Platform; find: (names: string[]) => string | null }
export const thisHost: Host = { platform: process.platform, find: (names) => findProgram(names) };
