import Router from '@koa/router';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AgentDownloadInfo } from '../../core/antitheft/owner-api.ts';
import { notFound } from '../../core/errors.ts';

/** Where `npm run build:agent` (antitheft/agent/build.ts) writes the one-file agent. */
export const AGENT_BUNDLE = fileURLToPath(new URL('../agent/dist/vigil-agent.mjs', import.meta.url));
export const AGENT_URL = '/api/antitheft/agent/vigil-agent.mjs';

let cached: { mtimeMs: number; bytes: Buffer; sha256: string; version: string } | null = null;

async function load(file = AGENT_BUNDLE) {
  const info = await stat(file).catch(() => null);
  if (!info) return null;
  if (cached?.mtimeMs !== info.mtimeMs) {
    const bytes = await readFile(file);
    const version = /VIGIL_AGENT_VERSION = "([^"]+)"/.exec(bytes.toString('utf8'))?.[1] ?? 'unknown';
    cached = { mtimeMs: info.mtimeMs, bytes, sha256: createHash('sha256').update(bytes).digest('hex'), version };
  }
  return cached;
}

export async function agentDownloadInfo(): Promise<AgentDownloadInfo | null> {
  const a = await load();
  return a && { version: a.version, sha256: a.sha256, size: a.bytes.length, url: AGENT_URL };
}

/** The agent for download, public (it is the same program for everyone), with its SHA-256 to check it against. */
export function createAgentDownloadRouter(): Router {
  const router = new Router();
  const missing = () => notFound('the agent is not built on this server: run "npm run build" there');
  router.get(AGENT_URL, async (ctx) => {
    const a = await load();
    if (!a) throw missing();
    ctx.set('X-Content-SHA256', a.sha256);
    ctx.set('Content-Disposition', 'attachment; filename="vigil-agent.mjs"');
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = a.bytes;
  });
  router.get('/api/antitheft/agent/info', async (ctx) => {
    const info = await agentDownloadInfo();
    if (!info) throw missing();
    ctx.body = info;
  });
  return router;
}
