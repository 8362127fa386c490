import type { ClickHouseClient } from '../../../core/clickhouse.ts';
import { toChTime } from '../../../core/event.ts';
import { addDays, addMonths, daysBetween, isoLocal, monday, startOfMonth, type TimeRange } from './date-range.ts';
import type { EngineScope } from './execute.ts';
import { invalid } from './errors.ts';
import { featureParams, loadFeatureMap, NO_FEATURES, type FeatureMap } from './features.ts';
import { compileFilters, type Filter } from './filters.ts';
import { eventTarget, visitHasEvent, visitTarget, dimensionSql } from './sources.ts';
import { Params, num, runCompiled } from './sql.ts';

/**
 * Cohort retention, a bespoke report: installs (of one product) or cookie visitors (of one site) grouped by the period
 * they were first seen in, and for each later period the share of the cohort active in it. First seen means first
 * seen ever (as far as the store keeps data), so a cohort is the installs that started in that week or month; cohorts
 * are the periods the range touches (the first may start before it and then holds those first seen from its start). Weeks start on Monday, in the site's time zone (UTC for products).
 * Filters apply to both sides: the cohort of macOS installs, active on macOS.
 */
export type RetentionPeriod = 'week' | 'month';
export interface RetentionCell { index: number; active: number; share: number }
export interface RetentionGrid {
  period: RetentionPeriod;
  cohorts: { cohort: string; size: number; periods: RetentionCell[] }[];
  meta: { time_range: { from: string; to: string; time_zone: string } };
}

const PERIOD = {
  week: { bucket: (c: string) => `toMonday(${c}, {tz:String})`, unit: "'week'" },
  month: { bucket: (c: string) => `toStartOfMonth(${c}, {tz:String})`, unit: "'month'" },
} as const;

export function parsePeriod(raw: unknown): RetentionPeriod {
  if (raw === undefined) return 'week';
  if (raw !== 'week' && raw !== 'month') throw invalid('period', 'period is "week" or "month"');
  return raw;
}

/** The statement: (member, period) activity joined to each member's first-seen period. */
export function retentionQuery(scope: EngineScope, range: TimeRange, period: RetentionPeriod, filters: Filter[], features: FeatureMap = NO_FEATURES) {
  const params = new Params({ from: toChTime(range.from), to: toChTime(range.to), tz: range.tz });
  const p = PERIOD[period];
  let activity: string;
  let firstSeen: string;
  if (scope.kind === 'product') {
    if (scope.products.length !== 1) throw invalid('product_id', 'retention is for one product at a time');
    params.values.product = scope.products[0]!.productId;
    Object.assign(params.values, featureParams(features)); // a `feature` filter reads through the catalog
    const where = compileFilters(filters, { params, home: { level: 'product', expr: (d) => dimensionSql(d, params) } });
    activity = `SELECT install_id AS member, ${p.bucket('timestamp')} AS period FROM product_events
      WHERE product_id = {product:String} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)} AND ${where}
      GROUP BY member, period`;
    firstSeen = `SELECT install_id AS member, ${p.bucket('min(timestamp)')} AS cohort FROM product_events
      WHERE product_id = {product:String} AND timestamp < {to:DateTime64(3)} AND ${where}
      GROUP BY member HAVING min(timestamp) >= {from:DateTime64(3)}`;
  } else {
    params.values.site = scope.site.siteId;
    const where = compileFilters(filters, { params, home: visitTarget(params), other: eventTarget(params), member: visitHasEvent });
    // Visits are +1/-1 rows; a visit exists where its signs sum to 1, and every row carries the visit's start.
    activity = `SELECT visitor_id AS member, ${p.bucket('start')} AS period FROM sessions
      WHERE site_id = {site:String} AND start >= {from:DateTime64(3)} AND start < {to:DateTime64(3)} AND id_type = 'cookie' AND ${where}
      GROUP BY member, period HAVING sum(sign) > 0`;
    firstSeen = `SELECT visitor_id AS member, ${p.bucket('min(start)')} AS cohort FROM sessions
      WHERE site_id = {site:String} AND start < {to:DateTime64(3)} AND id_type = 'cookie' AND ${where}
      GROUP BY member HAVING min(start) >= {from:DateTime64(3)}`;
  }
  const sql = `SELECT toString(cohort) AS cohort_day, dateDiff(${p.unit}, cohort, period) AS k, count() AS n
FROM (${activity}) AS a INNER JOIN (${firstSeen}) AS c USING (member)
GROUP BY cohort, k ORDER BY cohort, k`;
  return { name: `retention:${scope.kind}`, sql, params: params.values };
}

export async function retention(ch: ClickHouseClient, scope: EngineScope, range: TimeRange, period: RetentionPeriod, filters: Filter[]): Promise<RetentionGrid> {
  const features = scope.kind === 'product' && scope.products.length === 1 ? await loadFeatureMap(ch, [scope.products[0]!.productId]) : NO_FEATURES;
  const q = retentionQuery(scope, range, period, filters, features);
  const rows = await runCompiled<{ cohort_day: string; k: string; n: string }>(ch, q);
  const counts = new Map(rows.map((r) => [`${r.cohort_day}|${num(r.k)}`, num(r.n)]));
  const starts: string[] = [];
  const step = (d: string) => (period === 'week' ? addDays(d, 7) : addMonths(d, 1));
  const first = period === 'week' ? monday(range.first) : startOfMonth(range.first);
  for (let d = first; d <= range.last; d = step(d)) starts.push(d);
  const span = (c: string) => (period === 'week' ? Math.floor(daysBetween(c, range.last) / 7)
    : (Number(range.last.slice(0, 4)) - Number(c.slice(0, 4))) * 12 + Number(range.last.slice(5, 7)) - Number(c.slice(5, 7)));
  const cohorts = starts.map((cohort) => {
    const size = counts.get(`${cohort}|0`) ?? 0;
    const periods = Array.from({ length: span(cohort) + 1 }, (_, index) => {
      const active = counts.get(`${cohort}|${index}`) ?? 0;
      return { index, active, share: size ? Math.round((1000 * active) / size) / 10 : 0 };
    });
    return { cohort, size, periods };
  });
  return { period, cohorts, meta: { time_range: { from: isoLocal(range.from, range.tz), to: isoLocal(range.to - 1000, range.tz), time_zone: range.tz } } };
}
