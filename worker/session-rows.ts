import { toChTime, type SessionRow, type SessionState } from '../core/event.ts';
import type { VisitSnapshot } from '../core/ingest-stream.ts';

function row(v: VisitSnapshot, state: SessionState, sign: 1 | -1): SessionRow {
  return {
    site_id: v.siteId,
    session_id: v.sessionId,
    sign,
    version: state.version,
    visitor_id: v.visitorId,
    start: toChTime(v.start),
    prev_start: toChTime(v.prevStart),
    end: toChTime(state.end),
    duration_ms: Math.max(0, state.end - v.start),
    pageviews: state.pageviews,
    events: state.events,
    engagement_ms: state.engagementMs,
    is_bounce: state.pageviews <= 1 && state.events === 0 ? 1 : 0,
    entry_page: v.entryPage,
    exit_page: state.exitPage,
    ...v.attributes,
    id_type: v.idType,
    cookieless_reason: v.cookielessReason,
    new_visitor: v.newVisitor,
  };
}

/**
 * The session rows one batch adds: for each visit it touches, cancel the state before the batch's first event of it
 * (if the visit is older) and add the state after its last. Across batches this telescopes to one +1 row per visit,
 * whatever the order in which batches land.
 */
export function sessionRows(visits: VisitSnapshot[]): SessionRow[] {
  const first = new Map<string, VisitSnapshot>();
  const last = new Map<string, VisitSnapshot>();
  for (const v of visits) {
    const key = `${v.siteId}:${v.sessionId}`;
    const f = first.get(key);
    if (!f || v.after.version < f.after.version) first.set(key, v);
    const l = last.get(key);
    if (!l || v.after.version > l.after.version) last.set(key, v);
  }
  const rows: SessionRow[] = [];
  for (const [key, f] of first) {
    if (f.before) rows.push(row(f, f.before, -1));
    const l = last.get(key)!;
    rows.push(row(l, l.after, 1));
  }
  return rows;
}
