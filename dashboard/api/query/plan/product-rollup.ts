import { DAY_MS } from '../../../../core/local-time.ts';
import type { TimeRange } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { leaves, type Filter } from '../catalog/filters.ts';
import { productMetric } from '../catalog/metrics.ts';

/**
 * The planner's choice of rows for a product query: a daily rollup when one holds everything the query needs, else
 * product_events. All give the same figures (event counts exactly; installs within the sketch's error). Both rollups
 * keep whole UTC days, bucketed by day, week or month, and the product:
 * - product_daily (core/migrations/016_product_daily.sql) keeps event name and feature tag: broken down and filtered by
 *   feature and event name;
 * - product_attr_daily (019) keeps one attribute at a time (app version, OS or country): broken down and filtered by
 *   that one attribute, for every metric but feature users (which need the feature).
 */
export type ProductTable = 'product_events' | 'product_daily' | 'product_attr_daily';
export interface ProductPlan {
  table: ProductTable;
  /** product_attr_daily: the attribute (a product dimension's name) whose rows answer. */
  attr?: string;
  why: string;
}

/** The dimensions product_daily keeps (the feature is computed from its name and tag, as on raw rows). */
const KEPT = new Set(['product', 'feature', 'event:name']);
/** The attributes product_attr_daily keeps, each in rows of its own (attr = the dimension's name). */
export const ATTRIBUTES = new Set(['app_version', 'os', 'country']);

export function planProductSource(range: TimeRange, dims: DimRef[], filters: Filter[], metrics: string[], rollups = true): ProductPlan {
  const raw = (why: string): ProductPlan => ({ table: 'product_events', why: `product_events: ${why}` });
  if (!rollups) return raw('rollups off');
  if (range.realtime || range.tz !== 'UTC' || range.from % DAY_MS !== 0 || range.to % DAY_MS !== 0) return raw('the range is not whole UTC days');
  const time = dims.find((d) => isTime(d) && (d.granularity === 'hour' || d.granularity === 'minute'));
  if (time) return raw(`the daily rollup cannot bucket by ${time.granularity}`);
  const used = [...new Set([...dims.filter((d) => !isTime(d)), ...leaves(filters).map((l) => l.dim)].map((d) => d.name))];
  const days = `${(range.to - range.from) / DAY_MS} day(s)`;
  const what = dims.map((d) => d.name).join(', ') || 'totals';
  const out = used.find((n) => !KEPT.has(n));
  if (!out) return { table: 'product_daily', why: `product_daily: ${what} over ${days}` };
  // Past product_daily's dimensions: one attribute, alone or with the product, reads its own rows.
  const attrs = used.filter((n) => ATTRIBUTES.has(n));
  const other = used.find((n) => n !== 'product' && !ATTRIBUTES.has(n)) ?? attrs[1];
  if (other) return raw(`no daily rollup keeps ${attrs[0]} with ${other}`);
  const unkept = metrics.find((m) => !productMetric(m).active && !productMetric(m).attrs);
  if (unkept) return raw(`the ${attrs[0]} rollup cannot count ${unkept}`);
  return { table: 'product_attr_daily', attr: attrs[0]!, why: `product_attr_daily: ${what} over ${days}` };
}
