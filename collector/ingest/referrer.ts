import type { Utm } from './page-url.ts';
import { lookupHost, lookupUtmSource, type SourceEntry } from './referrer-sources.ts';

export type Channel =
  | 'direct'
  | 'organic_search'
  | 'paid_search'
  | 'social'
  | 'paid_social'
  | 'email'
  | 'referral'
  | 'paid'
  | 'internal';

export interface ReferrerInfo {
  referrer: string;
  source: string;
  channel: Channel;
}

const MAX_REFERRER = 1024;

// GA4 default channel grouping conditions on utm_medium / utm_source.
const PAID_MEDIUM = /^(.*cp.*|ppc|retargeting|paid.*)$/;
const EMAIL = new Set(['email', 'e-mail', 'e_mail', 'e mail']);
const SOCIAL_MEDIUM = new Set(['social', 'social-network', 'social-media', 'sm', 'social network', 'social media']);

// Referrers from browser internals or extensions are not traffic sources.
const REFERRER_PROTOCOLS = new Set(['http:', 'https:', 'android-app:']);

function parseReferrer(raw: string): URL | null {
  const s = raw.trim();
  if (!s) return null;
  try {
    // Some clients send the referrer without a scheme ('news.ycombinator.com/item').
    const u = new URL(/^[a-z][a-z0-9+.-]*:/i.test(s) ? s : `https://${s}`);
    return REFERRER_PROTOCOLS.has(u.protocol) && u.hostname ? u : null;
  } catch {
    return null;
  }
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
}

/**
 * Derives the traffic source and channel of a pageview from its referrer and
 * the page's UTM tags, modelled on GA4's default channel grouping.
 * Self-referrals yield direct with no source so that navigating inside the
 * site never registers as a new traffic source.
 */
export function classifyReferrer(
  referrer: string | undefined,
  page: { hostname: string; utm: Utm; paidClick: boolean },
): ReferrerInfo {
  const url = referrer ? parseReferrer(referrer) : null;
  const host = url ? normaliseHost(url.hostname) : '';
  if (host && host === normaliseHost(page.hostname)) {
    return { referrer: '', source: '', channel: 'direct' };
  }

  const path = url && url.pathname !== '/' ? url.pathname.replace(/\/+$/, '') : '';
  const normalisedReferrer = (host + path).slice(0, MAX_REFERRER);

  const utmSource = page.utm.source.trim();
  const known: SourceEntry | undefined = host ? lookupHost(host) : utmSource ? lookupUtmSource(utmSource) : undefined;
  // The referrer names the source; utm_source only stands in when there is none.
  const source = known?.name ?? (host || utmSource);
  const kind = known?.kind;

  const medium = page.utm.medium.trim().toLowerCase();
  const channel = pickChannel(kind, medium, utmSource.toLowerCase(), page.paidClick, source !== '');
  return { referrer: normalisedReferrer, source, channel };
}

function pickChannel(
  kind: SourceEntry['kind'] | undefined,
  medium: string,
  utmSource: string,
  paidClick: boolean,
  hasSource: boolean,
): Channel {
  if (paidClick || (medium && PAID_MEDIUM.test(medium))) {
    if (kind === 'search') return 'paid_search';
    if (kind === 'social') return 'paid_social';
    return 'paid';
  }
  if (EMAIL.has(medium) || EMAIL.has(utmSource) || kind === 'email') return 'email';
  if (kind === 'search' || medium === 'organic') return 'organic_search';
  if (kind === 'social' || SOCIAL_MEDIUM.has(medium)) return 'social';
  if (hasSource) return 'referral';
  return 'direct';
}
