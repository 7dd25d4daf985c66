import type { Clock, Random, Timers } from '@parley/core';

/** The wall clock, read through `Date.now()` at call time so fake timers in tests still apply. */
export const browserClock: Clock = { now: () => Date.now() };

/** Timers on the page's `setTimeout`, looked up at call time. */
export const browserTimers: Timers = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (id) => clearTimeout(id as number),
};

/** Cryptographically secure randomness from Web Crypto. */
export const browserRandom: Random = {
  bytes(n) {
    const out = new Uint8Array(n);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
    return out;
  },
};
