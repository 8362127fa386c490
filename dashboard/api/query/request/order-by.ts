import type { DimRef } from '../catalog/dimensions.ts';
import { invalid, show } from '../catalog/errors.ts';

/** order_by: [[metric or dimension of this query, 'asc' | 'desc'], ...]. */
export function parseOrderBy(raw: unknown, metrics: string[], dimensions: DimRef[]): [string, 'asc' | 'desc'][] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid('order_by', 'order_by is a list of [metric or dimension, "asc" | "desc"]');
  return raw.map((e, i) => {
    const field = `order_by[${i}]`;
    if (!Array.isArray(e) || e.length !== 2 || (e[1] !== 'asc' && e[1] !== 'desc')) throw invalid(field, `order_by entries are [name, "asc" | "desc"], got ${show(e)}`);
    if (!metrics.includes(e[0]) && !dimensions.some((d) => d.name === e[0])) {
      throw invalid(field, `order_by ${show(e[0])} is not one of this query's metrics or dimensions`);
    }
    return [e[0] as string, e[1] as 'asc' | 'desc'];
  });
}
