import type { Clock, TimerId, Timers } from '../io.js';

interface Pending {
  id: number;
  at: number;
  callback: () => void;
}

/**
 * A virtual clock with timers, for deterministic tests: time moves only when {@link advance} or
 * {@link runUntilIdle} moves it, and due timers fire in deadline order (ties in creation order).
 */
export class FakeClock implements Clock, Timers {
  #now: number;
  #nextId = 1;
  #pending: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  set(callback: () => void, delayMs: number): TimerId {
    const id = this.#nextId++;
    this.#pending.push({ id, at: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  clear(id: TimerId): void {
    this.#pending = this.#pending.filter((p) => p.id !== id);
  }

  /** Number of timers not yet fired. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** The deadline of the next timer, or `undefined` when none is pending. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const p of this.#pending) if (min === undefined || p.at < min) min = p.at;
    return min;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#takeDue(target);
      if (!next) break;
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }

  /** Fires timers until none is left (or `maxSteps` fired, against timers that re-arm forever). */
  runUntilIdle(maxSteps = 10_000): void {
    for (let i = 0; i < maxSteps; i++) {
      const at = this.nextDeadline();
      if (at === undefined) return;
      this.advance(at - this.#now);
    }
    throw new Error(`FakeClock.runUntilIdle: still busy after ${maxSteps} steps`);
  }

  #takeDue(limit: number): Pending | undefined {
    let best = -1;
    for (let i = 0; i < this.#pending.length; i++) {
      const p = this.#pending[i] as Pending;
      if (p.at > limit) continue;
      const b = this.#pending[best];
      if (best < 0 || (b !== undefined && (p.at < b.at || (p.at === b.at && p.id < b.id)))) best = i;
    }
    if (best < 0) return undefined;
    return this.#pending.splice(best, 1)[0];
  }
}
