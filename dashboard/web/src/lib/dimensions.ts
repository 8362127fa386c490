/** The dimensions the site view shows and filters by: URL key, API name, label, how values read. */
export interface DimInfo { key: string; api: string; label: string; plural: string }

const D = (key: string, api: string, label: string, plural = `${label}s`): DimInfo => ({ key, api, label, plural });

export const DIMS: DimInfo[] = [
  D('page', 'event:page', 'Page'),
  D('entry_page', 'visit:entry_page', 'Entry page'),
  D('exit_page', 'visit:exit_page', 'Exit page'),
  D('hostname', 'event:hostname', 'Hostname'),
  D('source', 'visit:source', 'Source'),
  D('referrer', 'visit:referrer', 'Referrer'),
  D('channel', 'visit:channel', 'Channel'),
  D('utm_source', 'visit:utm_source', 'UTM source'),
  D('utm_medium', 'visit:utm_medium', 'UTM medium'),
  D('utm_campaign', 'visit:utm_campaign', 'UTM campaign'),
  D('utm_term', 'visit:utm_term', 'UTM term'),
  D('utm_content', 'visit:utm_content', 'UTM content'),
  D('country', 'visit:country', 'Country', 'Countries'),
  D('region', 'visit:region', 'Region'),
  D('city', 'visit:city', 'City', 'Cities'),
  D('browser', 'visit:browser', 'Browser'),
  D('browser_version', 'visit:browser_version', 'Browser version'),
  D('os', 'visit:os', 'Operating system'),
  D('os_version', 'visit:os_version', 'OS version'),
  D('device', 'visit:device', 'Device'),
  D('screen', 'visit:screen', 'Screen size'),
  D('visitor_type', 'visit:visitor_type', 'Visitor type'),
  D('goal', 'event:name', 'Goal'),
];

const byKey = new Map(DIMS.map((d) => [d.key, d]));
const byApi = new Map(DIMS.map((d) => [d.api, d]));

/** URL key ('country', 'props:plan') → API name ('visit:country', 'event:props:plan'). */
export function apiName(key: string): string | null {
  if (key.startsWith('props:') && key.length > 6) return `event:${key}`;
  return byKey.get(key)?.api ?? null;
}

export function urlKey(api: string): string {
  if (api.startsWith('event:props:')) return api.slice(6);
  return byApi.get(api)?.key ?? api;
}

export function dimLabel(api: string): string {
  if (api.startsWith('event:props:')) return `Property ${api.slice(12)}`;
  return byApi.get(api)?.label ?? api;
}

const regionNames = (() => {
  try { return new Intl.DisplayNames(['en'], { type: 'region' }); } catch { return null; }
})();

export function countryName(code: string): string {
  if (!code || code === 'ZZ' || code === '--') return 'Unknown';
  try { return regionNames?.of(code.toUpperCase()) ?? code; } catch { return code; }
}

/** A dimension value as people read it (country codes as names, empty as "(none)"). */
export function valueLabel(api: string, value: string): string {
  if (api === 'visit:country') return countryName(value);
  if (value === '' || value === null || value === undefined) return '(none)';
  if (WORDY.has(api)) return CHANNELS[value] ?? value.charAt(0).toUpperCase() + value.slice(1).replaceAll('_', ' ');
  return value;
}

/** Dimensions whose values are lower-case keys (organic_search, desktop, new): shown as words. */
const WORDY = new Set(['visit:channel', 'visit:device', 'visit:visitor_type', 'visit:screen']);
const CHANNELS: Record<string, string> = {
  organic_search: 'Organic Search', paid_search: 'Paid Search', organic_social: 'Organic Social', paid_social: 'Paid Social',
  social: 'Social', email: 'Email', direct: 'Direct', referral: 'Referral', display: 'Display', affiliates: 'Affiliates',
  organic_video: 'Organic Video', paid_video: 'Paid Video', sms: 'SMS', audio: 'Audio', organic_shopping: 'Organic Shopping',
  paid_shopping: 'Paid Shopping', cross_network: 'Cross-network', paid_other: 'Paid Other',
};
