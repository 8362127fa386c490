import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Services } from '../core/services.ts';
import { EventDrainer } from './drain-events.ts';
import { ReportWriter } from './antitheft-reports.ts';
import { startDropFlusher } from './flush-drops.ts';

export interface Worker { drainer: EventDrainer; reports: ReportWriter; stop(drainMs?: number): Promise<void> }

/** The worker role: drains the ingest stream into ClickHouse, flushes the drop counters, stores anti-theft reports. */
export async function startWorker(cfg: Config, services: Services, log: Logger): Promise<Worker> {
  const drainer = new EventDrainer(services.ch, services.redis, services.prefix, log, cfg.flush);
  await drainer.start();
  const drops = startDropFlusher(services.ch, services.redis, services.prefix, log);
  const reports = new ReportWriter(services.antitheftCh, services.redis, services.prefix, log);
  return {
    drainer,
    reports,
    async stop(drainMs = 0) {
      await Promise.all([drainer.stop(drainMs), reports.close()]);
      await drops.stop();
    },
  };
}
