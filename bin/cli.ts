import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../core/config.ts';
import { createLogger } from '../core/log.ts';
import { RedisSetupError } from '../core/redis.ts';
import { demoArgs, runDemoCommand, summary } from '../tools/demo/cli.ts';
import { ensureWebBuilt } from './build-web.ts';
import { ManageError, openManager } from './manage.ts';
import { runCollectorProcess } from './collector-process.ts';
import { ROLES, startPlatform, type Role } from './platform.ts';

const HELP = `Usage: vigil <command>

  start [collector|dashboard|worker ...] [--collectors N]
                                           run the platform (every role by default); --collectors N adds N
                                           collector processes on COLLECTOR_PORT (default PORT + 1)
  site add <domain> [--timezone Europe/Berlin] [--no-dnt]
  site list | site remove <domain>
  product add <name> | product list | product remove <name>
  product key add <product> | product key revoke <key id>
  user add <email> [--name "Ann Lee"] [--admin]  (prints a one-time password)
  user list
  demo [--events 3000000] [--months 6] [--domain demo.vigil.example]  (a demo site and products to explore)

Environment: PORT, DATA_DIR, CLICKHOUSE_URL, REDIS_URL, ... (see docs/configuration.md)`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function start(cfg: Config, argv: string[]): Promise<void> {
  const { values, positionals: args } = parseArgs({ args: argv, allowPositionals: true, options: { collectors: { type: 'string' } } });
  const collectors = values.collectors === undefined ? 0 : Number(values.collectors);
  if (!Number.isInteger(collectors) || collectors < 0 || collectors > 64) fail(`--collectors must be an integer between 0 and 64 (got ${JSON.stringify(values.collectors)})`);
  const roles = (args.length ? args : [...ROLES]) as Role[];
  const bad = roles.find((r) => !ROLES.includes(r));
  if (bad) fail(`Unknown role "${bad}": expected any of ${ROLES.join(', ')}`);
  if (roles.length < ROLES.length && !cfg.clickhouse.url) {
    console.error('Note: embedded ClickHouse allows one process per DATA_DIR; run separate roles against a ClickHouse server (CLICKHOUSE_URL).');
  }
  const log = createLogger(cfg.logLevel);
  if (roles.includes('dashboard')) ensureWebBuilt((m) => log.info(m));
  if (collectors && !roles.includes('collector')) fail('--collectors adds collector processes to a platform that runs the collector role');
  const platform = await startPlatform(cfg, roles, log, { collectors });
  log.info({ url: platform.url, roles, dataDir: cfg.dataDir, store: cfg.clickhouse.url ? 'clickhouse-server' : 'embedded',
    ...(platform.collectorsUrl ? { collectors: { count: collectors, url: platform.collectorsUrl } } : {}) }, `Vigil listening on ${platform.url}`);
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    platform.stop().then(() => { log.info('stopped cleanly'); process.exit(0); },
      (err) => { log.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

function print(rows: Record<string, unknown>[]): void {
  if (rows.length === 0) console.log('(none)');
  else console.table(rows);
}

async function manage(cfg: Config, noun: string, verb: string | undefined, rest: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true,
    options: { timezone: { type: 'string' }, 'no-dnt': { type: 'boolean' }, name: { type: 'string' }, admin: { type: 'boolean' } } });
  const arg = positionals.join(' ');
  const m = await openManager(cfg);
  try {
    const need = (what: string) => arg || fail(`Missing ${what}. ${HELP.split('\n')[0]}`);
    if (noun === 'site' && verb === 'add') {
      const { site } = await m.call('POST', '/sites', { domain: need('domain'), timezone: values.timezone, honorDnt: values['no-dnt'] ? false : undefined });
      console.log(`Added ${site.domain} (${site.siteId}). Put this on its pages:\n<script defer data-domain="${site.domain}" src="https://YOUR-VIGIL-HOST/t.js"></script>`);
    } else if (noun === 'site' && verb === 'list') {
      print((await m.call('GET', '/sites')).sites);
    } else if (noun === 'site' && verb === 'remove') {
      console.log(`Removed ${(await m.call('DELETE', `/sites/${encodeURIComponent(need('domain'))}`)).site.domain}`);
    } else if (noun === 'product' && verb === 'add') {
      const r = await m.call('POST', '/products', { name: need('product name') });
      console.log(`Added ${r.product.name} (${r.product.productId}).\nAPI key (shown once, keep it secret): ${r.apiKey}`);
    } else if (noun === 'product' && verb === 'list') {
      print((await m.call('GET', '/products')).products.map((p: any) => ({ productId: p.productId, name: p.name,
        keys: p.keys.map((k: any) => `${k.keyId} (${k.prefix}…)`).join(', ') })));
    } else if (noun === 'product' && verb === 'remove') {
      console.log(`Removed ${(await m.call('DELETE', `/products/${encodeURIComponent(need('product'))}`)).product.name}`);
    } else if (noun === 'product' && verb === 'key' && positionals[0] === 'add') {
      const name = positionals.slice(1).join(' ') || fail('Missing product');
      const r = await m.call('POST', `/products/${encodeURIComponent(name)}/keys`);
      console.log(`New API key for ${r.product.name} (shown once): ${r.apiKey}`);
    } else if (noun === 'product' && verb === 'key' && positionals[0] === 'revoke') {
      const id = positionals[1] ?? fail('Missing key id (see: vigil product list)');
      await m.call('DELETE', `/keys/${encodeURIComponent(id)}`);
      console.log(`Revoked ${id}`);
    } else if (noun === 'user' && verb === 'add') {
      const r = await m.call('POST', '/users', { email: need('e-mail address'), name: values.name, isAdmin: values.admin ?? false });
      console.log(`Added ${r.account.email}${r.account.isAdmin ? ' (administrator)' : ''}. Password (shown once, change it after signing in): ${r.password}`);
    } else if (noun === 'user' && verb === 'list') {
      print((await m.call('GET', '/users')).users);
    } else {
      fail(HELP);
    }
  } finally {
    await m.close();
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (!command || command === 'help' || command === '--help') return void console.log(HELP);
  // Internal: one of the processes `start --collectors N` runs; its configuration comes from the store process.
  if (command === 'collector-process') return runCollectorProcess();
  let cfg: Config;
  try {
    cfg = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  if (command === 'start') return start(cfg, args);
  if (command === 'demo') {
    let opts;
    try {
      opts = demoArgs(args);
    } catch (err) {
      fail(`${(err as Error).message}\nUsage: vigil demo [--events 3000000] [--months 6] [--domain demo.vigil.example]`);
    }
    const m = await openManager(cfg);
    try {
      console.log(summary(await runDemoCommand(m, opts), opts.months));
    } finally {
      await m.close();
    }
    process.exit(0);
  }
  if (command === 'site' || command === 'product' || command === 'user') {
    await manage(cfg, command, args[0], args.slice(1));
    process.exit(0);
  }
  fail(HELP);
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof RedisSetupError || err instanceof ManageError) fail(err.message);
  console.error(err);
  process.exit(1);
});
