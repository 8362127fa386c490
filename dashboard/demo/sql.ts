/**
 * Small builders for the demo generator's SQL. Every value they write into SQL comes from the demo's own catalogs
 * (constants of this code base) or is a number computed here; input from a request always travels as a query parameter.
 */

/** A ClickHouse string literal. */
export function lit(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A number for SQL; refuses anything that is not finite. */
export function num(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

export function strArray(values: readonly string[]): string {
  return `[${values.map(lit).join(',')}]`;
}

export function numArray(values: readonly number[]): string {
  return `[${values.map(num).join(',')}]`;
}

/**
 * Cumulative shares of `weights`, the last one raised above 1 so that `arrayFirstIndex(c -> c > u, cum)` with u in
 * [0, 1) always finds an index (1-based), chosen with probability proportional to its weight.
 */
export function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error('weights must have a positive sum');
  let acc = 0;
  const out = weights.map((w) => Number(((acc += w) / total).toFixed(6)));
  out[out.length - 1] = 2;
  return out;
}

/** 1-based index of a weighted choice driven by `u` (a uniform expression in [0, 1)). */
export function pickIndex(weights: readonly number[], u: string): string {
  return `arrayFirstIndex(c -> c > ${u}, ${numArray(cumulative(weights))})`;
}

/** A weighted choice among string values. */
export function pickString(values: readonly string[], weights: readonly number[], u: string): string {
  return `${strArray(values)}[${pickIndex(weights, u)}]`;
}

/**
 * A deterministic uniform number in [0, 1) from the run's seed and the given parts (column names or integers): the
 * same visit gives the same numbers in every query of a run, which keeps the sessions and events inserts consistent.
 */
export function uniform(...parts: Array<string | number>): string {
  return `(cityHash64({seed:UInt64}, ${parts.join(', ')}) / 18446744073709551616.0)`;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date, for comparisons with toInt32(Date). */
export function dayNumber(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}
