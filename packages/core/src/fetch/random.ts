import type { Random } from '../io.js';

/** A uniform float in [0, 1) from 32 bits of the injected {@link Random}. */
export function randomUnit(random: Random): number {
  const b = random.bytes(4);
  return (
    (((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16)) +
      (b[3] as number) * 0x100_0000) /
    0x1_0000_0000
  );
}

/** A uniform integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(randomUnit(random) * n));
}
