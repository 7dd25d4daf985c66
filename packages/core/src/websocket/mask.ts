// Payloads shorter than this are unmasked a byte at a time (four per step): creating the
// Uint32Array view costs more than the word loop saves on a few words. Measured with
// bench/websocket/unmask.ts; see docs/websocket.md.
const WORD_THRESHOLD = 128;

const keyBytes = new Uint8Array(4);
const keyWord = new Uint32Array(keyBytes.buffer);

/** Packs four key bytes into the number form {@link applyWsMask} takes (byte `i` at bits 8i..8i+7). */
export function packWsMaskKey(b0: number, b1: number, b2: number, b3: number): number {
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

/**
 * XORs `buf[start..end)` in place with the 4-byte masking key (packed by {@link packWsMaskKey}; a
 * number, so a connection holds no array for it), starting at key position
 * `keyOffset` (the number of payload bytes of this frame already masked, so the key lines up across
 * chunk boundaries). Runs aligned to 4 bytes go a 32-bit word at a time.
 *
 * @returns the key position after the last byte, to pass as `keyOffset` for the next chunk.
 */
export function applyWsMask(
  buf: Uint8Array,
  start: number,
  end: number,
  key: number,
  keyOffset: number,
): number {
  return end - start >= WORD_THRESHOLD
    ? maskWords(buf, start, end, key, keyOffset)
    : maskBytes(buf, start, end, key, keyOffset);
}

/** The byte path of {@link applyWsMask}, four bytes per step. Exported for the benchmark. */
export function maskBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  key: number,
  keyOffset: number,
): number {
  const k = keyOffset & 3;
  const m0 = (key >>> (8 * k)) & 0xff;
  const m1 = (key >>> (8 * ((k + 1) & 3))) & 0xff;
  const m2 = (key >>> (8 * ((k + 2) & 3))) & 0xff;
  const m3 = (key >>> (8 * ((k + 3) & 3))) & 0xff;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    buf[i] = (buf[i] as number) ^ m0;
    buf[i + 1] = (buf[i + 1] as number) ^ m1;
    buf[i + 2] = (buf[i + 2] as number) ^ m2;
    buf[i + 3] = (buf[i + 3] as number) ^ m3;
  }
  if (i < end) buf[i] = (buf[i++] as number) ^ m0;
  if (i < end) buf[i] = (buf[i++] as number) ^ m1;
  if (i < end) buf[i] = (buf[i] as number) ^ m2;
  return (k + end - start) & 3;
}

/** The word path of {@link applyWsMask}. Exported for the benchmark. */
export function maskWords(
  buf: Uint8Array,
  start: number,
  end: number,
  key: number,
  keyOffset: number,
): number {
  // Bytes up to a 4-byte boundary of the underlying buffer first, since typed arrays require it.
  const head = Math.min(end - start, (4 - ((buf.byteOffset + start) & 3)) & 3);
  let k = head > 0 ? maskBytes(buf, start, start + head, key, keyOffset) : keyOffset & 3;
  const from = start + head;
  const count = (end - from) >>> 2;
  if (count > 0) {
    // The key rotated to the current position, read in memory order so endianness does not matter.
    keyBytes[0] = (key >>> (8 * k)) & 0xff;
    keyBytes[1] = (key >>> (8 * ((k + 1) & 3))) & 0xff;
    keyBytes[2] = (key >>> (8 * ((k + 2) & 3))) & 0xff;
    keyBytes[3] = (key >>> (8 * ((k + 3) & 3))) & 0xff;
    const w = keyWord[0] as number;
    const words = new Uint32Array(buf.buffer, buf.byteOffset + from, count);
    let j = 0;
    // Unrolled by eight: about twice the speed of the plain loop on V8 (bench/websocket/unmask.ts).
    for (; j + 8 <= count; j += 8) {
      words[j] = (words[j] as number) ^ w;
      words[j + 1] = (words[j + 1] as number) ^ w;
      words[j + 2] = (words[j + 2] as number) ^ w;
      words[j + 3] = (words[j + 3] as number) ^ w;
      words[j + 4] = (words[j + 4] as number) ^ w;
      words[j + 5] = (words[j + 5] as number) ^ w;
      words[j + 6] = (words[j + 6] as number) ^ w;
      words[j + 7] = (words[j + 7] as number) ^ w;
    }
    for (; j < count; j++) words[j] = (words[j] as number) ^ w;
  }
  const tail = from + (count << 2);
  if (tail < end) k = maskBytes(buf, tail, end, key, k);
  return k;
}
