import type { Clock } from '@parley/core';

/** Options of {@link TokenBucketLimiter}. */
export interface TokenBucketOptions {
  /** Tokens a fresh bucket holds: the attempts allowed in a burst. */
  burst: number;
  /** Tokens added per minute, continuously, up to `burst`. */
  perMinute: number;
  /** Buckets kept at most; the least recently used is dropped past it. */
  maxKeys: number;
  clock: Clock;
}

/** The answer of {@link TokenBucketLimiter.take}. */
export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (an IP address, a user): each attempt takes a token; an empty bucket
 * refuses and says when the next token arrives. Memory is bounded by `maxKeys`.
 */
export class TokenBucketLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #options: TokenBucketOptions;

  constructor(options: TokenBucketOptions) {
    this.#options = options;
  }

  /** Takes one token from `key`'s bucket, if it has one. */
  take(key: string): TakeResult {
    const { burst, perMinute, maxKeys, clock } = this.#options;
    const now = clock.now();
    const old = this.#buckets.get(key);
    const rate = perMinute / 60_000;
    const tokens = old ? Math.min(burst, old.tokens + (now - old.at) * rate) : burst;
    // Re-inserting keeps the Map in least-recently-used order, so eviction drops the stalest key.
    this.#buckets.delete(key);
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return { ok: false, retryAfterMs: Math.ceil((1 - tokens) / rate) };
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.#buckets.size > maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    return { ok: true };
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#buckets.size;
  }
}
