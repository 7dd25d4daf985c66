import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { buildEvent } from './build-event.js';
import { checkContentHash, computeEventId } from './hashing.js';
import type { JsonValue } from './json.js';
import { validatePdu } from './pdu.js';
import { signingKeyFromSeed, verifyEventSignature } from './signing.js';
import { ALICE, baseRoom } from './test-room.js';

const KEY = signingKeyFromSeed(new Uint8Array(32).fill(5), 'k1');
const ID = (c: string) => `$${c.repeat(43)}`;

describe('buildEvent', () => {
  const room = baseRoom();
  const ctx = {
    state: room.state,
    prevEvents: [
      { eventId: ID('A'), depth: 7 },
      { eventId: ID('B'), depth: 9 },
    ],
    originServerTs: 1234,
    origin: 'a.org',
    key: KEY,
  };
  const proto = { type: 'm.room.message', sender: ALICE, room_id: room.roomId, content: { body: 'hi' } };

  it('fills depth, prev_events, auth_events, hash and signature, and returns the id', () => {
    const { event, eventId } = buildEvent(proto, ctx);
    expect(event.depth).toBe(10);
    expect(event.prev_events).toEqual([ID('A'), ID('B')]);
    expect(event.auth_events).toHaveLength(3);
    expect(event.origin_server_ts).toBe(1234);
    expect(event.state_key).toBeUndefined();
    expect('state_key' in event).toBe(false);
    expect(checkContentHash(event)).toBe(true);
    expect(verifyEventSignature(event, 'a.org', 'ed25519:k1', KEY.publicKey)).toBe(true);
    expect(eventId).toBe(computeEventId(event));
    expect(validatePdu(structuredClone(event) as unknown as JsonValue)).toEqual(event);
  });

  it('gives a room first event depth 1 and keeps an empty state_key', () => {
    const { event } = buildEvent({ ...proto, type: 'x.s', state_key: '' }, { ...ctx, prevEvents: [] });
    expect(event.depth).toBe(1);
    expect(event.state_key).toBe('');
  });

  it.each<[string, () => unknown, string]>([
    [
      'more than 20 prev events',
      () =>
        buildEvent(proto, {
          ...ctx,
          prevEvents: Array.from(
            { length: 21 },
            () => ctx.prevEvents[0] as { eventId: string; depth: number },
          ),
        }),
      'M_BAD_JSON',
    ],
    [
      'a negative prev depth',
      () => buildEvent(proto, { ...ctx, prevEvents: [{ eventId: ID('A'), depth: -1 }] }),
      'M_BAD_JSON',
    ],
    [
      'a malformed prev event id',
      () => buildEvent(proto, { ...ctx, prevEvents: [{ eventId: '$x', depth: 1 }] }),
      'M_BAD_JSON',
    ],
    ['a float in content', () => buildEvent({ ...proto, content: { n: 1.5 } }, ctx), 'M_BAD_JSON'],
    [
      'content over 64 KiB',
      () => buildEvent({ ...proto, content: { body: 'x'.repeat(65_536) } }, ctx),
      'M_TOO_LARGE',
    ],
  ])('refuses %s', (_what, run, code) => {
    let got: string | undefined;
    try {
      run();
    } catch (e) {
      got = isParleyError(e) ? e.code : String(e);
    }
    expect(got).toBe(code);
  });
});
