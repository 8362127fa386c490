import type { VISIT_STAMP } from '../../../../core/event.ts';
import { invalid, show } from './errors.ts';

/**
 * The dimension allow-lists. Every SQL text here is a constant; a dimension name from a request only ever selects an
 * entry (no fallback), and the one open-ended family, event:props:<key>, passes its key as a query parameter.
 *
 * Levels: an `event` dimension is a column of each event (events table); a `visit` dimension is a fact of the visit,
 * taken from its first event (sessions table); `time` buckets by the site's time zone; `visitor` is a per-visitor
 * roll-up over the range; `product` dimensions are columns of product_events.
 */
/** A time dimension's bucket size. */
export type Granularity = 'minute' | 'hour' | 'day' | 'week' | 'month';

export type Level = 'event' | 'visit' | 'time' | 'visitor' | 'product';

export interface DimensionDef {
  level: Level;
  /** SQL over the level's own table (events, sessions, visitor roll-up or product_events). */
  sql: string;
  /** Changes while a visit goes on (so only the visit's latest row may be read): see sources.ts. */
  mutable?: true;
  /** Ordering by this dimension uses this aggregate instead of the label (labels that do not sort as text). */
  sortSql?: string;
  /** What to use instead when a visit metric is asked for by this event dimension. */
  hint?: string;
  /** Not usable in filters (with the reason). */
  noFilter?: string;
  /**
   * Kept in the rollups (core/migrations/008_rollups.sql, see plan/rollups.ts): for a visit dimension its key in
   * visit_rollup.dim (the view stores `sql` under it), for an event dimension its column in event_rollup.
   */
  rollup?: string;
  /**
   * A visit dimension as every event of the visit carries it (events.visit, migration 012): SQL over the events
   * table, so a visit filter on event figures tests the event's own row. Only what is fixed when the visit starts.
   */
  stamped?: string;
}

/** Whether events carry this visit dimension in their stamp (where the stamp exists: see plan/rollups.ts). */
export const stampable = (d: DimRef): boolean => d.def.level === 'visit' && d.def.stamped !== undefined;

type StampColumn = (typeof VISIT_STAMP)[number];

const visit = (sql: string, extra: Partial<DimensionDef> = {}): DimensionDef => ({ level: 'visit', sql, ...extra });
const event = (sql: string, hint: string, rollup?: string): DimensionDef => ({ level: 'event', sql, hint, ...(rollup ? { rollup } : {}) });
/** A visit dimension kept in visit_rollup under `key`. */
const rolled = (key: string, sql: string, extra: Partial<DimensionDef> = {}): DimensionDef => visit(sql, { ...extra, rollup: key });
/**
 * A fixed visit attribute, kept in visit_rollup under `key` when one is given: its SQL over sessions' columns and over
 * the stamp on events, from one template.
 */
const attr = (key: string | null, sql: (col: (c: StampColumn) => string) => string): DimensionDef => {
  const [own, stamped] = [sql((c) => c), sql((c) => `visit.${c}`)];
  return key ? rolled(key, own, { stamped }) : visit(own, { stamped });
};
/** A fixed visit attribute that is one column. */
const column = (key: string | null, c: StampColumn) => attr(key, (col) => col(c));

export const WEB_DIMENSIONS = {
  'event:page': event('pathname', 'use visit:entry_page or visit:exit_page', 'pathname'),
  'event:hostname': event('hostname', 'use a visit:* dimension'),
  'event:name': event('name', 'use a visit:* dimension', 'name'),
  // The custom property keys sent with events (one row per key an event carries), so a dashboard can offer them for
  // event:props:<key> instead of asking for a key.
  'event:prop_key': { level: 'event', sql: 'arrayJoin(mapKeys(props))', hint: 'use a visit:* dimension',
    noFilter: 'event:prop_key cannot be filtered; filter on event:props:<key>' },
  'visit:entry_page': rolled('entry_page', 'entry_page'),
  'visit:exit_page': rolled('exit_page', 'exit_page', { mutable: true }),
  'visit:source': attr('source', (c) => `if(${c('referrer_source')} = '', 'Direct / None', ${c('referrer_source')})`),
  'visit:referrer': attr(null, (c) => `if(${c('referrer')} = '', 'Direct / None', ${c('referrer')})`),
  'visit:channel': column('channel', 'channel'),
  'visit:utm_source': column('utm_source', 'utm_source'),
  'visit:utm_medium': column('utm_medium', 'utm_medium'),
  'visit:utm_campaign': column('utm_campaign', 'utm_campaign'),
  'visit:utm_term': column(null, 'utm_term'),
  'visit:utm_content': column(null, 'utm_content'),
  'visit:country': column('country', 'country_code'),
  'visit:region': column('region', 'region'),
  'visit:city': column('city', 'city'),
  'visit:browser': column('browser', 'browser'),
  'visit:browser_version': column(null, 'browser_version'),
  'visit:os': column('os', 'os'),
  'visit:os_version': column(null, 'os_version'),
  'visit:device': column('device', 'device_type'),
  'visit:screen': column('screen', 'screen_size'),
  'visit:visitor_type': attr('visitor_type', (c) => `multiIf(${c('id_type')} != 'cookie', 'cookieless', ${c('new_visitor')} = 1, 'new', 'returning')`),
  // Visits of each cookie visitor in the range, in buckets; computed over a per-visitor roll-up (see sources.ts).
  'visitor:frequency': { level: 'visitor', sql: "multiIf(visits = 1, '1', visits = 2, '2', visits <= 5, '3-5', visits <= 10, '6-10', '11+')",
    sortSql: 'min(visits)', noFilter: 'visitor:frequency cannot be filtered' },
} as const satisfies Record<string, DimensionDef>;

/**
 * Product dimensions. `feature` goes through the product's feature catalog (product_features, see features.ts): an event
 * counts as use of catalog feature F when the app tagged it with F (feature = F.name) or its name is one of F.events.
 * A tag naming a catalog feature wins; otherwise a catalog event name maps the event (over an empty or unknown tag);
 * otherwise the event keeps its own `feature` value (so a product without a catalog reads the column as it is). The
 * catalog arrives as the parameters {ft}, {fk}, {fv} (features.ts); the SQL stays a constant. The `feature` dimension,
 * filters on it, feature_users and feature_share all use this one expression.
 */
export const FEATURE_SQL = "if(has({ft:Array(String)}, concat(product_id, '\\0', feature)), feature, "
  + "transform(concat(product_id, '\\0', name), {fk:Array(String)}, {fv:Array(String)}, feature))";
export const PRODUCT_DIMENSIONS = {
  product: { level: 'product', sql: 'product_id' },
  feature: { level: 'product', sql: FEATURE_SQL },
  'event:name': { level: 'product', sql: 'name' },
  app_version: { level: 'product', sql: 'app_version' },
  os: { level: 'product', sql: 'os' },
  country: { level: 'product', sql: 'country_code' },
} as const satisfies Record<string, DimensionDef>;

const TIME = new Map<string, Granularity | 'auto'>([['time', 'auto'], ['time:minute', 'minute'], ['time:hour', 'hour'], ['time:day', 'day'],
  ['time:week', 'week'], ['time:month', 'month']]);
const PROP_PREFIX = 'event:props:';

/** A dimension as a query uses it: its catalog entry plus, for props, the key and, for time, the granularity. */
export interface DimRef {
  name: string;
  def: DimensionDef;
  /** event:props:<key>: the key (a query parameter, never SQL). */
  prop?: string;
  granularity?: Granularity;
}

export type Catalog = 'web' | 'product';

/** Looks a dimension name up; unknown names are a 400 naming `field`. */
export function resolveDimension(catalog: Catalog, name: unknown, field: string, auto: Granularity): DimRef {
  if (typeof name !== 'string') throw invalid(field, `a dimension is a string, got ${show(name)}`);
  const g = TIME.get(name); // a Map: no inherited keys ('__proto__', 'constructor') can match
  if (g) return { name, def: { level: 'time', sql: '', noFilter: 'time cannot be filtered; use date_range' }, granularity: g === 'auto' ? auto : g };
  if (catalog === 'web' && name.startsWith(PROP_PREFIX)) {
    const key = name.slice(PROP_PREFIX.length);
    if (key.length < 1 || key.length > 300) throw invalid(field, `a custom property key is 1 to 300 characters (${show(name)})`);
    return { name, def: { level: 'event', sql: '', hint: 'use a visit:* dimension' }, prop: key };
  }
  const table: Record<string, DimensionDef> = catalog === 'web' ? WEB_DIMENSIONS : PRODUCT_DIMENSIONS;
  const def = Object.hasOwn(table, name) ? table[name] : undefined;
  if (!def) {
    throw invalid(field, `unknown dimension ${show(name)}; known: ${[...Object.keys(table), ...(catalog === 'web' ? ['event:props:<key>'] : []),
      ...TIME.keys()].join(', ')}`);
  }
  return { name, def };
}

export const isTime = (d: DimRef) => d.def.level === 'time';
