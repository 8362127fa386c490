import Router from '@koa/router';
import { z } from 'zod';
import type { Quality } from '../../../core/api/manage.ts';
import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import { keys } from '../../../core/ingest-stream.ts';
import type { Redis } from '../../../core/redis.ts';
import type { Access } from '../auth/access.ts';
import { runCompiled } from '../query/run/run.ts';

const Query = z.object({ days: z.coerce.number().int().min(1).max(3660).default(30) });

/**
 * GET /api/v1/sites/:id/quality: how trustworthy a site's figures are. Events refused and why (bot, invalid,
 * rate-limited, ...; still-unflushed counts from Redis included), the share of visits without a cookie and why
 * (refused, DNT, GPC, the site's no-cookie flag), and the ingest lag (events waiting in Redis, the oldest one's age,
 * the newest stored event).
 */
export function createQualityRouter({ ch, redis, prefix, access }: { ch: ClickHouseClient; redis: Redis; prefix: string; access: Access }): Router {
  const router = new Router({ prefix: '/api/v1/sites' });
  router.get('/:id/quality', async (ctx) => {
    const site = await access.site(ctx, ctx.params.id!);
    const { days } = Query.parse(ctx.query);
    const params = { site: site.siteId, days };
    // Through the engine's runner like every other read: read-only, with its time and memory limits.
    const [stored, visits, last] = await Promise.all([
      runCompiled<{ reason: string; count: string }>(ch, { name: 'quality:drops', params, sql: `SELECT reason, sum(count) AS count FROM ingest_drops
        WHERE site_id = {site:String} AND day >= today() - {days:UInt32} GROUP BY reason ORDER BY count DESC` }),
      runCompiled<{ id_type: string; reason: string; visits: string }>(ch, { name: 'quality:visits', params, sql: `SELECT id_type, cookieless_reason AS reason,
        sum(sign) AS visits FROM sessions WHERE site_id = {site:String} AND start >= now64(3) - toIntervalDay({days:UInt32})
        GROUP BY id_type, reason HAVING visits > 0` }),
      runCompiled<{ last: string | null }>(ch, { name: 'quality:last', params, sql: `SELECT if(count() = 0, NULL, toString(max(timestamp))) AS last FROM events
        WHERE site_id = {site:String} AND timestamp >= now64(3) - toIntervalDay({days:UInt32})` }),
    ]);
    // Counts the worker has not moved to ClickHouse yet (it does every 10 s).
    const pending = await redis.hgetall(keys(prefix).drops);
    const drops = new Map(stored.map((r) => [r.reason, Number(r.count)]));
    for (const [field, n] of Object.entries(pending)) {
      const [, siteId, reason] = field.split('|');
      if (siteId === site.siteId && reason) drops.set(reason, (drops.get(reason) ?? 0) + Number(n));
    }
    const total = visits.reduce((s, r) => s + Number(r.visits), 0);
    const cookieless = visits.filter((r) => r.id_type === 'cookieless');
    const [oldest] = (await redis.xrange(keys(prefix).stream, '-', '+', 'COUNT', 1)) as [string, string[]][];
    ctx.body = {
      site: { siteId: site.siteId, domain: site.domain },
      days,
      drops: [...drops].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
      visits: {
        total,
        cookieless: cookieless.reduce((s, r) => s + Number(r.visits), 0),
        cookielessShare: total ? cookieless.reduce((s, r) => s + Number(r.visits), 0) / total : 0,
        byReason: Object.fromEntries(cookieless.map((r) => [r.reason || 'unknown', Number(r.visits)])),
      },
      lag: {
        waitingEvents: await redis.xlen(keys(prefix).stream),
        oldestWaitingSeconds: oldest ? Math.max(0, (Date.now() - Number(oldest[0].split('-')[0])) / 1000) : 0,
        lastStoredEvent: last[0]?.last ?? null,
      },
    } satisfies Quality;
  });
  return router;
}
