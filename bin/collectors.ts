import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { FromCollector, registryMessage, type ToCollector } from '../core/collector-ipc.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Registry } from '../core/registry.ts';

export interface CollectorProcesses {
  /** The port they share. */
  port: number;
  /** Process ids of the collector processes now serving. */
  pids(): number[];
  stop(): Promise<void>;
}

export interface CollectorProcessOptions { cfg: Config; count: number; redisUrl: string; registry: Registry; log: Logger }

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const RESTART_DELAY_MS = 1000;
const RELOAD_EVERY_MS = 1000;

/**
 * `vigil start --collectors N`: N collector processes beside the store process, sharing one port (node:cluster
 * hands each connection to one of them). They need only Redis and the registry, which this process sends them at
 * start, after every reload, and when a lookup of theirs misses (core/collector-ipc.ts). One that dies is started
 * again. The embedded store stays in this process, which keeps every role (bin/platform.ts).
 */
export async function startCollectorProcesses(opts: CollectorProcessOptions): Promise<CollectorProcesses> {
  // Each runs `vigil collector-process` through the same entry as `vigil`, so TypeScript loads the same way.
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./vigil.js', import.meta.url)), args: ['collector-process'] });
  const workers = new Set<Worker>();
  /** Those that said they are listening. */
  const serving = new Set<Worker>();
  let stopping = false;
  let port = opts.cfg.collectorPort;
  // Every process asks for the configured port, 0 included: node:cluster gives them all the one port it picked for 0.
  const config = (): Config => ({ ...opts.cfg, port: opts.cfg.collectorPort, redis: { ...opts.cfg.redis, url: opts.redisUrl } });
  const send = (w: Worker, m: ToCollector) => { if (w.isConnected()) w.send(m, undefined, () => undefined); };
  let lastReload = 0;
  const broadcast = () => { const m = registryMessage(opts.registry.snapshot()); for (const w of workers) send(w, m); };
  opts.registry.onChange(broadcast);

  const fork = (): Promise<void> => new Promise((resolve, reject) => {
    const w = cluster.fork();
    workers.add(w);
    const timer = setTimeout(() => reject(new Error(`a collector process did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    w.on('message', (raw: unknown) => {
      const m = FromCollector.safeParse(raw);
      if (!m.success) return opts.log.warn({ pid: w.process.pid }, 'a collector process sent a message that is not one of ours');
      if (m.data.type === 'vigil:hello') {
        send(w, { type: 'vigil:config', config: config() as unknown as Record<string, unknown> });
        send(w, registryMessage(opts.registry.snapshot()));
      } else if (m.data.type === 'vigil:registry-wanted') {
        // At most one reload a second however many misses come in (each reload goes to every process anyway).
        if (Date.now() - lastReload < RELOAD_EVERY_MS) return send(w, registryMessage(opts.registry.snapshot()));
        lastReload = Date.now();
        opts.registry.reload().catch((err: unknown) => opts.log.warn({ err }, 'registry reload failed'));
      } else {
        port = m.data.port;
        serving.add(w);
        clearTimeout(timer);
        resolve();
      }
    });
    // A message to a process that has just died fails here rather than as an uncaught error.
    w.on('error', (err) => opts.log.warn({ err, pid: w.process.pid }, 'a collector process\'s channel failed'));
    w.on('exit', (code, signal) => {
      workers.delete(w);
      serving.delete(w);
      clearTimeout(timer);
      reject(new Error(`a collector process exited while starting (code ${code}, signal ${signal})`));
      if (stopping) return;
      opts.log.error({ pid: w.process.pid, code, signal }, 'a collector process died; starting another');
      setTimeout(() => { if (!stopping) fork().catch((err: unknown) => opts.log.error({ err }, 'restarting a collector process failed')); }, RESTART_DELAY_MS).unref();
    });
  });

  const stop = async () => {
    stopping = true;
    const exits = [...workers].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      // One still starting holds nothing yet, and may not be listening for messages: it is simply ended.
      if (serving.has(w)) send(w, { type: 'vigil:stop' }); else w.process.kill('SIGTERM');
      setTimeout(() => { w.process.kill('SIGKILL'); }, STOP_TIMEOUT_MS).unref();
    }));
    await Promise.all(exits);
  };
  try {
    await fork();
    await Promise.all(Array.from({ length: opts.count - 1 }, fork));
  } catch (err) {
    await stop();
    throw err;
  }
  opts.log.info({ count: opts.count, port }, 'collector processes serving');
  return { port, pids: () => [...serving].map((w) => w.process.pid!), stop };
}
