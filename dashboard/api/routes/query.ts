import Router from '@koa/router';
import type Koa from 'koa';
import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import { readJson } from '../../../core/http.ts';
import type { Registry } from '../../../core/registry.ts';
import { queryResultCsv } from '../query/assemble/csv.ts';
import type { QueryResponse, RealtimeResponse, RetentionGrid, SiteOverview } from '../../../core/api/stats.ts';
import { executeQuery, resolveRange } from '../query/run/engine.ts';
import { realtime, siteOverview } from '../query/assemble/overview.ts';
import { parseQueryRequest } from '../query/request/query-request.ts';
import { parseOverviewRequest, parseRealtimeQuery, parseRetentionRequest } from '../query/request/view-requests.ts';
import { retention } from '../query/assemble/retention.ts';
import { resolveProducts, resolveSite, type Authorize } from '../query/request/scope.ts';

export interface QueryRouterDeps {
  ch: ClickHouseClient;
  registry: Registry;
  /** Throws 401 (no session) or 403 (no access); called for every site and product a request touches, before any query. */
  authorize: Authorize;
  /** The clock (tests pin it). */
  now?: () => number;
  /** Overview statements in flight at once (default 4; the embedded engine runs them one at a time either way). */
  concurrency?: number;
  /** Visit frequency past this many cookie visits is estimated from a sample (core/config.ts QUERY_SAMPLE_ABOVE); absent: never. */
  sampleAbove?: number;
}

const BODY_LIMIT = 64 * 1024;

/**
 * The stats API: POST /api/v1/query (and /query.csv), POST /api/v1/overview, GET /api/v1/realtime, POST /api/v1/retention.
 * Each handler parses the whole request first (a 400 names the bad field), then resolves and authorises the scope,
 * then queries. Answers are private to the caller: never cached.
 */
export function createQueryRouter(deps: QueryRouterDeps): Router {
  const { ch, registry, authorize } = deps;
  const now = deps.now ?? Date.now;
  const sampling = deps.sampleAbove ? { sampleAbove: deps.sampleAbove } : {};
  const router = new Router({ prefix: '/api/v1' });
  router.use(async (ctx, next) => { await next(); ctx.set('Cache-Control', 'private, no-store'); });

  const resolveScope = async (ctx: Koa.Context, s: { site?: string; products?: string[] | '*' }) =>
    (s.site !== undefined ? resolveSite(registry, ctx, authorize, s.site) : resolveProducts(registry, ctx, authorize, s.products!));

  const query = async (ctx: Koa.Context) => {
    const req = parseQueryRequest(await readJson(ctx, BODY_LIMIT));
    return { req, out: await executeQuery(ch, await resolveScope(ctx, req), req, now(), sampling) };
  };

  router.post('/query', async (ctx) => { ctx.body = (await query(ctx)).out satisfies QueryResponse; });

  router.post('/query.csv', async (ctx) => {
    const { req, out } = await query(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="vigil-query.csv"');
    ctx.body = queryResultCsv(req.dimensions.map((d) => d.name), req.metrics, out.results);
  });

  router.post('/overview', async (ctx) => {
    const req = parseOverviewRequest(await readJson(ctx, BODY_LIMIT));
    const scope = await resolveSite(registry, ctx, authorize, req.site);
    ctx.body = await siteOverview(ch, scope.site, { dateRange: req.dateRange, ...(req.date ? { date: req.date } : {}), filters: req.filters,
      comparison: req.comparison, ...(req.limit !== undefined ? { limit: req.limit } : {}), now: now(),
      ...(deps.concurrency ? { concurrency: deps.concurrency } : {}), ...sampling }) satisfies SiteOverview;
  });

  router.get('/realtime', async (ctx) => {
    const req = parseRealtimeQuery(ctx.query);
    const scope = await resolveSite(registry, ctx, authorize, req.site);
    ctx.body = await realtime(ch, scope.site, now()) satisfies RealtimeResponse;
  });

  router.post('/retention', async (ctx) => {
    const req = parseRetentionRequest(await readJson(ctx, BODY_LIMIT));
    const scope = await resolveScope(ctx, req);
    const range = await resolveRange(ch, scope, { dateRange: req.dateRange, ...(req.date ? { date: req.date } : {}) }, now());
    ctx.body = await retention(ch, scope, range, req.period, req.filters) satisfies RetentionGrid;
  });

  return router;
}
