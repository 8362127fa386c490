import { DAY_MS } from '../../../../core/local-time.ts';
import type { TimeRange } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { leaves, type Filter } from '../catalog/filters.ts';

/**
 * The planner's choice of rows for a product query: product_daily (core/migrations/016_product_daily.sql) when it
 * holds everything the query needs, else product_events. Both give the same figures (event counts exactly; installs
 * within the sketch's error). product_daily keeps each UTC day's events by product, event name and feature tag, so it
 * answers whole UTC days, bucketed by day, week or month, broken down and filtered by product, feature and event name.
 */
export type ProductTable = 'product_events' | 'product_daily';
export interface ProductPlan { table: ProductTable; why: string }

/** The dimensions product_daily keeps (the feature is computed from its name and tag, as on raw rows). */
const KEPT = new Set(['product', 'feature', 'event:name']);

export function planProductSource(range: TimeRange, dims: DimRef[], filters: Filter[], rollups = true): ProductPlan {
  const raw = (why: string): ProductPlan => ({ table: 'product_events', why: `product_events: ${why}` });
  if (!rollups) return raw('rollups off');
  if (range.realtime || range.tz !== 'UTC' || range.from % DAY_MS !== 0 || range.to % DAY_MS !== 0) return raw('the range is not whole UTC days');
  const time = dims.find((d) => isTime(d) && (d.granularity === 'hour' || d.granularity === 'minute'));
  if (time) return raw(`the daily rollup cannot bucket by ${time.granularity}`);
  const out = [...dims.filter((d) => !isTime(d)), ...leaves(filters).map((l) => l.dim)].find((d) => !KEPT.has(d.name));
  if (out) return raw(`the daily rollup does not keep ${out.name}`);
  const what = dims.map((d) => d.name).join(', ') || 'totals';
  return { table: 'product_daily', why: `product_daily: ${what} over ${(range.to - range.from) / DAY_MS} day(s)` };
}
