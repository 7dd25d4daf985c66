import { badJson, type JsonObject, type JsonValue, MAX_SAFE_JSON_INTEGER, notJson } from './json.js';

/** Options of {@link parseJsonStrict}. */
export interface ParseJsonOptions {
  /** Deepest nesting of objects and arrays accepted (default 100, at most 512). */
  maxDepth?: number;
}

/** The default {@link ParseJsonOptions.maxDepth}. */
export const DEFAULT_JSON_MAX_DEPTH = 100;
const DEPTH_CEILING = 512;

const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what it looks for.
const NEEDS_SLOW_SCAN = /[\\\u0000-\u001f]/;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses untrusted JSON under Matrix's rules (room versions 6+ enforce canonical JSON values).
 *
 * Accepts any RFC 8259 JSON text (whitespace anywhere it is allowed) whose values canonical
 * JSON can carry. A number is accepted when its value is an integer in [-(2^53)+1, 2^53-1],
 * whatever its spelling: `-0`, `1.0` and `1e10` parse to `0`, `1` and `10000000000` (the spec's
 * own canonical JSON example turns `1e10` into `10000000000`); `1.5` is refused.
 *
 * @throws {@link ParleyError} `M_NOT_JSON` for a syntax error (including a byte order mark,
 * trailing data, a raw control character in a string); `M_BAD_JSON` for invalid UTF-8 in
 * `bytes`, a duplicate object key, a non-integer number, an integer outside the range,
 * `NaN`/`Infinity`, a lone surrogate (raw or escaped), or nesting deeper than `maxDepth`.
 */
export function parseJsonStrict(input: string | Uint8Array, options: ParseJsonOptions = {}): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    if (LONE_SURROGATE.test(input)) throw badJson('JSON text holds a lone UTF-16 surrogate');
    text = input;
  } else {
    try {
      text = decoder.decode(input);
    } catch (cause) {
      throw badJson(`JSON text is not valid UTF-8 (${String(cause)})`);
    }
  }
  const maxDepth = Math.min(
    Math.max(1, Math.floor(options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH)),
    DEPTH_CEILING,
  );
  const parser = new StrictParser(text, maxDepth);
  const value = parser.parseDocument();
  return value;
}

class StrictParser {
  readonly #src: string;
  readonly #maxDepth: number;
  #pos = 0;

  constructor(src: string, maxDepth: number) {
    this.#src = src;
    this.#maxDepth = maxDepth;
  }

  parseDocument(): JsonValue {
    this.#skipWs();
    const value = this.#parseValue(0);
    this.#skipWs();
    if (this.#pos < this.#src.length) throw this.#syntax('unexpected data after the JSON value');
    return value;
  }

  #parseValue(depth: number): JsonValue {
    const c = this.#src.charCodeAt(this.#pos);
    switch (c) {
      case 0x7b /* { */:
        return this.#parseObject(depth + 1);
      case 0x5b /* [ */:
        return this.#parseArray(depth + 1);
      case 0x22 /* " */:
        return this.#parseString();
      case 0x74 /* t */:
        return this.#literal('true', true);
      case 0x66 /* f */:
        return this.#literal('false', false);
      case 0x6e /* n */:
        return this.#literal('null', null);
      case 0x4e /* N */:
      case 0x49 /* I */:
        return this.#nonFinite();
      default:
        if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return this.#parseNumber();
        throw this.#syntax(Number.isNaN(c) ? 'unexpected end of input' : 'unexpected character');
    }
  }

  #parseObject(depth: number): JsonObject {
    if (depth > this.#maxDepth) throw badJson(`JSON nested deeper than ${this.#maxDepth} levels`);
    this.#pos++;
    const obj: JsonObject = {};
    this.#skipWs();
    if (this.#src.charCodeAt(this.#pos) === 0x7d /* } */) {
      this.#pos++;
      return obj;
    }
    for (;;) {
      if (this.#src.charCodeAt(this.#pos) !== 0x22) throw this.#syntax('expected a string key');
      const key = this.#parseString();
      this.#skipWs();
      if (this.#src.charCodeAt(this.#pos) !== 0x3a /* : */) throw this.#syntax("expected ':'");
      this.#pos++;
      this.#skipWs();
      const value = this.#parseValue(depth);
      if (Object.hasOwn(obj, key)) throw badJson(`Duplicate key ${JSON.stringify(key)} in JSON object`);
      // defineProperty, not assignment: a "__proto__" key must become data, not a prototype.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else obj[key] = value;
      this.#skipWs();
      const c = this.#src.charCodeAt(this.#pos++);
      if (c === 0x7d) return obj;
      if (c !== 0x2c /* , */) throw this.#syntax("expected ',' or '}'", -1);
      this.#skipWs();
    }
  }

  #parseArray(depth: number): JsonValue[] {
    if (depth > this.#maxDepth) throw badJson(`JSON nested deeper than ${this.#maxDepth} levels`);
    this.#pos++;
    const arr: JsonValue[] = [];
    this.#skipWs();
    if (this.#src.charCodeAt(this.#pos) === 0x5d /* ] */) {
      this.#pos++;
      return arr;
    }
    for (;;) {
      arr.push(this.#parseValue(depth));
      this.#skipWs();
      const c = this.#src.charCodeAt(this.#pos++);
      if (c === 0x5d) return arr;
      if (c !== 0x2c) throw this.#syntax("expected ',' or ']'", -1);
      this.#skipWs();
    }
  }

  #parseString(): string {
    const src = this.#src;
    // Fast path: most strings have no escape and no control character, so find the closing quote
    // with indexOf and check the span once with a regex instead of character by character.
    const close = src.indexOf('"', this.#pos + 1);
    if (close > 0) {
      const span = src.slice(this.#pos + 1, close);
      if (!NEEDS_SLOW_SCAN.test(span)) {
        this.#pos = close + 1;
        return span;
      }
    }
    let pos = this.#pos + 1;
    let out = '';
    let runStart = pos;
    for (;;) {
      const c = src.charCodeAt(pos);
      if (c === 0x22) {
        out += src.slice(runStart, pos);
        this.#pos = pos + 1;
        return out;
      }
      if (c === 0x5c /* \ */) {
        out += src.slice(runStart, pos);
        this.#pos = pos;
        out += this.#parseEscape();
        pos = this.#pos;
        runStart = pos;
        continue;
      }
      if (c < 0x20 || Number.isNaN(c)) {
        this.#pos = pos;
        throw this.#syntax(Number.isNaN(c) ? 'unterminated string' : 'raw control character in string');
      }
      pos++;
    }
  }

  /** Reads the escape at `#pos` (a backslash) and leaves `#pos` after it. */
  #parseEscape(): string {
    const src = this.#src;
    const c = src.charCodeAt(this.#pos + 1);
    this.#pos += 2;
    switch (c) {
      case 0x22:
        return '"';
      case 0x5c:
        return '\\';
      case 0x2f:
        return '/';
      case 0x62:
        return '\b';
      case 0x66:
        return '\f';
      case 0x6e:
        return '\n';
      case 0x72:
        return '\r';
      case 0x74:
        return '\t';
      case 0x75 /* u */:
        {
          const unit = this.#hex4();
          if (unit >= 0xdc00 && unit <= 0xdfff) throw badJson('Escaped lone low surrogate in string');
          if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
          if (src.charCodeAt(this.#pos) !== 0x5c || src.charCodeAt(this.#pos + 1) !== 0x75) {
            throw badJson('Escaped lone high surrogate in string');
          }
          this.#pos += 2;
          const low = this.#hex4();
          if (low < 0xdc00 || low > 0xdfff) throw badJson('Escaped lone high surrogate in string');
          return String.fromCharCode(unit, low);
        }
      default:
        this.#pos -= 1;
        throw this.#syntax('invalid escape');
    }
  }

  #hex4(): number {
    const hex = this.#src.slice(this.#pos, this.#pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.#syntax('invalid \\u escape');
    this.#pos += 4;
    return Number.parseInt(hex, 16);
  }

  #parseNumber(): number {
    const src = this.#src;
    const start = this.#pos;
    let pos = start;
    if (src.charCodeAt(pos) === 0x2d) pos++;
    if (src.charCodeAt(pos) === 0x49 /* I */) {
      this.#pos = pos;
      return this.#nonFinite();
    }
    const intStart = pos;
    if (src.charCodeAt(pos) === 0x30) pos++;
    else if (isDigit(src.charCodeAt(pos))) while (isDigit(src.charCodeAt(pos))) pos++;
    else throw this.#syntaxAt(pos, 'expected a digit');
    const intDigits = src.slice(intStart, pos);
    let fracDigits = '';
    let exponent = 0;
    let plainInteger = true;
    if (src.charCodeAt(pos) === 0x2e /* . */) {
      const fracStart = ++pos;
      while (isDigit(src.charCodeAt(pos))) pos++;
      if (pos === fracStart) throw this.#syntaxAt(pos, 'expected a digit after the decimal point');
      fracDigits = src.slice(fracStart, pos);
      plainInteger = false;
    }
    const e = src.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      let sign = 1;
      const s = src.charCodeAt(pos);
      if (s === 0x2b || s === 0x2d) {
        if (s === 0x2d) sign = -1;
        pos++;
      }
      const expStart = pos;
      while (isDigit(src.charCodeAt(pos))) pos++;
      if (pos === expStart) throw this.#syntaxAt(pos, 'expected a digit in the exponent');
      exponent = sign * Number(src.slice(expStart, pos));
      plainInteger = false;
    }
    this.#pos = pos;
    const literal = src.slice(start, pos);
    if (!plainInteger && !denotesInteger(intDigits + fracDigits, fracDigits.length, exponent)) {
      throw badJson(`Number ${literal} is not an integer; canonical JSON has no floats`);
    }
    const value = Number(literal);
    if (!(Math.abs(value) <= MAX_SAFE_JSON_INTEGER)) {
      throw badJson(`Integer ${literal} is outside [-(2^53)+1, 2^53-1]`);
    }
    return value === 0 ? 0 : value; // -0 becomes 0
  }

  #nonFinite(): never {
    const word = /^(?:NaN|Infinity)/.exec(this.#src.slice(this.#pos, this.#pos + 8));
    if (word) throw badJson(`${word[0]} is not allowed in JSON`);
    throw this.#syntax('unexpected character');
  }

  #literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.#src.startsWith(word, this.#pos)) throw this.#syntax('invalid literal');
    this.#pos += word.length;
    return value;
  }

  #skipWs(): void {
    const src = this.#src;
    let pos = this.#pos;
    for (;;) {
      const c = src.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.#pos = pos;
  }

  #syntax(what: string, offset = 0): Error {
    return this.#syntaxAt(this.#pos + offset, what);
  }

  #syntaxAt(pos: number, what: string): Error {
    return notJson(`Not JSON: ${what} at offset ${pos}`);
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Whether `digits` × 10^(exponent − fractionLength) is an integer, decided on the decimal digits
 * so that `1.0000000000000001` (which a double rounds to 1) is still seen as a fraction.
 */
function denotesInteger(digits: string, fractionLength: number, exponent: number): boolean {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
  if (end === 0) return true; // zero
  const trailingZeros = digits.length - end;
  return exponent - fractionLength + trailingZeros >= 0;
}
