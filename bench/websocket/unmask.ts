// Unmasking a byte at a time vs a 32-bit word at a time, by payload size: the data behind
// WORD_THRESHOLD and the unrolling in packages/core/src/websocket/mask.ts.
// Run: npx tsx bench/websocket/unmask.ts
import { fmt, loadSource, machine, median, table } from './harness.js';

type MaskFn = (buf: Uint8Array, start: number, end: number, key: number, offset: number) => number;
const mask = await loadSource<{ applyWsMask: MaskFn; maskBytes: MaskFn; maskWords: MaskFn }>(
  'packages/core/src/websocket/mask.ts',
);
const key = 0x78563412; // bytes 12 34 56 78
const keyBytes = new Uint8Array([0x12, 0x34, 0x56, 0x78]);

/** The textbook loop (what ws does without bufferutil). */
const plain: MaskFn = (buf, start, end, _key, offset) => {
  let j = offset & 3;
  for (let i = start; i < end; i++) {
    buf[i] = (buf[i] as number) ^ (keyBytes[j] as number);
    j = (j + 1) & 3;
  }
  return j;
};

console.log(`unmask: ${machine()}\n`);
const rows: (string | number)[][] = [];
for (const size of [8, 16, 32, 48, 64, 96, 128, 1024, 65_536]) {
  const count = Math.max(1, Math.floor((16 * 1024 * 1024) / size));
  // Payloads back to back after 6-byte headers, as in a stream of masked frames (misaligned).
  const stride = size + 6;
  const buf = new Uint8Array(stride * count);
  const rate = async (f: MaskFn) => {
    const t = await median(9, () => {
      for (let i = 0; i < count; i++) f(buf, i * stride + 6, i * stride + 6 + size, key, 0);
    });
    return (size * count * 1000) / t;
  };
  const [p, b, w, a] = [
    await rate(plain),
    await rate(mask.maskBytes),
    await rate(mask.maskWords),
    await rate(mask.applyWsMask),
  ];
  rows.push([size, `${fmt(p)}B/s`, `${fmt(b)}B/s`, `${fmt(w)}B/s`, `${fmt(a)}B/s`]);
}
table(['payload bytes', 'plain byte loop', 'bytes, 4 per step', 'words, ×8 unrolled', 'applyWsMask'], rows);
