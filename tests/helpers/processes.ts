import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export { freePort } from '../../core/free-port.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const VIGIL = join(ROOT, 'bin', 'vigil.js');

export interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `vigil <args>` to its end (bounded by `timeoutMs`). */
export function runVigil(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VIGIL, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Starts `vigil start` as a child process and resolves once GET /healthz answers 200. */
export async function startVigil(env: Record<string, string>, timeoutMs = 60_000, args: string[] = ['start']): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [VIGIL, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const url = `http://127.0.0.1:${env.PORT}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vigil exited with ${child.exitCode}: ${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return { child, url, output: () => output };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`vigil did not become healthy: ${output}`);
}

/** Sends SIGTERM and waits for the exit code (SIGKILL after `timeoutMs`). */
export function stopVigil(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
    child.kill('SIGTERM');
  });
}
