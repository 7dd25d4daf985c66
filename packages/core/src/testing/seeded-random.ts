import type { Random } from '../io.js';

/**
 * A reproducible {@link Random} (SplitMix64 over BigInt-free 32-bit halves): the same seed gives
 * the same bytes on every runtime. For tests and the simulator only; never for keys or tokens.
 */
export class SeededRandom implements Random {
  #hi: number;
  #lo: number;

  constructor(seed: number) {
    this.#hi = (seed / 0x1_0000_0000) >>> 0;
    this.#lo = seed >>> 0;
  }

  /** The next 32 random bits. */
  nextU32(): number {
    // xorshift64 on two 32-bit halves, seeded through a splitmix-style scramble.
    let hi = this.#hi ^ 0x9e3779b9;
    let lo = (this.#lo + 0x7f4a7c15) >>> 0;
    hi = (hi ^ (hi << 13) ^ (lo >>> 19)) >>> 0;
    lo = (lo ^ (lo << 13)) >>> 0;
    hi = (hi ^ (hi >>> 7)) >>> 0;
    lo = (lo ^ (lo >>> 7) ^ (hi << 25)) >>> 0;
    hi = (hi ^ (hi << 17) ^ (lo >>> 15)) >>> 0;
    lo = (lo ^ (lo << 17)) >>> 0;
    this.#hi = hi;
    this.#lo = lo;
    let z = (hi ^ lo) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.nextU32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }
}
