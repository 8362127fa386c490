/**
 * The rows Vigil stores, as the collector builds them and the worker inserts them (column names of the tables in
 * core/migrations). Visitor and session ids travel as 16 hex digits and become UInt64 in the worker.
 */
export interface WebEventRow {
  site_id: string;
  event_id: string;
  timestamp: string; // 'YYYY-MM-DD hh:mm:ss.sss' UTC
  name: string;
  hostname: string;
  pathname: string;
  referrer: string;
  referrer_source: string;
  channel: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  country_code: string;
  region: string;
  city: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device_type: string;
  screen_width: number;
  screen_size: string;
  engagement_ms: number;
  props: Record<string, string>;
}

/** Fields the ingest script decides inside Redis (visitor recognition and sessions) and adds to a web event. */
export interface VisitFields {
  visitor_id: string;
  session_id: string;
  id_type: 'cookie' | 'cookieless';
  cookieless_reason: string;
  new_visitor: 0 | 1;
}

export interface ProductEventRow {
  product_id: string;
  event_id: string;
  timestamp: string;
  received_at: string;
  feature: string;
  name: string;
  install_id: string;
  app_version: string;
  os: string;
  os_version: string;
  country_code: string;
  props: Record<string, string>;
}

/** ClickHouse DateTime64(3) text for a JS time, in UTC. */
export function toChTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** 16 hex digits (a visitor or session id) as the decimal text of a UInt64. */
export function hexToUInt64(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** What a visit takes from the event that starts it, stored on every row of the visit. */
export const SESSION_ATTRIBUTES = ['hostname', 'referrer', 'referrer_source', 'channel', 'utm_source', 'utm_medium', 'utm_campaign',
  'utm_term', 'utm_content', 'country_code', 'region', 'city', 'browser', 'browser_version', 'os', 'os_version', 'device_type',
  'screen_size'] as const;
export type SessionAttributes = Pick<WebEventRow, (typeof SESSION_ATTRIBUTES)[number]>;

/**
 * What the worker stamps on each event of a visit (events.visit, migration 012): the visit's attributes, then its id
 * type and new-visitor flag, so a visit filter on event figures tests the event's own columns.
 */
export const VISIT_STAMP = [...SESSION_ATTRIBUTES, 'id_type', 'new_visitor'] as const;

export function sessionAttributes(row: WebEventRow): SessionAttributes {
  return Object.fromEntries(SESSION_ATTRIBUTES.map((k) => [k, row[k]])) as SessionAttributes;
}

/** The counters of a visit after some event (its version). */
export interface SessionState { version: number; end: number; pageviews: number; events: number; engagementMs: number; exitPage: string }

/**
 * One row of the `sessions` table (VersionedCollapsingMergeTree): +1 for a visit's state at a version, -1 to cancel
 * an earlier version, so sums weighted by `sign` always describe the latest state without FINAL.
 */
export interface SessionRow extends SessionAttributes {
  site_id: string;
  session_id: string;
  sign: 1 | -1;
  version: number;
  visitor_id: string;
  start: string;
  /** Start of the visitor's previous visit on the site when within the link window; the epoch when none. */
  prev_start: string;
  end: string;
  duration_ms: number;
  pageviews: number;
  events: number;
  engagement_ms: number;
  is_bounce: 0 | 1;
  entry_page: string;
  exit_page: string;
  id_type: string;
  cookieless_reason: string;
  new_visitor: 0 | 1;
}
