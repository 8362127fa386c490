import { createCollector } from '../collector/create.ts';
import { asSnapshot, ToCollector, type FromCollector } from '../core/collector-ipc.ts';
import type { Config } from '../core/config.ts';
import type { HealthState } from '../core/health.ts';
import { createLogger } from '../core/log.ts';
import { RegistryCopy } from '../core/registry-copy.ts';
import { openRedisServices } from '../core/services.ts';
import { baseApp, closeGracefully, listen } from './serve.ts';

/**
 * One collector process of `vigil start --collectors N` (bin/collectors.ts starts it): the collector's routes on the
 * shared port, with Redis and the registry the store process sends. No store: what it accepts waits in Redis for
 * the worker, as everything the collector accepts does.
 */
export async function runCollectorProcess(): Promise<void> {
  const send = (m: FromCollector) => { process.send?.(m); };
  const registry = new RegistryCopy(() => send({ type: 'vigil:registry-wanted' }));
  const state: HealthState = { roles: ['collector'], stopping: false };
  let stop: () => Promise<void> = async () => { process.exit(0); };
  let cfg: Config | null = null;
  let first: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { first = resolve; });
  process.on('message', (raw: unknown) => {
    const m = ToCollector.safeParse(raw);
    if (!m.success) return;
    if (m.data.type === 'vigil:config') cfg = m.data.config as unknown as Config;
    else if (m.data.type === 'vigil:registry') { registry.update(asSnapshot(m.data)); first(); } else void stop();
  });
  // The store process that started it is gone: nothing would restart or stop it.
  process.on('disconnect', () => { void stop(); });
  // Ctrl-C reaches the whole process group: the store process stops its collectors itself, in order. A SIGTERM sent
  // to this process alone stops it gracefully.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => { void stop(); });
  send({ type: 'vigil:hello' });
  await ready;
  if (!cfg) throw new Error('the store process sent the registry before the configuration');
  const config: Config = cfg;
  const log = createLogger(config.logLevel);

  const services = await openRedisServices(config, log, config.redis.url!);
  const collector = await createCollector(config, services, registry, log);
  state.backlog = () => collector.deps.backlog.size;
  const app = baseApp(config, log, state);
  for (const m of collector.middleware) app.use(m);
  const server = await listen(app, config.port, config.host);
  let stopping: Promise<void> | null = null;
  stop = () => {
    stopping ??= (async () => {
      state.stopping = true;
      await closeGracefully(server);
      collector.stop();
      await services.close();
      process.exit(0);
    })();
    return stopping;
  };
  send({ type: 'vigil:listening', port: (server.address() as { port: number }).port });
}
