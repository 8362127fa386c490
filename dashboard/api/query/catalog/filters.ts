import { invalid, show } from './errors.ts';
import { resolveDimension, type Catalog, type DimRef, type Level } from './dimensions.ts';

/**
 * Filters as in Plausible's Stats API v2: a list (all must hold) of
 *   [op, dimension, [values...], { case_sensitive?: boolean }?]   op: is | is_not | contains | contains_not
 *   ['and', [filter...]] | ['or', [filter...]] | ['not', filter]
 * Values always travel as query parameters. A filter on the other level than the rows being counted becomes a
 * membership test of the visit: an event filter on visit metrics keeps the visits that contain a matching event; a
 * visit filter on event metrics keeps the events of matching visits. A negative event filter on visits (is_not,
 * contains_not, not) keeps the visits with no matching event.
 */
export type LeafOp = 'is' | 'is_not' | 'contains' | 'contains_not';
export type Filter =
  | { op: LeafOp; dim: DimRef; values: string[]; caseSensitive: boolean }
  | { op: 'and' | 'or'; children: Filter[] }
  | { op: 'not'; child: Filter };
export type Leaf = Extract<Filter, { dim: DimRef }>;

const LEAF_OPS = new Set<string>(['is', 'is_not', 'contains', 'contains_not']);
const LIMITS = { depth: 5, leaves: 50, values: 1000, containsValues: 100, valueLength: 2000 };

export function parseFilters(raw: unknown, catalog: Catalog, field = 'filters'): Filter[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalid(field, 'filters must be a list of filters');
  const count = { leaves: 0 };
  return raw.map((f, i) => parseFilter(f, catalog, `${field}[${i}]`, 0, count));
}

function parseFilter(raw: unknown, catalog: Catalog, field: string, depth: number, count: { leaves: number }): Filter {
  if (depth > LIMITS.depth) throw invalid(field, `filters nest at most ${LIMITS.depth} levels deep`);
  if (!Array.isArray(raw) || raw.length < 2) throw invalid(field, `a filter is [operator, dimension, [values]] or ['and'|'or', [filters]] or ['not', filter], got ${show(raw)}`);
  const [op, second, third, modifiers] = raw as unknown[];
  if (op === 'and' || op === 'or') {
    if (!Array.isArray(second) || second.length === 0 || raw.length !== 2) throw invalid(field, `['${op}', [filters...]] needs a non-empty list of filters`);
    return { op, children: second.map((c, i) => parseFilter(c, catalog, `${field}[1][${i}]`, depth + 1, count)) };
  }
  if (op === 'not') {
    if (raw.length !== 2) throw invalid(field, "['not', filter] takes one filter");
    return { op, child: parseFilter(second, catalog, `${field}[1]`, depth + 1, count) };
  }
  if (typeof op !== 'string' || !LEAF_OPS.has(op)) {
    throw invalid(`${field}[0]`, `unknown filter operator ${show(op)}; use is, is_not, contains, contains_not, and, or, not`);
  }
  if (++count.leaves > LIMITS.leaves) throw invalid(field, `at most ${LIMITS.leaves} filters`);
  const dim = resolveDimension(catalog, second, `${field}[1]`, 'day');
  if (dim.def.noFilter) throw invalid(`${field}[1]`, dim.def.noFilter);
  const max = op.startsWith('contains') ? LIMITS.containsValues : LIMITS.values;
  if (!Array.isArray(third) || third.length === 0 || third.length > max) throw invalid(`${field}[2]`, `filter values are a list of 1 to ${max} strings`);
  const values = third.map((v, i) => {
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    if (typeof v !== 'string' || v.length > LIMITS.valueLength) throw invalid(`${field}[2][${i}]`, `a filter value is a string of at most ${LIMITS.valueLength} characters`);
    return v;
  });
  let caseSensitive = true;
  if (modifiers !== undefined) {
    const cs = (modifiers as { case_sensitive?: unknown } | null)?.case_sensitive;
    if (typeof modifiers !== 'object' || modifiers === null || Object.keys(modifiers).some((k) => k !== 'case_sensitive') || (cs !== undefined && typeof cs !== 'boolean')) {
      throw invalid(`${field}[3]`, 'filter modifiers are { "case_sensitive": true | false }');
    }
    caseSensitive = cs ?? true;
  }
  if (raw.length > 4) throw invalid(field, 'a filter has at most 4 elements');
  return { op: op as LeafOp, dim, values, caseSensitive };
}

// ---- inspection ----

export function leaves(f: Filter | Filter[]): Leaf[] {
  if (Array.isArray(f)) return f.flatMap(leaves);
  if ('dim' in f) return [f];
  return f.op === 'not' ? leaves(f.child) : f.children.flatMap(leaves);
}

/** The filters AND-ed at the top, nested ANDs opened. */
export const conjuncts = (fs: Filter[]): Filter[] => fs.flatMap((f) => ('children' in f && f.op === 'and' ? conjuncts(f.children) : [f]));

/** Whether a filter excludes anything (not, is_not, contains_not anywhere in it). */
export const negative = (f: Filter): boolean => f.op === 'not' || f.op === 'is_not' || f.op === 'contains_not' || ('children' in f && f.children.some(negative));

/**
 * Drops the top-level filters made only of leaves matching `drop` (e.g. the goal filters of a conversion rate, whose
 * denominator is every visitor the other filters keep). Returns the rest and whether anything was dropped.
 */
export function withoutTopLevel(filters: Filter[], drop: (l: Leaf) => boolean): { rest: Filter[]; dropped: boolean } {
  const rest = filters.filter((f) => !leaves(f).every(drop));
  return { rest, dropped: rest.length !== filters.length };
}
