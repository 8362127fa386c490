import { z } from 'zod';

/**
 * The stats API's shapes (docs/api.md), as the server parses and answers them and as the web app sends and reads
 * them: one module, so the two cannot drift. Requests are zod schemas of the wire shape (what JSON may hold); the
 * engine then checks names against its catalogs (dashboard/api/query/request). Modelled on Plausible's Stats API v2.
 */

export const PRESETS = ['day', '7d', '28d', '30d', '91d', 'month', '6mo', '12mo', 'year', 'all', 'realtime'] as const;
export type Preset = (typeof PRESETS)[number];
export const COMPARISON_MODES = ['previous_period', 'year_over_year'] as const;
export type ComparisonMode = (typeof COMPARISON_MODES)[number];
export const FILTER_OPS = ['is', 'is_not', 'contains', 'contains_not'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
/** Rows a query may ask for at once. */
export const MAX_LIMIT = 10_000;

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar day 'YYYY-MM-DD' between 1970 and 2299. */
export function isDate(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(t).toISOString().slice(0, 10) === s && Number(m[1]) >= 1970 && Number(m[1]) <= 2299;
}

/** Quotes a value for an error message (never for SQL). */
export function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return `"${s.length > 80 ? `${s.slice(0, 80)}…` : s}"`;
}

// ---- requests ----

export type DateRange = Preset | [string, string];
/** A leaf filter [op, dimension, values]; filters also nest as ["and" | "or", [...]] and ["not", filter]. */
export type LeafFilter = [FilterOp, string, string[]];
export type Filter = LeafFilter | ['and' | 'or', Filter[]] | ['not', Filter];

const day = z.custom<string>(isDate);
const dateRange = z.union([z.enum(PRESETS), z.tuple([day, day])], {
  error: (iss) => `date_range ${iss.input === undefined ? 'is required' : `${show(iss.input)} is not valid`}: one of ${PRESETS.join(', ')} or ["YYYY-MM-DD", "YYYY-MM-DD"]`,
}).refine((dr) => typeof dr === 'string' || dr[0] <= dr[1], { error: (iss) => `date_range starts (${(iss.input as string[])[0]}) after it ends (${(iss.input as string[])[1]})` });
const date = z.custom<string>(isDate, { error: (iss) => `date ${show(iss.input)} is not a day (YYYY-MM-DD)` }).optional();
const siteId = z.string({ error: 'site_id is a domain or a site id' }).min(1, 'site_id is a domain or a site id').max(253, 'site_id is a domain or a site id');
const productName = z.string().min(1).max(100);
const productId = z.union([z.literal('*'), productName, z.array(productName).min(1).max(50)],
  { error: 'product_id is a product name or id, a list of 1 to 50 of them, or "*"' });
/** Parsed in depth by the engine, which names the exact position of a bad part (filters[0][1][2]). */
const filters = z.custom<Filter[]>(() => true).optional();
const scoped = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ site_id: siteId.optional(), product_id: productId.optional(), ...shape })
  .refine((b) => ((b as { site_id?: unknown }).site_id === undefined) !== ((b as { product_id?: unknown }).product_id === undefined), { error: 'give either site_id (a domain or site id) or product_id', path: ['site_id'] });

const bool = (field: string) => z.boolean({ error: `${field} is true or false` }).optional();
const int = (min: number, max: number, msg: string) => z.number({ error: msg }).int(msg).min(min, msg).max(max, msg).optional();

export const QueryRequestBody = scoped({
  date_range: dateRange,
  date,
  metrics: z.array(z.unknown(), { error: 'metrics is a list of 1 to 20 metric names' }).min(1, 'metrics is a list of 1 to 20 metric names').max(20, 'metrics is a list of 1 to 20 metric names'),
  dimensions: z.array(z.unknown(), { error: 'dimensions is a list of at most 5 dimension names' }).max(5, 'dimensions is a list of at most 5 dimension names').optional(),
  filters,
  order_by: z.custom<[string, 'asc' | 'desc'][]>(() => true).optional(),
  include: z.strictObject({
    comparisons: z.object({ mode: z.enum(COMPARISON_MODES, { error: 'comparisons is { "mode": "previous_period" | "year_over_year" }' }) },
      { error: 'comparisons is { "mode": "previous_period" | "year_over_year" }' }).nullish(),
    time_labels: bool('include.time_labels'),
    total_rows: bool('include.total_rows'),
  }, { error: 'include must be a JSON object' }).optional(),
  pagination: z.object({
    limit: int(1, MAX_LIMIT, `pagination.limit is an integer from 1 to ${MAX_LIMIT}`),
    offset: int(0, 1_000_000, 'pagination.offset is an integer from 0'),
  }, { error: 'pagination must be a JSON object' }).optional(),
});
/** POST /api/v1/query (and /query.csv). */
export interface QueryRequest {
  site_id?: string;
  product_id?: string | string[];
  date_range: DateRange;
  date?: string;
  metrics: string[];
  dimensions?: string[];
  filters?: Filter[];
  order_by?: [string, 'asc' | 'desc'][];
  include?: { comparisons?: { mode: ComparisonMode } | null; time_labels?: boolean; total_rows?: boolean };
  pagination?: { limit?: number; offset?: number };
}

const comparison = z.union([z.null(), z.literal(false), z.enum(COMPARISON_MODES), z.object({ mode: z.enum(COMPARISON_MODES) })],
  { error: 'comparison is "previous_period" or "year_over_year" (or { "mode": ... })' }).optional();
export const OverviewRequestBody = z.strictObject({
  site_id: z.string({ error: 'the overview is for one site: give site_id' }).min(1, 'site_id is a domain or a site id').max(253, 'site_id is a domain or a site id'),
  date_range: dateRange,
  date,
  filters,
  comparison,
  limit: int(1, 100, 'limit is an integer from 1 to 100'),
});
/** POST /api/v1/overview: every panel of the site view in one answer. */
export interface OverviewRequest {
  site_id: string;
  date_range: DateRange;
  date?: string;
  filters?: Filter[];
  comparison?: ComparisonMode | { mode: ComparisonMode } | null | false;
  limit?: number;
}

/** GET /api/v1/realtime?site_id=... (the query string). */
export const RealtimeQuery = z.object({
  site_id: z.string({ error: 'site_id (a domain or site id) is required' }).min(1, 'site_id (a domain or site id) is required')
    .max(253, 'site_id is a domain or a site id'),
});

export const RETENTION_PERIODS = ['week', 'month'] as const;
export type RetentionPeriod = (typeof RETENTION_PERIODS)[number];
export const RetentionRequestBody = scoped({
  date_range: dateRange.refine((dr): boolean => dr !== 'realtime', 'retention needs whole days, not realtime'),
  date,
  period: z.enum(RETENTION_PERIODS, { error: 'period is "week" or "month"' }).optional(),
  filters,
});
/** POST /api/v1/retention. */
export interface RetentionRequest {
  site_id?: string;
  product_id?: string | string[];
  date_range: DateRange;
  date?: string;
  period?: RetentionPeriod;
  filters?: Filter[];
}

// The schemas accept exactly the interfaces above: this line stops compiling when one of them drifts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SCHEMAS_MATCH: [
  Same<Omit<z.infer<typeof QueryRequestBody>, 'metrics' | 'dimensions'>, Omit<QueryRequest, 'metrics' | 'dimensions'>>,
  Same<z.infer<typeof OverviewRequestBody>, OverviewRequest>,
  Same<z.infer<typeof RetentionRequestBody>, RetentionRequest>,
] = [true, true, true];
void SCHEMAS_MATCH;

/**
 * A zod issue's field in the API's notation (metrics[1], include.comparisons.mode) and its message; an unknown key
 * is named itself. The engine answers it as a 400 naming the field.
 */
export function issueField(err: z.ZodError): { field: string; message: string } {
  const unknown = err.issues.find((i) => i.code === 'unrecognized_keys');
  const issue = unknown ?? err.issues[0]!;
  const path = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const field = path ? `${path}.${key}` : key;
    return { field, message: path === 'include' ? `unknown include option ${show(key)}` : `unknown field ${show(key)}` };
  }
  return { field: path || 'body', message: issue.message };
}

// ---- answers ----

export interface TimeRangeMeta { from: string; to: string; time_zone: string }

export interface ResultRow {
  dimensions: string[];
  metrics: number[];
  /**
   * Only in a sampled answer (meta.sample): each metric's margin at 95% confidence, in its own units (the true value
   * is within metrics[i] ± margin[i] 19 times in 20); null where none is computed (a percentage).
   */
  margin?: (number | null)[];
  comparison?: { dimensions: string[]; metrics: number[]; change: (number | null)[] };
}

export interface QueryMeta {
  time_range: TimeRangeMeta;
  comparison_time_range?: TimeRangeMeta;
  total_rows?: number;
  time_labels?: string[];
  /** Present when the figures are estimates from a sample of visitors (a long range with many visits). */
  sample?: Sample;
}

/**
 * A sampled answer: the visitors whose id hashes into `fraction` of all ids were counted, and each count scaled by
 * 1 / fraction (as Plausible does above a size). Which queries sample, and when: docs/api.md.
 */
export interface Sample {
  fraction: number;
  /** The comparison's own fraction, when it was sampled (a busier previous period can be, when this one is not). */
  comparison_fraction?: number;
}

/** The answer of POST /api/v1/query: rows, meta, and the request as understood (with its resolved dates). */
export interface QueryResponse {
  results: ResultRow[];
  meta: QueryMeta;
  query: Record<string, unknown> & { date_range: [string, string]; time_zone: string; pagination: { limit: number; offset: number } };
}

export interface Figure { value: number; comparison?: number; change?: number | null }
export type PanelRow = { value: string } & Record<string, number | string>;
export const PANEL_NAMES = ['pages', 'entry_pages', 'exit_pages', 'sources', 'channels', 'utm_sources', 'utm_mediums', 'utm_campaigns',
  'countries', 'regions', 'cities', 'browsers', 'operating_systems', 'devices', 'screens', 'goals', 'visit_types', 'frequency'] as const;
export type PanelName = (typeof PANEL_NAMES)[number];

export interface SiteOverview {
  time_range: TimeRangeMeta;
  comparison_time_range?: TimeRangeMeta;
  headline: Record<string, Figure>;
  timeseries: {
    granularity: string;
    labels: string[];
    series: Record<string, number[]>;
    comparison?: { labels: string[]; series: Record<string, number[]> };
  };
  panels: Record<PanelName, PanelRow[]>;
  /** The panels whose figures are estimates from a sample: its fraction, and each row's margins (95%) by metric, row by row. */
  samples?: Partial<Record<PanelName, Sample & { margins: Record<string, number | null>[] }>>;
}

/** GET /api/v1/realtime. */
export interface RealtimeResponse {
  /** Visitors in the last 5 minutes. */
  visitors: number;
  /** Pageviews per minute over the last 30 minutes, oldest first. */
  pageviews_per_minute: { minute: string; pageviews: number }[];
  time_range: TimeRangeMeta;
}

export interface RetentionCell { index: number; active: number; share: number }
/** The answer of POST /api/v1/retention: cohorts by first-seen period, and the share of each still active later. */
export interface RetentionGrid {
  period: RetentionPeriod;
  cohorts: { cohort: string; size: number; periods: RetentionCell[] }[];
  meta: { time_range: TimeRangeMeta };
}
