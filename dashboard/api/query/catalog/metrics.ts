import { FEATURE_SQL } from './dimensions.ts';
import { invalid, show } from './errors.ts';

/**
 * The metric allow-lists: for each metric, its aggregate over each table that can answer it. A metric missing for a
 * table cannot be computed there (bounce_rate over events: a bounce is a fact of a visit, not of an event).
 *
 * Web definitions (also in docs/api.md):
 * - a visitor is a visitor id: a first-party cookie (13 months) or, without one, a daily-rotating hash (cookieless);
 * - a visit is a run of events of one visitor less than 30 minutes apart (event time);
 * - a bounce is a visit with one pageview and no custom event.
 */
export type WebSource = 'sessions' | 'events' | 'visitors';
/** The tables an aggregation can read: a source's raw rows, or the rollup that stands in for it (plan/rollups.ts). */
/** A filter rollup has its rollup's columns, so it reads that rollup's metric forms. */
export type WebTable = WebSource | 'visit_rollup' | 'event_rollup' | 'visit_filter_rollup' | 'event_filter_rollup' | 'event_props';
/** The metric form a table reads (event_props: rows of events, one per event under the key read). */
export const formOf = (t: WebTable): WebSource | 'visit_rollup' | 'event_rollup' =>
  (t === 'visit_filter_rollup' ? 'visit_rollup' : t === 'event_filter_rollup' ? 'event_rollup' : t === 'event_props' ? 'events' : t);

export interface WebMetricDef {
  sessions?: string;
  events?: string;
  visitors?: string;
  /**
   * Over per-visitor rows of a sample (sql/sources.ts visitorsRelation, n = k each): the estimate's margin at 95%,
   * 1.96 standard errors. Each visitor is in the sample with chance 1/k, so the estimate k * sum(y) over the sample
   * has variance (k - 1) * sum(y^2) over all visitors, estimated by (k - 1) * k * sum(y^2) over the sample.
   */
  margin?: string;
  /** Over visit_rollup / event_rollup rows (core/migrations/008_rollups.sql); absent: only raw rows answer it. */
  visit_rollup?: string;
  event_rollup?: string;
  /**
   * The visit_rollup form over only the rows meeting `cond`, where skipping rows saves work: a sketch merge costs
   * about 5 µs a row, so the visit panels merge visitors only for the panels that show them (sql/grouping-sets.ts).
   */
  visit_rollup_where?: (cond: string) => string;
  /** Its visit_rollup form reads the visitor_type rows (`value` is the visitor type): no other visit dimension. */
  byVisitorType?: true;
  /** Needs a second aggregation to divide by (see sql/web-query.ts). */
  ratio?: 'percentage' | 'conversion_rate';
  /** Change in a comparison is a difference in points, not a relative change. */
  points?: true;
  /** Event metric: with an event filter it counts the matching events only, so it is read from events. */
  eventCount?: true;
  /**
   * A sum (or ratio of sums) weighted by sign: a visit's cancelled states net out even when grouped or filtered by what
   * changes during a visit (exit page), so raw rows answer it. Distinct counts (uniq) need the visit's latest row.
   */
  additive?: true;
}

/** Distinct visitors everywhere: uniq is exact up to 65,536 values and within about 1% beyond. */
export const UNIQ_VISITORS = 'uniq(visitor_id)';
/** Distinct visitors over rollup rows: a merge of their sketches (error measured in BENCHMARKS.md section 3). */
export const ROLLUP_VISITORS = 'uniqCombinedMerge(12)(visitors)';
const rollupVisitorsIf = (cond: string) => `uniqCombinedMergeIf(12)(visitors, ${cond})`;
const COOKIE = "value != 'cookieless'";

export const WEB_METRICS = {
  visitors: { sessions: UNIQ_VISITORS, events: UNIQ_VISITORS, visitors: 'sum(n)', margin: 'round(1.96 * sqrt(sum(toFloat64(n - 1) * n)))', visit_rollup: ROLLUP_VISITORS, event_rollup: ROLLUP_VISITORS,
    visit_rollup_where: rollupVisitorsIf },
  visits: { sessions: 'sum(sign)', events: 'uniq(session_id)', visitors: 'sum(n * visits)',
    margin: 'round(1.96 * sqrt(sum(toFloat64(n - 1) * n * visits * visits)))', visit_rollup: 'sum(visits)', additive: true },
  pageviews: { sessions: 'sum(sign * pageviews)', events: "countIf(name = 'pageview')", eventCount: true, additive: true,
    visit_rollup: 'sum(pageviews)', event_rollup: "sumIf(events, name = 'pageview')" },
  events: { sessions: 'sum(sign * (pageviews + events))', events: 'count()', eventCount: true, additive: true,
    visit_rollup: 'sum(pageviews) + sum(custom_events)', event_rollup: 'sum(events)' },
  views_per_visit: { sessions: 'round(sum(sign * pageviews) / greatest(sum(sign), 1), 2)', additive: true,
    visit_rollup: 'round(sum(pageviews) / greatest(sum(visits), 1), 2)' },
  bounce_rate: { sessions: 'round(100 * sum(sign * is_bounce) / greatest(sum(sign), 1), 1)', points: true, additive: true,
    visit_rollup: 'round(100 * sum(bounces) / greatest(sum(visits), 1), 1)' },
  visit_duration: { sessions: 'round(sum(sign * duration_ms) / greatest(sum(sign), 1) / 1000)', additive: true,
    visit_rollup: 'round(sum(duration_ms) / greatest(sum(visits), 1) / 1000)' },
  new_visitors: { sessions: "uniqIf(visitor_id, id_type = 'cookie' AND new_visitor = 1)", visit_rollup: rollupVisitorsIf("value = 'new'"), byVisitorType: true },
  returning_visitors: { sessions: "greatest(uniqIf(visitor_id, id_type = 'cookie') - uniqIf(visitor_id, id_type = 'cookie' AND new_visitor = 1), 0)",
    visit_rollup: `greatest(${rollupVisitorsIf(COOKIE)} - ${rollupVisitorsIf("value = 'new'")}, 0)`, byVisitorType: true },
  visits_per_visitor: { sessions: "round(sumIf(sign, id_type = 'cookie') / greatest(uniqIf(visitor_id, id_type = 'cookie'), 1), 2)",
    visit_rollup: `round(sumIf(visits, ${COOKIE}) / greatest(${rollupVisitorsIf(COOKIE)}, 1), 2)`, byVisitorType: true },
  conversion_rate: { ratio: 'conversion_rate', points: true },
  percentage: { ratio: 'percentage', points: true },
} as const satisfies Record<string, WebMetricDef>;
export type WebMetric = keyof typeof WEB_METRICS;

/**
 * Product definitions: an install is an install_id an application sends; active means it sent any event.
 * dau/wau/mau average, over the days of the range, the installs active that day / in the 7 / 30 days ending that day.
 */
export interface ProductMetricDef {
  /** Aggregate over product_events rows. */
  sql?: string;
  /** The same over product_daily rows (migration 016; 019's likewise): install sketches merged, event counts summed. */
  rollup?: string;
  /** product_attr_daily's rows (migration 019) answer it with the same `rollup` form: it reads no feature. */
  attrs?: true;
  /** Installs active in the `window` days ending on each day, averaged over days (see sql/product-query.ts). */
  active?: true;
  window?: number;
  ratio?: 'feature_share';
  points?: true;
}

/** Distinct installs from product_daily's sketches. */
const INSTALLS_ROLLUP = 'uniqCombinedMerge(12)(installs)';

export const PRODUCT_METRICS = {
  active_installs: { sql: 'uniq(install_id)', rollup: INSTALLS_ROLLUP, attrs: true },
  events: { sql: 'count()', rollup: 'sum(events)', attrs: true },
  events_per_install: { sql: 'round(count() / greatest(uniq(install_id), 1), 2)', rollup: `round(sum(events) / greatest(${INSTALLS_ROLLUP}, 1), 2)`, attrs: true },
  // Installs that used a feature: through the feature catalog (FEATURE_SQL), as the `feature` dimension reads it.
  feature_users: { sql: `uniqIf(install_id, ${FEATURE_SQL} != '')`, rollup: `uniqCombinedMergeIf(12)(installs, ${FEATURE_SQL} != '')` },
  feature_share: { ratio: 'feature_share', points: true },
  dau: { active: true, window: 1 },
  wau: { active: true, window: 7 },
  mau: { active: true, window: 30 },
} as const satisfies Record<string, ProductMetricDef>;
export type ProductMetric = keyof typeof PRODUCT_METRICS;

export function resolveMetric(catalog: 'web' | 'product', name: unknown, field: string): string {
  const table: Record<string, unknown> = catalog === 'web' ? WEB_METRICS : PRODUCT_METRICS;
  if (typeof name !== 'string' || !Object.hasOwn(table, name)) {
    throw invalid(field, `unknown metric ${show(name)}; known ${catalog} metrics: ${Object.keys(table).join(', ')}`);
  }
  return name;
}

export const webMetric = (name: string): WebMetricDef => (WEB_METRICS as Record<string, WebMetricDef>)[name]!;
export const productMetric = (name: string): ProductMetricDef => (PRODUCT_METRICS as Record<string, ProductMetricDef>)[name]!;
export const isPointsMetric = (catalog: 'web' | 'product', name: string) =>
  Boolean(catalog === 'web' ? webMetric(name).points : productMetric(name).points);
