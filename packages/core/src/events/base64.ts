import { badJson } from './json.js';

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Decoding table for both alphabets at once: '+' and '-' are 62, '/' and '_' are 63.
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  DECODE[STANDARD.charCodeAt(i)] = i;
  DECODE[URL_SAFE.charCodeAt(i)] = i;
}

/** Unpadded base64 with the standard alphabet (Matrix's "unpadded base64"). */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD);
}

/** Unpadded base64 with the URL-safe alphabet (event IDs of room versions 4+). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE);
}

/**
 * Decodes base64 in either alphabet, with or without `=` padding, as the Matrix appendix asks
 * ("implementations SHOULD accept input with or without padding"). Unused low bits of the last
 * character are ignored rather than refused: the spec's own test seed
 * (`YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1`) has them set.
 *
 * @throws {@link ParleyError} `M_BAD_JSON` for a character outside both alphabets, misplaced
 * padding, or a length no base64 text can have.
 */
export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  if (end % 4 === 0 && end > 0) {
    // Padding is only legal as the last one or two characters of a padded text.
    if (text.charCodeAt(end - 1) === 0x3d) end--;
    if (text.charCodeAt(end - 1) === 0x3d) end--;
  }
  if (end % 4 === 1) throw badJson('Invalid base64: impossible length');
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] as number) : -1;
    if (v < 0) throw badJson(`Invalid base64: unexpected character at offset ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      alphabet.charAt(v >> 18) +
      alphabet.charAt((v >> 12) & 63) +
      alphabet.charAt((v >> 6) & 63) +
      alphabet.charAt(v & 63);
  }
  if (n - i === 1) {
    const v = (bytes[i] as number) << 16;
    out += alphabet.charAt(v >> 18) + alphabet.charAt((v >> 12) & 63);
  } else if (n - i === 2) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += alphabet.charAt(v >> 18) + alphabet.charAt((v >> 12) & 63) + alphabet.charAt((v >> 6) & 63);
  }
  return out;
}
