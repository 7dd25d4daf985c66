import { badJson, isJsonObject, type JsonObject, type JsonValue, MAX_SAFE_JSON_INTEGER } from './json.js';
import type { PDU, UnsignedPDU } from './pdu.js';

// A lone surrogate cannot be encoded as UTF-8, so canonical JSON has no form for it. With the
// `u` flag a surrogate pair is one code point and does not match; only an unpaired half does.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// Keys holding a code unit at or above U+D800 may sort differently by code point than by UTF-16.
const HIGH_CODE_UNIT = /[\uD800-\uFFFF]/;
// Guards against cycles and absurd nesting; parsed input is limited far below this anyway.
const MAX_ENCODE_DEPTH = 512;

const encoder = new TextEncoder();

/**
 * Encodes `value` as Matrix canonical JSON (appendix "Canonical JSON"): object keys sorted by
 * Unicode code point, no insignificant whitespace, UTF-8 characters rather than `\u` escapes
 * (only the control characters are escaped), and numbers only as integers in
 * [-(2^53)+1, 2^53-1] (`-0` is written `0`).
 *
 * Object properties whose value is `undefined` are left out, as `JSON.stringify` does, so that
 * optional fields of TypeScript types need no special handling.
 *
 * @throws {@link ParleyError} `M_BAD_JSON` for a float, an integer out of range, `NaN`, a lone
 * surrogate, or a value that is not JSON (function, `bigint`, class instance, cycle, …).
 */
export function canonicalJson(value: JsonValue | PDU | UnsignedPDU): string {
  return encodeValue(value, 0);
}

/** {@link canonicalJson} as UTF-8 bytes: what gets hashed and signed. */
export function canonicalJsonBytes(value: JsonValue | PDU | UnsignedPDU): Uint8Array {
  return encoder.encode(encodeValue(value, 0));
}

/**
 * Canonical JSON of `obj` without the top-level keys in `skip`: signing and hashing leave out
 * `signatures`, `unsigned` and `hashes`, and this saves copying the object to drop them.
 */
export function canonicalJsonWithout(obj: JsonObject | PDU | UnsignedPDU, skip: ReadonlySet<string>): string {
  return encodeObject(obj as JsonObject, 0, skip);
}

/** UTF-8 encoding, shared so callers do not each make a TextEncoder. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The UTF-8 length of `text`, without encoding it. */
export function utf8Length(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 2; // a surrogate pair: 4 bytes for 2 code units
      i++;
    } else n += 2;
  }
  return n;
}

function encodeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_ENCODE_DEPTH) throw badJson(`JSON nested deeper than ${MAX_ENCODE_DEPTH} levels`);
      if (Array.isArray(value)) return encodeArray(value, depth + 1);
      if (isJsonObject(value)) return encodeObject(value, depth + 1, undefined);
      throw badJson(`Not a JSON value: ${Object.prototype.toString.call(value)}`);
    default:
      throw badJson(`Not a JSON value: ${typeof value}`);
  }
}

function encodeString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw badJson('String holds a lone UTF-16 surrogate');
  // JSON.stringify escapes exactly what the canonical grammar escapes: `"`, `\`, the short forms
  // \b \f \n \r \t and other control characters as lower-case \u00XX; everything else is literal.
  return JSON.stringify(s);
}

function encodeNumber(n: number): string {
  if (!Number.isInteger(n)) throw badJson(`Number ${n} is not an integer; canonical JSON has no floats`);
  if (n > MAX_SAFE_JSON_INTEGER || n < -MAX_SAFE_JSON_INTEGER) {
    throw badJson(`Integer ${n} is outside [-(2^53)+1, 2^53-1]`);
  }
  return n === 0 ? '0' : String(n);
}

function encodeArray(arr: readonly unknown[], depth: number): string {
  let out = '[';
  for (let i = 0; i < arr.length; i++) {
    if (i > 0) out += ',';
    const item = arr[i];
    if (item === undefined) throw badJson('Arrays may not hold undefined');
    out += encodeValue(item, depth);
  }
  return `${out}]`;
}

function encodeObject(obj: JsonObject, depth: number, skip: ReadonlySet<string> | undefined): string {
  const keys = Object.keys(obj);
  sortKeys(keys);
  let out = '{';
  let first = true;
  for (const key of keys) {
    if (skip?.has(key)) continue;
    const v = obj[key];
    if (v === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += encodeString(key);
    out += ':';
    out += encodeValue(v, depth);
  }
  return `${out}}`;
}

/** Sorts by Unicode code point, which differs from JS's UTF-16 order only above U+D7FF. */
export function sortKeys(keys: string[]): void {
  if (keys.some((k) => HIGH_CODE_UNIT.test(k))) keys.sort(compareCodePoints);
  else keys.sort();
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800..DFFF) start supplementary code points, which come after U+E000..FFFF.
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
