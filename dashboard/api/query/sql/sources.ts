import { SESSION_ATTRIBUTES } from '../../../../core/event.ts';
import { stampable, type DimRef } from '../catalog/dimensions.ts';
import { compileFilters, type FilterTarget } from './filter-sql.ts';
import type { Filter, Leaf } from '../catalog/filters.ts';
import { eventPropsLeaf } from '../plan/event-props.ts';
import type { Params } from './params.ts';

/**
 * Where web rows come from: conditions over the statement's site, from and to (and tz in time buckets).
 *
 * Visits live in `sessions` (VersionedCollapsingMergeTree): each visit is a set of +1/-1 rows summing to its current
 * state, so visit metrics are sums weighted by sign with no FINAL, and any attribute fixed at the visit's start can be
 * grouped on directly. A visit belongs to the range its start falls in; an event to the range its time falls in.
 */
export const eventsWhere = (p: Params) =>
  `site_id = ${p.ref('site')} AND timestamp >= ${p.ref('from')} AND timestamp < ${p.ref('to')} AND name != 'engagement'`;
export const sessionsWhere = (p: Params) => `site_id = ${p.ref('site')} AND start >= ${p.ref('from')} AND start < ${p.ref('to')}`;
/** Events of the visits that start in the range (a visit may run past the range's end). */
const eventsOfVisitsWhere = (p: Params) =>
  `site_id = ${p.ref('site')} AND timestamp >= ${p.ref('from')} AND timestamp < ${p.ref('to')} + INTERVAL 1 DAY AND name != 'engagement'`;
/** Visits of the events in the range (an event may belong to a visit that started before it). */
const visitsOfEventsWhere = (p: Params) => `site_id = ${p.ref('site')} AND start >= ${p.ref('from')} - INTERVAL 1 DAY AND start < ${p.ref('to')}`;

const FIXED = ['visitor_id', 'start', 'id_type', 'new_visitor', ...SESSION_ATTRIBUTES];
const SUMMED = ['duration_ms', 'pageviews', 'events', 'is_bounce'];
const LATEST = ['entry_page', 'exit_page'];

/**
 * Visits with one row each (sign 1) and their latest state, for what changes while a visit goes on (its exit page):
 * reading raw rows there would also count the exit page of a visit's earlier, cancelled state. Costs a GROUP BY, so it
 * is used only when a query touches such a dimension. Inner names are prefixed so no alias shadows a column.
 */
function collapsedSessions(where: string): string {
  const inner = ['session_id', ...FIXED.map((c) => `any(${c}) AS c_${c}`), ...SUMMED.map((c) => `sum(sign * ${c}) AS c_${c}`),
    ...LATEST.map((c) => `argMax(${c}, version) AS c_${c}`)];
  const outer = ['session_id', 'toInt8(1) AS sign', ...[...FIXED, ...SUMMED, ...LATEST].map((c) => `c_${c} AS ${c}`)];
  return `(SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')} FROM sessions WHERE ${where} GROUP BY session_id HAVING sum(sign) > 0))`;
}

export interface Relation { from: string; where: string }

/**
 * The cookie visitors of the range as rows (visits, n): n visitors made `visits` visits each, for visitor:frequency.
 * `from`/`where` are the visits' relation and its condition (range, filters).
 *
 * The plain way groups every visitor. With `linked` (visits record their visitor's previous start, migration 010; the
 * planner asks for it only without filters, on ranges within the link window and after linking began), a visit whose
 * previous one started before the range is its visitor's first in the range, one per visitor. So firsts collapse into
 * one key (0, which no hashed visitor id is in practice) whose count is every visitor, and only repeat visits are
 * grouped by visitor: each repeating visitor adds a row with 1 + its repeats and takes itself out of the 1-visit row.
 * With `sampleFactor` (the SQL of k), the visitors of 1 in k id hashes, each counted k times.
 */
export function visitorsRelation(p: Params, from: string, where: string, linked: boolean, sampleFactor?: string): string {
  const cookie = `${where} AND id_type = 'cookie'`;
  // Sampled (sql/sample.ts), each visitor of the sample stands for k: n = k, so sum(n) and sum(n * visits) are the
  // estimates, and (n - 1) * n their variance terms (catalog/metrics.ts, margin).
  if (sampleFactor) {
    return `(WITH ${sampleFactor} AS sample_k SELECT visitor_id, sum(sign) AS visits, sample_k AS n FROM ${from}
    WHERE ${cookie} AND intHash64(visitor_id) % sample_k = 0 GROUP BY visitor_id HAVING visits > 0)`;
  }
  if (!linked) return `(SELECT visitor_id, sum(sign) AS visits, 1 AS n FROM ${from}\n    WHERE ${cookie} GROUP BY visitor_id HAVING visits > 0)`;
  return `(SELECT t.1 AS visits, t.2 AS n FROM (SELECT if(prev_start >= ${p.ref('from')}, visitor_id, 0) AS v, sum(sign) AS k FROM ${from}
    WHERE ${cookie} GROUP BY v HAVING k > 0) ARRAY JOIN if(v = 0, [(1, k)], [(k + 1, 1), (1, -1)]) AS t)`;
}

export function sessionsRelation(p: Params, collapsed: boolean, wide = false): Relation {
  const where = wide ? visitsOfEventsWhere(p) : sessionsWhere(p);
  return collapsed ? { from: collapsedSessions(where), where: '1' } : { from: 'sessions', where };
}

/** SQL of a (non-time) dimension on its own level's rows; a custom property key is a parameter. */
export function dimensionSql(d: DimRef, params: Params): string {
  return d.prop !== undefined ? `props[${params.add(d.prop, 'String')}]` : d.def.sql;
}

/**
 * Event rows. `stamped`: every event read carries its visit's attributes (the range starts after the site's events
 * were stamped, migration 012), so a fixed visit dimension is read on the event itself, with no visit lookup.
 */
export function eventTarget(params: Params, stamped = false): FilterTarget {
  return stamped
    ? { level: 'event', expr: (d) => (stampable(d) ? d.def.stamped! : dimensionSql(d, params)), carries: stampable }
    : { level: 'event', expr: (d) => dimensionSql(d, params) };
}
export const visitTarget = (params: Params): FilterTarget => ({ level: 'visit', expr: (d) => dimensionSql(d, params) });

/**
 * A visit that contains an event matching `cond` (`group` compiled on events). With `props` (where rollups are
 * allowed), a group that one property test answers (plan/event-props.ts) reads event_props, the rows of that key.
 */
export const visitHasEvent = (p: Params, props = false) => (cond: string, group: Filter[] = [], op: 'and' | 'or' = 'and') => {
  const leaf = props && (op === 'and' || group.length === 1) ? eventPropsLeaf([], group, []) : 'no';
  if (typeof leaf !== 'string') {
    return `session_id IN (SELECT session_id FROM event_props WHERE ${eventPropsWhere(p, leaf, true)} AND ${compileFilters(group, { params: p, home: eventPropsTarget })})`;
  }
  return `session_id IN (SELECT session_id FROM events WHERE ${eventsOfVisitsWhere(p)} AND ${cond})`;
};

/** event_props rows: a property's value is `value` (the rows of its key, eventPropsWhere); page and name are columns. */
export const eventPropsTarget: FilterTarget = { level: 'event', expr: (d) => (d.prop !== undefined ? 'value' : d.def.sql) };
/**
 * The rows of `leaf`'s key among the range's events (of the visits that start in it, `ofVisits`): event_props has
 * the columns the events conditions read.
 */
export const eventPropsWhere = (p: Params, leaf: Leaf, ofVisits = false) =>
  `${ofVisits ? eventsOfVisitsWhere(p) : eventsWhere(p)} AND key = ${p.add(leaf.dim.prop!, 'String')}`;

/** An event whose visit matches `cond`. */
export function eventInVisit(p: Params, collapsed: boolean) {
  const rel = sessionsRelation(p, collapsed, true);
  return (cond: string) => `session_id IN (SELECT session_id FROM ${rel.from} WHERE ${rel.where} AND ${cond})`;
}
