import { metricInfo } from './definitions.ts';
import { count, decimal, duration, percent } from './format.ts';

/** A metric's value as it reads ("1.2k", "43%", "1m 05s"). */
export function formatMetric(metric: string, v: number | null | undefined, exact = false): string {
  const kind = metricInfo(metric).kind;
  if (kind === 'percent') return percent(v, metric === 'conversion_rate' ? 1 : 0);
  if (kind === 'duration') return duration(v);
  if (kind === 'decimal') return decimal(v);
  return count(v, exact);
}

/** A change as it reads: "+12%" relative, or "+3.1 pt" for percentages; `good` says whether it is an improvement. */
export function formatChange(metric: string, change: number | null | undefined): { text: string; good: boolean | null } | null {
  if (change === null || change === undefined || !Number.isFinite(change)) return null;
  const info = metricInfo(metric);
  if (change === 0) return { text: info.points ? '±0 pt' : '±0%', good: null };
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  const abs = Math.abs(change);
  const text = info.points ? `${sign}${abs.toFixed(abs < 10 ? 1 : 0)} pt` : `${sign}${abs >= 100 ? Math.round(abs) : abs.toFixed(abs < 10 ? 1 : 0)}%`;
  const good = change === 0 ? null : (change > 0) !== Boolean(info.lowerIsBetter);
  return { text, good };
}
