import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../testing/seeded-random.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { checkContentHash, computeContentHash } from './hashing.js';
import type { JsonObject, JsonValue } from './json.js';
import type { PDU, UnsignedPDU } from './pdu.js';
import { redactEvent } from './redaction.js';
import {
  generateSigningKey,
  signEvent,
  signingKeyFromSeed,
  signJson,
  verifyEventSignature,
  verifyJsonSignature,
} from './signing.js';

// Appendix "Cryptographic Test Vectors": the seed, server name and key id of every vector.
const SEED = decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1');
const SERVER = 'domain';
const KEY = signingKeyFromSeed(SEED, '1');

describe('Signing JSON: the spec test vectors, byte for byte', () => {
  it('uses key id ed25519:1', () => {
    expect(KEY.keyId).toBe('ed25519:1');
  });

  it('signs the empty object', () => {
    expect(signJson({}, SERVER, KEY)).toEqual({
      signatures: {
        domain: {
          'ed25519:1':
            'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ',
        },
      },
    });
  });

  it('signs an object with data values', () => {
    expect(signJson({ one: 1, two: 'Two' }, SERVER, KEY)).toEqual({
      one: 1,
      signatures: {
        domain: {
          'ed25519:1':
            'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
        },
      },
      two: 'Two',
    });
  });

  it('verifies the spec signatures and refuses a tampered object', () => {
    const signed = {
      one: 1,
      signatures: {
        domain: {
          'ed25519:1':
            'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw',
        },
      },
      two: 'Two',
    };
    expect(verifyJsonSignature(signed, SERVER, KEY.keyId, KEY.publicKey)).toBe(true);
    expect(verifyJsonSignature({ ...signed, unsigned: { age: 5 } }, SERVER, KEY.keyId, KEY.publicKey)).toBe(
      true,
    );
    expect(verifyJsonSignature({ ...signed, two: 'Three' }, SERVER, KEY.keyId, KEY.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'other', KEY.keyId, KEY.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, SERVER, 'ed25519:2', KEY.publicKey)).toBe(false);
  });
});

/**
 * The spec's event vectors predate room version 11: they were made with the original redaction
 * algorithm, which protected the top-level `origin` key (v11 no longer does). This applies that
 * older algorithm for these two events (neither has other keys v11 treats differently).
 */
function redactPreV11(event: JsonObject): JsonObject {
  const redacted = redactEvent(event);
  return event.origin === undefined ? redacted : { ...redacted, origin: event.origin };
}

const EVENT_MINIMAL_IN: JsonObject = {
  room_id: '!x:domain',
  sender: '@a:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  signatures: {},
  hashes: {},
  type: 'X',
  content: {},
  prev_events: [],
  auth_events: [],
  depth: 3,
  unsigned: { age_ts: 1000000 },
};
const EVENT_MINIMAL_OUT: JsonObject = {
  auth_events: [],
  content: {},
  depth: 3,
  hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' },
  origin: 'domain',
  origin_server_ts: 1000000,
  prev_events: [],
  room_id: '!x:domain',
  sender: '@a:domain',
  signatures: {
    domain: {
      'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg',
    },
  },
  type: 'X',
  unsigned: { age_ts: 1000000 },
};
const EVENT_REDACTABLE_IN: JsonObject = {
  content: { body: 'Here is the message content' },
  event_id: '$0:domain',
  origin: 'domain',
  origin_server_ts: 1000000,
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  signatures: {},
  unsigned: { age_ts: 1000000 },
};
const EVENT_REDACTABLE_OUT: JsonObject = {
  content: { body: 'Here is the message content' },
  event_id: '$0:domain',
  hashes: { sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' },
  origin: 'domain',
  origin_server_ts: 1000000,
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  signatures: {
    domain: {
      'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA',
    },
  },
  unsigned: { age_ts: 1000000 },
};

describe('Signing events: the spec test vectors', () => {
  it.each([
    ['the minimal event', EVENT_MINIMAL_IN, EVENT_MINIMAL_OUT],
    ['the event with redactable content', EVENT_REDACTABLE_IN, EVENT_REDACTABLE_OUT],
  ])('%s: content hash byte for byte', (_name, input, output) => {
    expect(computeContentHash(input)).toBe((output.hashes as JsonObject).sha256);
    expect(checkContentHash(output as unknown as PDU)).toBe(true);
    // signEvent adds the same hash and keeps everything else (including unsigned).
    const signed = signEvent(input as unknown as UnsignedPDU, SERVER, KEY);
    expect(signed.hashes).toEqual(output.hashes);
    expect({ ...signed, signatures: {} }).toEqual({ ...output, signatures: {} });
  });

  it.each([
    ['the minimal event', EVENT_MINIMAL_IN, EVENT_MINIMAL_OUT],
    ['the event with redactable content', EVENT_REDACTABLE_IN, EVENT_REDACTABLE_OUT],
  ])('%s: signature byte for byte over the (pre-v11) redacted event', (_name, input, output) => {
    const hashed = { ...input, hashes: { sha256: computeContentHash(input) } };
    const signed = signJson(redactPreV11(hashed), SERVER, KEY);
    expect(signed.signatures).toEqual(output.signatures);
    expect(verifyJsonSignature(redactPreV11(output), SERVER, KEY.keyId, KEY.publicKey)).toBe(true);
  });

  it('room v11 redaction drops origin, so a v11 check of the old vectors fails as it must', () => {
    const event = EVENT_MINIMAL_OUT as unknown as PDU;
    expect(verifyEventSignature(event, SERVER, KEY.keyId, KEY.publicKey)).toBe(false);
    // Re-signed under v11 rules, the same event verifies.
    const resigned = signEvent(EVENT_MINIMAL_IN as unknown as UnsignedPDU, SERVER, KEY);
    expect(verifyEventSignature(resigned, SERVER, KEY.keyId, KEY.publicKey)).toBe(true);
  });
});

describe('signing keys', () => {
  it('derives the same key from the same seed, and a key from random bytes', () => {
    const a = generateSigningKey(new SeededRandom(7), 'a_1');
    const b = signingKeyFromSeed(new SeededRandom(7).bytes(32), 'a_1');
    expect(a.keyId).toBe('ed25519:a_1');
    expect(encodeBase64(a.publicKey)).toBe(encodeBase64(b.publicKey));
    expect(a.publicKey).toHaveLength(32);
  });

  it.each([
    ['a short seed', new Uint8Array(31), '1'],
    ['an empty version', new Uint8Array(32), ''],
    ['a version with a colon', new Uint8Array(32), 'a:b'],
  ])('rejects %s with M_INVALID_PARAM', (_n, seed, version) => {
    expect(() => signingKeyFromSeed(seed, version)).toThrow(
      expect.objectContaining({ code: 'M_INVALID_PARAM' }),
    );
  });

  it('adds to existing signatures without mutating the input', () => {
    const other = signingKeyFromSeed(new Uint8Array(32).fill(9), '2');
    const once = signJson({ a: 1 }, SERVER, KEY);
    const frozen = structuredClone(once);
    const twice = signJson(once, 'other.example', other);
    expect(once).toEqual(frozen);
    expect(verifyJsonSignature(twice, SERVER, KEY.keyId, KEY.publicKey)).toBe(true);
    expect(verifyJsonSignature(twice, 'other.example', other.keyId, other.publicKey)).toBe(true);
  });

  it('treats malformed signatures as unverified, never throwing', () => {
    for (const sig of ['', 'not base64!', 'AAAA', 42, null] as JsonValue[]) {
      const obj: JsonObject = { a: 1, signatures: { domain: { 'ed25519:1': sig } } };
      expect(verifyJsonSignature(obj, SERVER, KEY.keyId, KEY.publicKey)).toBe(false);
    }
    expect(verifyJsonSignature({ a: 1.5 }, SERVER, KEY.keyId, KEY.publicKey)).toBe(false);
    expect(verifyJsonSignature(signJson({ a: 1 }, SERVER, KEY), SERVER, KEY.keyId, new Uint8Array(3))).toBe(
      false,
    );
  });
});

const eventArb: fc.Arbitrary<UnsignedPDU> = fc.record({
  auth_events: fc.constant(['$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']),
  content: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer({ min: -1000, max: 1000 })), {
    minKeys: 1,
    maxKeys: 4,
  }),
  depth: fc.integer({ min: 1, max: 1_000_000 }),
  origin_server_ts: fc.integer({ min: 0, max: 2 ** 45 }),
  prev_events: fc.constant(['$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB']),
  room_id: fc.constant('!room:domain'),
  sender: fc.constant('@u:domain'),
  type: fc.constantFrom('m.room.message', 'm.room.topic', 'x.custom'),
});

describe('signed events (property)', () => {
  it('verify, and any single-field change breaks the signature or the content hash', () => {
    fc.assert(
      fc.property(eventArb, fc.nat(), fc.string({ minLength: 1 }), (unsigned, pick, junk) => {
        const event = signEvent(unsigned, SERVER, KEY);
        expect(verifyEventSignature(event, SERVER, KEY.keyId, KEY.publicKey)).toBe(true);
        expect(checkContentHash(event)).toBe(true);

        const fields = Object.keys(event).filter((k) => k !== 'signatures');
        const field = fields[pick % fields.length] as string;
        const changed = { ...event, [field]: mutate(event[field] as JsonValue, junk) } as PDU;
        const intact =
          verifyEventSignature(changed, SERVER, KEY.keyId, KEY.publicKey) && checkContentHash(changed);
        expect(intact).toBe(false);
      }),
    );
  });
});

/** A different value of the same JSON kind. */
function mutate(value: JsonValue, junk: string): JsonValue {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}${junk}`;
  if (Array.isArray(value)) return [...value, '$CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC'];
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return { [junk]: 1 };
    const first = keys[0] as string;
    return { ...value, [first]: mutate(value[first] as JsonValue, junk) };
  }
  return junk;
}
