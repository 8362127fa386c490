import type { QueryResponse } from './api/stats.ts';

export const PALETTE = ['#4f46e5', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#ec4899', '#64748b'];

/**
 * Rows of a [time, X] breakdown as one line per X over every time label (missing buckets are 0), in the order of
 * `order` (or by total, largest first), at most `max` lines.
 */
export function splitSeries(res: QueryResponse, opts: { order?: string[]; max?: number; metric?: number; share?: boolean } = {}) {
  const m = opts.metric ?? 0;
  const labels = res.meta.time_labels ?? [...new Set(res.results.map((r) => r.dimensions[0]!))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const by = new Map<string, (number | null)[]>();
  for (const r of res.results) {
    const key = r.dimensions[1] ?? '';
    let values = by.get(key);
    if (!values) { values = labels.map(() => 0); by.set(key, values); }
    const i = index.get(r.dimensions[0]!);
    if (i !== undefined) values[i] = r.metrics[m] ?? 0;
  }
  if (opts.share) {
    // Each line as a share (%) of all lines in its bucket, the ones not drawn included.
    const sums = labels.map((_, i) => [...by.values()].reduce((a: number, v) => a + (v[i] ?? 0), 0));
    // A bucket with no activity at all has no shares (a gap, not 0 %).
    for (const v of by.values()) v.forEach((x, i) => { v[i] = sums[i] ? Math.round((1000 * (x ?? 0)) / sums[i]!) / 10 : null; });
  }
  const total = (k: string) => (by.get(k) ?? []).reduce((a: number, b) => a + (b ?? 0), 0);
  const keys = opts.order ?? [...by.keys()].sort((a, b) => total(b) - total(a));
  const lines = keys.slice(0, opts.max ?? 8).map((name, i) => ({ name, color: PALETTE[i % PALETTE.length]!, values: by.get(name) ?? labels.map(() => 0) }));
  return { labels, lines };
}

/** The granularity the labels of a time dimension show. */
export function granularityOf(labels: string[]): string {
  if (labels[0] && labels[0].length > 10) return 'hour';
  if (labels.length > 1) {
    const gap = (Date.parse(labels[1]!) - Date.parse(labels[0]!)) / 86_400_000;
    return gap >= 28 ? 'month' : gap >= 7 ? 'week' : 'day';
  }
  return 'day';
}
