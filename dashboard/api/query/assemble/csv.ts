import type { ResultRow } from '../run/engine.ts';

/**
 * CSV per RFC 4180: CRLF line ends, a header row, fields holding a comma, quote, CR or LF wrapped in double quotes with
 * inner quotes doubled. Text that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a
 * leading apostrophe: page paths, referrers and props come from the public and must not become formulas. Numbers are
 * written as numbers.
 */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * A query response as CSV: dimensions, metrics, then (with a comparison) each metric's previous value and change, and
 * (estimated from a sample, docs/api.md "Sampling") each metric's 95% margin.
 */
export function queryResultCsv(dimensions: string[], metrics: string[], results: ResultRow[]): string {
  const compared = results.some((r) => r.comparison);
  const sampled = results.some((r) => r.margin);
  const header = [...dimensions, ...metrics, ...(compared ? metrics.flatMap((m) => [`${m} (comparison)`, `${m} change`]) : []),
    ...(sampled ? metrics.map((m) => `${m} margin (95%)`) : [])];
  const rows = results.map((r) => [...r.dimensions, ...r.metrics,
    ...(compared ? metrics.flatMap((_, i) => [r.comparison?.metrics[i] ?? null, r.comparison?.change[i] ?? null]) : []),
    ...(sampled ? metrics.map((_, i) => r.margin?.[i] ?? null) : [])]);
  return toCsv(header, rows);
}
