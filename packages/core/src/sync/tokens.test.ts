import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { SeededRandom } from '../testing/seeded-random.js';
import { canonicalKey } from './params.js';
import { formatPageToken, formatSince, newSessionId, parsePageToken, parseSince } from './tokens.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (isParleyError(e)) return e.code;
    throw e;
  }
};

describe('since tokens', () => {
  it('round-trip and differ per session', () => {
    const r = new SeededRandom(9);
    const a = newSessionId(r);
    const b = newSessionId(r);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    const t = { sessionId: a, seq: 12, position: 3456 };
    expect(parseSince(formatSince(t))).toEqual(t);
  });

  it('reject anything else as M_UNKNOWN_SYNC_SESSION, never with another error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const code = codeOf(() => parseSince(s));
        if (!/^s1_[0-9a-f]{32}_\d{1,15}_\d{1,15}$/.test(s)) expect(code).toBe('M_UNKNOWN_SYNC_SESSION');
      }),
    );
  });
});

describe('page tokens', () => {
  it('round-trip any snapshot, sort, room and cursor (property)', () => {
    const cursor = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer()), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.constantFrom('room_list' as const, 'room_members' as const),
        fc.string(),
        fc.option(fc.string({ unit: 'grapheme' }), { nil: undefined }),
        fc.nat(),
        cursor,
        (stream, sort, roomId, snapshot, c) => {
          const t = { stream, sort, ...(roomId === undefined ? {} : { roomId }), snapshot, cursor: c };
          const text = formatPageToken(t);
          expect(text).toMatch(/^p1_[A-Za-z0-9_-]*$/);
          expect(parsePageToken(text)).toEqual(t);
        },
      ),
    );
  });

  it('rejects malformed tokens with M_INVALID_PARAM (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const code = codeOf(() => parsePageToken(`p1_${s}`));
        expect(code === undefined || code === 'M_INVALID_PARAM').toBe(true);
      }),
    );
    expect(codeOf(() => parsePageToken('1'))).toBe('M_INVALID_PARAM');
    const wrong = formatPageToken({ stream: 'room_list', sort: 'x', snapshot: 1, cursor: [] }).replace(
      'p1_',
      'p1_A',
    );
    expect(codeOf(() => parsePageToken(wrong))).toBe('M_INVALID_PARAM');
  });
});

describe('canonicalKey', () => {
  it('ignores key order and undefined fields, and tells different bodies apart (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string().filter((k) => !k.startsWith('\u0000')),
          fc.jsonValue(),
        ),
        (obj) => {
          const reversed = Object.fromEntries(Object.entries(obj).reverse());
          expect(canonicalKey(reversed)).toBe(canonicalKey(obj));
          expect(canonicalKey({ ...obj, '\u0000gone': undefined })).toBe(canonicalKey(obj));
          expect(canonicalKey({ ...obj, '\u0000new': 1 })).not.toBe(canonicalKey(obj));
        },
      ),
    );
  });
});
