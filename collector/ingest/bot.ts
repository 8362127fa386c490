import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';

// Automation tools that isbot (tuned for crawlers) can miss, e.g. plain
// 'Lighthouse' and 'puppeteer'. Electron is deliberately absent: Electron
// apps are real people using a desktop app.
const AUTOMATION = /HeadlessChrome|PhantomJS|Lighthouse|puppeteer|Playwright|Cypress/i;

// isbot's pattern is one large regex run per request, while real traffic has few
// distinct UAs: the verdict per UA string is cached (bounded, like the UA parser's).
// UAs longer than this are rare and hostile-looking; they are tested but not kept,
// so they cannot inflate the cache.
const CACHE_SIZE = 10_000;
const CACHE_MAX_UA_LENGTH = 1000;
const uaVerdicts = new LRUCache<string, boolean>({ max: CACHE_SIZE });

function headerText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function uaIsBot(userAgent: string): boolean {
  return AUTOMATION.test(userAgent) || isbot(userAgent);
}

/**
 * True for crawlers, HTTP libraries and headless/automated browsers.
 * Headless Chrome can spoof its UA but still announces itself in sec-ch-ua.
 */
export function isBot(
  userAgent: string | undefined,
  headers: Record<string, string | string[] | undefined>,
): boolean {
  // Every real browser sends a UA; an empty one is a script.
  if (!userAgent || !userAgent.trim()) return true;
  let verdict = uaVerdicts.get(userAgent);
  if (verdict === undefined) {
    verdict = uaIsBot(userAgent);
    if (userAgent.length <= CACHE_MAX_UA_LENGTH) uaVerdicts.set(userAgent, verdict);
  }
  if (verdict) return true;
  // Not cached: it depends on a header beside the UA.
  return /HeadlessChrome/i.test(headerText(headers['sec-ch-ua']));
}
