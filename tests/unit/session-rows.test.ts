import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionState } from '../../core/event.ts';
import type { VisitSnapshot } from '../../core/ingest-stream.ts';
import { sessionRows } from '../../worker/session-rows.ts';

const state = (version: number, pageviews: number, events = 0): SessionState =>
  ({ version, end: 1000 * version, pageviews, events, engagementMs: 0, exitPage: `/p${pageviews}` });
const snap = (version: number, pageviews: number, events = 0, session = '1'): VisitSnapshot => ({
  siteId: 's', sessionId: session, visitorId: '9', start: 0, entryPage: '/p1', idType: 'cookie', cookielessReason: '', newVisitor: 1, prevStart: 0,
  attributes: { referrer_source: 'Google' } as VisitSnapshot['attributes'],
  after: state(version, pageviews, events), before: version > 1 ? state(version - 1, pageviews - 1, events) : null,
});
/** What a sum weighted by sign sees: the visit's state once every batch has landed. */
const net = (rows: ReturnType<typeof sessionRows>) => ({
  visits: rows.reduce((s, r) => s + r.sign, 0),
  pageviews: rows.reduce((s, r) => s + r.sign * r.pageviews, 0),
  bounces: rows.reduce((s, r) => s + r.sign * r.is_bounce, 0),
  duration: rows.reduce((s, r) => s + r.sign * r.duration_ms, 0),
});

describe('session rows from a batch of visit snapshots', () => {
  it('a new visit in one batch is one +1 row with its last state', () => {
    const rows = sessionRows([snap(1, 1), snap(2, 2), snap(3, 3)]);
    assert.deepEqual(rows.map((r) => [r.sign, r.version, r.pageviews, r.exit_page]), [[1, 3, 3, '/p3']]);
    assert.equal(rows[0]!.is_bounce, 0);
  });

  it('a visit going on from an earlier batch cancels that batch\'s state and adds its own', () => {
    const rows = sessionRows([snap(3, 3), snap(4, 4)]);
    assert.deepEqual(rows.map((r) => [r.sign, r.version, r.pageviews]), [[-1, 2, 2], [1, 4, 4]]);
  });

  it('batches landing in any order sum to the final state of the visit', () => {
    const batches = [[snap(1, 1)], [snap(2, 2), snap(3, 3)], [snap(4, 4)]];
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      assert.deepEqual(net(order.flatMap((i) => sessionRows(batches[i]!))), { visits: 1, pageviews: 4, bounces: 0, duration: 4000 });
    }
  });

  it('one pageview and no custom event is a bounce; a custom event is not', () => {
    assert.equal(net(sessionRows([snap(1, 1)])).bounces, 1);
    assert.equal(net(sessionRows([snap(1, 1), snap(2, 1, 1)])).bounces, 0);
  });

  it('keeps visits apart', () => {
    const rows = sessionRows([snap(1, 1, 0, 'a'), snap(1, 1, 0, 'b'), snap(2, 2, 0, 'a')]);
    assert.deepEqual(rows.map((r) => [r.session_id, r.sign, r.version]), [['a', 1, 2], ['b', 1, 1]]);
  });
});
