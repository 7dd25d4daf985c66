/**
 * User and room handles of the realtime channel: 8-byte ids, carried in core as 16 lowercase hex
 * digits (the JSON form of `user_handle` / `room_handle`).
 *
 * Why strings and not `bigint`: the server and the SDK receive handles from JSON, log them and use
 * them as `Map` keys; a string is all three with no conversion, while a `bigint` breaks
 * `JSON.stringify` and costs a conversion at every JSON boundary. Strings are also cheap `Map`
 * keys in V8 (the hash is cached on the string).
 *
 * @packageDocumentation
 */

import { ParleyError } from '../errors.js';

/** An 8-byte handle as 16 lowercase hex digits, e.g. `"00000000000004d2"`. */
export type HandleHex = string;

/** The invalid handle (0): "no user" / "no room"; in `OP_PRES` it means "your own presence". */
export const ZERO_HANDLE: HandleHex = '0000000000000000';

const HANDLE_RE = /^[0-9a-f]{16}$/;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** True when `value` is a well-formed handle (16 lowercase hex digits; the zero handle included). */
export function isHandleHex(value: unknown): value is HandleHex {
  return typeof value === 'string' && HANDLE_RE.test(value);
}

/**
 * Returns `value` when it is a well-formed handle, else throws a `ParleyError` with code
 * `invalid_argument` naming `what`.
 */
export function assertHandleHex(value: unknown, what: string): HandleHex {
  if (!isHandleHex(value)) {
    throw new ParleyError(
      'invalid_argument',
      `${what} must be 16 lowercase hex digits, got ${String(value)}`,
    );
  }
  return value;
}

/** Reads the 8 bytes at `offset` as a handle. The caller has checked the bounds. */
export function readHandle(bytes: Uint8Array, offset: number): HandleHex {
  return (
    HEX[bytes[offset] as number]! +
    HEX[bytes[offset + 1] as number]! +
    HEX[bytes[offset + 2] as number]! +
    HEX[bytes[offset + 3] as number]! +
    HEX[bytes[offset + 4] as number]! +
    HEX[bytes[offset + 5] as number]! +
    HEX[bytes[offset + 6] as number]! +
    HEX[bytes[offset + 7] as number]!
  );
}

/** True when the 8 bytes at `offset` are all zero (the invalid handle). */
export function isZeroHandleAt(bytes: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 8; i++) if (bytes[offset + i] !== 0) return false;
  return true;
}

function nibble(code: number): number {
  // '0'-'9' and 'a'-'f' only: callers validated the string.
  return code <= 57 ? code - 48 : code - 87;
}

/** Writes a well-formed handle (validated by the caller) as 8 bytes at `offset`. */
export function writeHandle(bytes: Uint8Array, offset: number, handle: HandleHex): void {
  for (let i = 0; i < 8; i++) {
    bytes[offset + i] = (nibble(handle.charCodeAt(2 * i)) << 4) | nibble(handle.charCodeAt(2 * i + 1));
  }
}

/** The 8 bytes of a well-formed handle. */
export function handleToBytes(handle: HandleHex): Uint8Array {
  const out = new Uint8Array(8);
  writeHandle(out, 0, handle);
  return out;
}

/** The handle of a non-negative integer below 2^64 (handy in tests and for counters). */
export function handleFromBigInt(value: bigint): HandleHex {
  if (value < 0n || value >= 1n << 64n) {
    throw new ParleyError('invalid_argument', `a handle is 0 .. 2^64-1, got ${value}`);
  }
  return value.toString(16).padStart(16, '0');
}
