export interface Utm {
  source: string;
  medium: string;
  campaign: string;
  term: string;
  content: string;
}

export interface PageUrl {
  hostname: string;
  pathname: string;
  utm: Utm;
  paidClick: boolean;
}

const MAX_PATH = 1024;
const MAX_UTM = 256;

// Click ids that ad platforms append to paid clicks; their presence alone marks
// a paid visit even when the advertiser forgot utm_medium.
const PAID_CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'msclkid', 'dclid', 'twclid', 'li_fat_id', 'ttclid'];

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Malformed escapes (e.g. '%E0%A4%A') are kept raw rather than dropped.
    return s;
  }
}

function param(params: URLSearchParams, ...names: string[]): string {
  for (const name of names) {
    const v = params.get(name)?.trim();
    if (v) return v.slice(0, MAX_UTM);
  }
  return '';
}

function stripTrailingSlashes(p: string): string {
  return p.replace(/\/+$/, '');
}

/**
 * Normalises a tracked page URL into the parts we store.
 * Returns null for anything but an absolute http(s) URL.
 */
export function parsePageUrl(url: string, hashRouting: boolean): PageUrl | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;

  // URL already lowercases the host; a trailing dot is the same host.
  const hostname = u.hostname.replace(/\.$/, '').replace(/^www\./, '');

  let pathname = stripTrailingSlashes(decode(u.pathname)) || '/';
  if (hashRouting) {
    // SPA routes live in the fragment; their own '?query' is dropped like the
    // real query string so '/#/a?x=1' and '/#/a?x=2' count as one page.
    const route = stripTrailingSlashes(decode(u.hash.slice(1)).split('?')[0] ?? '');
    if (route) pathname += '#' + route;
  }
  pathname = pathname.slice(0, MAX_PATH);

  const q = u.searchParams;
  return {
    hostname,
    pathname,
    utm: {
      // Plausible's fallbacks: many sites link with ?source= or ?ref=.
      source: param(q, 'utm_source', 'source', 'ref'),
      medium: param(q, 'utm_medium'),
      campaign: param(q, 'utm_campaign'),
      term: param(q, 'utm_term'),
      content: param(q, 'utm_content'),
    },
    paidClick: PAID_CLICK_IDS.some((id) => q.has(id)),
  };
}
