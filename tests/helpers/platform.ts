import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../core/config.ts';
import { queryRows } from '../../core/clickhouse.ts';
import { createLogger } from '../../core/log.ts';
import { startPrivateRedis, type PrivateRedis } from '../../core/redis-server.ts';
import { startPlatform, type Platform, type PlatformOptions, type Role } from '../../bin/platform.ts';

/**
 * A whole Vigil in this test process: embedded ClickHouse in a temporary DATA_DIR and a real redis-server of its own
 * (append-only, like production). Nothing is mocked.
 */
export interface TestPlatform extends Platform {
  cfg: Config;
  redisServer: PrivateRedis;
  dataDir: string;
  /** Waits until `sql` (a count) reaches `n`, or fails after `timeoutMs`. */
  waitForCount(sql: string, n: number, params?: Record<string, unknown>, timeoutMs?: number): Promise<number>;
  rows<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  post(path: string, body: unknown, headers?: Record<string, string | undefined>): Promise<Response>;
  close(): Promise<void>;
  /** Every log line the platform wrote (JSON text). */
  logs: string[];
}

export async function startTestPlatform(env: Record<string, string> = {}, roles: Role[] = ['collector', 'dashboard', 'worker'],
  opts: PlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  const redisServer = await startPrivateRedis(dataDir);
  const cfg = { ...loadConfig({ DATA_DIR: dataDir, REDIS_URL: redisServer.url, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '100', FILTER_ROLLUP_EVERY_MS: '0', ...env }), port: 0, collectorPort: 0, host: '127.0.0.1' };
  const logs: string[] = [];
  const sink = { write: (line: string) => { logs.push(line); if (process.env.VIGIL_TEST_LOGS) process.stderr.write(line); } };
  const platform = await startPlatform(cfg, roles, createLogger(cfg.logLevel, 'vigil-test', sink), opts);
  const rows = <T>(sql: string, params: Record<string, unknown> = {}) => queryRows<T>(platform.services.ch, sql, params);
  return {
    ...platform,
    cfg,
    logs,
    redisServer,
    dataDir,
    rows,
    async waitForCount(sql, n, params = {}, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last = -1;
      while (Date.now() < deadline) {
        const [r] = await rows<Record<string, string>>(sql, params);
        last = Number(Object.values(r ?? {})[0] ?? 0);
        if (last >= n) return last;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error(`timed out waiting for ${n} from "${sql}" (last saw ${last})`);
    },
    post(path, body, headers = {}) {
      return fetch(`${platform.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
        headers: Object.fromEntries(Object.entries({ 'content-type': 'application/json', 'user-agent': CHROME_UA, ...headers })
          .filter((e): e is [string, string] => e[1] !== undefined)) });
    },
    async close() {
      await platform.stop();
      await redisServer.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
export const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
