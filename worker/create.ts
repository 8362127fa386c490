import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log.ts';
import type { Services } from '../core/services.ts';
import { EventDrainer } from './drain-events.ts';
import { ReportWriter } from './antitheft-reports.ts';
import { startDropFlusher } from './flush-drops.ts';
import { startFilterRoller } from './roll-visit-filters.ts';

export interface Worker { drainer: EventDrainer; reports: ReportWriter; stop(drainMs?: number): Promise<void> }

/**
 * The worker role: drains the ingest stream into ClickHouse, flushes the drop counters, stores anti-theft reports and
 * rolls settled visits up for filtered views (by default at most 5 s of every 30: a background share of a core).
 */
export async function startWorker(cfg: Config, services: Services, log: Logger): Promise<Worker> {
  const drainer = new EventDrainer(services.ch, services.redis, services.prefix, log, cfg.flush);
  await drainer.start();
  const drops = startDropFlusher(services.ch, services.redis, services.prefix, log);
  const roller = cfg.filterRollup.everyMs > 0 ? startFilterRoller(services.ch, services.redis, services.prefix, log,
    { ...cfg.filterRollup, retentionMonths: cfg.retentionMonths }) : null;
  const reports = new ReportWriter(services.antitheftCh, services.redis, services.prefix, log);
  return {
    drainer,
    reports,
    async stop(drainMs = 0) {
      await Promise.all([drainer.stop(drainMs), reports.close()]);
      await Promise.all([drops.stop(), roller?.stop()]);
    },
  };
}
