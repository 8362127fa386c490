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
 * A weighted choice as a lookup table: 2^bits slots holding 1-based indices, each index in a share of the slots
 * proportional to its weight (largest remainders; every positive weight keeps at least one slot). Indexing a constant
 * array is far cheaper in ClickHouse than a lambda over cumulative weights.
 */
export function bucketTable(weights: readonly number[], bits: number): number[] {
  const slots = 2 ** bits;
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => w < 0)) throw new Error('weights must be non-negative with a positive sum');
  if (weights.filter((w) => w > 0).length > slots) throw new Error(`more choices than ${slots} slots`);
  const exact = weights.map((w) => (w / total) * slots);
  const counts = exact.map((x, i) => (weights[i]! > 0 ? Math.max(1, Math.floor(x)) : 0));
  let left = slots - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let n = 0; left !== 0; n++) {
    const i = order[n % order.length]![1];
    if (left > 0) { counts[i]! += 1; left -= 1; } else if (counts[i]! > 1) { counts[i]! -= 1; left += 1; }
  }
  return counts.flatMap((c, i) => Array<number>(c).fill(i + 1));
}

/** 1-based index of a weighted choice driven by `h`, a 64-bit hash expression. */
export function pick(weights: readonly number[], h: string, bits = weights.length <= 16 ? 8 : 10): string {
  return `${numArray(bucketTable(weights, bits))}[1 + bitShiftRight(${h}, ${64 - bits})]`;
}

/** A weighted choice within group `group` (a 1-based SQL expression) of `groups` (weights per group). */
export function pickIn(groups: readonly (readonly number[])[], group: string, h: string, bits = 6): string {
  return `${numArray(groups.flatMap((w) => bucketTable(w, bits)))}[(${group} - 1) * ${2 ** bits} + 1 + bitShiftRight(${h}, ${64 - bits})]`;
}

/**
 * A deterministic 64-bit hash of the run's seed and the given parts (column names or integers): the same visit gives
 * the same numbers in every query of a run, which keeps the sessions and events inserts consistent.
 */
export function hash(...parts: Array<string | number>): string {
  return `cityHash64({seed:UInt64}, ${parts.join(', ')})`;
}

/** The same as a uniform number in [0, 1). */
export function uniform(...parts: Array<string | number>): string {
  return `(${hash(...parts)} / 18446744073709551616.0)`;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date, for comparisons with toInt32(Date). */
export function dayNumber(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / 86_400_000);
}
