import { toChTime } from '../../../../core/event.ts';
import type { TimeRange } from '../request/date-range.ts';
import type { EngineScope } from '../request/scope.ts';
import { invalid } from '../catalog/errors.ts';
import { featureParams, NO_FEATURES, type FeatureMap } from '../catalog/features.ts';
import type { Filter } from '../catalog/filters.ts';
import { compileFilters } from './filter-sql.ts';
import type { RetentionPeriod } from '../request/view-requests.ts';
import { Params, type Compiled } from './params.ts';
import { eventTarget, visitHasEvent, visitTarget, dimensionSql } from './sources.ts';

const PERIOD = {
  week: { bucket: (c: string, tz: string) => `toMonday(${c}, ${tz})`, unit: "'week'" },
  month: { bucket: (c: string, tz: string) => `toStartOfMonth(${c}, ${tz})`, unit: "'month'" },
} as const;

/** The statement: (member, period) activity joined to each member's first-seen period. */
export function retentionQuery(scope: EngineScope, range: TimeRange, period: RetentionPeriod, filters: Filter[], features: FeatureMap = NO_FEATURES): Compiled {
  const product = scope.kind === 'product' ? scope.products[0]?.productId : undefined;
  const params = new Params({ from: toChTime(range.from), to: toChTime(range.to), tz: range.tz,
    ...(scope.kind === 'site' ? { site: scope.site.siteId } : { product }) });
  const p = PERIOD[period];
  const [from, to, tz] = [params.ref('from'), params.ref('to'), params.ref('tz')];
  let activity: string;
  let firstSeen: string;
  if (scope.kind === 'product') {
    if (scope.products.length !== 1) throw invalid('product_id', 'retention is for one product at a time');
    params.global(featureParams(features)); // a `feature` filter reads through the catalog
    const where = compileFilters(filters, { params, home: { level: 'product', expr: (d) => dimensionSql(d, params) } });
    activity = `SELECT install_id AS member, ${p.bucket('timestamp', tz)} AS period FROM product_events
      WHERE product_id = ${params.ref('product')} AND timestamp >= ${from} AND timestamp < ${to} AND ${where}
      GROUP BY member, period`;
    firstSeen = `SELECT install_id AS member, ${p.bucket('min(timestamp)', tz)} AS cohort FROM product_events
      WHERE product_id = ${params.ref('product')} AND timestamp < ${to} AND ${where}
      GROUP BY member HAVING min(timestamp) >= ${from}`;
  } else {
    const where = compileFilters(filters, { params, home: visitTarget(params), other: eventTarget(params), member: visitHasEvent(params) });
    // Visits are +1/-1 rows; a visit exists where its signs sum to 1, and every row carries the visit's start.
    activity = `SELECT visitor_id AS member, ${p.bucket('start', tz)} AS period FROM sessions
      WHERE site_id = ${params.ref('site')} AND start >= ${from} AND start < ${to} AND id_type = 'cookie' AND ${where}
      GROUP BY member, period HAVING sum(sign) > 0`;
    firstSeen = `SELECT visitor_id AS member, ${p.bucket('min(start)', tz)} AS cohort FROM sessions
      WHERE site_id = ${params.ref('site')} AND start < ${to} AND id_type = 'cookie' AND ${where}
      GROUP BY member HAVING min(start) >= ${from}`;
  }
  const sql = `SELECT toString(cohort) AS cohort_day, dateDiff(${p.unit}, cohort, period) AS k, count() AS n
FROM (${activity}) AS a INNER JOIN (${firstSeen}) AS c USING (member)
GROUP BY cohort, k ORDER BY cohort, k`;
  return { name: `retention:${scope.kind}`, sql, params: params.values };
}

