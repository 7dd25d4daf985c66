import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { parseJsonStrict } from './parse-json.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isParleyError(e) ? e.code : `non-Parley: ${String(e)}`;
  }
  return undefined;
}

describe('parseJsonStrict accepts', () => {
  it.each<[string, unknown]>([
    ['  {"a" : [1, -2, true, false, null, "x"]}\r\n\t', { a: [1, -2, true, false, null, 'x'] }],
    ['"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00"', '"\\/\b\f\n\r\tA😀'],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['1.0', 1],
    ['1.50e1', 15],
    ['1E+2', 100],
    ['1200e-2', 12],
  ])('%s', (text, value) => {
    expect(parseJsonStrict(text)).toEqual(value);
  });

  it('parses -0 as 0', () => {
    expect(Object.is(parseJsonStrict('-0'), 0)).toBe(true);
  });

  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const obj = parseJsonStrict('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(Object.keys(obj)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalJson(obj as never)).toBe('{"__proto__":{"polluted":1}}');
  });

  it('decodes UTF-8 bytes', () => {
    expect(parseJsonStrict(new TextEncoder().encode('{"日":"本"}'))).toEqual({ 日: '本' });
  });

  it('accepts nesting up to maxDepth and no further', () => {
    expect(parseJsonStrict(`${'['.repeat(100)}${']'.repeat(100)}`)).toBeDefined();
    expect(codeOf(() => parseJsonStrict(`${'['.repeat(101)}${']'.repeat(101)}`))).toBe('M_BAD_JSON');
    expect(codeOf(() => parseJsonStrict('{"a":{"b":1}}', { maxDepth: 1 }))).toBe('M_BAD_JSON');
    expect(parseJsonStrict('{"a":{"b":1}}', { maxDepth: 2 })).toEqual({ a: { b: 1 } });
  });

  it('does not overflow the stack on very deep input', () => {
    expect(codeOf(() => parseJsonStrict('['.repeat(100_000), { maxDepth: 1e9 }))).toBe('M_BAD_JSON');
  });
});

describe('parseJsonStrict rejects', () => {
  it.each<[string, string | Uint8Array, string]>([
    ['empty input', '', 'M_NOT_JSON'],
    ['trailing data', '{} {}', 'M_NOT_JSON'],
    ['a trailing comma', '[1,]', 'M_NOT_JSON'],
    ['a missing colon', '{"a" 1}', 'M_NOT_JSON'],
    ['a single-quoted string', "{'a':1}", 'M_NOT_JSON'],
    ['an unquoted key', '{a:1}', 'M_NOT_JSON'],
    ['an unterminated string', '"abc', 'M_NOT_JSON'],
    ['a raw control character', '"a\nb"', 'M_NOT_JSON'],
    ['an invalid escape', '"\\x41"', 'M_NOT_JSON'],
    ['a short \\u escape', '"\\u12"', 'M_NOT_JSON'],
    ['a leading zero', '01', 'M_NOT_JSON'],
    ['a leading plus', '+1', 'M_NOT_JSON'],
    ['a bare decimal point', '1.', 'M_NOT_JSON'],
    ['an empty exponent', '1e', 'M_NOT_JSON'],
    ['a byte order mark', '\ufeff{}', 'M_NOT_JSON'],
    ['a comment', '{} // no', 'M_NOT_JSON'],
    ['a bad literal', 'nul', 'M_NOT_JSON'],
    ['a duplicate key', '{"a":1,"a":1}', 'M_BAD_JSON'],
    ['a nested duplicate key', '{"x":[{"b":1,"c":2,"b":3}]}', 'M_BAD_JSON'],
    ['a float', '1.5', 'M_BAD_JSON'],
    ['a float that a double rounds to an integer', '1.0000000000000001', 'M_BAD_JSON'],
    ['a negative exponent', '12e-1', 'M_BAD_JSON'],
    ['2^53', '9007199254740992', 'M_BAD_JSON'],
    ['-(2^53)', '-9007199254740992', 'M_BAD_JSON'],
    ['2^53+1 (rounds to 2^53)', '9007199254740993', 'M_BAD_JSON'],
    ['a huge exponent', '1e400', 'M_BAD_JSON'],
    ['NaN', 'NaN', 'M_BAD_JSON'],
    ['Infinity', '[Infinity]', 'M_BAD_JSON'],
    ['-Infinity', '-Infinity', 'M_BAD_JSON'],
    ['an escaped lone high surrogate', '"\\ud83d"', 'M_BAD_JSON'],
    ['an escaped lone low surrogate', '"\\ude00"', 'M_BAD_JSON'],
    ['a high surrogate followed by a non-surrogate escape', '"\\ud83d\\u0041"', 'M_BAD_JSON'],
    ['a raw lone surrogate in string input', '"\ud800"', 'M_BAD_JSON'],
    ['invalid UTF-8', new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 'M_BAD_JSON'],
    ['an overlong UTF-8 encoding', new Uint8Array([0x22, 0xc0, 0xaf, 0x22]), 'M_BAD_JSON'],
    ['UTF-8 encoded surrogate', new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), 'M_BAD_JSON'],
  ])('%s', (_name, input, code) => {
    expect(codeOf(() => parseJsonStrict(input))).toBe(code);
  });

  it('rejects every object with a duplicated key (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.integer({ min: -1000, max: 1000 }), { minKeys: 1, maxKeys: 6 }),
        fc.nat(),
        fc.integer({ min: -1000, max: 1000 }),
        (obj, pick, dupValue) => {
          const keys = Object.keys(obj);
          const dupKey = keys[pick % keys.length] as string;
          const members = keys.map((k) => `${JSON.stringify(k)}:${obj[k]}`);
          members.splice(pick % (members.length + 1), 0, `${JSON.stringify(dupKey)}:${dupValue}`);
          expect(codeOf(() => parseJsonStrict(`{${members.join(',')}}`))).toBe('M_BAD_JSON');
        },
      ),
    );
  });
});
