import { classifyReferrer } from '../../collector/ingest/referrer.ts';

/**
 * What the demo site's synthetic visitors look like: the website of "Demo Labs", maker of Demo Cleaner and Demo
 * Antivirus. Names follow what the collector stores (ua-parser names, DB-IP regions, GA4-style channels computed by
 * the collector's own referrer classifier), so the demo exercises the same values as live traffic.
 */

/** Visits by hour of the day in the site's time zone: quiet nights, a peak mid-afternoon, a long evening (Americas). */
export const HOUR_WEIGHTS = [0.3, 0.2, 0.13, 0.1, 0.1, 0.14, 0.3, 0.55, 0.8, 0.95, 1.0, 1.05, 1.05, 1.1, 1.18, 1.22, 1.15, 1.05,
  0.97, 0.92, 0.88, 0.78, 0.62, 0.44];
/** Monday to Sunday. */
export const WEEKDAY_WEIGHTS = [1.0, 1.06, 1.05, 1.0, 0.88, 0.55, 0.62];

/** [country, weight, [region, city, weight][]] */
export const COUNTRIES: Array<[string, number, Array<[string, string, number]>]> = [
  ['US', 22, [['California', 'San Francisco', 5], ['California', 'Los Angeles', 4], ['New York', 'New York', 6], ['Texas', 'Austin', 3],
    ['Texas', 'Houston', 2], ['Washington', 'Seattle', 3], ['Illinois', 'Chicago', 3], ['Massachusetts', 'Boston', 2],
    ['Florida', 'Miami', 2], ['Colorado', 'Denver', 1.5], ['Georgia', 'Atlanta', 1.5], ['Oregon', 'Portland', 1]]],
  ['DE', 10, [['Berlin', 'Berlin', 5], ['Bavaria', 'Munich', 4], ['Hamburg', 'Hamburg', 3], ['Hesse', 'Frankfurt am Main', 2.5],
    ['North Rhine-Westphalia', 'Cologne', 2.5], ['North Rhine-Westphalia', 'Düsseldorf', 1.5], ['Baden-Württemberg', 'Stuttgart', 2],
    ['Saxony', 'Leipzig', 1.2]]],
  ['GB', 7, [['England', 'London', 8], ['England', 'Manchester', 2], ['England', 'Birmingham', 1.5], ['Scotland', 'Edinburgh', 1.2],
    ['England', 'Bristol', 1], ['Scotland', 'Glasgow', 0.8], ['Wales', 'Cardiff', 0.6]]],
  ['IN', 6, [['Karnataka', 'Bengaluru', 5], ['Maharashtra', 'Mumbai', 4], ['Maharashtra', 'Pune', 2], ['Delhi', 'New Delhi', 4],
    ['Telangana', 'Hyderabad', 3], ['Tamil Nadu', 'Chennai', 2.5]]],
  ['FR', 4.5, [['Île-de-France', 'Paris', 6], ['Auvergne-Rhône-Alpes', 'Lyon', 2], ["Provence-Alpes-Côte d'Azur", 'Marseille', 1.2],
    ['Occitanie', 'Toulouse', 1.2], ['Nouvelle-Aquitaine', 'Bordeaux', 1]]],
  ['CA', 4, [['Ontario', 'Toronto', 5], ['Quebec', 'Montreal', 3], ['British Columbia', 'Vancouver', 3], ['Alberta', 'Calgary', 1.2],
    ['Ontario', 'Ottawa', 1.2]]],
  ['NL', 3, [['North Holland', 'Amsterdam', 5], ['South Holland', 'Rotterdam', 2], ['Utrecht', 'Utrecht', 1.5], ['South Holland', 'The Hague', 1.2],
    ['North Brabant', 'Eindhoven', 1]]],
  ['BR', 3, [['São Paulo', 'São Paulo', 5], ['Rio de Janeiro', 'Rio de Janeiro', 2.5], ['Minas Gerais', 'Belo Horizonte', 1.2],
    ['Paraná', 'Curitiba', 1]]],
  ['ES', 2.5, [['Madrid', 'Madrid', 4], ['Catalonia', 'Barcelona', 4], ['Valencia', 'Valencia', 1.5], ['Andalusia', 'Seville', 1]]],
  ['IT', 2.5, [['Lombardy', 'Milan', 4], ['Lazio', 'Rome', 3.5], ['Piedmont', 'Turin', 1.5], ['Emilia-Romagna', 'Bologna', 1.2]]],
  ['AU', 2.5, [['New South Wales', 'Sydney', 4], ['Victoria', 'Melbourne', 4], ['Queensland', 'Brisbane', 2], ['Western Australia', 'Perth', 1.2]]],
  ['PL', 2, [['Mazovia', 'Warsaw', 4], ['Lesser Poland', 'Kraków', 2.5], ['Lower Silesia', 'Wrocław', 1.5], ['Greater Poland', 'Poznań', 1]]],
  ['SE', 1.5, [['Stockholm', 'Stockholm', 5], ['Västra Götaland', 'Gothenburg', 2], ['Skåne', 'Malmö', 1.2]]],
  ['CH', 1.5, [['Zurich', 'Zurich', 4], ['Geneva', 'Geneva', 2], ['Bern', 'Bern', 1.5], ['Basel-City', 'Basel', 1.2]]],
  ['AT', 1.2, [['Vienna', 'Vienna', 5], ['Styria', 'Graz', 1.2], ['Upper Austria', 'Linz', 1]]],
  ['JP', 1.5, [['Tokyo', 'Tokyo', 6], ['Osaka', 'Osaka', 2], ['Kanagawa', 'Yokohama', 1.2]]],
  ['MX', 1.2, [['Mexico City', 'Mexico City', 4], ['Jalisco', 'Guadalajara', 1.5], ['Nuevo León', 'Monterrey', 1.2]]],
  ['RU', 1, [['Moscow', 'Moscow', 4], ['St.-Petersburg', 'Saint Petersburg', 2]]],
  ['TR', 1, [['Istanbul', 'Istanbul', 4], ['Ankara', 'Ankara', 1.5], ['İzmir', 'İzmir', 1]]],
  ['BE', 1, [['Brussels Capital', 'Brussels', 3], ['Flanders', 'Antwerp', 2], ['Flanders', 'Ghent', 1.2]]],
  ['DK', 0.8, [['Capital Region', 'Copenhagen', 4], ['Central Jutland', 'Aarhus', 1.5]]],
  ['NO', 0.7, [['Oslo', 'Oslo', 4], ['Vestland', 'Bergen', 1.2]]],
  ['FI', 0.6, [['Uusimaa', 'Helsinki', 4], ['Pirkanmaa', 'Tampere', 1.2]]],
  ['IE', 0.7, [['Leinster', 'Dublin', 5], ['Munster', 'Cork', 1.2]]],
  ['PT', 0.7, [['Lisbon', 'Lisbon', 3], ['Porto', 'Porto', 1.5]]],
  ['CZ', 0.8, [['Prague', 'Prague', 4], ['South Moravian', 'Brno', 1.5]]],
  ['UA', 0.8, [['Kyiv City', 'Kyiv', 4], ['Lviv', 'Lviv', 1.5], ['Kharkiv', 'Kharkiv', 1.2]]],
  ['RO', 0.6, [['Bucharest', 'Bucharest', 4], ['Cluj', 'Cluj-Napoca', 1.5]]],
  ['ID', 1, [['Jakarta', 'Jakarta', 4], ['West Java', 'Bandung', 1.5]]],
  ['PH', 0.8, [['Metro Manila', 'Manila', 3], ['Metro Manila', 'Quezon City', 2], ['Central Visayas', 'Cebu City', 1]]],
  ['VN', 0.7, [['Ho Chi Minh', 'Ho Chi Minh City', 3], ['Hanoi', 'Hanoi', 2.5]]],
  ['KR', 0.8, [['Seoul', 'Seoul', 5], ['Busan', 'Busan', 1.2]]],
  ['SG', 0.6, [['Singapore', 'Singapore', 1]]],
  ['ZA', 0.6, [['Gauteng', 'Johannesburg', 3], ['Western Cape', 'Cape Town', 2]]],
  ['AR', 0.7, [['Buenos Aires F.D.', 'Buenos Aires', 4], ['Córdoba', 'Córdoba', 1.2]]],
  ['IL', 0.5, [['Tel Aviv', 'Tel Aviv', 3], ['Jerusalem', 'Jerusalem', 1.2]]],
  ['NG', 0.5, [['Lagos', 'Lagos', 3], ['FCT', 'Abuja', 1.2]]],
  ['PK', 0.6, [['Punjab', 'Lahore', 2], ['Sindh', 'Karachi', 2.5], ['Islamabad', 'Islamabad', 1.2]]],
  ['NZ', 0.5, [['Auckland', 'Auckland', 3], ['Wellington', 'Wellington', 1.5]]],
  ['GR', 0.5, [['Attica', 'Athens', 3], ['Central Macedonia', 'Thessaloniki', 1.2]]],
  ['HU', 0.5, [['Budapest', 'Budapest', 1]]],
  ['CL', 0.4, [['Santiago Metropolitan', 'Santiago', 1]]],
];

/** Browsers, in the order the platform weights below use. */
export const BROWSERS = ['Chrome', 'Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Opera'] as const;
export type OsKind = 'windows' | 'mac' | 'linux' | 'ios' | 'android';
export const OS_KINDS: readonly OsKind[] = ['windows', 'mac', 'linux', 'ios', 'android'];

export interface Platform {
  device: 'desktop' | 'mobile' | 'tablet';
  os: string;
  kind: OsKind;
  weight: number;
  /** Weights over BROWSERS. */
  browsers: [number, number, number, number, number, number];
  /** [CSS width, weight][] */
  widths: Array<[number, number]>;
}

const DESKTOP_WIDTHS: Array<[number, number]> = [[1920, 38], [1366, 10], [1536, 14], [1440, 8], [2560, 12], [1280, 6], [1680, 5], [3840, 4]];
export const PLATFORMS: Platform[] = [
  { device: 'desktop', os: 'Windows', kind: 'windows', weight: 31, browsers: [64, 0, 11, 22, 0, 3], widths: DESKTOP_WIDTHS },
  { device: 'desktop', os: 'macOS', kind: 'mac', weight: 16, browsers: [45, 42, 9, 4, 0, 0],
    widths: [[1440, 30], [1512, 25], [1728, 15], [1920, 15], [2560, 10], [1280, 5]] },
  { device: 'desktop', os: 'Linux', kind: 'linux', weight: 3.5, browsers: [50, 0, 50, 0, 0, 0], widths: DESKTOP_WIDTHS },
  { device: 'mobile', os: 'iOS', kind: 'ios', weight: 19, browsers: [12, 86, 2, 0, 0, 0],
    widths: [[390, 30], [393, 25], [430, 15], [375, 12], [414, 10], [428, 8]] },
  { device: 'mobile', os: 'Android', kind: 'android', weight: 23, browsers: [72, 0, 4, 0, 19, 5],
    widths: [[412, 40], [360, 25], [393, 15], [384, 10], [432, 10]] },
  { device: 'tablet', os: 'iOS', kind: 'ios', weight: 4, browsers: [10, 90, 0, 0, 0, 0], widths: [[810, 30], [820, 30], [768, 20], [834, 20]] },
  { device: 'tablet', os: 'Android', kind: 'android', weight: 2, browsers: [80, 0, 0, 0, 20, 0], widths: [[800, 50], [880, 25], [768, 25]] },
];

/** How many releases behind the newest a visitor's browser or OS is: [releases, weight][] */
export const BROWSER_LAG: Array<[number, number]> = [[0, 55], [1, 28], [2, 10], [3, 5], [4, 2]];
export const OS_LAG: Array<[number, number]> = [[0, 62], [1, 26], [2, 12]];
export const ANDROID_LAG: Array<[number, number]> = [[0, 25], [1, 30], [2, 22], [3, 15], [4, 8]];

/** Share of visitors without a cookie id, and why. */
export const COOKIELESS_SHARE = 0.1;
export const COOKIELESS_REASONS: Array<[string, number]> = [['refused', 45], ['dnt', 35], ['gpc', 20]];

export interface TrafficSource {
  weight: number;
  /** Where visits from this source enter: 0 home and direct landings, 1 product pages (ads), 2 content (blog, docs). */
  landing: 0 | 1 | 2;
  referrers: string[];
  utm?: { source: string; medium: string; campaigns: string[]; terms?: string[]; contents?: string[] };
  paidClick?: boolean;
}

export const SOURCES: TrafficSource[] = [
  { weight: 37, landing: 2, referrers: ['https://www.google.com/'] },
  { weight: 24, landing: 0, referrers: [''] },
  { weight: 3.5, landing: 2, referrers: ['https://www.bing.com/'] },
  { weight: 2, landing: 2, referrers: ['https://duckduckgo.com/'] },
  { weight: 0.6, landing: 2, referrers: ['https://www.ecosia.org/'] },
  { weight: 0.5, landing: 2, referrers: ['https://search.brave.com/'] },
  { weight: 0.5, landing: 2, referrers: ['https://search.yahoo.com/'] },
  { weight: 2, landing: 2, referrers: ['https://www.facebook.com/', 'https://l.facebook.com/', 'https://m.facebook.com/'] },
  { weight: 2, landing: 2, referrers: ['https://t.co/'] },
  { weight: 1.5, landing: 2, referrers: ['https://www.linkedin.com/'] },
  { weight: 1.5, landing: 2,
    referrers: ['https://www.reddit.com/r/privacy/', 'https://www.reddit.com/r/mac/', 'https://www.reddit.com/r/sysadmin/'] },
  { weight: 0.8, landing: 2, referrers: ['https://www.youtube.com/'] },
  { weight: 1, landing: 2, referrers: ['https://news.ycombinator.com/item'] },
  { weight: 0.5, landing: 1, referrers: ['https://www.producthunt.com/posts/demo-cleaner'] },
  { weight: 1.2, landing: 2, referrers: ['https://github.com/demo-labs/cleaner-cli', 'https://github.com/topics/antivirus'] },
  { weight: 2, landing: 2, referrers: ['https://dev.to/', 'https://blog.example.org/best-mac-cleaners',
    'https://www.techreviews.example/antivirus-2026', 'https://alternativeto.net/software/ccleaner/'] },
  { weight: 1.2, landing: 2, referrers: ['https://chatgpt.com/'] },
  { weight: 0.4, landing: 2, referrers: ['https://www.perplexity.ai/'] },
  { weight: 0.3, landing: 0, referrers: ['https://mail.google.com/'] },
  { weight: 4, landing: 0, referrers: [''],
    utm: { source: 'newsletter', medium: 'email', campaigns: ['newsletter-{month}'], contents: ['header-link', 'feature-story', 'footer'] } },
  { weight: 4, landing: 1, referrers: ['https://www.google.com/'], paidClick: true,
    utm: { source: 'google', medium: 'cpc', campaigns: ['brand', 'mac-cleaner-generic', 'antivirus-competitors'],
      terms: ['demo cleaner', 'mac cleaner', 'free up disk space', 'best antivirus', 'antivirus for mac', 'windows defender alternative'],
      contents: ['ad-a', 'ad-b'] } },
  { weight: 1, landing: 1, referrers: ['https://www.facebook.com/'],
    utm: { source: 'facebook', medium: 'paid_social', campaigns: ['spring-sale', 'retargeting-trial'], contents: ['video', 'carousel'] } },
];

/** A source as stored: the collector's classification of each referrer variant. */
export interface SourceRow { referrers: Array<[string, string, string]>; source: TrafficSource }

export function classifiedSources(domain: string): SourceRow[] {
  return SOURCES.map((s) => ({
    source: s,
    referrers: s.referrers.map((r) => {
      const utm = { source: s.utm?.source ?? '', medium: s.utm?.medium ?? '', campaign: s.utm?.campaigns[0] ?? '', term: '', content: '' };
      const c = classifyReferrer(r, { hostname: domain, utm, paidClick: s.paidClick ?? false });
      return [c.referrer, c.source, c.channel] as [string, string, string];
    }),
  }));
}

/** [path, entry weight for landings 0, 1, 2 (see TrafficSource.landing), weight as a next page] */
export const PAGES: Array<[string, number, number, number, number]> = [
  ['/', 60, 12, 6, 14], ['/cleaner', 8, 30, 3, 9], ['/antivirus', 6, 26, 2.5, 8], ['/pricing', 6, 14, 1.5, 11],
  ['/download', 5, 6, 1, 6], ['/signup', 1, 2, 0.2, 2], ['/login', 4, 0, 0.1, 1.5], ['/account', 2, 0, 0, 1.2],
  ['/features/disk-scan', 1, 3, 2, 3], ['/features/duplicate-finder', 0.6, 2, 1.5, 2.2], ['/features/startup-manager', 0.4, 1, 1, 1.6],
  ['/features/privacy-cleaner', 0.4, 1, 1, 1.5], ['/features/real-time-shield', 0.6, 2, 1.2, 2.4], ['/features/web-protection', 0.3, 1, 0.8, 1.5],
  ['/features/scheduled-scan', 0.2, 0.5, 0.5, 1], ['/compare/cleaner-vs-cleanmymac', 0.3, 2, 3, 1.2],
  ['/compare/antivirus-vs-defender', 0.3, 2, 3.5, 1.3], ['/support', 1.5, 0, 1, 3], ['/support/install-mac', 0.5, 0, 2, 1.2],
  ['/support/install-windows', 0.5, 0, 2.2, 1.3], ['/support/uninstall', 0.3, 0, 2.5, 0.8], ['/support/license', 0.5, 0, 0.8, 1],
  ['/support/refunds', 0.3, 0, 0.6, 0.6], ['/support/scan-stuck', 0.1, 0, 1.2, 0.5], ['/support/false-positive', 0.1, 0, 1.5, 0.5],
  ['/docs', 0.5, 0, 1, 2], ['/docs/getting-started', 0.3, 0, 1.5, 1.8], ['/docs/scheduled-scans', 0.1, 0, 0.8, 0.8],
  ['/docs/exclusions', 0.1, 0, 0.8, 0.7], ['/docs/command-line', 0.1, 0, 1, 0.6], ['/changelog', 0.6, 0, 0.5, 1],
  ['/about', 0.5, 0, 0.3, 1.2], ['/contact', 0.3, 0, 0.2, 0.9], ['/careers', 0.4, 0, 0.4, 0.5], ['/press', 0.1, 0, 0.2, 0.3],
  ['/privacy', 0.2, 0, 0.3, 0.6], ['/terms', 0.1, 0, 0.1, 0.4], ['/security', 0.1, 0, 0.3, 0.4], ['/partners', 0.1, 0, 0.1, 0.3],
  ['/affiliates', 0.1, 0, 0.2, 0.3], ['/blog', 1.5, 0, 1, 2.5], ['/blog/free-up-disk-space-mac', 0.3, 0, 9, 1],
  ['/blog/find-duplicate-photos', 0.2, 0, 6, 0.8], ['/blog/speed-up-windows-11-startup', 0.2, 0, 7, 0.8],
  ['/blog/clear-browser-cache', 0.1, 0, 5, 0.6],
  ['/blog/is-defender-enough', 0.2, 0, 6, 0.8], ['/blog/phishing-signs', 0.1, 0, 4, 0.5], ['/blog/ransomware-2026', 0.1, 0, 3, 0.5],
  ['/blog/mac-malware-myths', 0.1, 0, 3, 0.5], ['/blog/safe-downloads', 0.1, 0, 2, 0.4], ['/blog/password-hygiene', 0.1, 0, 2, 0.4],
  ['/blog/public-wifi-risks', 0.1, 0, 1.5, 0.4], ['/blog/what-is-a-pup', 0.1, 0, 2.5, 0.4], ['/blog/system-data-storage-mac', 0.1, 0, 4, 0.5],
  ['/blog/delete-large-files', 0.1, 0, 2.5, 0.4], ['/blog/clean-install-vs-cleanup', 0.1, 0, 1.2, 0.3],
  ['/blog/scheduled-scan-best-practices', 0.1, 0, 0.8, 0.3], ['/blog/browser-extensions-risk', 0.1, 0, 1.5, 0.3],
  ['/blog/release-2-3', 0.3, 0, 0.8, 0.6], ['/blog/release-2-2', 0.2, 0, 0.5, 0.4],
];

/** Links to other sites (Outbound Link: Click) and files (File Download) the snippet reports. */
export const OUTBOUND_LINKS = ['https://github.com/demo-labs/cleaner-cli', 'https://twitter.com/demolabs', 'https://www.youtube.com/@demolabs',
  'https://www.av-test.example/reports/demo-antivirus', 'https://support.apple.com/guide/mac-help/free-up-storage-space'];
/** Paths of files on the demo site itself. */
export const FILE_PATHS = ['/files/user-guide.pdf', '/files/demo-cleaner.dmg', '/files/demo-antivirus-setup.exe'];
export const SIGNUP_PLANS: Array<[string, number]> = [['trial', 70], ['pro', 22], ['family', 8]];
