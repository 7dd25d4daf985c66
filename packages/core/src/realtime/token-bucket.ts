/**
 * A token bucket with time passed in: `rate` tokens per second, at most `burst` stored. A refused
 * take still costs a token, so the balance runs into debt while a client keeps sending over its
 * budget; the debt is what tells a burst from a flood (see {@link TokenBucket.debt}).
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  /** Takes one token; false when none was left (the token is still charged, as debt). */
  take(now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
      this.#last = now;
    }
    this.#tokens -= 1;
    return this.#tokens >= 0;
  }

  /** How many tokens the bucket owes (0 while it has any). */
  get debt(): number {
    return this.#tokens < 0 ? -this.#tokens : 0;
  }
}
