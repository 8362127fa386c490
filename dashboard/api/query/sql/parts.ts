import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { invalid, show } from '../catalog/errors.ts';
import type { Params } from './params.ts';

/**
 * The shape every engine query shares, web or product: one or more aggregations ("parts") over the same dimension
 * aliases d0..dn, joined on them, then the metric columns m0..mk, ordering and pagination in one statement:
 *
 *   SELECT d0.., <metric columns> [, count() OVER () AS total_rows]
 *   FROM (base part) AS p0 [FULL JOIN (second part) USING (d..)] [LEFT JOIN (denominator) USING (d..)] [CROSS JOIN (total)]
 *   [WHERE has({cmp}, [d..])]            -- comparisons: only the main result's rows
 *   ORDER BY .. LIMIT {limit} OFFSET {offset}
 *
 * (A single part with plain metric columns is ordered and cut without the wrapping SELECT.)
 *
 * Aliases are positional (d0, m0, h_*) so no request text and no alias ever shadows a table column.
 */
export interface Part {
  sql: string;
  /** Dimension aliases this part groups by (a subset of the query's). */
  dims: string[];
  /** How it joins the parts before it: the first part is the base. */
  join: 'base' | 'full' | 'left';
}

export interface Spec {
  metrics: string[];
  dimensions: DimRef[];
  orderBy: [string, 'asc' | 'desc'][];
  limit: number;
  offset: number;
  totalRows?: boolean;
  /** Comparison runs: only these tuples of the non-time dimensions (in order). */
  restrict?: string[][];
  /**
   * Each part with dimensions also holds its metrics over every row, marked `tot` = 1 (GROUP BY GROUPING SETS ((d..),
   * ())), joined to the others' on it: the answer's first row is the totals (one statement for a chart and its
   * headline). Only where carriesTotals.
   */
  totals?: boolean;
}

/** Whether totals can ride in the statement: not under a comparison's restriction, nor with a count of all rows. */
export function carriesTotals(spec: Spec): boolean {
  return !restricted(spec) && !spec.totalRows;
}

/** One part whose columns are the answer already: ordered and cut in place, without a wrapping SELECT. */
function inPlace(parts: Part[], spec: Spec, metricSql: string[]): boolean {
  return parts.length === 1 && !restricted(spec) && !spec.totalRows && metricSql.every((m, i) => m === `m${i}`);
}
const restricted = (spec: Spec) => Boolean(spec.restrict && spec.dimensions.some((d) => !isTime(d)));

/** `carry`: further columns of the base part passed through to the answer as they are (a sample's margins). */
export function assemble(params: Params, parts: Part[], spec: Spec, metricSql: string[], sortAliases: Map<number, string>, carry: string[] = []): string {
  const dims = spec.dimensions.map((_, i) => `d${i}`);
  const from = parts.map((p, i) => {
    const sub = `(${p.sql}) AS p${i}`;
    if (p.join === 'base') return sub;
    if (p.dims.length === 0) return `CROSS JOIN ${sub}`;
    // A part's totals row (tot = 1, its dimensions at their defaults) meets the other parts' totals row.
    return `${p.join === 'full' ? 'FULL OUTER JOIN' : 'LEFT JOIN'} ${sub} USING (${[...p.dims, ...(spec.totals ? ['tot'] : [])].join(', ')})`;
  }).join('\n  ');
  const select = [...dims, ...metricSql.map((m, i) => `${m} AS m${i}`), ...carry.map((c) => `p0.${c} AS ${c}`), ...(spec.totalRows ? ['count() OVER () AS total_rows'] : []),
    ...(spec.totals ? ['tot'] : [])];
  const tot = spec.totals ? 'tot DESC, ' : '';
  const keyDims = spec.dimensions.flatMap((d, i) => (isTime(d) ? [] : [`toString(d${i})`]));
  const where = restricted(spec) ? `\nWHERE has(${params.ref('cmp')}, [${keyDims.join(', ')}])` : '';
  // In place, a wrapping SELECT's millisecond of planning is saved, which the site overview pays once per panel.
  const cut = `\nORDER BY ${tot}${orderBy(spec, sortAliases)}\nLIMIT ${params.ref('limit')}${tot ? ' + 1' : ''} OFFSET ${params.ref('offset')}`;
  if (inPlace(parts, spec, metricSql)) return `${parts[0]!.sql}${cut}`;
  return `SELECT ${select.join(', ')}\nFROM ${from}${where}${cut}`;
}

/**
 * Requested order first; by default time dimensions ascending, then the first metric descending. Every dimension is
 * appended ascending as a tie-break, so pages never shuffle between calls.
 */
function orderBy(spec: Spec, sortAliases: Map<number, string>): string {
  const dimAlias = (i: number) => sortAliases.get(i) ?? `d${i}`;
  const keys: string[] = [];
  const used = new Set<number>();
  const entries = spec.orderBy.length ? spec.orderBy : [
    ...spec.dimensions.flatMap((d, i) => (isTime(d) ? [[d.name, 'asc'] as [string, 'asc']] : [])),
    ...(spec.metrics.length ? [[spec.metrics[0]!, 'desc'] as [string, 'desc']] : []),
  ];
  for (const [key, dir] of entries) {
    const mi = spec.metrics.indexOf(key);
    const di = spec.dimensions.findIndex((d) => d.name === key);
    if (mi >= 0) keys.push(`m${mi} ${dir === 'asc' ? 'ASC' : 'DESC'}`);
    else if (di >= 0) { keys.push(`${dimAlias(di)} ${dir === 'asc' ? 'ASC' : 'DESC'}`); used.add(di); }
  }
  spec.dimensions.forEach((_, i) => { if (!used.has(i)) keys.push(`${dimAlias(i)} ASC`); });
  return keys.length ? keys.join(', ') : 'tuple()';
}
