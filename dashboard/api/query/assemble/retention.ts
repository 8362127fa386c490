import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import { addDays, addMonths, daysBetween, isoLocal, monday, startOfMonth, type TimeRange } from '../request/date-range.ts';
import type { RetentionGrid, RetentionPeriod } from '../../../../core/api/stats.ts';
import type { EngineScope } from '../request/scope.ts';
import { loadFeatureMap, NO_FEATURES } from '../catalog/features.ts';
import type { Filter } from '../catalog/filters.ts';
import { num, runCompiled } from '../run/run.ts';
import { retentionQuery } from '../sql/retention-query.ts';

/**
 * Cohort retention, a bespoke report: installs (of one product) or cookie visitors (of one site) grouped by the period
 * they were first seen in, and for each later period the share of the cohort active in it. First seen means first
 * seen ever (as far as the store keeps data), so a cohort is the installs that started in that week or month; cohorts
 * are the periods the range touches (the first may start before it and then holds those first seen from its start). Weeks start on Monday, in the site's time zone (UTC for products).
 * Filters apply to both sides: the cohort of macOS installs, active on macOS.
 */
export type { RetentionGrid };

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
