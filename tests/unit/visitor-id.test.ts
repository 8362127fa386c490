import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newCookieValue, newSessionId, randomHex, readVisitorCookie } from '../../collector/ingest/visitor-id.ts';

test('pooled ids have the expected shape and are distinct across pool refills', () => {
  const seen = new Set<string>();
  // 16 + 8 bytes per request: 1,000 requests cross the 4 KiB pool several times.
  for (let i = 0; i < 1000; i++) {
    const cookie = newCookieValue();
    const session = newSessionId();
    assert.match(cookie, /^[0-9a-f]{32}$/);
    assert.match(session, /^[0-9a-f]{16}$/);
    assert.equal(readVisitorCookie(`vigil_id=${cookie}`), cookie);
    assert.ok(!seen.has(cookie) && !seen.has(session));
    seen.add(cookie);
    seen.add(session);
  }
});

test('randomHex never hands out a short slice at the end of the pool', () => {
  for (let i = 0; i < 600; i++) assert.equal(randomHex(7).length, 14);
});
