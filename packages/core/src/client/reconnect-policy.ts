import type { ParleyError } from '../errors.js';
import type { Random } from '../io.js';

/** What a {@link ReconnectPolicy} is told before each reconnect attempt. */
export interface ReconnectContext {
  /** 0 for the first retry after a connection was lost, then 1, 2, … */
  attempt: number;
  /** Time since the outage began, in ms. */
  elapsedMs: number;
  /** Why the last connection or attempt ended, when known. */
  lastError: ParleyError | undefined;
}

/**
 * Decides how long to wait before the next reconnect attempt (LiveKit's `ReconnectPolicy`
 * shape). An app may pass its own to `ParleyClient`.
 */
export interface ReconnectPolicy {
  /** The delay in ms before the next attempt, or `null` to stop reconnecting. */
  nextDelay(context: ReconnectContext): number | null;
}

/** Options of {@link ExponentialBackoffPolicy}. */
export interface ExponentialBackoffOptions {
  /** Source of the jitter; production passes a CSPRNG, tests a seeded one. */
  random: Random;
  /** The un-jittered delay of attempt 0. Default 500 ms. */
  baseMs?: number;
  /** The cap on the un-jittered delay. Default 30 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Give up after this many attempts. Default: never. */
  maxAttempts?: number;
  /** Give up once an outage is this old. Default: never. */
  maxElapsedMs?: number;
}

/** A uniform value in [0, 1) from 3 bytes (24 bits) of `random`. */
export function randomUnit(random: Random): number {
  const b = random.bytes(3);
  return ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16)) / 0x100_0000;
}

/** Full jitter (AWS architecture blog): a uniform delay in [0, ceiling]. */
export function fullJitter(random: Random, ceilingMs: number): number {
  return Math.round(randomUnit(random) * ceilingMs);
}

/**
 * The default policy: exponential backoff `base × factor^attempt`, capped at `maxMs`, then full
 * jitter so that clients cut off together by a server restart do not come back together.
 */
export class ExponentialBackoffPolicy implements ReconnectPolicy {
  readonly #random: Random;
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #maxAttempts: number;
  readonly #maxElapsedMs: number;

  constructor(options: ExponentialBackoffOptions) {
    this.#random = options.random;
    this.#baseMs = options.baseMs ?? 500;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#factor = options.factor ?? 2;
    this.#maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.#maxElapsedMs = options.maxElapsedMs ?? Number.POSITIVE_INFINITY;
  }

  nextDelay({ attempt, elapsedMs }: ReconnectContext): number | null {
    if (attempt >= this.#maxAttempts || elapsedMs >= this.#maxElapsedMs) return null;
    return fullJitter(this.#random, this.ceiling(attempt));
  }

  /** The un-jittered delay of `attempt`: the upper bound of what {@link nextDelay} returns. */
  ceiling(attempt: number): number {
    return Math.min(this.#maxMs, this.#baseMs * this.#factor ** attempt);
  }
}
