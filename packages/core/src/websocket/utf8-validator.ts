// ASCII runs at least this long are checked 16 bytes per step through a word view.
const WORD_RUN = 64;

/**
 * An incremental UTF-8 validator (RFC 3629): bytes can be fed in any split, and the first byte
 * that can never start or continue a valid sequence is reported at once. That is what lets the
 * WebSocket decoder fail a text message with 1007 as soon as the bad byte arrives, even when the
 * sequence it belongs to started in an earlier chunk or fragment.
 */
export class Utf8Validator {
  // Continuation bytes still owed by the current sequence, and the range the next one must be in.
  // The narrowed first ranges are what reject overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
  #need = 0;
  #lo = 0x80;
  #hi = 0xbf;

  /**
   * Validates `bytes[start..end)` as the continuation of everything written before.
   * @returns -1 when every byte is acceptable so far, else the index of the first bad byte (the
   *   validator is then spent: call {@link reset} before reusing it).
   */
  write(bytes: Uint8Array, start = 0, end: number = bytes.length): number {
    let need = this.#need;
    let lo = this.#lo;
    let hi = this.#hi;
    let i = start;
    // A word view of the input, made at most once per call, for long runs of ASCII.
    let words: Uint32Array | undefined;
    let wordBase = 0;
    while (i < end) {
      const c = bytes[i] as number;
      if (need === 0) {
        if (c < 0x80) {
          i++;
          if (end - i >= WORD_RUN) {
            while ((bytes.byteOffset + i) & 3 && (bytes[i] as number) < 0x80) i++;
            if (((bytes.byteOffset + i) & 3) === 0) {
              if (words === undefined) {
                wordBase = i;
                words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (end - i) >>> 2);
              }
              let j = (i - wordBase) >>> 2;
              const n = words.length;
              while (
                j + 4 <= n &&
                (((words[j] as number) |
                  (words[j + 1] as number) |
                  (words[j + 2] as number) |
                  (words[j + 3] as number)) &
                  0x80808080) ===
                  0
              )
                j += 4;
              i = wordBase + (j << 2);
            }
          }
          while (
            i + 4 <= end &&
            (((bytes[i] as number) |
              (bytes[i + 1] as number) |
              (bytes[i + 2] as number) |
              (bytes[i + 3] as number)) &
              0x80) ===
              0
          )
            i += 4;
          continue;
        }
        if (c < 0xc2) return i; // a stray continuation byte, or an overlong 2-byte lead (C0, C1)
        if (c < 0xe0) {
          need = 1;
        } else if (c < 0xf0) {
          need = 2;
          lo = c === 0xe0 ? 0xa0 : 0x80;
          hi = c === 0xed ? 0x9f : 0xbf;
        } else if (c < 0xf5) {
          need = 3;
          lo = c === 0xf0 ? 0x90 : 0x80;
          hi = c === 0xf4 ? 0x8f : 0xbf;
        } else {
          return i;
        }
      } else {
        if (c < lo || c > hi) return i;
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
      i++;
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return -1;
  }

  /** True when the bytes written so far end on a character boundary. */
  get complete(): boolean {
    return this.#need === 0;
  }

  /** Forgets any partial sequence, for the next message. */
  reset(): void {
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
  }
}

/** True when `bytes` is entirely valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const v = new Utf8Validator();
  return v.write(bytes) === -1 && v.complete;
}
