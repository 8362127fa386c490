import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../core/rate-limit.ts';

describe('rate limiter: a sliding one-minute window per key', () => {
  const burst = (l: RateLimiter, key: string, n: number, at: number) => Array.from({ length: n }, () => l.hit(key, at));

  it('lets the limit through within a minute and refuses the next request with a wait of at least a second', () => {
    const l = new RateLimiter(10);
    assert.deepEqual(burst(l, 'a', 10, 5_000), Array(10).fill(0));
    const wait = l.hit('a', 5_000);
    assert.ok(wait >= 1 && wait <= 60, String(wait));
    assert.equal(l.hit('b', 5_000), 0, 'each key counts apart');
  });

  it('does not let twice the limit through across the end of a clock minute', () => {
    const l = new RateLimiter(10);
    assert.deepEqual(burst(l, 'a', 10, 59_900), Array(10).fill(0));
    // 0.2 s later, in the next clock minute: the last 60 s already hold 10 requests.
    assert.ok(l.hit('a', 60_100) > 0);
    // Half a minute on, half of the previous minute's requests still count.
    const later = burst(l, 'a', 10, 90_000).filter((w) => w === 0).length;
    assert.ok(later < 10, `${later} of 10 let through`);
  });

  it('forgets a key after two quiet minutes', () => {
    const l = new RateLimiter(3);
    burst(l, 'a', 5, 1_000);
    assert.deepEqual(burst(l, 'a', 3, 180_000), [0, 0, 0]);
  });
});
