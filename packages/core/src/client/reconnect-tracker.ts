import type { ParleyError } from '../errors.js';
import type { ReconnectPolicy } from './reconnect-policy.js';

/** Options of {@link ReconnectTracker}. */
export interface ReconnectTrackerOptions {
  /**
   * The flap guard: a connection must stay open this long (ms) before its loss resets the
   * backoff. A server that accepts and then drops at once would otherwise be hammered at the
   * shortest delay forever. Default 10 s.
   */
  stableAfterMs?: number;
}

/**
 * Counts reconnect attempts across one outage and asks the {@link ReconnectPolicy} for each
 * delay. Pure: it is told the time and never schedules anything.
 */
export class ReconnectTracker {
  readonly #policy: ReconnectPolicy;
  readonly #stableAfterMs: number;
  #attempt = 0;
  #outageStart: number | undefined;
  #openedAt: number | undefined;

  constructor(policy: ReconnectPolicy, options: ReconnectTrackerOptions = {}) {
    this.#policy = policy;
    this.#stableAfterMs = options.stableAfterMs ?? 10_000;
  }

  /** Consecutive attempts made in the current outage (0 when none). */
  get attempt(): number {
    return this.#attempt;
  }

  /** A connection opened at `now`. */
  opened(now: number): void {
    this.#openedAt = now;
  }

  /**
   * A connection (or an attempt to open one) ended at `now`; returns the delay before the next
   * attempt, or `null` when the policy gives up.
   */
  down(now: number, error: ParleyError | undefined): number | null {
    const openedAt = this.#openedAt;
    this.#openedAt = undefined;
    if (openedAt !== undefined && now - openedAt >= this.#stableAfterMs) {
      this.#attempt = 0;
      this.#outageStart = undefined;
    }
    this.#outageStart ??= now;
    const delay = this.#policy.nextDelay({
      attempt: this.#attempt,
      elapsedMs: now - this.#outageStart,
      lastError: error,
    });
    this.#attempt++;
    return delay === null ? null : Math.max(0, delay);
  }

  /** Forgets the outage, e.g. when the app asks to connect again after giving up. */
  reset(): void {
    this.#attempt = 0;
    this.#outageStart = undefined;
    this.#openedAt = undefined;
  }
}
