import type { Clock, TimerId, Timers } from '@parley/core';

// setTimeout fires at once for delays past 2^31 - 1 ms; a longer wait is re-armed on firing.
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * One timer kept at a deadline that moves (the engine's `pollTimeout`, the next typing expiry):
 * re-arming at the same deadline does nothing, so it can be called after every change.
 */
export class SyncTimer {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #fire: () => void;
  #armed: { id: TimerId; at: number } | undefined;

  constructor(clock: Clock, timers: Timers, fire: () => void) {
    this.#clock = clock;
    this.#timers = timers;
    this.#fire = fire;
  }

  /** Fires once at `at` (ms since the epoch), replacing any other deadline; `undefined` disarms. */
  arm(at: number | undefined): void {
    if (this.#armed !== undefined && this.#armed.at === at) return;
    this.stop();
    if (at === undefined) return;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, at - this.#clock.now()));
    const id = this.#timers.set(() => {
      this.#armed = undefined;
      this.#fire();
    }, delay);
    this.#armed = { id, at };
  }

  stop(): void {
    if (this.#armed !== undefined) this.#timers.clear(this.#armed.id);
    this.#armed = undefined;
  }
}
