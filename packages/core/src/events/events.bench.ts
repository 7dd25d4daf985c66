// Throughput of the per-event work a server does: `npx vitest bench --run --project core
// packages/core/src/events`. JSON.parse / JSON.stringify are the baselines a server would
// otherwise use (they give neither the strictness nor the canonical form).
import { bench, describe } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { computeEventId } from './hashing.js';
import { parseJsonStrict } from './parse-json.js';
import { validatePdu } from './pdu.js';
import { signEvent, signingKeyFromSeed, verifyEventSignature } from './signing.js';
import { ALICE, baseRoom } from './test-room.js';

const KEY = signingKeyFromSeed(new Uint8Array(32).fill(1), '1');
const room = baseRoom();
const { event } = room.build({
  type: 'm.room.message',
  sender: ALICE,
  content: {
    msgtype: 'm.text',
    body: 'Hello, this is a fairly typical chat message of some length. 日本語 😀',
  },
});
const text = JSON.stringify(event);
const big = JSON.stringify({ ...event, content: { body: 'x'.repeat(60_000) } });
const { hashes, signatures, ...unsigned } = event;

describe('parse a ~700-byte event', () => {
  bench('JSON.parse', () => {
    JSON.parse(text);
  });
  bench('parseJsonStrict', () => {
    parseJsonStrict(text);
  });
});

describe('parse a 60 KB event', () => {
  bench('JSON.parse', () => {
    JSON.parse(big);
  });
  bench('parseJsonStrict', () => {
    parseJsonStrict(big);
  });
});

describe('serialise a ~700-byte event', () => {
  bench('JSON.stringify', () => {
    JSON.stringify(event);
  });
  bench('canonicalJson', () => {
    canonicalJson(event);
  });
});

describe('per-event crypto', () => {
  bench('validatePdu', () => {
    validatePdu(event as never);
  });
  bench('computeEventId', () => {
    computeEventId(event);
  });
  bench('signEvent (hash + ed25519 sign)', () => {
    signEvent(unsigned, 'a.org', KEY);
  });
  bench('verifyEventSignature (ed25519 verify)', () => {
    verifyEventSignature(event, 'a.org', KEY.keyId, KEY.publicKey);
  });
  bench('buildEvent (select auth, hash, sign, id, validate)', () => {
    room.build({ type: 'm.room.message', sender: ALICE, content: { body: 'hi' } });
  });
});

void hashes;
void signatures;
