import { isTime, type DimRef } from '../catalog/dimensions.ts';
import { conjuncts, type Filter, type Leaf } from '../catalog/filters.ts';

/**
 * When event_props (core/migrations/018_event_props.sql: each event's property keys and values as rows, ordered by
 * site, key and value) stands in for events. A positive test on one property (`is` or `contains`, no empty value,
 * which would also match every event without the key) holds exactly for the events that carry the key with such a
 * value, and event_props has one row per event and key, so the rows of that key answer for those events, with any
 * further condition on their name and page (its other columns) AND-ed to it.
 */

/** A property leaf event_props answers: positive, every value non-empty. */
export function propLeaf(f: Filter): Leaf | undefined {
  if (!('dim' in f) || f.dim.prop === undefined || f.dim.def.level !== 'event') return undefined;
  return (f.op === 'is' || f.op === 'contains') && f.values.every((v) => v !== '') ? f : undefined;
}

/** The dimensions event_props keeps (time, page, name) and the metrics it answers, in their `events` forms. */
const KEPT_DIMS = new Set(['event:page', 'event:name']);
const METRICS = new Set(['visitors', 'visits', 'pageviews', 'events']);

/**
 * The property leaf an event aggregation reads event_props by: one of its top-level (AND-ed) filters, the others on
 * page or name only, its dimensions time, page or name, its metrics counts and distinct visitors and visits. The
 * reason if not.
 */
export function eventPropsLeaf(dims: DimRef[], all: Filter[], metrics: string[]): Leaf | string {
  const filters = conjuncts(all);
  const leaf = filters.map(propLeaf).find(Boolean);
  if (!leaf) return 'no positive property filter';
  const onColumns = (f: Filter): boolean => ('dim' in f ? f.dim.prop === undefined && KEPT_DIMS.has(f.dim.name)
    : f.op === 'not' ? onColumns(f.child) : f.children.every(onColumns));
  if (!filters.every((f) => f === leaf || onColumns(f))) return 'event_props holds the page and name of each event, not what the other filters read';
  const dim = dims.find((d) => !isTime(d) && (d.prop !== undefined || !KEPT_DIMS.has(d.name)));
  if (dim) return `event_props does not keep ${dim.name}`;
  const metric = metrics.find((m) => !METRICS.has(m));
  if (metric) return `event_props does not answer ${metric}`;
  return leaf;
}
