import { randomFillSync } from 'node:crypto';
import type { Clock, Random, Timers } from '@parley/core';

/** The wall clock, read through `Date.now()` at call time so fake timers in tests still apply. */
export const nodeClock: Clock = { now: () => Date.now() };

/** Timers on Node's `setTimeout`, looked up at call time; a timer never keeps the process alive. */
export const nodeTimers: Timers = {
  set: (callback, delayMs) => {
    const t = setTimeout(callback, delayMs);
    t.unref?.();
    return t;
  },
  clear: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

/** Cryptographically secure randomness from `node:crypto`. */
export const nodeRandom: Random = {
  bytes: (n) => randomFillSync(new Uint8Array(n)),
};
