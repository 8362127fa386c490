import type { OverviewRequest, PanelRow, QueryRequest, QueryResponse, RealtimeResponse, RetentionGrid, RetentionRequest, SiteOverview } from '../../../../../core/api/stats.ts';
import { api } from './client.ts';

/**
 * The reports API (docs/api.md), modelled on Plausible's Stats API v2. Every panel of the dashboard is one
 * QueryRequest; the site view's first paint comes from /api/v1/overview (all panels in one call).
 */
export type {
  ComparisonMode, DateRange, Figure, Filter, FilterOp, LeafFilter, OverviewRequest, PanelName, PanelRow, QueryRequest, QueryResponse, RealtimeResponse,
  ResultRow, RetentionGrid, RetentionRequest, Sample, SiteOverview, TimeRangeMeta,
} from '../../../../../core/api/stats.ts';

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
  /** An estimate's margin (95%) by metric, when the answer came from a sample of visitors. */
  margin?: Record<string, number | null>;
}

export function rows(res: QueryResponse, metrics: string[]): Row[] {
  return res.results.map((r) => {
    const values = Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i] ?? null]));
    const row: Row = { dims: r.dimensions.map(String), values };
    if (r.margin) row.margin = Object.fromEntries(metrics.map((m, i) => [m, r.margin![i] ?? null]));
    if (r.comparison) {
      row.previous = Object.fromEntries(metrics.map((m, i) => [m, r.comparison!.metrics[i] ?? null]));
      row.change = Object.fromEntries(metrics.map((m, i) => [m, r.comparison!.change?.[i] ?? null]));
    }
    return row;
  });
}

/** POST /api/v1/overview: every panel of the site view in one answer (dashboard/api/query/assemble/overview.ts). */
export const overview = (q: OverviewRequest, signal?: AbortSignal) => api.post<SiteOverview>('/api/v1/overview', q, { signal });

/** Overview panel rows in the shape of query rows, with their margins where the panel is estimated (SiteOverview.samples). */
export function panelRows(list: PanelRow[] | undefined, metrics: string[], margins?: Record<string, number | null>[]): Row[] {
  return (list ?? []).map((r, i) => ({ dims: [String(r.value)], values: Object.fromEntries(metrics.map((m) => [m, typeof r[m] === 'number' ? (r[m] as number) : null])),
    ...(margins?.[i] ? { margin: margins[i] } : {}) }));
}

/** POST /api/v1/retention: cohorts by first-seen week or month, and the share of each still active later. */
export const retention = (q: RetentionRequest, signal?: AbortSignal) => api.post<RetentionGrid>('/api/v1/retention', q, { signal });
