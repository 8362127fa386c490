import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Koa from 'koa';
import { readAdminToken } from '../core/admin-token.ts';
import type { Config } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { Registry } from '../core/registry.ts';
import { errorMiddleware } from '../core/http.ts';
import { openServices, type Services } from '../core/services.ts';
import { AccountStore } from '../dashboard/api/accounts/store.ts';
import { createDemoRouter } from '../tools/demo/admin-route.ts';
import { createAdminRouter } from '../dashboard/routes/admin.ts';

/**
 * Site and product management for the CLI. While the platform runs it holds the embedded store, so the CLI asks it
 * over HTTP (admin token from DATA_DIR); otherwise the CLI opens the store and serves the same admin routes itself.
 */
export interface Manager {
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<any>;
  /** A POST answered with newline-delimited JSON (progress): each line goes to onLine; returns the last one. */
  stream(path: string, body: unknown, onLine: (line: any) => void): Promise<any>;
  close(): Promise<void>;
}

export class ManageError extends Error {}

async function runningPlatform(cfg: Config): Promise<string | null> {
  const url = `http://127.0.0.1:${cfg.port}`;
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    const body = (await res.json()) as { service?: string; roles?: string[] };
    return body.service === 'vigil' && body.roles?.includes('dashboard') ? url : null;
  } catch {
    return null;
  }
}

function httpManager(url: string, token: string, close: () => Promise<void>): Manager {
  return {
    async call(method, path, body) {
      const res = await fetch(`${url}/internal/admin${path}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) throw new ManageError(json.error ?? `HTTP ${res.status}`);
      return json;
    },
    async stream(path, body, onLine) {
      const res = await fetch(`${url}/internal/admin${path}`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      if (!res.ok || !res.body) {
        const json = (await res.json().catch(() => ({}))) as { error?: string };
        throw new ManageError(json.error ?? `HTTP ${res.status}`);
      }
      let last: any;
      let text = '';
      const take = (lines: string) => {
        for (const line of lines.split('\n').filter((l) => l.trim())) {
          last = JSON.parse(line);
          if (last.error) throw new ManageError(last.error);
          onLine(last);
        }
      };
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        text += decoder.decode(r.value, { stream: true });
        const end = text.lastIndexOf('\n');
        if (end >= 0) { take(text.slice(0, end)); text = text.slice(end + 1); }
      }
      take(text);
      return last;
    },
    close,
  };
}

export async function openManager(cfg: Config): Promise<Manager> {
  const url = await runningPlatform(cfg);
  if (url) {
    const token = readAdminToken(cfg.dataDir);
    if (!token) throw new ManageError(`Vigil runs on port ${cfg.port} but ${cfg.dataDir}/admin.token is missing: use the same DATA_DIR as the running platform`);
    return httpManager(url, token, async () => {});
  }
  let services: Services;
  try {
    services = await openServices(cfg, createLogger('warn', 'vigil-cli'), { needRedis: false });
  } catch (err) {
    throw new ManageError(`Cannot open the store in ${cfg.dataDir} (${(err as Error).message.split('\n')[0]}). ` +
      `If Vigil is running with this DATA_DIR, run the CLI with the same PORT (${cfg.port}) so it can go through it.`);
  }
  // Not running: serve the same admin routes from this process, on loopback, for this one command.
  const registry = new Registry(services.ch);
  await registry.reload();
  const token = randomBytes(24).toString('base64url');
  const app = new Koa();
  app.silent = true;
  const admin = createAdminRouter(registry, token, new AccountStore(services.ch));
  const demo = createDemoRouter(services.ch, registry, token);
  app.use(errorMiddleware(createLogger('warn', 'vigil-cli'))).use(admin.routes()).use(admin.allowedMethods()).use(demo.routes());
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return httpManager(`http://127.0.0.1:${port}`, token, async () => {
    await new Promise((resolve) => server.close(resolve));
    registry.close();
    await services.close();
  });
}
