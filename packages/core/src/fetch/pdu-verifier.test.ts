import { describe, expect, it } from 'vitest';
import {
  computeEventId,
  type PDU,
  signEvent,
  signingKeyFromSeed,
  type UnsignedPDU,
} from '../events/index.js';
import { createPduVerifier } from './pdu-verifier.js';

const ROOM = '!room:a.org';
const key = signingKeyFromSeed(new Uint8Array(32).fill(7), 'k1');
const other = signingKeyFromSeed(new Uint8Array(32).fill(9), 'k1');
const verifier = createPduVerifier((server, keyId) =>
  server === 'a.org' && keyId === key.keyId ? key.publicKey : undefined,
);

function event(content: Record<string, string> = { body: 'hello', msgtype: 'm.text' }): PDU {
  const unsigned: UnsignedPDU = {
    auth_events: [],
    content,
    depth: 3,
    origin_server_ts: 1_700_000_000_000,
    prev_events: [],
    room_id: ROOM,
    sender: '@alice:a.org',
    type: 'm.room.message',
  };
  return signEvent(unsigned, 'a.org', key);
}

describe('createPduVerifier', () => {
  it('accepts a real signed event and returns its id', () => {
    const pdu = event();
    const r = verifier.verify(computeEventId(pdu), ROOM, pdu);
    expect(r).toEqual({ ok: true, eventId: computeEventId(pdu), pdu });
  });

  it('names each way an answer can be wrong', () => {
    const pdu = event();
    const id = computeEventId(pdu);
    const kind = (expected: string | null, room: string, json: unknown) => {
      const r = verifier.verify(expected, room, json);
      return r.ok ? 'ok' : r.kind;
    };
    expect(kind(id, ROOM, { ...pdu, content: { body: 'altered', msgtype: 'm.text' } })).toBe('forged');
    expect(kind(id, ROOM, event({ body: 'another' }))).toBe('wrong_event');
    expect(kind(id, '!elsewhere:a.org', pdu)).toBe('wrong_room');
    expect(
      kind(id, ROOM, signEvent({ ...pdu, signatures: undefined } as unknown as UnsignedPDU, 'a.org', other)),
    ).toBe('bad_signature');
    expect(kind(id, ROOM, { ...pdu, signatures: { 'a.org': { 'ed25519:k2': 'AAAA' } } })).toBe('unknown_key');
    expect(kind(id, ROOM, { ...pdu, signatures: {} })).toBe('bad_signature');
    expect(kind(id, ROOM, { ...pdu, content: { body: 'x'.repeat(70_000) } })).toBe('too_large');
    expect(kind(id, ROOM, { ...pdu, depth: 'deep' })).toBe('malformed');
    expect(kind(id, ROOM, 'not an event')).toBe('malformed');
  });

  it('recognises a redacted copy and hands back the redacted event', () => {
    const pdu = event();
    const r = verifier.verify(computeEventId(pdu), ROOM, { ...pdu, content: {} });
    expect(r.ok).toBe(false);
    if (!r.ok && r.kind === 'hash_mismatch') expect(r.redacted.content).toEqual({});
    else throw new Error(`expected hash_mismatch, got ${JSON.stringify(r)}`);
  });
});
