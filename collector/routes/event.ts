import Router from '@koa/router';
import type { Context } from 'koa';
import { HttpError, badRequest, notFound } from '../../core/errors.ts';
import { toChTime, type WebEventRow } from '../../core/event.ts';
import { appendWebEvent } from '../../core/ingest-stream.ts';
import { readJson } from '../../core/http.ts';
import type { CollectorDeps } from '../deps.ts';
import { isBot } from '../ingest/bot.ts';
import { parsePageUrl } from '../ingest/page-url.ts';
import { parseWebEvent } from '../ingest/parse-event.ts';
import { classifyReferrer } from '../ingest/referrer.ts';
import { screenSize } from '../ingest/screen.ts';
import { cookielessVisitorId, cookieVisitorId, newCookieValue, newSessionId, readVisitorCookie, visitorCookieHeader } from '../ingest/visitor-id.ts';
import { admit, allowCors, durably, preflight } from './guards.ts';

export const EVENT_BODY_LIMIT = 64 * 1024;
const ACCEPTED = { ok: true };

/** POST /api/event: one pageview or custom event from the snippet (or any Plausible-style integration). */
export function createEventRouter(deps: CollectorDeps): Router {
  const router = new Router();
  router.options('/api/event', preflight);
  router.post('/api/event', async (ctx) => {
    allowCors(ctx);
    admit(ctx, deps);
    let input;
    try {
      input = parseWebEvent(await readJson(ctx, EVENT_BODY_LIMIT));
    } catch (err) {
      if (err instanceof HttpError) deps.drops.count(err.status === 413 ? 'too_large' : 'invalid');
      throw err;
    }
    const site = await deps.registry.siteForDomain(input.domain);
    if (!site) {
      deps.drops.count('unknown_site');
      throw notFound(`no site is registered for domain "${input.domain}"`);
    }
    const page = parsePageUrl(input.url, input.hashRouting);
    if (!page) {
      deps.drops.count('invalid', site.siteId);
      throw badRequest('url must be an absolute http(s) URL', 'url');
    }
    const userAgent = ctx.get('user-agent');
    if (isBot(userAgent, ctx.headers)) {
      // Bots get the same answer as people, so they learn nothing; they are only counted.
      deps.drops.count('bot', site.siteId);
      ctx.status = 202;
      ctx.body = ACCEPTED;
      return;
    }
    const ua = deps.parseUa(userAgent, ctx.headers);
    const geo = deps.geo.lookup(ctx.ip);
    const ref = classifyReferrer(input.referrer, page);
    const now = Date.now();
    const row: WebEventRow = {
      site_id: site.siteId,
      event_id: crypto.randomUUID(),
      timestamp: toChTime(now),
      name: input.name,
      hostname: page.hostname,
      pathname: page.pathname,
      referrer: ref.referrer,
      referrer_source: ref.source,
      channel: ref.channel,
      utm_source: page.utm.source,
      utm_medium: page.utm.medium,
      utm_campaign: page.utm.campaign,
      utm_term: page.utm.term,
      utm_content: page.utm.content,
      country_code: geo.countryCode,
      region: geo.region,
      city: geo.city,
      browser: ua.browser,
      browser_version: ua.browserVersion,
      os: ua.os,
      os_version: ua.osVersion,
      device_type: ua.deviceType,
      screen_width: input.width ?? 0,
      screen_size: screenSize(input.width),
      engagement_ms: input.name === 'engagement' ? input.engagementMs : 0,
      props: input.props,
    };
    const forceCookieless = cookielessReason(ctx, site.honorDnt, input.noCookie);
    const cookie = forceCookieless ? null : readVisitorCookie(ctx.get('cookie'));
    // The ingest script reads the cookieless id only without a usable cookie (or when cookieless is forced) and the
    // new visitor id only without a cookie and not forced, so each is computed only when it can be used ('' else).
    const freshCookie = cookie || forceCookieless ? null : newCookieValue();
    const salt = await durably(deps, () => deps.salt.current(now));
    const result = await durably(deps, async () => appendWebEvent(deps.redis, deps.prefix, {
      siteId: site.siteId,
      cookieId: cookie ? cookieVisitorId(cookie, site.siteId) : null,
      cookielessId: cookie ? '' : cookielessVisitorId(salt, site.siteId, ctx.ip, userAgent),
      forceCookieless,
      newVisitorId: freshCookie ? cookieVisitorId(freshCookie, site.siteId) : '',
      newSessionId: newSessionId(),
      at: now,
      row,
    }));
    if (!result.stored) deps.drops.count('stale_engagement', site.siteId);
    if (result.issuedCookie && freshCookie) {
      const maxAge = Math.round(deps.cfg.visitorCookieMonths * 30.44 * 86_400);
      ctx.append('Set-Cookie', visitorCookieHeader(freshCookie, maxAge, ctx.secure));
    }
    ctx.status = 202;
    ctx.body = ACCEPTED;
  });
  return router;
}

/** Why this visit must go without a cookie, or null. DNT and GPC count only where the site honours them (default). */
function cookielessReason(ctx: Context, honorDnt: boolean, noCookie: boolean): string | null {
  if (noCookie) return 'no_cookie';
  if (!honorDnt) return null;
  if (ctx.get('sec-gpc') === '1') return 'gpc';
  if (ctx.get('dnt') === '1') return 'dnt';
  return null;
}
