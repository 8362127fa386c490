import type { Figure, PanelName, PanelRow, RealtimeResponse, SiteOverview } from '../../../../core/api/stats.ts';
import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import type { Site } from '../../../../core/registry.ts';
import { comparisonRange, realtimeRange, timeLabels, today, type ComparisonMode } from '../request/date-range.ts';
import { resolveDimension, type DimRef } from '../catalog/dimensions.ts';
import { runBatched } from '../run/batch.ts';
import { runEngine, resolveRange, type EngineQuery, type EngineResult } from '../run/engine.ts';
import { parseFilters, type Filter } from '../catalog/filters.ts';
import { withRange } from '../request/query-request.ts';
import { runTogether } from '../run/together.ts';

/**
 * The site view: every panel is one engine query (the same engine as POST /api/v1/query), listed in PANELS. The
 * queries are independent: they are issued at once and sent as one statement (run/together.ts), whose branches
 * run side by side; the panels that read the same visits share one scan (run/batch.ts, sql/grouping-sets.ts), and the engine's planner answers
 * each from the rollups where it can (plan/rollups.ts).
 */
export interface OverviewOptions {
  dateRange: unknown;
  date?: string;
  /** Filters as in the query API; they apply to every panel (a click on a row adds one). */
  filters?: unknown;
  comparison?: ComparisonMode | null;
  /** Rows per breakdown panel. */
  limit?: number;
  now?: number;
  concurrency?: number;
  /** false: every panel from raw rows (plan/rollups.ts), to compare. */
  rollups?: boolean;
  /** false: one statement per panel group instead of all in one (run/together.ts), to time each. */
  together?: boolean;
  /** Visit frequency past this many cookie visits is estimated from a sample (EngineQuery.sampleAbove); absent: whole. */
  sampleAbove?: number;
}

interface Panel { metrics: string[]; dimensions: string[]; filters?: unknown[]; orderBy?: [string, 'asc' | 'desc'][] }

export const HEADLINE = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration',
  'new_visitors', 'returning_visitors', 'visits_per_visitor'];
const SERIES = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'];
/** With a goal picked (a filter event:name is ...), the headline and the chart also count its conversions. */
export const GOAL_METRICS = ['events', 'conversion_rate'];
const by = (dimension: string, metrics = ['visitors']): Panel => ({ metrics, dimensions: [dimension] });

export const PANELS = {
  pages: by('event:page', ['visitors', 'pageviews']),
  // Unique entrances and exits are visits (as in Plausible); sums of signs, so no visit needs collapsing.
  entry_pages: by('visit:entry_page', ['visits', 'bounce_rate']),
  exit_pages: by('visit:exit_page', ['visits']),
  sources: by('visit:source', ['visitors', 'bounce_rate']),
  channels: by('visit:channel'),
  utm_sources: by('visit:utm_source'),
  utm_mediums: by('visit:utm_medium'),
  utm_campaigns: by('visit:utm_campaign'),
  countries: by('visit:country'),
  regions: by('visit:region'),
  cities: by('visit:city'),
  browsers: by('visit:browser'),
  operating_systems: by('visit:os'),
  devices: by('visit:device'),
  screens: by('visit:screen'),
  goals: { metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:name'], filters: [['is_not', 'event:name', ['pageview']]] },
  visit_types: by('visit:visitor_type', ['visitors', 'visits']),
  frequency: { metrics: ['visitors', 'visits'], dimensions: ['visitor:frequency'], orderBy: [['visitor:frequency', 'asc']] },
} satisfies Record<string, Panel>;
// Every panel the shared API names is one here, and no other.
const panelNames: Record<PanelName, Panel> = PANELS;
void panelNames;
/** Under a goal, top pages count its conversions on each page (its pageviews there would be none). */
const GOAL_PANELS: Partial<Record<PanelName, Panel>> = { pages: by('event:page', ['visitors', 'events']) };

export type { Figure, PanelName, PanelRow, SiteOverview };

const dims = (names: string[]): DimRef[] => names.map((n, i) => resolveDimension('web', n, `dimensions[${i}]`, 'day'));

export async function siteOverview(ch: ClickHouseClient, site: Site, opts: OverviewOptions): Promise<SiteOverview> {
  const now = opts.now ?? Date.now();
  const scope = { kind: 'site' as const, site };
  const filters: Filter[] = parseFilters(opts.filters ?? [], 'web');
  const range = await resolveRange(ch, scope, { dateRange: opts.dateRange as string, ...(opts.date ? { date: opts.date } : {}) }, now);
  const comparison = opts.comparison ? comparisonRange(range, opts.comparison, today({ tz: site.timezone, now, ...(opts.date ? { date: opts.date } : {}) })) : null;
  const limit = opts.limit ?? 10;
  const time = withRange(dims(['time']), range);
  const goal = filters.some((f) => f.op === 'is' && f.dim.name === 'event:name');
  const headlineMetrics = goal ? [...HEADLINE, ...GOAL_METRICS] : HEADLINE;
  const seriesMetrics = goal ? [...SERIES, ...GOAL_METRICS] : SERIES;
  const panelDefs: Record<string, Panel> = goal ? { ...PANELS, ...GOAL_PANELS } : PANELS;
  const rollups = { ...(opts.rollups === false ? { rollups: false } : {}), ...(opts.sampleAbove ? { sampleAbove: opts.sampleAbove } : {}) };
  // The chart carries the headline as its totals: one scan for both where the engine can (Spec.totals).
  const chartMetrics = [...new Set([...headlineMetrics, ...seriesMetrics])];
  const queries: EngineQuery[] = [
    { range, comparison, metrics: chartMetrics, dimensions: time, filters, totals: true, ...rollups },
    ...Object.values(panelDefs).map((p: Panel) => ({ range, metrics: p.metrics, dimensions: dims(p.dimensions), limit,
      filters: [...filters, ...parseFilters(p.filters ?? [], 'web')], orderBy: p.orderBy ?? [], ...rollups })),
  ];
  const together = opts.together !== false;
  const [series, ...panels] = await runBatched(together ? runTogether(ch) : ch, scope, queries, together ? queries.length : opts.concurrency ?? 4);

  const figures: Record<string, Figure> = {};
  const top = series!.totals!;
  headlineMetrics.forEach((m) => {
    const i = chartMetrics.indexOf(m);
    figures[m] = { value: top.metrics[i]!, ...(top.comparison ? { comparison: top.comparison.metrics[i]!, change: top.comparison.change[i]! } : {}) };
  });
  const g = time[0]!.granularity!;
  const labels = timeLabels(range, g);
  const fill = (rows: { label: string; metrics: number[] }[], ls: string[]) => {
    const at = new Map(rows.map((r) => [r.label, r.metrics]));
    return Object.fromEntries(seriesMetrics.map((m) => [m, ls.map((l) => at.get(l)?.[chartMetrics.indexOf(m)] ?? 0)]));
  };
  const timeseries: SiteOverview['timeseries'] = { granularity: g, labels, series: fill(series!.results.map((r) => ({ label: r.dimensions[0]!, metrics: r.metrics })), labels) };
  if (comparison) {
    const cmpLabels = timeLabels(comparison, g);
    const cmpRows = series!.results.flatMap((r) => (r.comparison ? [{ label: r.comparison.dimensions[0]!, metrics: r.comparison.metrics }] : []));
    timeseries.comparison = { labels: cmpLabels, series: fill(cmpRows, cmpLabels) };
  }
  const names = Object.keys(PANELS) as PanelName[];
  const byPanel = Object.fromEntries(names.map((name, k) => {
    const p: Panel = panelDefs[name]!;
    return [name, panels[k]!.results.map((r) => ({ value: r.dimensions[0]!, ...Object.fromEntries(p.metrics.map((m, i) => [m, r.metrics[i]!])) }) as PanelRow)];
  })) as Record<PanelName, PanelRow[]>;
  byPanel.frequency = fillFrequency(byPanel.frequency);
  // Estimated panels: the sample's fraction and each shown row's margins (a filled-in bucket had no visitor in the
  // sample, which does not make it empty: its margin is not known, null).
  const samples: NonNullable<SiteOverview['samples']> = {};
  names.forEach((name, k) => {
    const { results, meta } = panels[k]!;
    if (!meta.sample || meta.sample.fraction >= 1) return;
    const metrics = panelDefs[name]!.metrics;
    const margins = byPanel[name].map((row) => {
      const r = results.find((x) => x.dimensions[0] === row.value);
      return Object.fromEntries(metrics.map((m, i) => [m, r?.margin?.[i] ?? null]));
    });
    samples[name] = { ...meta.sample, margins };
  });
  return { time_range: series!.meta.time_range, ...(series!.meta.comparison_time_range ? { comparison_time_range: series!.meta.comparison_time_range } : {}),
    headline: figures, timeseries, panels: byPanel, ...(Object.keys(samples).length ? { samples } : {}) };
}

const FREQUENCY_BUCKETS = ['1', '2', '3-5', '6-10', '11+'];
/** Every bucket, in order, including the empty ones. */
function fillFrequency(rows: PanelRow[]): PanelRow[] {
  return FREQUENCY_BUCKETS.map((b) => rows.find((r) => r.value === b) ?? { value: b, visitors: 0, visits: 0 });
}

/** Visitors in the last 5 minutes and pageviews per minute over the last 30 (empty minutes included). */
export async function realtime(ch: ClickHouseClient, site: Site, now = Date.now()): Promise<RealtimeResponse> {
  const scope = { kind: 'site' as const, site };
  const last30 = realtimeRange(now, site.timezone, 30);
  const minute = dims(['time:minute']);
  const [current, perMinute] = await Promise.all([
    runEngine(ch, scope, { range: realtimeRange(now, site.timezone, 5), metrics: ['visitors'], dimensions: [], filters: [] }),
    runEngine(ch, scope, { range: last30, metrics: ['pageviews'], dimensions: minute, filters: [], timeLabels: true }),
  ]);
  const at = new Map(perMinute.results.map((r) => [r.dimensions[0]!, r.metrics[0]!]));
  return {
    visitors: current.results[0]?.metrics[0] ?? 0,
    pageviews_per_minute: (perMinute.meta.time_labels ?? []).map((m) => ({ minute: m, pageviews: at.get(m) ?? 0 })),
    time_range: perMinute.meta.time_range,
  };
}
