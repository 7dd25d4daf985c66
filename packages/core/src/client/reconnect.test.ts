import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParleyError } from '../errors.js';
import { SeededRandom } from '../testing/index.js';
import { ExponentialBackoffPolicy, type ReconnectContext, type ReconnectPolicy } from './reconnect-policy.js';
import { ReconnectTracker } from './reconnect-tracker.js';

describe('ExponentialBackoffPolicy', () => {
  it('keeps every delay within [0, min(cap, base × 2^attempt)] (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 40 }), (seed, attempt) => {
        const p = new ExponentialBackoffPolicy({ random: new SeededRandom(seed), baseMs: 100, maxMs: 5000 });
        const d = p.nextDelay({ attempt, elapsedMs: 0, lastError: undefined });
        expect(d).not.toBeNull();
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** attempt));
      }),
    );
  });

  it('grows on average and spreads delays (full jitter, not a fixed step)', () => {
    const p = new ExponentialBackoffPolicy({ random: new SeededRandom(9), baseMs: 100, maxMs: 60_000 });
    const mean = (attempt: number) => {
      let sum = 0;
      for (let i = 0; i < 400; i++) sum += p.nextDelay({ attempt, elapsedMs: 0, lastError: undefined }) ?? 0;
      return sum / 400;
    };
    const m0 = mean(0);
    const m4 = mean(4);
    // Full jitter has mean ceiling/2: ~50 at attempt 0, ~800 at attempt 4.
    expect(m0).toBeGreaterThan(35);
    expect(m0).toBeLessThan(65);
    expect(m4).toBeGreaterThan(650);
    expect(m4).toBeLessThan(950);
    const distinct = new Set(
      Array.from({ length: 50 }, () => p.nextDelay({ attempt: 3, elapsedMs: 0, lastError: undefined })),
    );
    expect(distinct.size).toBeGreaterThan(30);
  });

  it('stops after maxAttempts or maxElapsedMs', () => {
    const p = new ExponentialBackoffPolicy({
      random: new SeededRandom(1),
      maxAttempts: 3,
      maxElapsedMs: 60_000,
    });
    expect(p.nextDelay({ attempt: 2, elapsedMs: 0, lastError: undefined })).not.toBeNull();
    expect(p.nextDelay({ attempt: 3, elapsedMs: 0, lastError: undefined })).toBeNull();
    expect(p.nextDelay({ attempt: 0, elapsedMs: 60_000, lastError: undefined })).toBeNull();
  });
});

/** A policy that records what it was asked and answers the attempt number × 1000. */
class RecordingPolicy implements ReconnectPolicy {
  readonly seen: ReconnectContext[] = [];
  nextDelay(context: ReconnectContext): number | null {
    this.seen.push(context);
    return context.attempt * 1000;
  }
}

describe('ReconnectTracker (flap guard)', () => {
  it('counts attempts across failed connects and reports elapsed outage time', () => {
    const policy = new RecordingPolicy();
    const t = new ReconnectTracker(policy);
    const err = ParleyError.network('refused');
    expect(t.down(1000, err)).toBe(0);
    expect(t.down(1500, err)).toBe(1000);
    expect(t.down(4000, err)).toBe(2000);
    expect(policy.seen.map((c) => [c.attempt, c.elapsedMs])).toEqual([
      [0, 0],
      [1, 500],
      [2, 3000],
    ]);
    expect(policy.seen[0]?.lastError).toBe(err);
  });

  it('resets the backoff after a connection that stayed up past stableAfterMs', () => {
    const t = new ReconnectTracker(new RecordingPolicy(), { stableAfterMs: 10_000 });
    t.down(0, undefined);
    t.down(100, undefined);
    t.opened(200);
    expect(t.down(10_200, undefined)).toBe(0);
    expect(t.attempt).toBe(1);
  });

  it('does not reset the backoff when a connection dies within stableAfterMs of opening', () => {
    const policy = new RecordingPolicy();
    const t = new ReconnectTracker(policy, { stableAfterMs: 10_000 });
    t.down(0, undefined);
    t.opened(100);
    expect(t.down(9_000, undefined)).toBe(1000);
    t.opened(10_000);
    expect(t.down(12_000, undefined)).toBe(2000);
    expect(policy.seen.at(-1)?.elapsedMs).toBe(12_000);
  });

  it('passes a policy null through and starts afresh after reset()', () => {
    const t = new ReconnectTracker({ nextDelay: (c) => (c.attempt >= 1 ? null : 5) });
    expect(t.down(0, undefined)).toBe(5);
    expect(t.down(1, undefined)).toBeNull();
    t.reset();
    expect(t.down(2, undefined)).toBe(5);
  });
});
