/**
 * Realistic snippet traffic for the collector benchmark: a fixed pool of distinct POST /api/event requests, built
 * from a seeded PRNG so every run sends the same requests. Visitors have a browser, an address and (most of them)
 * the visitor cookie; bodies are what tracker-snippet/src/t.js sends (short keys, text/plain like sendBeacon).
 */

export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** mulberry32: small, fast, good enough to pick from lists deterministically. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const hex = (rand: Rand, digits: number) => Array.from({ length: digits }, () => Math.floor(rand() * 16).toString(16)).join('');

/** Weighted choice: [weight, value] pairs. */
function weighted<T>(rand: Rand, table: readonly (readonly [number, T])[]): T {
  const total = table.reduce((s, [w]) => s + w, 0);
  let r = rand() * total;
  for (const [w, v] of table) {
    r -= w;
    if (r < 0) return v;
  }
  return table[table.length - 1]![1];
}

type Device = 'desktop' | 'mobile' | 'tablet';
interface Browser { ua: string; device: Device; hints?: { brands: string; mobile: string; platform: string } }

const CHROME_BRANDS = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"';
const EDGE_BRANDS = '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"';

/** Share of real-world traffic, roughly: Chrome first, then Safari (mostly iPhone), Edge, Firefox, Samsung. */
export const BROWSERS: readonly (readonly [number, Browser])[] = [
  [22, { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', device: 'desktop', hints: { brands: CHROME_BRANDS, mobile: '?0', platform: '"Windows"' } }],
  [8, { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', device: 'desktop', hints: { brands: CHROME_BRANDS, mobile: '?0', platform: '"macOS"' } }],
  [2, { ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', device: 'desktop', hints: { brands: CHROME_BRANDS.replaceAll('131', '130'), mobile: '?0', platform: '"Linux"' } }],
  [18, { ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', device: 'mobile', hints: { brands: CHROME_BRANDS, mobile: '?1', platform: '"Android"' } }],
  [16, { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1', device: 'mobile' }],
  [4, { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', device: 'mobile' }],
  [3, { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', device: 'mobile' }],
  [3, { ua: 'Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', device: 'tablet' }],
  [6, { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', device: 'desktop' }],
  [6, { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', device: 'desktop', hints: { brands: EDGE_BRANDS, mobile: '?0', platform: '"Windows"' } }],
  [4, { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', device: 'desktop' }],
  [1, { ua: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', device: 'desktop' }],
  [1, { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0', device: 'desktop' }],
  [1, { ua: 'Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0', device: 'mobile' }],
  [3, { ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36', device: 'mobile' }],
  [2, { ua: 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', device: 'tablet', hints: { brands: CHROME_BRANDS, mobile: '?0', platform: '"Android"' } }],
];

const WIDTHS: Record<Device, number[]> = {
  desktop: [1280, 1366, 1440, 1536, 1680, 1920, 2560],
  mobile: [360, 375, 390, 393, 412, 414, 430],
  tablet: [768, 810, 820, 834, 1024],
};

const BLOG = ['how-we-cut-our-aws-bill-in-half', 'postgres-vs-clickhouse-for-analytics', 'a-year-of-remote-work', 'shipping-faster-with-feature-flags',
  'the-case-for-boring-technology', 'gdpr-cookie-banners-explained', 'self-hosting-on-a-5-dollar-vps', 'typescript-5-9-whats-new',
  'building-a-design-system', 'why-we-left-google-analytics', 'rate-limiting-at-the-edge', 'our-2024-retrospective',
  'migrating-from-heroku', 'debugging-memory-leaks-in-node', 'writing-docs-people-read', 'pricing-page-experiments'];
const DOCS = ['getting-started/installation', 'getting-started/quick-start', 'getting-started/configuration', 'guides/custom-events',
  'guides/goals-and-funnels', 'guides/proxying-the-script', 'guides/spa-routing', 'api/authentication', 'api/events', 'api/stats',
  'integrations/wordpress', 'integrations/nextjs', 'integrations/shopify', 'self-hosting/docker', 'self-hosting/backups', 'faq'];
const PRODUCTS = ['espresso-grinder-pro', 'pour-over-kettle', 'ceramic-dripper-v60', 'cold-brew-jar-1l', 'milk-frother', 'travel-mug-350ml',
  'coffee-scale-timer', 'burr-grinder-mini', 'french-press-8-cup', 'aeropress-go', 'moka-pot-6-cup', 'gooseneck-kettle-matte'];
const PAGES = ['/', '/', '/', '/pricing', '/features', '/about', '/contact', '/blog', '/docs', '/signup', '/login', '/changelog', '/careers',
  '/customers', '/security', '/privacy', '/terms', '/shop', '/cart', '/checkout'];

function pagePath(rand: Rand): string {
  return weighted(rand, [
    [30, () => pick(rand, PAGES)],
    [30, () => `/blog/${pick(rand, BLOG)}`],
    [20, () => `/docs/${pick(rand, DOCS)}`],
    [15, () => `/shop/${pick(rand, PRODUCTS)}`],
    [5, () => `/search?q=${pick(rand, ['grinder', 'kettle', 'api+key', 'pricing', 'docker'])}`],
  ] as const)();
}

const UTMS = [
  'utm_source=newsletter&utm_medium=email&utm_campaign=november_digest',
  'utm_source=newsletter&utm_medium=email&utm_campaign=black_friday&utm_content=hero_button',
  'utm_source=google&utm_medium=cpc&utm_campaign=brand_search&utm_term=self+hosted+analytics',
  'utm_source=facebook&utm_medium=paid_social&utm_campaign=retargeting_q4',
  'utm_source=twitter&utm_medium=social&utm_campaign=launch_week',
  'utm_source=producthunt&utm_medium=referral&utm_campaign=launch',
  'utm_source=linkedin&utm_medium=social&utm_campaign=hiring',
  'ref=hackernews',
];

const REFERRERS: readonly (readonly [number, string | null])[] = [
  [33, ''], // direct / no referrer sent
  [25, 'https://www.google.com/'],
  [3, 'https://www.google.co.uk/'],
  [2, 'https://www.google.de/'],
  [4, 'https://l.facebook.com/'],
  [3, 'https://m.facebook.com/'],
  [2, 'https://www.bing.com/'],
  [1, 'https://duckduckgo.com/'],
  [2, 'https://t.co/'],
  [1, 'https://www.reddit.com/'],
  [1, 'https://news.ycombinator.com/'],
  [1, 'https://www.linkedin.com/'],
  [1, 'android-app://com.google.android.gm/'],
  [21, null], // an internal page of the same site
];

const CUSTOM_EVENTS: readonly ((rand: Rand) => { n: string; p?: Record<string, string | number | boolean> })[] = [
  (r) => ({ n: 'Signup', p: { plan: pick(r, ['free', 'starter', 'pro', 'business']), billing: pick(r, ['monthly', 'yearly']) } }),
  (r) => ({ n: 'Outbound Link: Click', p: { url: pick(r, ['https://github.com/vigil/vigil', 'https://twitter.com/vigil', 'https://discord.gg/abc123', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ']) } }),
  (r) => ({ n: 'File Download', p: { url: `https://example.com/files/${pick(r, ['whitepaper.pdf', 'price-list-2025.xlsx', 'brand-kit.zip'])}` } }),
  (r) => ({ n: 'Add to Cart', p: { sku: pick(r, PRODUCTS), price: pick(r, [19.9, 24.5, 49, 129, 349]), currency: 'EUR', quantity: pick(r, [1, 1, 1, 2]) } }),
  (r) => ({ n: 'Purchase', p: { order_value: pick(r, ['49.00', '129.90', '349.00']), items: pick(r, [1, 2, 3]), coupon: pick(r, ['', 'WELCOME10', 'BF2024']) } }),
  (r) => ({ n: '404', p: { path: `/old/${hex(r, 6)}` } }),
  (r) => ({ n: 'Form Submit', p: { form: pick(r, ['contact', 'newsletter', 'demo-request']), logged_in: pick(r, [true, false]) } }),
];

/** A public, routable IPv4 address (the private, shared, loopback, link-local and multicast blocks are skipped). */
function publicIpv4(rand: Rand): string {
  for (;;) {
    const a = 1 + Math.floor(rand() * 223);
    const b = Math.floor(rand() * 256);
    if (a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue;
    return `${a}.${b}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;
  }
}

function publicIpv6(rand: Rand): string {
  const prefix = pick(rand, ['2a02', '2a01', '2001:4860', '2600:1700', '2a00:23c5', '2003:e2', '2406:3003']);
  const groups = prefix.split(':').length;
  const rest = Array.from({ length: 8 - groups }, () => Math.floor(rand() * 0x10000).toString(16));
  return [prefix, ...rest].join(':');
}

interface Visitor { browser: Browser; ip: string; cookie: string | null; dnt: boolean; gpc: boolean; width: number; language: string }

export interface TrafficOptions { domain: string; requests?: number; visitors?: number; seed?: number }

/**
 * Builds `requests` distinct requests (default 500) from `visitors` distinct visitors (default 300). About 65% of the
 * visitors send a visitor cookie (the rest are first visits or refuse cookies), ~5% send DNT, ~2% GPC; 10% of the
 * events are custom events with props, ~12% of pageviews carry UTM or ref parameters. Engagement pings are left out,
 * since a stale one is answered 202 but deliberately not stored, which would blur the stored-vs-accepted check.
 */
export function buildTraffic({ domain, requests = 500, visitors = 300, seed = 20_241_130 }: TrafficOptions): BenchRequest[] {
  const rand = prng(seed);
  const people: Visitor[] = Array.from({ length: visitors }, () => {
    const browser = weighted(rand, BROWSERS);
    return {
      browser,
      ip: rand() < 0.12 ? publicIpv6(rand) : publicIpv4(rand),
      cookie: rand() < 0.65 ? hex(rand, 32) : null,
      dnt: rand() < 0.05,
      gpc: rand() < 0.02,
      width: pick(rand, WIDTHS[browser.device]),
      language: pick(rand, ['en-US,en;q=0.9', 'en-GB,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7', 'es-ES,es;q=0.9', 'nl-NL,nl;q=0.9,en;q=0.8']),
    };
  });
  const origin = `https://${domain}`;
  const out: BenchRequest[] = [];
  const seen = new Set<string>();
  while (out.length < requests) {
    const v = pick(rand, people);
    let path = pagePath(rand);
    if (rand() < 0.12) path += (path.includes('?') ? '&' : '?') + pick(rand, UTMS);
    const ref = weighted(rand, REFERRERS);
    const referrer = ref === null ? `${origin}${pagePath(rand)}` : ref;
    const event = rand() < 0.1 ? pick(rand, CUSTOM_EVENTS)(rand) : { n: 'pageview' };
    const body = JSON.stringify({ n: event.n, u: `${origin}${path}`, d: domain, r: referrer, w: v.width, p: event.p });
    const key = `${body}\n${v.ip}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const headers: Record<string, string> = {
      'content-type': 'text/plain;charset=UTF-8',
      'user-agent': v.browser.ua,
      accept: '*/*',
      'accept-language': v.language,
      'accept-encoding': 'gzip, deflate, br, zstd',
      origin,
      referer: `${origin}${path}`,
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'empty',
      'x-forwarded-for': v.ip,
    };
    if (v.browser.hints) {
      headers['sec-ch-ua'] = v.browser.hints.brands;
      headers['sec-ch-ua-mobile'] = v.browser.hints.mobile;
      headers['sec-ch-ua-platform'] = v.browser.hints.platform;
    }
    if (v.cookie) headers.cookie = `vigil_id=${v.cookie}`;
    if (v.dnt) headers.dnt = '1';
    if (v.gpc) headers['sec-gpc'] = '1';
    out.push({ method: 'POST', path: '/api/event', headers, body });
  }
  return out;
}

/** A short description of a pool, for the report. */
export function describeTraffic(pool: BenchRequest[]): string {
  const n = pool.length;
  const share = (f: (r: BenchRequest) => boolean) => `${Math.round((100 * pool.filter(f).length) / n)}%`;
  const bodies = new Set(pool.map((r) => r.body)).size;
  const avg = Math.round(pool.reduce((s, r) => s + r.body.length, 0) / n);
  return `${n} requests (${bodies} distinct bodies, avg ${avg} B), cookie ${share((r) => !!r.headers.cookie)}, ` +
    `custom events ${share((r) => !r.body.includes('"n":"pageview"'))}, UTM/ref ${share((r) => /[?&](utm_|ref=)/.test(r.body))}, ` +
    `no referrer ${share((r) => r.body.includes('"r":""'))}, IPv6 ${share((r) => r.headers['x-forwarded-for']!.includes(':'))}, ` +
    `DNT/GPC ${share((r) => !!r.headers.dnt || !!r.headers['sec-gpc'])}`;
}
