import { toChTime } from '../../../../core/event.ts';
import { assemble, type Part, type Spec } from './parts.ts';
import { daysBetween, type TimeRange } from '../request/date-range.ts';
import { timeBucketSql } from './time-bucket.ts';
import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { invalid } from '../catalog/errors.ts';
import { withoutTopLevel, type Filter } from '../catalog/filters.ts';
import { compileFilters } from './filter-sql.ts';
import { featureParams, NO_FEATURES, type FeatureMap } from '../catalog/features.ts';
import { productMetric } from '../catalog/metrics.ts';
import { planProductSource, type ProductPlan, type ProductTable } from '../plan/product-rollup.ts';
import { dimensionSql } from './sources.ts';
import { Params, type Compiled } from './params.ts';

export interface ProductSpec extends Spec {
  filters: Filter[];
  /** Let the planner read a daily rollup where one answers (default); false reads product_events only. */
  rollups?: boolean;
}

const where = (p: Params) => `product_id IN ${p.ref('products')} AND timestamp >= ${p.ref('from')} AND timestamp < ${p.ref('to')}`;
/** What a feature share divides by: installs of the product, whatever feature or event they used. */
const FEATURE_LEVEL = new Set(['feature', 'event:name']);

/**
 * Plans a product query over product_events (time zone UTC: products have none), or over its daily rollup where that
 * answers (plan/product-rollup.ts). Plain metrics aggregate the events of the range; dau/wau/mau aggregate a per-day
 * activity roll-up (an install active on day D counts on D..D+6 for wau, D..D+29 for mau), averaged over the days of
 * the range or of each time bucket; feature_share divides feature users by the installs active in the range with the
 * feature and event filters left out. `features`: the catalogs of the products (features.ts), read by the `feature`
 * dimension, feature filters, feature_users and feature_share alike.
 */
export function buildProductQuery(productIds: string[], range: TimeRange, spec: ProductSpec, features: FeatureMap = NO_FEATURES): Compiled {
  const params = new Params({ products: productIds, from: toChTime(range.from), to: toChTime(range.to), tz: range.tz,
    first: range.first, last: range.last, days: daysBetween(range.first, range.last) + 1,
    limit: spec.limit, offset: spec.offset, ...(spec.restrict ? { cmp: spec.restrict } : {}) });
  params.global(featureParams(features));
  const dims = spec.dimensions;
  const plain: { metric: string; alias: string }[] = [];
  const active: { i: number; window: number }[] = [];
  let window = 0;
  const metricSql = spec.metrics.map((m, i) => {
    const def = productMetric(m);
    if (def.ratio === 'feature_share') {
      plain.push({ metric: 'feature_users', alias: 'h_u' });
      return 'round(100 * h_u / greatest(h_f, 1), 1)';
    }
    if (def.active) {
      if (range.realtime) throw invalid(`metrics[${i}]`, `${m} averages whole days and is not available for the realtime range`);
      const bad = dims.find((d) => isTime(d) && (d.granularity === 'hour' || d.granularity === 'minute'));
      if (bad) throw invalid(`metrics[${i}]`, `${m} averages whole days and cannot be broken down by ${bad.name}; use time:day, time:week or time:month`);
      active.push({ i, window: def.window! });
      window = Math.max(window, def.window!);
      return `m${i}`;
    }
    plain.push({ metric: m, alias: `m${i}` });
    return `m${i}`;
  });
  const plan: string[] = [];
  const pick = (ds: DimRef[], filters: Filter[], metrics: string[]) => {
    const p = planProductSource(range, ds, filters, metrics, spec.rollups !== false);
    plan.push(p.why);
    return rowsOf(params, p);
  };
  const all = dims.map((_, i) => `d${i}`);
  const parts: Part[] = [];
  const unique = (cols: typeof plain) => cols.filter((c, k) => cols.findIndex((x) => x.alias === c.alias) === k);
  if (plain.length) {
    const cols = unique(plain);
    parts.push({ sql: plainPart(params, pick(dims, spec.filters, cols.map((c) => c.metric)), dims, spec.filters, cols), dims: all, join: 'base' });
  }
  if (active.length) {
    const rows = pick(dims, spec.filters, active.map((a) => spec.metrics[a.i]!));
    parts.push({ sql: activePart(params, rows, dims, spec.filters, active, window), dims: all, join: parts.length ? 'full' : 'base' });
  }
  if (spec.metrics.includes('feature_share')) {
    const { rest } = withoutTopLevel(spec.filters, (l) => FEATURE_LEVEL.has(l.dim.name));
    const keep = dims.map((d, k) => ({ d, k })).filter(({ d }) => !FEATURE_LEVEL.has(d.name));
    const ds = keep.map((x) => x.d);
    parts.push({ sql: plainPart(params, pick(ds, rest, ['active_installs']), ds, rest, [{ metric: 'active_installs', alias: 'h_f' }], keep.map((x) => x.k)),
      dims: keep.map((x) => `d${x.k}`), join: 'left' });
  }
  // Product parts hold no totals row: a product query's totals are asked for apart (run/engine.ts).
  return { name: 'product', sql: assemble(params, parts, { ...spec, totals: false }, metricSql, new Map()), params: params.values, plan };
}

/**
 * The rows a part reads, as the planner chose them: the table, which of its rows are the products' (and, in
 * product_attr_daily, the attribute's), the range's rows (events by time, daily rows by their UTC day) and how a
 * dimension or filter reads a row (the attribute: its value).
 */
interface Rows { table: ProductTable; keep: string; where: string; dim: (d: DimRef) => string }
function rowsOf(params: Params, plan: ProductPlan): Rows {
  const dim = (d: DimRef) => (d.name === plan.attr ? 'value' : dimensionSql(d, params));
  const products = `product_id IN ${params.ref('products')}`;
  if (plan.table === 'product_events') return { table: plan.table, keep: products, where: where(params), dim };
  const keep = plan.attr ? `${products} AND attr = ${params.add(plan.attr, 'String')}` : products;
  return { table: plan.table, keep, where: `${keep} AND day >= ${params.ref('first')} AND day <= ${params.ref('last')}`, dim };
}
const filterSql = (params: Params, rows: Rows, filters: Filter[]) => compileFilters(filters, { params, home: { level: 'product', expr: rows.dim } });

function plainPart(params: Params, rows: Rows, dims: DimRef[], filters: Filter[], cols: { metric: string; alias: string }[],
  keys = dims.map((_, i) => i)): string {
  const rolled = rows.table !== 'product_events';
  const bucket = (d: DimRef) => (rolled ? DAY_BUCKET[d.granularity as 'day' | 'week' | 'month'].label : timeBucketSql(params, d.granularity!, 'timestamp'));
  const select = dims.map((d, i) => `${isTime(d) ? bucket(d) : rows.dim(d)} AS d${keys[i]}`);
  const metrics = cols.map((c) => `${rolled ? productMetric(c.metric).rollup! : productMetric(c.metric).sql!} AS ${c.alias}`);
  const groupBy = dims.length ? `\n  GROUP BY ${dims.map((_, i) => `d${keys[i]}`).join(', ')}` : '';
  return `SELECT ${[...select, ...metrics].join(', ')}\n  FROM ${rows.table}\n  WHERE ${rows.where} AND ${filterSql(params, rows, filters)}${groupBy}`;
}

const DAY_BUCKET: Record<'day' | 'week' | 'month', { label: string; start: string; end: (s: string) => string }> = {
  day: { label: 'toString(day)', start: 'day', end: (s) => `${s} + 1` },
  week: { label: 'toString(toMonday(day))', start: 'toMonday(day)', end: (s) => `${s} + 7` },
  month: { label: 'toString(toStartOfMonth(day))', start: 'toStartOfMonth(day)', end: (s) => `addMonths(${s}, 1)` },
};

/**
 * Installs active in a window of `w` days ending on each day of the range (dau w = 1, wau 7, mau 30), averaged over
 * the range's days or each time bucket's: sum of the daily counts / days of the bucket inside the range.
 *
 * Each install's distinct active days d1 < d2 < ... (from W-1 days before the range, W the largest window) cover the
 * days [d_i, d_i + w); those pieces, cut at the next active day, [d_i, min(d_i + w, d_(i+1))), are disjoint, so an
 * install counts once per covered day without a distinct count. Without a time dimension the covered days are summed
 * in closed form (each piece clipped to the range); with one, each covered day becomes a row (day, days since the
 * install's latest activity), which every window counts with lag < w. Expanding every active day by the window and
 * counting distinct installs per day did the same work up to W times over (BENCHMARKS.md §3, product views).
 */
function activePart(params: Params, rows: Rows, dims: DimRef[], filters: Filter[], metrics: { i: number; window: number }[], window: number): string {
  if (rows.table !== 'product_events') return activeFromDaily(params, rows, dims, filters, metrics, window);
  const { raw, rawKeys, time, first, last, where } = activeInputs(params, rows, dims, filters);
  // Per install (and dimension values): its distinct active days as day numbers, ascending.
  const installs = `SELECT ${[...raw, 'install_id', `arraySort(groupUniqArray(toInt32(toDate(timestamp, ${params.ref('tz')})))) AS ds`].join(', ')}
    FROM product_events
    WHERE ${rows.keep} AND timestamp >= ${params.ref('from')} - INTERVAL ${window - 1} DAY
      AND timestamp < ${params.ref('to')} AND ${where}
    GROUP BY ${[...rawKeys, 'install_id'].join(', ')}`;
  /** The end (exclusive) of piece i for window w: cut at the next active day and at the range's end. */
  const end = (w: number) => `least(ds[i] + ${w}, if(i < length(ds), ds[i + 1], ds[i] + ${w}), ${last} + 1)`;
  if (!time) {
    const covered = metrics.map((m) => `sum(arraySum(arrayMap(i -> greatest(0, ${end(m.window)} - greatest(ds[i], ${first})), arrayEnumerate(ds)))) AS c${m.i}`);
    const keys = rawKeys.map((r) => `${r} AS d${r.slice(1)}`);
    const outer = [...keys, ...metrics.map((m) => `round(c${m.i} / greatest(${params.ref('days')}, 1), 1) AS m${m.i}`)];
    return `SELECT ${outer.join(', ')}\n  FROM (SELECT ${[...rawKeys, ...covered].join(', ')} FROM (${installs})${rawKeys.length ? ` GROUP BY ${rawKeys.join(', ')}` : ''})`;
  }
  // Every covered day of the range once per install, with the days since the install was last active.
  const covered = `arrayFlatten(arrayMap(i -> arrayMap(x -> (x, x - ds[i]), range(greatest(ds[i], ${first}), greatest(ds[i], ${first}, ${end(window)}))), arrayEnumerate(ds)))`;
  const perDay = `SELECT ${[...rawKeys, 'day', ...metrics.map((m) => `countIf(lag < ${m.window}) AS a${m.i}`)].join(', ')}
    FROM (SELECT ${[...rawKeys, "addDays(toDate('1970-01-01'), c.1) AS day", 'c.2 AS lag'].join(', ')} FROM (${installs}) ARRAY JOIN ${covered} AS c)
    GROUP BY ${[...rawKeys, 'day'].join(', ')}`;
  return averagedByBucket(params, dims, time, metrics, perDay);
}

/** What both active-install forms start from: the dimensions as r<k> columns, the time dimension, the range's day numbers, the filters. */
function activeInputs(params: Params, rows: Rows, dims: DimRef[], filters: Filter[]) {
  return {
    raw: dims.flatMap((d, k) => (isTime(d) ? [] : [`${rows.dim(d)} AS r${k}`])),
    rawKeys: dims.flatMap((d, k) => (isTime(d) ? [] : [`r${k}`])),
    time: dims.find(isTime),
    first: `toInt32(${params.ref('first')})`,
    last: `toInt32(${params.ref('last')})`,
    where: filterSql(params, rows, filters),
  };
}

/**
 * Daily active counts a<i> per (r<k>, day) rows, averaged per time bucket: the sum of the bucket's daily counts over
 * the bucket's days inside the range.
 */
function averagedByBucket(params: Params, dims: DimRef[], time: DimRef, metrics: { i: number }[], perDay: string): string {
  const bucket = DAY_BUCKET[time.granularity as 'day' | 'week' | 'month'];
  const days = `dateDiff('day', greatest(${bucket.start}, ${params.ref('first')}), least(${bucket.end(bucket.start)}, ${params.ref('last')} + 1))`;
  const byDay = dims.map((d, k) => `${isTime(d) ? bucket.label : `r${k}`} AS d${k}`);
  const inner = `SELECT ${[...byDay, `${days} AS bucket_days`, ...metrics.map((m) => `a${m.i}`)].join(', ')} FROM (${perDay})`;
  const outer = [...dims.map((_, k) => `d${k}`), ...metrics.map((m) => `round(sum(a${m.i}) / greatest(any(bucket_days), 1), 1) AS m${m.i}`)];
  return `SELECT ${outer.join(', ')}\n  FROM (${inner})\n  GROUP BY ${dims.map((_, k) => `d${k}`).join(', ')}`;
}

/**
 * The same from product_daily: one sketch per day of the installs active that day (and dimension values), counted on
 * each day of the range it is fewer than w days before, for each window w; a day's count merges at most W sketches,
 * so the work is days x W, whatever the number of installs.
 */
function activeFromDaily(params: Params, rows: Rows, dims: DimRef[], filters: Filter[], metrics: { i: number; window: number }[], window: number): string {
  const { raw, rawKeys, time, first, last, where } = activeInputs(params, rows, dims, filters);
  const daily = `SELECT ${[...raw, 'toInt32(day) AS a_day', 'uniqCombinedMergeState(12)(installs) AS st'].join(', ')}
      FROM ${rows.table}
      WHERE ${rows.keep} AND day >= ${params.ref('first')} - ${window - 1} AND day <= ${params.ref('last')} AND ${where}
      GROUP BY ${[...rawKeys, 'a_day'].join(', ')}`;
  const perDay = `SELECT ${[...rawKeys, "addDays(toDate('1970-01-01'), x) AS day", ...metrics.map((m) => `uniqCombinedMergeIf(12)(st, x - a_day < ${m.window}) AS a${m.i}`)].join(', ')}
    FROM (${daily}) ARRAY JOIN range(greatest(a_day, ${first}), least(a_day + ${window}, ${last} + 1)) AS x
    GROUP BY ${[...rawKeys, 'day'].join(', ')}`;
  if (!time) {
    const outer = [...rawKeys.map((r) => `${r} AS d${r.slice(1)}`), ...metrics.map((m) => `round(sum(a${m.i}) / greatest(${params.ref('days')}, 1), 1) AS m${m.i}`)];
    return `SELECT ${outer.join(', ')}\n  FROM (${perDay})${rawKeys.length ? `\n  GROUP BY ${rawKeys.join(', ')}` : ''}`;
  }
  return averagedByBucket(params, dims, time, metrics, perDay);
}
