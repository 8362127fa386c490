import { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import { REPORT_QUEUE, snapshotKey, type ReportJob } from '../../core/antitheft/jobs.ts';
import { bullConnection, bullPrefix } from '../../core/bull.ts';
import type { Config } from '../../core/config.ts';
import type { GeoLookup } from '../../core/geo.ts';
import { RateLimiter } from '../../core/rate-limit.ts';
import type { Services } from '../../core/services.ts';
import { OwnerReads } from '../store/owner-reads.ts';
import { AntitheftWrites } from '../store/writes.ts';
import { createAgentDownloadRouter } from './agent-download.ts';
import { createAgentRouter } from './agent-routes.ts';
import { DeviceDirectory } from './device-directory.ts';
import { EnrollmentCodes } from './enrollment-codes.ts';
import { createOwnerRouter } from './owner-routes.ts';
import { ServerKey } from './server-key.ts';

export interface AntitheftApi {
  /** The agent's endpoints (enroll, check-in, reports; only with a geo database) and the agent download: public, signed by devices. */
  agentMiddleware: Middleware<any, any>[];
  /** The owner's endpoints: mounted after the dashboard's session middleware, which they rely on. */
  ownerMiddleware: Middleware<any, any>[];
  routes: { method: string; path: string }[];
  queue: Queue<ReportJob>;
  close(): Promise<void>;
}

/** The anti-theft API: agent -> here -> BullMQ (REPORT_QUEUE) -> worker -> ClickHouse `antitheft`. */
export async function createAntitheftApi(cfg: Config, services: Services, geo: GeoLookup | null): Promise<AntitheftApi> {
  const reads = new OwnerReads(services.antitheftCh);
  const writes = new AntitheftWrites(services.antitheftCh);
  const directory = new DeviceDirectory(services.redis, services.prefix, reads);
  const codes = new EnrollmentCodes(services.redis, services.prefix);
  const serverKey = await ServerKey.load(reads, writes);
  const connection = bullConnection(services.redis);
  const queue = new Queue<ReportJob>(REPORT_QUEUE, {
    connection, prefix: bullPrefix(services.prefix),
    // An accepted report must never end as a failed job because ClickHouse was down for a while: retries go on (the
    // worker's backoff is capped at a minute); only UnrecoverableError (data that can never be stored) fails a job.
    defaultJobOptions: { attempts: 1_000_000, backoff: { type: 'capped' }, removeOnComplete: true, removeOnFail: { count: 1000 } },
  });
  const intervals = { reportIntervalS: cfg.antitheft.reportIntervalS, stolenIntervalS: cfg.antitheft.stolenIntervalS, checkInIntervalS: cfg.antitheft.checkInIntervalS };
  // Without the collector role (and its geo database) this process serves the owner's routes only.
  const stashSnapshot = async (reportId: string, ct: string) => { await services.redis.set(snapshotKey(services.prefix, reportId), ct); };
  const agent = geo && createAgentRouter({ cfg: cfg.antitheft, reads, writes, directory, codes, serverKey, queue, stashSnapshot, geo,
    deviceLimiter: new RateLimiter(cfg.antitheft.deviceRatePerMinute), enrollLimiter: new RateLimiter(cfg.antitheft.enrollRatePerMinute) });
  const download = createAgentDownloadRouter();
  const owner = createOwnerRouter({ intervals, reads, writes, directory, codes, serverKey });
  const routers = [...(agent ? [agent] : []), download, owner];
  return {
    agentMiddleware: [...(agent ? [agent.routes(), agent.allowedMethods()] : []), download.routes(), download.allowedMethods()],
    ownerMiddleware: [owner.routes(), owner.allowedMethods()],
    routes: routers.flatMap((r) => r.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })))),
    queue,
    async close() { await queue.close(); connection.disconnect(); },
  };
}
