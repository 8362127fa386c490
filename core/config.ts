import { resolve } from 'node:path';
import { z } from 'zod';

/** Every setting Vigil reads, parsed once at boot and passed down; nothing else reads process.env. */
const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no']).transform((v) => v === '1' || v === 'true' || v === 'yes');
const int = (min: number, max: number) => {
  const expected = `an integer between ${min} and ${max}`;
  return z.string().regex(/^\d+$/, expected).transform(Number).pipe(z.number().int().min(min, expected).max(max, expected));
};
const url = (protocols: string[]) =>
  z.string().refine((v) => { try { return protocols.includes(new URL(v).protocol); } catch { return false; } },
    `a URL starting with ${protocols.join(' or ')}//`);

const Env = z.object({
  PORT: int(1, 65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  COLLECTOR_PORT: int(0, 65535).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  CLICKHOUSE_URL: url(['http:', 'https:']).optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a database name (letters, digits, _)').default('default'),
  CLICKHOUSE_CLUSTER: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a cluster name from the servers\' remote_servers (letters, digits, _)').optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_SERVER_BIN: z.string().default('redis-server'),
  VIGIL_ALLOW_VOLATILE_REDIS: bool.default(false),
  GEOIP_DB: z.string().optional(),
  RETENTION_MONTHS: int(1, 1200).default(25),
  VISITOR_COOKIE_MONTHS: int(1, 13).default(13),
  TRUST_PROXY: bool.default(false),
  MAX_BACKLOG: int(1000, 1_000_000_000).default(500_000),
  RATE_LIMIT_PER_MINUTE: int(1, 10_000_000).default(1200),
  FLUSH_INTERVAL_MS: int(10, 60_000).default(1000),
  FLUSH_MAX_ROWS: int(1, 1_000_000).default(10_000),
  WORKER_LEASE_MS: int(1000, 600_000).default(10_000),
  FILTER_ROLLUP_EVERY_MS: int(0, 86_400_000).default(30_000),
  FILTER_ROLLUP_BUDGET_MS: int(100, 600_000).default(5_000),
  QUERY_SAMPLE_ABOVE: int(0, 1_000_000_000_000).default(1_000_000),
  ANTITHEFT_REPORT_INTERVAL_S: int(5, 86_400).default(3600),
  ANTITHEFT_STOLEN_INTERVAL_S: int(5, 86_400).default(300),
  ANTITHEFT_CHECKIN_INTERVAL_S: int(5, 86_400).default(300),
  ANTITHEFT_RETENTION_DAYS: int(1, 3650).default(90),
  ANTITHEFT_DEVICE_RATE_PER_MINUTE: int(1, 100_000).default(120),
  ANTITHEFT_ENROLL_RATE_PER_MINUTE: int(1, 100_000).default(10),
  ANTITHEFT_CLICKHOUSE_USER: z.string().optional(),
  ANTITHEFT_CLICKHOUSE_PASSWORD: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  /** Where the collector processes of `vigil start --collectors N` listen (default PORT + 1; 0: any free port). */
  collectorPort: number;
  dataDir: string;
  /** `cluster`: the ClickHouse cluster the tables spread over (docs/scale-out.md); only with a server (`url`). */
  clickhouse: { url?: string; username: string; password: string; database: string; cluster?: string };
  redis: { url?: string; serverBin: string; allowVolatile: boolean };
  geoipDb?: string;
  retentionMonths: number;
  visitorCookieMonths: number;
  trustProxy: boolean;
  maxBacklog: number;
  rateLimitPerMinute: number;
  flush: { intervalMs: number; maxRows: number; leaseMs: number };
  /** The worker's filter rollup passes (worker/roll-visit-filters.ts): how often (0: never) and how long each may take. */
  filterRollup: { everyMs: number; budgetMs: number };
  /** Reports: visit frequency of a range with more cookie visits than this is estimated from a sample of visitors (0: never). */
  query: { sampleAbove: number };
  antitheft: {
    reportIntervalS: number;
    stolenIntervalS: number;
    checkInIntervalS: number;
    retentionDays: number;
    deviceRatePerMinute: number;
    enrollRatePerMinute: number;
    /** The anti-theft module's own ClickHouse user on a server (granted only the antitheft database). */
    clickhouseUser?: string;
    clickhousePassword?: string;
  };
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}

export class ConfigError extends Error {}

/** Parses the environment; the first bad variable becomes one line naming it and what is expected. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = raw[name] === undefined ? '' : ` (got ${JSON.stringify(raw[name])})`;
    const expected = issue.code === 'invalid_value' && 'values' in issue
      ? `one of ${(issue.values as unknown[]).join(', ')}` : issue.message;
    throw new ConfigError(`Invalid configuration: ${name} must be ${expected}${got}`);
  }
  const e = parsed.data;
  if (e.CLICKHOUSE_CLUSTER && !e.CLICKHOUSE_URL) {
    throw new ConfigError('Invalid configuration: CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL (a node of that cluster); the embedded store is one machine');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    collectorPort: e.COLLECTOR_PORT ?? Math.min(e.PORT + 1, 65535),
    dataDir: resolve(e.DATA_DIR),
    clickhouse: { url: e.CLICKHOUSE_URL, username: e.CLICKHOUSE_USER, password: e.CLICKHOUSE_PASSWORD, database: e.CLICKHOUSE_DATABASE,
      ...(e.CLICKHOUSE_CLUSTER ? { cluster: e.CLICKHOUSE_CLUSTER } : {}) },
    redis: { url: e.REDIS_URL, serverBin: e.REDIS_SERVER_BIN, allowVolatile: e.VIGIL_ALLOW_VOLATILE_REDIS },
    geoipDb: e.GEOIP_DB,
    retentionMonths: e.RETENTION_MONTHS,
    visitorCookieMonths: e.VISITOR_COOKIE_MONTHS,
    trustProxy: e.TRUST_PROXY,
    maxBacklog: e.MAX_BACKLOG,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    flush: { intervalMs: e.FLUSH_INTERVAL_MS, maxRows: e.FLUSH_MAX_ROWS, leaseMs: e.WORKER_LEASE_MS },
    filterRollup: { everyMs: e.FILTER_ROLLUP_EVERY_MS, budgetMs: e.FILTER_ROLLUP_BUDGET_MS },
    query: { sampleAbove: e.QUERY_SAMPLE_ABOVE },
    antitheft: {
      reportIntervalS: e.ANTITHEFT_REPORT_INTERVAL_S,
      stolenIntervalS: e.ANTITHEFT_STOLEN_INTERVAL_S,
      checkInIntervalS: e.ANTITHEFT_CHECKIN_INTERVAL_S,
      retentionDays: e.ANTITHEFT_RETENTION_DAYS,
      deviceRatePerMinute: e.ANTITHEFT_DEVICE_RATE_PER_MINUTE,
      enrollRatePerMinute: e.ANTITHEFT_ENROLL_RATE_PER_MINUTE,
      clickhouseUser: e.ANTITHEFT_CLICKHOUSE_USER,
      clickhousePassword: e.ANTITHEFT_CLICKHOUSE_PASSWORD,
    },
    logLevel: e.LOG_LEVEL,
  };
}
