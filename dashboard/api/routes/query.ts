import Router from '@koa/router';
import type Koa from 'koa';
import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import { readJson } from '../../../core/http.ts';
import type { Registry } from '../../../core/registry.ts';
import { queryResultCsv } from '../query/csv.ts';
import { COMPARISON_MODES, type ComparisonMode } from '../query/date-range.ts';
import { invalid, show } from '../query/errors.ts';
import { executeQuery, resolveRange } from '../query/execute.ts';
import { parseFilters } from '../query/filters.ts';
import { realtime, siteOverview } from '../query/overview.ts';
import { asObject, parseDateRange, parseQueryRequest, parseScope } from '../query/request.ts';
import { parsePeriod, retention } from '../query/retention.ts';
import { resolveProducts, resolveSite, type Authorize } from '../query/scope.ts';

export interface QueryRouterDeps {
  ch: ClickHouseClient;
  registry: Registry;
  /** Throws 401 (no session) or 403 (no access); called for every site and product a request touches, before any query. */
  authorize: Authorize;
  /** The clock (tests pin it). */
  now?: () => number;
  /** Overview statements in flight at once (default 4; the embedded engine runs them one at a time either way). */
  concurrency?: number;
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
  const router = new Router({ prefix: '/api/v1' });
  router.use(async (ctx, next) => { await next(); ctx.set('Cache-Control', 'private, no-store'); });

  const scopeOf = async (ctx: Koa.Context, s: ReturnType<typeof parseScope>) =>
    (s.site !== undefined ? resolveSite(registry, ctx, authorize, s.site) : resolveProducts(registry, ctx, authorize, s.products!));

  const query = async (ctx: Koa.Context) => {
    const req = parseQueryRequest(await readJson(ctx, BODY_LIMIT));
    return { req, out: await executeQuery(ch, await scopeOf(ctx, req), req, now()) };
  };

  router.post('/query', async (ctx) => { ctx.body = (await query(ctx)).out; });

  router.post('/query.csv', async (ctx) => {
    const { req, out } = await query(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', 'attachment; filename="vigil-query.csv"');
    ctx.body = queryResultCsv(req.dimensions.map((d) => d.name), req.metrics, out.results);
  });

  router.post('/overview', async (ctx) => {
    const b = asObject(await readJson(ctx, BODY_LIMIT));
    for (const k of Object.keys(b)) if (!['site_id', 'date_range', 'date', 'filters', 'comparison', 'limit'].includes(k)) throw invalid(k, `unknown field ${show(k)}`);
    if (b.site_id === undefined || b.product_id !== undefined) throw invalid('site_id', 'the overview is for one site: give site_id');
    const s = parseScope(b);
    const { dateRange, date } = parseDateRange(b);
    parseFilters(b.filters, 'web');
    const comparison = parseComparison(b.comparison);
    if (b.limit !== undefined && !(Number.isInteger(b.limit) && (b.limit as number) >= 1 && (b.limit as number) <= 100)) throw invalid('limit', 'limit is an integer from 1 to 100');
    const scope = await resolveSite(registry, ctx, authorize, s.site!);
    ctx.body = await siteOverview(ch, scope.site, { dateRange, ...(date ? { date } : {}), filters: b.filters ?? [], comparison,
      ...(b.limit !== undefined ? { limit: b.limit as number } : {}), now: now(), ...(deps.concurrency ? { concurrency: deps.concurrency } : {}) });
  });

  router.get('/realtime', async (ctx) => {
    const site = ctx.query.site_id;
    if (typeof site !== 'string' || site.length < 1 || site.length > 253) throw invalid('site_id', 'site_id (a domain or site id) is required');
    const scope = await resolveSite(registry, ctx, authorize, site);
    ctx.body = await realtime(ch, scope.site, now());
  });

  router.post('/retention', async (ctx) => {
    const b = asObject(await readJson(ctx, BODY_LIMIT));
    for (const k of Object.keys(b)) if (!['site_id', 'product_id', 'date_range', 'date', 'period', 'filters'].includes(k)) throw invalid(k, `unknown field ${show(k)}`);
    const s = parseScope(b);
    const { dateRange, date } = parseDateRange(b);
    if (dateRange === 'realtime') throw invalid('date_range', 'retention needs whole days, not realtime');
    const period = parsePeriod(b.period);
    const filters = parseFilters(b.filters, s.catalog);
    const scope = await scopeOf(ctx, s);
    const range = await resolveRange(ch, scope, { dateRange, ...(date ? { date } : {}) }, now());
    ctx.body = await retention(ch, scope, range, period, filters);
  });

  return router;
}

function parseComparison(raw: unknown): ComparisonMode | null {
  if (raw === undefined || raw === null || raw === false) return null;
  const mode = typeof raw === 'object' ? (raw as { mode?: unknown }).mode : raw;
  if (typeof mode !== 'string' || !(COMPARISON_MODES as readonly string[]).includes(mode)) {
    throw invalid('comparison', 'comparison is "previous_period" or "year_over_year" (or { "mode": ... })');
  }
  return mode as ComparisonMode;
}
