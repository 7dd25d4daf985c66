import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import type { JsonObject, JsonValue } from './json.js';
import { EVENT_LIMITS, validatePdu } from './pdu.js';

const ID = (c: string) => `$${c.repeat(43)}`;

function valid(): JsonObject {
  return {
    auth_events: [ID('A'), ID('B')],
    content: { body: 'hi' },
    depth: 3,
    hashes: { sha256: 'abc' },
    origin_server_ts: 1_700_000_000_000,
    prev_events: [ID('C')],
    room_id: '!room:example.org',
    sender: '@alice:example.org',
    signatures: { 'example.org': { 'ed25519:1': 'sig' } },
    type: 'm.room.message',
  };
}

function codeOf(value: JsonValue): string | undefined {
  try {
    validatePdu(value);
  } catch (e) {
    return isParleyError(e) ? e.code : `non-Parley: ${String(e)}`;
  }
  return undefined;
}

/** An event whose canonical JSON is exactly `bytes` long. */
function eventOfSize(bytes: number): JsonObject {
  const ev = valid();
  ev.content = { body: '' };
  const pad = bytes - canonicalJson(ev).length;
  ev.content = { body: 'x'.repeat(pad) };
  return ev;
}

describe('validatePdu', () => {
  it('returns a valid event as it is', () => {
    const ev = valid();
    expect(validatePdu(ev)).toBe(ev);
    expect(validatePdu({ ...ev, state_key: '', unsigned: { age: 1 } })).toBeDefined();
  });

  it('accepts exactly 65,536 bytes and rejects 65,537 with M_TOO_LARGE (413)', () => {
    expect(canonicalJson(eventOfSize(EVENT_LIMITS.maxBytes)).length).toBe(65536);
    expect(codeOf(eventOfSize(EVENT_LIMITS.maxBytes))).toBeUndefined();
    expect(codeOf(eventOfSize(EVENT_LIMITS.maxBytes + 1))).toBe('M_TOO_LARGE');
    try {
      validatePdu(eventOfSize(70_000));
    } catch (e) {
      expect(isParleyError(e) && e.httpStatus).toBe(413);
    }
  });

  it('counts bytes of UTF-8, not UTF-16 units', () => {
    const ev = eventOfSize(EVENT_LIMITS.maxBytes - 100);
    // 50 three-byte characters: 100 more UTF-16 units would fit, 150 more bytes do not.
    (ev.content as JsonObject).more = '日'.repeat(50);
    expect(codeOf(ev)).toBe('M_TOO_LARGE');
  });

  it('counts signatures and unsigned toward the size', () => {
    const ev = eventOfSize(EVENT_LIMITS.maxBytes - 5);
    expect(codeOf(ev)).toBeUndefined();
    expect(codeOf({ ...ev, unsigned: { age: 1 } })).toBe('M_TOO_LARGE');
  });

  it('accepts 20 prev_events and 10 auth_events, rejects 21 and 11', () => {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUV';
    const ids = (n: number) => [...letters.slice(0, n)].map(ID);
    expect(codeOf({ ...valid(), prev_events: ids(20), auth_events: ids(10) })).toBeUndefined();
    expect(codeOf({ ...valid(), prev_events: ids(21) })).toBe('M_BAD_JSON');
    expect(codeOf({ ...valid(), auth_events: ids(11) })).toBe('M_BAD_JSON');
  });

  it.each<[string, (ev: JsonObject) => JsonValue]>([
    ['not an object', () => [1]],
    ['null', () => null],
    ['missing type', ({ type, ...ev }) => ev],
    ['empty type', (ev) => ({ ...ev, type: '' })],
    ['a type over 255 bytes', (ev) => ({ ...ev, type: 'x'.repeat(256) })],
    ['a numeric type', (ev) => ({ ...ev, type: 1 })],
    ['missing room_id', ({ room_id, ...ev }) => ev],
    ['a room_id without sigil', (ev) => ({ ...ev, room_id: 'room:example.org' })],
    ['a room_id without domain', (ev) => ({ ...ev, room_id: '!room' })],
    ['missing sender', ({ sender, ...ev }) => ev],
    ['a sender without domain', (ev) => ({ ...ev, sender: '@alice:' })],
    ['a sender over 255 bytes', (ev) => ({ ...ev, sender: `@${'a'.repeat(250)}:example.org` })],
    ['a numeric state_key', (ev) => ({ ...ev, state_key: 1 })],
    ['a state_key over 255 bytes', (ev) => ({ ...ev, state_key: 'k'.repeat(256) })],
    ['content that is an array', (ev) => ({ ...ev, content: [] })],
    ['missing content', ({ content, ...ev }) => ev],
    ['a float depth', (ev) => ({ ...ev, depth: 1.5 })],
    ['a negative depth', (ev) => ({ ...ev, depth: -1 })],
    ['a string depth', (ev) => ({ ...ev, depth: '3' })],
    ['a missing origin_server_ts', ({ origin_server_ts, ...ev }) => ev],
    ['prev_events not an array', (ev) => ({ ...ev, prev_events: ID('A') })],
    ['a malformed prev event id', (ev) => ({ ...ev, prev_events: ['$short'] })],
    ['a v1-style auth event id', (ev) => ({ ...ev, auth_events: ['$abc:example.org'] })],
    ['missing hashes', ({ hashes, ...ev }) => ev],
    ['hashes without sha256', (ev) => ({ ...ev, hashes: {} })],
    ['missing signatures', ({ signatures, ...ev }) => ev],
    ['signatures with a non-string signature', (ev) => ({ ...ev, signatures: { s: { k: 1 } } })],
    ['signatures that are not nested objects', (ev) => ({ ...ev, signatures: { s: 'x' } })],
    ['unsigned that is not an object', (ev) => ({ ...ev, unsigned: 5 })],
    ['a float in content', (ev) => ({ ...ev, content: { n: 0.5 } })],
    ['an integer beyond 2^53 in content', (ev) => ({ ...ev, content: { n: 2 ** 53 } })],
  ])('rejects %s with M_BAD_JSON', (_name, make) => {
    expect(codeOf(make(valid()))).toBe('M_BAD_JSON');
  });
});
