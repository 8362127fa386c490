/** How figures read: compact counts, percentages, durations, dates. */
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

/** 1234 → "1.2k" (exact below 10 000); null or NaN → "–". */
export function count(n: number | null | undefined, exact = false): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (exact || Math.abs(n) < 10_000) return whole.format(Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 10) / 10);
  return compact.format(n).toLowerCase();
}

export function percent(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return `${n.toFixed(digits)}%`;
}

/** Seconds → "1m 05s", "2h 03m", "42s". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function decimal(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toFixed(digits).replace(/\.?0+$/, '') || '0';
}

/** "2026-11-24 10:31:00" or ISO → "24 Nov 2026". */
export function shortDate(s: string): string {
  const d = new Date(s.includes('T') ? s : `${s.replace(' ', 'T')}${s.length > 10 ? 'Z' : 'T00:00:00Z'}`);
  if (Number.isNaN(d.getTime())) return s;
  return d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** A bucket label of the time series ('2026-11-24', '2026-11-24 13:00:00', '2026-11-01') for an axis or tooltip. */
export function bucketLabel(label: string, granularity: string, long = false): string {
  const d = new Date(`${label.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return label;
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC', ...(long ? { weekday: 'short', year: 'numeric' } : {}) });
  if (granularity === 'minute' || granularity === 'hour') {
    const hm = label.slice(11, 16);
    return long ? `${day} ${hm}` : hm;
  }
  if (granularity === 'month') return d.toLocaleDateString('en-GB', { month: long ? 'long' : 'short', year: 'numeric', timeZone: 'UTC' });
  if (granularity === 'week') return long ? `Week of ${day}` : day;
  return day;
}

/** Relative change in percent (null when there is nothing to compare with). */
export function change(now: number | null | undefined, before: number | null | undefined): number | null {
  if (now === null || now === undefined || before === null || before === undefined) return null;
  if (before === 0) return now === 0 ? 0 : null;
  return ((now - before) / Math.abs(before)) * 100;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${whole.format(n)} ${n === 1 ? one : many}`;
}
