import { FakeClock } from '@parley/core/testing';
import { describe, expect, it } from 'vitest';
import { TokenBucketLimiter } from './token-bucket.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketLimiter({ burst: 3, perMinute: 6, maxKeys: 10, clock });
    expect([1, 2, 3].map(() => limiter.take('ip:a').ok)).toEqual([true, true, true]);
    expect(limiter.take('ip:a')).toEqual({ ok: false, retryAfterMs: 10_000 });
    // Another key has its own bucket.
    expect(limiter.take('ip:b').ok).toBe(true);
    clock.advance(4_000);
    expect(limiter.take('ip:a')).toEqual({ ok: false, retryAfterMs: 6_000 });
    clock.advance(6_000);
    expect(limiter.take('ip:a').ok).toBe(true);
    expect(limiter.take('ip:a').ok).toBe(false);
    // Never more than the burst, however long it waits.
    clock.advance(3_600_000);
    expect([1, 2, 3, 4].map(() => limiter.take('ip:a').ok)).toEqual([true, true, true, false]);
  });

  it('holds at most maxKeys buckets, dropping the least recently used', () => {
    const clock = new FakeClock();
    const limiter = new TokenBucketLimiter({ burst: 1, perMinute: 1, maxKeys: 2, clock });
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('b').ok).toBe(true);
    expect(limiter.take('a').ok).toBe(false); // touches a: b is now the oldest
    expect(limiter.take('c').ok).toBe(true);
    expect(limiter.size).toBe(2);
    expect(limiter.take('a').ok).toBe(false); // a was kept
    expect(limiter.take('b').ok).toBe(true); // b was dropped, so it starts full again
  });
});
