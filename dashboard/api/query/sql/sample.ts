import type { RollupWindow } from '../plan/rollups.ts';
import type { Params } from './params.ts';
import { rollupWhere } from './rollup-rows.ts';

/**
 * The sampling factor k of per-visitor counts (plan/rollups.ts visitorsPlan), as a scalar subquery: 1 while the
 * window's cookie visits (visit_totals, nearly free to read) are at most `above`, else the smallest power of 2 that
 * brings visits / k within it. A power of 2 keeps k from drifting with every visit as the range fills, so a view
 * that is sampled stays sampled the same way while people watch it. The sample is the visitors whose id hashes to 0
 * modulo k (sql/sources.ts visitorsRelation): all of a visitor's visits or none, so a visitor's frequency is exact.
 */
export function sampleFactorSql(params: Params, window: RollupWindow, above: number): string {
  const a = params.add(above, 'UInt64');
  return `(SELECT toUInt64(if(v > ${a}, least(exp2(ceil(log2(v / ${a}))), 1048576), 1)) FROM (SELECT sumIf(visits, value != 'cookieless') AS v
    FROM visit_totals WHERE ${rollupWhere(params, window)}))`;
}
