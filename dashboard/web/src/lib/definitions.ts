/**
 * What each figure means here, shown on hover (title) and to screen readers. Taken from docs/api.md ("Definitions",
 * "Web metrics", "Product dimensions and metrics"): keep them in step.
 */
export interface MetricInfo { label: string; short?: string; definition: string; kind: 'count' | 'percent' | 'duration' | 'decimal'; lowerIsBetter?: boolean; points?: boolean }

export const METRICS: Record<string, MetricInfo> = {
  visitors: { label: 'Unique visitors', short: 'Visitors', kind: 'count',
    definition: 'A visitor is a visitor id: Vigil\'s first-party cookie (13 months) when the browser keeps it, otherwise a hash of site, address and browser that changes every day (cookieless: Do Not Track, Global Privacy Control, refused cookies). A cookieless person coming back tomorrow counts as a new visitor.' },
  visits: { label: 'Total visits', short: 'Visits', kind: 'count',
    definition: 'A visit is a run of events of one visitor less than 30 minutes apart. Its source, country, device and entry page are those of its first event; it belongs to the day it starts on.' },
  pageviews: { label: 'Total pageviews', short: 'Pageviews', kind: 'count',
    definition: 'Pages viewed, single-page-app navigations included (under an event filter, only the matching ones).' },
  views_per_visit: { label: 'Views per visit', kind: 'decimal',
    definition: 'Pageviews divided by visits.' },
  bounce_rate: { label: 'Bounce rate', kind: 'percent', lowerIsBetter: true, points: true,
    definition: 'Bounces divided by visits. A bounce is a visit with one pageview and no custom event.' },
  visit_duration: { label: 'Visit duration', kind: 'duration',
    definition: 'The mean time from a visit\'s first to its last event, engagement pings included (so reading the last page counts).' },
  events: { label: 'Events', kind: 'count', definition: 'Pageviews plus custom events (engagement pings are never counted).' },
  conversion_rate: { label: 'Conversion rate', short: 'CR', kind: 'percent', points: true,
    definition: 'The share of visitors who did this goal, among the visitors the other filters keep.' },
  percentage: { label: '%', kind: 'percent', points: true, definition: 'This row\'s share of all visitors of the period (with the filters applied).' },
  new_visitors: { label: 'New visitors', kind: 'count', definition: 'Cookie visitors whose cookie was set in the period.' },
  returning_visitors: { label: 'Returning visitors', kind: 'count', definition: 'Cookie visitors who had the cookie before the period.' },
  visits_per_visitor: { label: 'Visits per visitor', kind: 'decimal',
    definition: 'Visits divided by visitors, cookie visitors only (a cookieless id changes every day).' },
  active_installs: { label: 'Active installs', short: 'Installs', kind: 'count', definition: 'Distinct installs (the install_id an application sends) that sent any event in the period.' },
  events_per_install: { label: 'Events per install', short: 'Per install', kind: 'decimal', definition: 'Events divided by active installs.' },
  feature_users: { label: 'Feature users', kind: 'count', definition: 'Installs that used the feature: sent an event tagged with it.' },
  feature_share: { label: 'Share of installs', kind: 'percent', points: true, definition: 'Feature users as a share of the product\'s active installs in the period.' },
  dau: { label: 'Daily active', short: 'DAU', kind: 'count', definition: 'The installs active on a day, averaged over the days of the period.' },
  wau: { label: 'Weekly active', short: 'WAU', kind: 'count', definition: 'The installs active in the 7 days ending on a day, averaged over the days of the period.' },
  mau: { label: 'Monthly active', short: 'MAU', kind: 'count', definition: 'The installs active in the 30 days ending on a day, averaged over the days of the period.' },
};

export const metricInfo = (m: string): MetricInfo => METRICS[m] ?? { label: m, kind: 'count', definition: '' };

/** Words for the things a panel lists, shown on hover of their headings. */
export const TERMS: Record<string, string> = {
  entry_page: 'The first page of a visit.',
  exit_page: 'The last page of a visit.',
  source: 'Where a visit came from: the referring site, or the utm_source of the link.',
  channel: 'A visit\'s source grouped into channels: Direct, Organic Search, Referral, Organic Social, Email, Paid…',
  visitor_type: 'New: a cookie first seen in this visit. Returning: a cookie seen before. Cookieless: no cookie (refused, DNT/GPC), so it cannot be told.',
  frequency: 'How many visits each visitor with a cookie made in the period.',
  cookieless: 'A visit without a cookie: the visitor refused it, sent Do Not Track / Global Privacy Control (when the site respects them), or the site uses no cookies. It is recognised only for the day.',
};
