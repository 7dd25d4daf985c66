import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { decodeBase64, encodeBase64, encodeBase64Url } from './base64.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('base64', () => {
  // The appendix "Unpadded Base64" examples.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('UNPADDED_BASE64(%j) = %j', (plain, encoded) => {
    expect(encodeBase64(text(plain))).toBe(encoded);
    expect(decodeBase64(encoded)).toEqual(text(plain));
  });

  it('uses - and _ in the URL-safe alphabet', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).toBe('+/+/');
    expect(encodeBase64Url(bytes)).toBe('-_-_');
  });

  it('decodes padded, unpadded, standard and URL-safe text alike', () => {
    const bytes = new Uint8Array([0xfb, 0xff]);
    for (const t of ['+/8', '+/8=', '-_8', '-_8=']) expect(decodeBase64(t)).toEqual(bytes);
  });

  it('ignores set bits after the last byte (the spec test seed has them)', () => {
    expect(decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')).toHaveLength(32);
  });

  it.each(['a', 'Zm9v!', 'Zg=', '=Zg', 'Z=g=', 'Zm9v====', '====', 'Zm 9v', 'Zé'])(
    'rejects %j with M_BAD_JSON',
    (bad) => {
      let code: string | undefined;
      try {
        decodeBase64(bad);
      } catch (e) {
        code = isParleyError(e) ? e.code : 'other';
      }
      expect(code).toBe('M_BAD_JSON');
    },
  );

  it('round-trips any bytes in both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
        expect(decodeBase64(encodeBase64Url(bytes))).toEqual(bytes);
        expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64').replace(/=+$/, ''));
      }),
    );
  });
});
