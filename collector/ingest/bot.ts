import { isbot } from 'isbot';

// Automation tools that isbot (tuned for crawlers) can miss, e.g. plain
// 'Lighthouse' and 'puppeteer'. Electron is deliberately absent: Electron
// apps are real people using a desktop app.
const AUTOMATION = /HeadlessChrome|PhantomJS|Lighthouse|puppeteer|Playwright|Cypress/i;

function headerText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
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
  if (AUTOMATION.test(userAgent)) return true;
  if (/HeadlessChrome/i.test(headerText(headers['sec-ch-ua']))) return true;
  return isbot(userAgent);
}
