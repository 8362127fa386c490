import Router from '@koa/router';
import { timingSafeEqual } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { ClickHouseClient } from '../../core/clickhouse.ts';
import { badRequest, HttpError, unauthorized } from '../../core/errors.ts';
import { readJson } from '../../core/http.ts';
import type { Logger } from '../../core/log.ts';
import { RegistryError, type Registry } from '../../core/registry.ts';
import { DemoError, demoOptions, ensureDemoEntities, runDemo, type DemoOptions } from './generate.ts';

/**
 * POST /internal/admin/demo {events?, months?, domain?} for `vigil demo`, with the admin token like the other
 * /internal/admin routes. The answer streams newline-delimited JSON: {done, total} lines while the data is generated
 * (total 0 while preparing), then the result {site, products, events, visits, seconds}, or {error} if generation
 * failed midway. Mistakes found before it starts (bad options, a domain not reserved for examples) are a 400 as
 * usual. One demo at a time.
 */
export function createDemoRouter(ch: ClickHouseClient, registry: Registry, adminToken: string, log?: Logger): Router {
  const expected = Buffer.from(adminToken);
  let running = false;
  const router = new Router({ prefix: '/internal/admin' });
  router.post('/demo', async (ctx) => {
    const got = Buffer.from(/^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1] ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw unauthorized('admin token required');
    const body = await readJson(ctx, 4096);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
    if (running) throw new HttpError(409, 'conflict', 'a demo is already being generated; wait for it to finish');
    let opts: DemoOptions;
    try {
      opts = demoOptions(body as Record<string, unknown>);
      running = true;
      await ensureDemoEntities(ch, registry, opts.domain);
    } catch (err) {
      running = false;
      if (err instanceof DemoError || err instanceof RegistryError) throw badRequest(err.message);
      throw err;
    }
    // The generation outlives this handler: Koa pipes the stream while it runs. If the client goes away, it stops
    // after the current statement (a later run replaces whatever was written).
    const out = new PassThrough();
    const abort = new AbortController();
    ctx.res.once('close', () => { if (!ctx.res.writableFinished) abort.abort(); });
    const line = (value: unknown) => out.write(`${JSON.stringify(value)}\n`);
    ctx.status = 200;
    ctx.type = 'application/x-ndjson';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = out;
    line({ done: 0, total: 0 }); // sends the headers now: removing a previous demo can take a moment
    runDemo(ch, registry, opts, line, { signal: abort.signal })
      .then((result) => out.end(`${JSON.stringify(result)}\n`), (err: Error) => {
        if (!(err instanceof DemoError)) log?.error({ err }, 'demo generation failed');
        out.end(`${JSON.stringify({ error: `demo generation failed: ${err.message.split('\n')[0]}` })}\n`);
      })
      .finally(() => { running = false; });
  });
  return router;
}
