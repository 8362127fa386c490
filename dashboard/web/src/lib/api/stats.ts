import { api } from './client.ts';

/**
 * The reports API (docs/api.md), modelled on Plausible's Stats API v2. Every panel of the dashboard is one
 * QueryRequest; the site view's first paint comes from /api/v1/overview (all panels in one call).
 */
export type FilterOp = 'is' | 'is_not' | 'contains' | 'contains_not';
export type LeafFilter = [FilterOp, string, string[]];
export type ComparisonMode = 'previous_period' | 'year_over_year';
export type DateRange = string | [string, string];

export interface QueryRequest {
  site_id?: string;
  product_id?: string | string[];
  date_range: DateRange;
  date?: string;
  metrics: string[];
  dimensions?: string[];
  filters?: LeafFilter[];
  order_by?: [string, 'asc' | 'desc'][];
  include?: { comparisons?: { mode: ComparisonMode }; time_labels?: boolean; total_rows?: boolean };
  pagination?: { limit?: number; offset?: number };
}

export interface ResultRow {
  dimensions: string[];
  metrics: (number | null)[];
  comparison?: { dimensions?: string[]; metrics: (number | null)[]; change: (number | null)[] };
}

export interface QueryResponse {
  results: ResultRow[];
  meta: { time_labels?: string[]; comparison_time_labels?: string[]; total_rows?: number; [k: string]: unknown };
  query: Record<string, unknown> & { date_range?: [string, string] | string[]; comparison_date_range?: string[] };
}

export interface RealtimeResponse {
  /** Visitors in the last 5 minutes. */
  visitors: number;
  /** Pageviews per minute over the last 30 minutes, oldest first. */
  pageviews_per_minute: { minute: string; pageviews: number }[];
}

export const query = (q: QueryRequest, signal?: AbortSignal) => api.post<QueryResponse>('/api/v1/query', q, { signal });

/** The CSV of a query, as a file the browser saves. */
export async function downloadCsv(q: QueryRequest, filename: string): Promise<void> {
  const res = await api.raw('POST', '/api/v1/query.csv', q, { accept: 'text/csv' });
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const realtime = (siteId: string, signal?: AbortSignal) =>
  api.get<RealtimeResponse>(`/api/v1/realtime?site_id=${encodeURIComponent(siteId)}`, { signal });

/** A row as an object: dimension values by name, then metric values by name (and comparison values, suffixed). */
export interface Row {
  dims: string[];
  values: Record<string, number | null>;
  previous?: Record<string, number | null>;
  change?: Record<string, number | null>;
}

export function rows(res: QueryResponse, metrics: string[]): Row[] {
  return res.results.map((r) => {
    const values = Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i] ?? null]));
    const row: Row = { dims: r.dimensions.map(String), values };
    if (r.comparison) {
      row.previous = Object.fromEntries(metrics.map((m, i) => [m, r.comparison!.metrics[i] ?? null]));
      row.change = Object.fromEntries(metrics.map((m, i) => [m, r.comparison!.change?.[i] ?? null]));
    }
    return row;
  });
}

/** POST /api/v1/overview: every panel of the site view in one answer (dashboard/api/query/overview.ts). */
export interface Figure { value: number; comparison?: number; change?: number | null }
export type PanelRow = { value: string } & Record<string, number | string>;
export interface TimeRangeMeta { from: string; to: string; time_zone: string }
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
  panels: Record<string, PanelRow[]>;
}

export interface OverviewRequest {
  site_id: string;
  date_range: DateRange;
  filters?: LeafFilter[];
  comparison?: ComparisonMode | null;
  limit?: number;
}

export const overview = (q: OverviewRequest, signal?: AbortSignal) => api.post<SiteOverview>('/api/v1/overview', q, { signal });

/** Overview panel rows in the shape of query rows. */
export function panelRows(list: PanelRow[] | undefined, metrics: string[]): Row[] {
  return (list ?? []).map((r) => ({ dims: [String(r.value)], values: Object.fromEntries(metrics.map((m) => [m, typeof r[m] === 'number' ? (r[m] as number) : null])) }));
}

/** POST /api/v1/retention: cohorts by first-seen week or month, and the share of each still active later. */
export interface RetentionGridData {
  period: 'week' | 'month';
  cohorts: { cohort: string; size: number; periods: { index: number; active: number; share: number }[] }[];
  meta: { time_range: TimeRangeMeta };
}
export const retention = (q: { site_id?: string; product_id?: string; date_range: DateRange; period: 'week' | 'month'; filters?: LeafFilter[] }, signal?: AbortSignal) =>
  api.post<RetentionGridData>('/api/v1/retention', q, { signal });
