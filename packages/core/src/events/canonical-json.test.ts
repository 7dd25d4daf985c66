import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { canonicalJson, canonicalJsonBytes } from './canonical-json.js';
import type { JsonValue } from './json.js';
import { parseJsonStrict } from './parse-json.js';

/** Every example of the Matrix appendix "Canonical JSON", input text → expected output. */
const SPEC_EXAMPLES: [input: string, canonical: string][] = [
  ['{}', '{}'],
  ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
  ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
  ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
  [
    `{
    "auth": {
        "success": true,
        "mxid": "@john.doe:example.com",
        "profile": {
            "display_name": "John Doe",
            "three_pids": [
                {
                    "medium": "email",
                    "address": "john.doe@example.org"
                },
                {
                    "medium": "msisdn",
                    "address": "123456789"
                }
            ]
        }
    }
}`,
    '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
  ],
  ['{\n    "a": "日本語"\n}', '{"a":"日本語"}'],
  ['{\n    "本": 2,\n    "日": 1\n}', '{"日":1,"本":2}'],
  ['{\n    "a": "\\u65E5"\n}', '{"a":"日"}'],
  ['{\n    "a": null\n}', '{"a":null}'],
  ['{\n    "a": -0,\n    "b": 1e10\n}', '{"a":0,"b":10000000000}'],
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isParleyError(e) ? e.code : `non-Parley: ${String(e)}`;
  }
  return undefined;
}

/** JSON values canonical JSON can carry: safe integers only, strings without lone surrogates. */
const jsonArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('canonicalJson: the spec appendix examples, byte for byte', () => {
  it.each(SPEC_EXAMPLES)('%s', (input, expected) => {
    expect(canonicalJson(parseJsonStrict(input))).toBe(expected);
    expect(canonicalJsonBytes(parseJsonStrict(input))).toEqual(new TextEncoder().encode(expected));
  });
});

describe('canonicalJson rules', () => {
  it('escapes only control characters, quote and backslash, with lower-case hex', () => {
    const s = '\u0000\u0007\b\t\n\u000b\f\r\u000e\u001f "\\/\u007f\u00e9\u2028😀';
    expect(canonicalJson(s)).toBe(
      '"\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f \\"\\\\/\u007f\u00e9\u2028😀"',
    );
  });

  it('sorts keys by code point, not by UTF-16 unit (U+FF61 before U+1F600)', () => {
    // In UTF-16, 😀 (D83D DE00) sorts before ｡ (FF61); by code point it comes after.
    expect(canonicalJson({ '😀': 1, '｡': 2, a: 3 })).toBe('{"a":3,"｡":2,"😀":1}');
  });

  it('writes the integer range limits and -0 as 0', () => {
    expect(canonicalJson([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0])).toBe(
      '[9007199254740991,-9007199254740991,0]',
    );
  });

  it('leaves out object properties that are undefined', () => {
    expect(canonicalJson({ a: 1, b: undefined } as unknown as JsonValue)).toBe('{"a":1}');
  });

  it.each<[string, unknown]>([
    ['a float', 1.5],
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a lone surrogate', 'a\ud800b'],
    ['a lone surrogate in a key', { '\udc00': 1 }],
    ['undefined', undefined],
    ['undefined in an array', [1, undefined]],
    ['a bigint', 1n],
    ['a function', () => 1],
    ['a Date', new Date(0)],
    ['a Uint8Array', new Uint8Array(2)],
  ])('rejects %s with M_BAD_JSON', (_name, value) => {
    expect(codeOf(() => canonicalJson(value as JsonValue))).toBe('M_BAD_JSON');
  });

  it('rejects a cycle with M_BAD_JSON instead of overflowing the stack', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(codeOf(() => canonicalJson(a as JsonValue))).toBe('M_BAD_JSON');
  });
});

describe('canonicalJson properties', () => {
  it('is a fixed point through parseJsonStrict', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        const once = canonicalJson(x);
        expect(canonicalJson(parseJsonStrict(once))).toBe(once);
        expect(canonicalJson(parseJsonStrict(canonicalJsonBytes(x)))).toBe(once);
      }),
    );
  });

  it('agrees with JSON.parse on what the text means', () => {
    fc.assert(
      fc.property(jsonArb, (x) => {
        expect(JSON.parse(canonicalJson(x))).toEqual(x);
      }),
    );
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), jsonArb, { maxKeys: 8 }),
        fc.integer(),
        (obj, seed) => {
          const entries = Object.entries(obj);
          // A seeded shuffle of the insertion order.
          const shuffled = entries
            .map((e, i) => ({ e, k: Math.imul(i + 1, seed | 1) ^ (seed >>> 3) }))
            .sort((a, b) => a.k - b.k)
            .map(({ e }) => e);
          const reordered = Object.fromEntries(shuffled.reverse());
          expect(canonicalJson(reordered)).toBe(canonicalJson(obj));
        },
      ),
    );
  });
});
