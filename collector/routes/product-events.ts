import Router from '@koa/router';
import { HttpError, badRequest, forbidden, unauthorized } from '../../core/errors.ts';
import { toChTime, type ProductEventRow } from '../../core/event.ts';
import { readJson } from '../../core/http.ts';
import { appendProductEvents } from '../../core/ingest-stream.ts';
import type { CollectorDeps } from '../deps.ts';
import { parseProductBatch } from '../ingest/parse-product-batch.ts';
import { admit, durably } from './guards.ts';

/** 1000 events with props fit well below this; more is a client bug. */
export const PRODUCT_BODY_LIMIT = 2 * 1024 * 1024;

/** POST /api/product-events: a batch of usage events from an application, authorised by its product API key. */
export function createProductEventsRouter(deps: CollectorDeps): Router {
  const router = new Router();
  router.post('/api/product-events', async (ctx) => {
    admit(ctx, deps);
    const auth = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
    if (!auth) throw unauthorized('send the product API key as "Authorization: Bearer <key>"');
    const product = await deps.registry.productForKey(auth[1]!);
    if (!product) {
      deps.drops.count('unknown_key');
      throw forbidden('unknown or revoked API key');
    }
    let events;
    try {
      events = parseProductBatch(await readJson(ctx, PRODUCT_BODY_LIMIT));
    } catch (err) {
      if (err instanceof HttpError) deps.drops.count(err.status === 413 ? 'too_large' : 'invalid', product.productId);
      throw err;
    }
    events.forEach((e, i) => {
      if (e.product && e.product !== product.productId && e.product.toLowerCase() !== product.name.toLowerCase()) {
        throw badRequest(`events[${i}].product "${e.product}" is not the product of this API key (${product.name})`, `events[${i}].product`);
      }
    });
    const country = deps.geo.lookup(ctx.ip).countryCode;
    const receivedAt = toChTime(Date.now());
    const rows: ProductEventRow[] = events.map((e) => ({
      product_id: product.productId,
      event_id: crypto.randomUUID(),
      timestamp: toChTime(e.timestamp),
      received_at: receivedAt,
      feature: e.feature,
      name: e.name,
      install_id: e.installId,
      app_version: e.appVersion,
      os: e.os,
      os_version: e.osVersion,
      country_code: country,
      props: e.props,
    }));
    await durably(deps, () => appendProductEvents(deps.redis, deps.prefix, rows));
    ctx.status = 202;
    ctx.body = { ok: true, accepted: rows.length };
  });
  return router;
}
