import type { ComparisonMode, DateRange, LeafFilter, FilterOp, QueryRequest } from '../api/stats.ts';
import { apiName, urlKey } from '../dimensions.ts';
import { router } from './router.svelte.ts';

/**
 * A site view's settings, all kept in the query string so the view can be shared and reloaded:
 *   period=30d | day | yesterday | 7d | 28d | 91d | month | last_month | 6mo | 12mo | year | all | custom (with from, to)
 *   compare=off | previous_period (default) | year_over_year
 *   f=<op>,<dimension>,<value> (repeated; e.g. f=is,country,DE) · metric=<the chart's metric> · interval=day|week|month|hour
 */
export const PERIODS: { value: string; label: string; key?: string }[] = [
  { value: 'day', label: 'Today', key: 'd' },
  { value: 'yesterday', label: 'Yesterday', key: 'e' },
  { value: '7d', label: 'Last 7 days', key: 'w' },
  { value: '28d', label: 'Last 28 days', key: 'f' },
  { value: '30d', label: 'Last 30 days', key: 't' },
  { value: '91d', label: 'Last 91 days', key: 'n' },
  { value: 'month', label: 'This month', key: 'm' },
  { value: 'last_month', label: 'Last month', key: 'l' },
  { value: '6mo', label: 'Last 6 months' },
  { value: '12mo', label: 'Last 12 months', key: 'y' },
  { value: 'year', label: 'This year' },
  { value: 'all', label: 'All time', key: 'a' },
];

export interface ViewFilter { op: FilterOp; key: string; api: string; value: string }

const OPS: FilterOp[] = ['is', 'is_not', 'contains', 'contains_not'];

export function parseFilter(raw: string): ViewFilter | null {
  const a = raw.indexOf(',');
  const b = raw.indexOf(',', a + 1);
  if (a < 0 || b < 0) return null;
  const op = raw.slice(0, a) as FilterOp;
  const key = raw.slice(a + 1, b);
  const api = apiName(key);
  if (!OPS.includes(op) || !api) return null;
  return { op, key, api, value: raw.slice(b + 1) };
}

/** Today in a time zone, 'YYYY-MM-DD'. */
export function todayIn(tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

const shift = (d: string, days: number) => new Date(Date.parse(`${d}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const isDay = (s: string | null): s is string => !!s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s));

/** The scope of a report page: one site, or products (one id, or '*' for all the caller may see). */
export type ReportScope = { site_id: string } | { product_id: string | string[] };

export class SiteViewState {
  readonly scope: ReportScope;
  constructor(scope: string | ReportScope, private readonly tz: () => string) {
    this.scope = typeof scope === 'string' ? { site_id: scope } : scope;
  }

  /** The site id or product id(s), for file names. */
  get siteId(): string {
    return 'site_id' in this.scope ? this.scope.site_id : [this.scope.product_id].flat().join('-').replace('*', 'products');
  }

  period = $derived(router.params.get('period') ?? '30d');
  from = $derived(router.params.get('from'));
  to = $derived(router.params.get('to'));
  compare = $derived.by((): ComparisonMode | null => {
    const c = router.params.get('compare');
    return c === 'off' ? null : c === 'year_over_year' ? 'year_over_year' : 'previous_period';
  });
  filters = $derived(router.params.getAll('f').map(parseFilter).filter((f): f is ViewFilter => f !== null));
  metric = $derived(router.params.get('metric') ?? 'visitors');
  interval = $derived(router.params.get('interval'));

  /** The date_range of the API: a preset, or two days. */
  dateRange = $derived.by((): DateRange => {
    const today = todayIn(this.tz());
    switch (this.period) {
      case 'yesterday': return [shift(today, -1), shift(today, -1)];
      case 'last_month': {
        const first = `${today.slice(0, 7)}-01`;
        const lastOfPrev = shift(first, -1);
        return [`${lastOfPrev.slice(0, 7)}-01`, lastOfPrev];
      }
      case 'custom':
        if (isDay(this.from) && isDay(this.to)) return this.from <= this.to ? [this.from, this.to] : [this.to, this.from];
        return '30d';
      default:
        return PERIODS.some((p) => p.value === this.period) ? (this.period as DateRange) : '30d';
    }
  });

  periodLabel = $derived.by(() => {
    const p = PERIODS.find((x) => x.value === this.period);
    if (p) return p.label;
    const r = this.dateRange;
    if (Array.isArray(r)) return r[0] === r[1] ? fmtDay(r[0]) : `${fmtDay(r[0])} – ${fmtDay(r[1])}`;
    return 'Last 30 days';
  });

  apiFilters = $derived(this.filters.map((f): LeafFilter => [f.op, f.api, [f.value]]));

  /** The part every query of this view shares. */
  base(extra: Partial<QueryRequest> = {}, opts: { without?: string; compare?: boolean } = {}): QueryRequest {
    const filters = this.apiFilters.filter((f) => f[1] !== opts.without);
    return {
      ...this.scope,
      date_range: this.dateRange,
      metrics: ['visitors'],
      ...(filters.length ? { filters } : {}),
      ...(opts.compare && this.compare ? { include: { comparisons: { mode: this.compare } } } : {}),
      ...extra,
    };
  }

  private update(fn: (p: URLSearchParams) => void, replace = false) {
    const p = new URLSearchParams(router.search);
    fn(p);
    router.setParams(p, { replace });
  }

  setPeriod(period: string, from?: string, to?: string) {
    this.update((p) => {
      p.set('period', period);
      p.delete('from');
      p.delete('to');
      if (period === 'custom' && from && to) { p.set('from', from); p.set('to', to); }
      p.delete('interval');
    });
  }

  setCompare(mode: ComparisonMode | null) { this.update((p) => p.set('compare', mode ?? 'off')); }
  setMetric(metric: string) { this.update((p) => p.set('metric', metric), true); }
  setInterval(interval: string) { this.update((p) => p.set('interval', interval), true); }

  /** Filters by a value; a second value on the same dimension replaces the first (clicking rows drills down). */
  addFilter(api: string, value: string, op: FilterOp = 'is') {
    const key = urlKey(api);
    this.update((p) => {
      const keep = p.getAll('f').filter((raw) => { const f = parseFilter(raw); return !f || f.key !== key || f.op !== op; });
      p.delete('f');
      for (const f of [...keep, `${op},${key},${value}`]) p.append('f', f);
    });
  }

  removeFilter(index: number) {
    this.update((p) => {
      const all = this.filters.filter((_, i) => i !== index);
      p.delete('f');
      for (const f of all) p.append('f', `${f.op},${f.key},${f.value}`);
    });
  }

  clearFilters() { this.update((p) => p.delete('f')); }
}

function fmtDay(d: string): string {
  return new Date(`${d}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}
