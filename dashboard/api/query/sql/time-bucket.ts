import type { Granularity } from '../request/date-range.ts';
import type { Params } from './params.ts';

/**
 * SQL for the bucket of a DateTime64 column in the statement's zone (tz); labels match timeLabels. Hours and
 * minutes are formatted as local wall-clock text, so the hour that repeats when clocks go back is one bucket (toString
 * would not do: ClickHouse drops it from GROUP BY as injective and groups by the two distinct instants).
 */
export function timeBucketSql(p: Params, g: Granularity, column: string): string {
  const tz = p.ref('tz');
  switch (g) {
    case 'minute': return `formatDateTime(toTimeZone(${column}, ${tz}), '%Y-%m-%d %H:%i:00')`;
    case 'hour': return `formatDateTime(toTimeZone(${column}, ${tz}), '%Y-%m-%d %H:00:00')`;
    case 'day': return `toString(toDate(${column}, ${tz}))`;
    case 'week': return `toString(toMonday(${column}, ${tz}))`;
    case 'month': return `toString(toStartOfMonth(${column}, ${tz}))`;
  }
}
