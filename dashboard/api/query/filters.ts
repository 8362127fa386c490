import { invalid, show } from './errors.ts';
import { resolveDimension, type Catalog, type DimRef, type Level } from './dimensions.ts';
import type { Params } from './sql.ts';

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

const negative = (f: Filter): boolean => f.op === 'not' || f.op === 'is_not' || f.op === 'contains_not' || ('children' in f && f.children.some(negative));

/**
 * Drops the top-level filters made only of leaves matching `drop` (e.g. the goal filters of a conversion rate, whose
 * denominator is every visitor the other filters keep). Returns the rest and whether anything was dropped.
 */
export function withoutTopLevel(filters: Filter[], drop: (l: Leaf) => boolean): { rest: Filter[]; dropped: boolean } {
  const rest = filters.filter((f) => !leaves(f).every(drop));
  return { rest, dropped: rest.length !== filters.length };
}

// ---- compilation ----

/** Rows a condition is evaluated on, and how to read a dimension there. */
export interface FilterTarget {
  level: Level;
  expr(dim: DimRef): string;
}

export interface CompileContext {
  params: Params;
  home: FilterTarget;
  /** The other level of the same visit, and the membership test of a visit in rows of that level matching `cond`. */
  other?: FilterTarget;
  member?: (cond: string) => string;
}

/** One SQL condition for all filters (AND-ed), or '1' when there are none. */
export function compileFilters(filters: Filter[], ctx: CompileContext): string {
  return filters.length === 0 ? '1' : compileNode({ op: 'and', children: filters }, ctx);
}

const foreign = (f: Filter, ctx: CompileContext) => leaves(f).every((l) => l.dim.def.level !== ctx.home.level);

function compileNode(f: Filter, ctx: CompileContext): string {
  if ('dim' in f) return compileLeaf(f, ctx);
  if (f.op === 'not') return `NOT (${compileNode(f.child, ctx)})`;
  // Positive sub-filters wholly about the other level are tested together, on one row of it:
  // ['and', [event:name is Signup, event:page is /pricing]] means a Signup on /pricing.
  const grouped = ctx.member ? f.children.filter((c) => foreign(c, ctx) && !negative(c)) : [];
  const parts = f.children.filter((c) => !grouped.includes(c)).map((c) => compileNode(c, ctx));
  if (grouped.length) {
    const inner = { params: ctx.params, home: ctx.other! };
    parts.push(ctx.member!(grouped.map((c) => compileNode(c, inner)).join(f.op === 'and' ? ' AND ' : ' OR ')));
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(f.op === 'and' ? ' AND ' : ' OR ')})`;
}

function compileLeaf(l: Leaf, ctx: CompileContext): string {
  if (l.dim.def.level === ctx.home.level) return leafSql(l, ctx.home, ctx.params);
  if (!ctx.member || !ctx.other || l.dim.def.level !== ctx.other.level) throw invalid('filters', `${l.dim.name} cannot filter this query`);
  const positive = { ...l, op: l.op === 'is_not' ? 'is' : l.op === 'contains_not' ? 'contains' : l.op } as Leaf;
  const test = ctx.member(leafSql(positive, ctx.other, ctx.params));
  return positive.op === l.op ? test : `NOT (${test})`;
}

function leafSql(l: Leaf, target: FilterTarget, params: Params): string {
  const expr = target.expr(l.dim);
  let sql: string;
  if (l.op === 'is' || l.op === 'is_not') {
    sql = l.caseSensitive
      ? `${expr} IN ${params.add(l.values, 'Array(String)')}`
      : `lowerUTF8(${expr}) IN ${params.add(l.values.map((v) => v.toLowerCase()), 'Array(String)')}`;
  } else {
    sql = `multiSearchAny${l.caseSensitive ? '' : 'CaseInsensitiveUTF8'}(${expr}, ${params.add(l.values, 'Array(String)')})`;
  }
  return l.op === 'is_not' || l.op === 'contains_not' ? `NOT (${sql})` : sql;
}
