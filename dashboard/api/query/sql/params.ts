/** A statement built by the engine: constants, allow-list outputs and {name:Type} placeholders only. */
export interface Compiled {
  /** Log key and test handle, e.g. 'web:sessions'. */
  name: string;
  sql: string;
  params: Record<string, unknown>;
  /** Its first row (`tot` = 1) holds the metrics over all rows (Spec.totals). */
  totals?: boolean;
  /** Its rows are estimates from a sample: each carries sample_k (the factor) and e<i> (metric i's margin) where it has one. */
  sample?: boolean;
    /** Which rows answer each aggregation of the statement, and why (the planner's words; tests and logs read it). */
  plan?: string[];
}

/** The values every statement may name, with their ClickHouse types (the placeholder's type is never request text). */
const NAMED = {
  site: 'String', product: 'String', products: 'Array(String)', tz: 'String',
  from: 'DateTime64(3)', to: 'DateTime64(3)', first: 'Date', last: 'Date', days: 'UInt32',
  limit: 'UInt32', offset: 'UInt32', cmp: 'Array(Array(String))',
} as const;
export type Named = keyof typeof NAMED;

let statements = 0;

/**
 * Collects the values one statement needs and hands out their placeholders. Every name carries the statement's own
 * prefix (p<n>_), unique in the process, so statements built apart can run as one (run/together.ts) by merging their
 * values, with no SQL rewritten. Names are generated (p<n>_f0, p<n>_site...), so no request-derived text ever becomes
 * part of the SQL, not even as a parameter name.
 */
export class Params {
  private n = 0;
  private readonly prefix = `p${(statements = (statements + 1) % 1_000_000_000)}_`;
  readonly values: Record<string, unknown> = {};

  constructor(named: Partial<Record<Named, unknown>> = {}) {
    for (const [k, v] of Object.entries(named)) if (v !== undefined) this.values[this.prefix + k] = v;
  }

  /** The placeholder of a value given to the constructor. */
  ref(name: Named): string {
    if (!(this.prefix + name in this.values)) throw new Error(`statement parameter ${name} was not given`);
    return `{${this.prefix}${name}:${NAMED[name]}}`;
  }

  /** A new placeholder for `value`, typed `type` (a constant from the engine, e.g. 'Array(String)'). */
  add(value: unknown, type: string): string {
    const name = `${this.prefix}f${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }

  /** Values under fixed, unprefixed names (the feature catalog's, read by catalog SQL constants): see together.ts. */
  global(values: Record<string, unknown>): void {
    Object.assign(this.values, values);
  }

  /** The value given under `name` (tests and the assembly step read them back). */
  get(name: Named): unknown {
    return this.values[this.prefix + name];
  }
}
