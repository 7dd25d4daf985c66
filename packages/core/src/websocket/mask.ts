// Payloads shorter than this are unmasked a byte at a time: creating the Uint32Array view costs more
// than it saves on a few words (measured in bench/websocket/unmask.ts).
const WORD_THRESHOLD = 48;

const keyBytes = new Uint8Array(4);
const keyWord = new Uint32Array(keyBytes.buffer);

/**
 * XORs `buf[start..end)` in place with the 4-byte masking key, starting at key position
 * `keyOffset` (the number of payload bytes of this frame already masked, so the key lines up across
 * chunk boundaries). Aligned runs go a 32-bit word at a time.
 *
 * @returns the key position after the last byte, to pass as `keyOffset` for the next chunk.
 */
export function applyWsMask(
  buf: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  keyOffset: number,
): number {
  let i = start;
  let k = keyOffset & 3;
  if (end - start >= WORD_THRESHOLD) {
    // Walk bytes up to a 4-byte boundary of the underlying buffer, since typed arrays require it.
    while (((buf.byteOffset + i) & 3) !== 0) {
      buf[i] = (buf[i] as number) ^ (key[k] as number);
      k = (k + 1) & 3;
      i++;
    }
    // The key rotated to the current position, read in memory order so endianness does not matter.
    keyBytes[0] = key[k] as number;
    keyBytes[1] = key[(k + 1) & 3] as number;
    keyBytes[2] = key[(k + 2) & 3] as number;
    keyBytes[3] = key[(k + 3) & 3] as number;
    const w = keyWord[0] as number;
    const count = (end - i) >>> 2;
    const words = new Uint32Array(buf.buffer, buf.byteOffset + i, count);
    for (let j = 0; j < count; j++) words[j] = (words[j] as number) ^ w;
    i += count << 2;
  }
  for (; i < end; i++) {
    buf[i] = (buf[i] as number) ^ (key[k] as number);
    k = (k + 1) & 3;
  }
  return k;
}
