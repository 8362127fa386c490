import { TupleParam } from '@clickhouse/client';
import { toChTime } from '../../../../core/event.ts';
import type { Granularity } from '../request/date-range.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { SPANS, type RollupWindow } from '../plan/rollups.ts';
import type { Params } from './params.ts';
import { timeBucketSql } from './time-bucket.ts';

/** SQL over the rollup rows the planner picked (plan/rollups.ts): which rows, their time buckets, which table. */

const hoursWhere = (p: Params) => `site_id = ${p.ref('site')} AND span = 'hour' AND bucket >= ${p.ref('from')} AND bucket < ${p.ref('to')}`;

/**
 * The rows of the range: its cover, or with a time dimension its day rows (or UTC hours, bucketed in the zone). A
 * cover of local buckets is the set of its (span, bucket) keys: one parameter, and cheaper to plan than OR'd ranges.
 */
export function rollupWhere(params: Params, w: RollupWindow, g?: Granularity): string {
  if (g && (g === 'hour' || !w.days)) return hoursWhere(params);
  if (g) return `site_id = ${params.ref('site')} AND span = 'day' AND bucket >= ${params.add(toChTime(w.days!.from), 'DateTime64(3)')} AND bucket < ${params.add(toChTime(w.days!.to), 'DateTime64(3)')}`;
  if (!w.days) return hoursWhere(params);
  const keys = w.cover.flatMap((c) => {
    const next = SPANS.find((s) => s.span === c.span)!.next;
    const out: TupleParam[] = [];
    for (let t = c.from; t < c.to; t = next(t)) out.push(new TupleParam([c.span, toChTime(t).slice(0, 19)]));
    return out;
  });
  return `site_id = ${params.ref('site')} AND (span, bucket) IN ${params.add(keys, "Array(Tuple(String, DateTime('UTC')))")}`;
}

/** A time bucket's label over the rows rollupWhere picks: local day rows are already local dates. */
export function rollupTimeSql(params: Params, w: RollupWindow, g: Granularity): string {
  if (g === 'hour' || !w.days) return timeBucketSql(params, g, 'bucket');
  return g === 'day' ? 'toString(toDate(bucket))' : g === 'week' ? 'toString(toMonday(bucket))' : 'toString(toStartOfMonth(bucket))';
}

/**
 * Where visit_rollup answers an aggregation: the rows of its one dimension, or without one (or by visitor type) the
 * visit_totals rows, whose visitor types together are every visit (same columns, so the same metric SQL).
 */
export function visitRollupRelation(dims: DimRef[], params: Params): { from: string; where: string } {
  const key = dims.find((d) => !isTime(d))?.def.rollup ?? 'visitor_type';
  return key === 'visitor_type' ? { from: 'visit_totals', where: '1' } : { from: 'visit_rollup', where: `dim = ${params.add(key, 'String')}` };
}
