import type { Random } from '../io.js';
import type { BackoffPolicy } from './options.js';
import { randomUnit } from './random.js';

interface Entry {
  failures: number;
  until: number;
}

/**
 * Backoff per key (a destination or an event id): after the n-th consecutive failure the key is
 * avoided for a delay drawn uniformly from `[0, min(maxMs, initialMs · multiplier^(n-1))]` (full
 * jitter, so that many servers retrying one peer do not retry in step). A success forgets the key.
 * At most `maxEntries` keys are remembered; the least recently failed is dropped first.
 */
export class BackoffTable {
  readonly #policy: BackoffPolicy;
  readonly #random: Random;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(policy: BackoffPolicy, random: Random, maxEntries: number) {
    this.#policy = policy;
    this.#random = random;
    this.#maxEntries = maxEntries;
  }

  /** Records a failure at `now`; `minDelayMs` (a 429's Retry-After) raises the drawn delay. Returns the end of the backoff. */
  fail(key: string, now: number, minDelayMs = 0): number {
    const prev = this.#entries.get(key);
    const failures = (prev?.failures ?? 0) + 1;
    const p = this.#policy;
    const ceiling = Math.min(p.maxMs, p.initialMs * p.multiplier ** (failures - 1));
    const delay = Math.max(minDelayMs, Math.round(randomUnit(this.#random) * ceiling));
    const until = now + delay;
    this.#entries.delete(key); // re-insert so Map order is least recently failed first
    this.#entries.set(key, { failures, until });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return until;
  }

  /** Forgets the key's failures (a success). */
  succeed(key: string): void {
    this.#entries.delete(key);
  }

  /** True while `key` is avoided. */
  isBackedOff(key: string, now: number): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && e.until > now;
  }

  /** The end of the current backoff of `key`, if it is backed off at `now`. */
  until(key: string, now: number): number | undefined {
    const e = this.#entries.get(key);
    return e !== undefined && e.until > now ? e.until : undefined;
  }

  /** Consecutive failures of `key` since its last success. */
  failures(key: string): number {
    return this.#entries.get(key)?.failures ?? 0;
  }

  /** The earliest end of a backoff still running at `now`. */
  nextExpiry(now: number): number | undefined {
    let min: number | undefined;
    for (const e of this.#entries.values())
      if (e.until > now && (min === undefined || e.until < min)) min = e.until;
    return min;
  }

  /** Number of keys remembered. */
  get size(): number {
    return this.#entries.size;
  }
}

/**
 * Servers that answered with a forged, altered or different event: avoided for a fixed penalty
 * (no jitter: it is a verdict, not congestion). Bounded like {@link BackoffTable}.
 */
export class LiarMarks {
  readonly #penaltyMs: number;
  readonly #maxEntries: number;
  readonly #until = new Map<string, number>();

  constructor(penaltyMs: number, maxEntries: number) {
    this.#penaltyMs = penaltyMs;
    this.#maxEntries = maxEntries;
  }

  /** Marks `server` as a liar from `now` for the penalty. */
  mark(server: string, now: number): void {
    this.#until.delete(server);
    this.#until.set(server, now + this.#penaltyMs);
    if (this.#until.size > this.#maxEntries) {
      const oldest = this.#until.keys().next().value;
      if (oldest !== undefined) this.#until.delete(oldest);
    }
  }

  /** True while `server` is marked. */
  isMarked(server: string, now: number): boolean {
    const u = this.#until.get(server);
    return u !== undefined && u > now;
  }

  /** Servers marked at `now`. */
  marked(now: number): string[] {
    return [...this.#until].filter(([, u]) => u > now).map(([s]) => s);
  }

  /** The earliest end of a mark still running at `now`. */
  nextExpiry(now: number): number | undefined {
    let min: number | undefined;
    for (const u of this.#until.values()) if (u > now && (min === undefined || u < min)) min = u;
    return min;
  }
}
