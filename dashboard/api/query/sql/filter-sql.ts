import type { DimRef, Level } from '../catalog/dimensions.ts';
import { invalid } from '../catalog/errors.ts';
import { leaves, negative, type Filter, type Leaf } from '../catalog/filters.ts';
import type { Params } from './params.ts';

/** Parsed filters (catalog/filters.ts) as SQL conditions on the rows of a level, every value a parameter. */

/** Rows a condition is evaluated on, and how to read a dimension there. */
export interface FilterTarget {
  level: Level;
  /** SQL of a dimension of this level, or of one it carries. */
  expr(dim: DimRef): string;
  /** Whether the rows also carry this dimension of another level (events stamped with their visit's attributes). */
  carries?(dim: DimRef): boolean;
}

/** Whether a dimension can be read on the target's own rows. */
const readsAt = (target: FilterTarget, dim: DimRef) => dim.def.level === target.level || target.carries?.(dim) === true;

export interface CompileContext {
  params: Params;
  home: FilterTarget;
  /**
   * The other level of the same visit, and the membership test of a visit in rows of that level matching `cond`,
   * which is `group` (filters on that level, joined by `op`) compiled on its rows.
   */
  other?: FilterTarget;
  member?: (cond: string, group: Filter[], op: 'and' | 'or') => string;
}

/** One SQL condition for all filters (AND-ed), or '1' when there are none. */
export function compileFilters(filters: Filter[], ctx: CompileContext): string {
  return filters.length === 0 ? '1' : compileNode({ op: 'and', children: filters }, ctx);
}

const foreign = (f: Filter, ctx: CompileContext) => leaves(f).every((l) => !readsAt(ctx.home, l.dim));

function compileNode(f: Filter, ctx: CompileContext): string {
  if ('dim' in f) return compileLeaf(f, ctx);
  if (f.op === 'not') return `NOT (${compileNode(f.child, ctx)})`;
  // Positive sub-filters wholly about the other level are tested together, on one row of it:
  // ['and', [event:name is Signup, event:page is /pricing]] means a Signup on /pricing.
  const grouped = ctx.member ? f.children.filter((c) => foreign(c, ctx) && !negative(c)) : [];
  const parts = f.children.filter((c) => !grouped.includes(c)).map((c) => compileNode(c, ctx));
  if (grouped.length) {
    const inner = { params: ctx.params, home: ctx.other! };
    parts.push(ctx.member!(grouped.map((c) => compileNode(c, inner)).join(f.op === 'and' ? ' AND ' : ' OR '), grouped, f.op));
  }
  return parts.length === 1 ? parts[0]! : `(${parts.join(f.op === 'and' ? ' AND ' : ' OR ')})`;
}

function compileLeaf(l: Leaf, ctx: CompileContext): string {
  // A carried dimension is a test of the row itself: its one visit matches or does not, negations included.
  if (readsAt(ctx.home, l.dim)) return leafSql(l, ctx.home, ctx.params);
  if (!ctx.member || !ctx.other || l.dim.def.level !== ctx.other.level) throw invalid('filters', `${l.dim.name} cannot filter this query`);
  const positive = { ...l, op: l.op === 'is_not' ? 'is' : l.op === 'contains_not' ? 'contains' : l.op } as Leaf;
  const test = ctx.member(leafSql(positive, ctx.other, ctx.params), [positive], 'and');
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
