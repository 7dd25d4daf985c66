import { signingKeyFromSeed } from '@parley/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseXMatrix, signXMatrix, verifyXMatrix } from './x-matrix.js';

const key = signingKeyFromSeed(new Uint8Array(32).fill(1), 'k1');
const other = signingKeyFromSeed(new Uint8Array(32).fill(2), 'k1');

describe('X-Matrix', () => {
  const req = {
    method: 'PUT',
    uri: '/_matrix/federation/v1/send/1?x=%24',
    origin: 'a.example:8448',
    destination: 'b.example:8448',
    content: { pdus: [], n: 1 },
  };

  it('signs and verifies a request; any change to it breaks the signature', () => {
    const auth = parseXMatrix(signXMatrix(req, key));
    expect(auth).toMatchObject({
      origin: 'a.example:8448',
      destination: 'b.example:8448',
      key: 'ed25519:k1',
    });
    if (auth === undefined) throw new Error('unparsed');
    expect(verifyXMatrix(req, auth, key.publicKey)).toBe(true);
    expect(verifyXMatrix(req, auth, other.publicKey)).toBe(false);
    expect(verifyXMatrix({ ...req, method: 'POST' }, auth, key.publicKey)).toBe(false);
    expect(verifyXMatrix({ ...req, uri: '/_matrix/federation/v1/send/2' }, auth, key.publicKey)).toBe(false);
    expect(verifyXMatrix({ ...req, destination: 'c.example' }, auth, key.publicKey)).toBe(false);
    expect(verifyXMatrix({ ...req, content: { pdus: [], n: 2 } }, auth, key.publicKey)).toBe(false);
    const { content: _c, ...noBody } = req;
    expect(verifyXMatrix(noBody, auth, key.publicKey)).toBe(false);
  });

  it('parses quoted and unquoted parameters, any case and spacing', () => {
    expect(parseXMatrix('X-Matrix origin=a.example,key="ed25519:1",sig="abc"')).toEqual({
      origin: 'a.example',
      destination: undefined,
      key: 'ed25519:1',
      sig: 'abc',
    });
    expect(parseXMatrix('x-matrix  Origin="a" , KEY="ed25519:1",  sig=abc , destination="b\\"c"')).toEqual({
      origin: 'a',
      destination: 'b"c',
      key: 'ed25519:1',
      sig: 'abc',
    });
  });

  it('refuses headers that are not X-Matrix or lack a part', () => {
    for (const h of [
      undefined,
      '',
      'Bearer abc',
      'X-Matrix',
      'X-Matrix origin="a",key="ed25519:1"',
      'X-Matrix origin="a",sig="s"',
      'X-Matrix origin="a",key="k",sig="s" trailing',
      'X-Matrix origin="a,key="k",sig="s"',
      `X-Matrix origin="${'a'.repeat(5000)}",key="k",sig="s"`,
    ]) {
      expect(parseXMatrix(h), String(h).slice(0, 40)).toBeUndefined();
    }
  });

  it('round-trips any origin, destination and key id through the header (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.:_\-[\]"\\ ]{1,60}$/);
    fc.assert(
      fc.property(token, token, fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/), (origin, destination, version) => {
        const k = signingKeyFromSeed(new Uint8Array(32).fill(3), version);
        const r = { method: 'GET', uri: '/x', origin, destination };
        const auth = parseXMatrix(signXMatrix(r, k));
        expect(auth?.origin).toBe(origin);
        expect(auth?.destination).toBe(destination);
        expect(auth?.key).toBe(k.keyId);
        expect(auth !== undefined && verifyXMatrix(r, auth, k.publicKey)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
