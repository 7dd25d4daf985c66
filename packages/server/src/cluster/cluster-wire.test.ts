import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BusNotice,
  ClusterKeys,
  decodeBusMessage,
  encodeNotice,
  encodeRtmsg,
  slotOf,
} from './cluster-wire.js';

const handle = fc
  .uint8Array({ minLength: 8, maxLength: 8 })
  .map((b) => Buffer.from(b).toString('hex'))
  .filter((h) => h !== '0000000000000000');
const id = fc.integer({ min: 1, max: 0xffffffff });
const str = fc.string({ minLength: 1, maxLength: 40 });
const o = fc.string({ minLength: 1, maxLength: 20 });

const notice: fc.Arbitrary<BusNotice> = fc.oneof(
  fc.record({ t: fc.constant('hello' as const), o }),
  fc.record({ t: fc.constant('bye' as const), o }),
  fc.record({
    t: fc.constant('conn' as const),
    o,
    q: fc.nat(),
    c: id,
    u: handle,
    p: fc.integer({ min: 0, max: 127 }),
    i: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ t: fc.constant('gone' as const), o, q: fc.nat(), c: id }),
  fc.record({
    t: fc.constant('call' as const),
    o,
    q: fc.nat(),
    c: id,
    r: handle,
    s: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.record({ t: fc.constant('event' as const), o, n: fc.nat() }),
  fc.record({
    t: fc.constant('typing' as const),
    o,
    room: str,
    user: str,
    typing: fc.boolean(),
    expiresAt: fc.nat(),
  }),
  fc.record({
    t: fc.constant('to_device' as const),
    o,
    n: fc.nat(),
    p: fc.nat(),
    d: fc.array(fc.tuple(str, str)),
  }),
  fc.record({ t: fc.constant('contact' as const), o, a: str, b: str }),
  fc.record({ t: fc.constant('logout' as const), o, u: str, d: str }),
);

describe('cluster wire format', () => {
  it('round-trips every notice', () => {
    fc.assert(
      fc.property(notice, (n) => {
        expect(decodeBusMessage(encodeNotice(n))).toEqual({ kind: 'notice', notice: n });
      }),
    );
  });

  it('round-trips forwarded RTMSG, payload and addressing included', () => {
    fc.assert(
      fc.property(
        handle,
        handle,
        id,
        fc.oneof(fc.constant('0000000000000000'), handle),
        fc.oneof(fc.constant(0), id),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 300 }),
        (room, senderUser, senderClient, receiverUser, receiverClient, msgtype, data) => {
          const m = { room, senderUser, senderClient, receiverUser, receiverClient, msgtype, data };
          const d = decodeBusMessage(encodeRtmsg(m));
          expect(d?.kind).toBe('rtmsg');
          if (d?.kind !== 'rtmsg') return;
          expect({ ...d.rtmsg, data: Uint8Array.from(d.rtmsg.data) }).toEqual(m);
        },
      ),
    );
  });

  it('drops malformed messages instead of throwing', () => {
    const bad = [
      Buffer.alloc(0),
      Buffer.from([9, 1, 2]),
      Buffer.from([1, 2, 3]), // an RTMSG shorter than its header
      Buffer.concat([Buffer.from([2]), Buffer.from('{not json')]),
      encodeNotice({ t: 'conn', o: 'x', q: 1, c: 0, u: 'ab', p: 1, i: 0 } as unknown as BusNotice),
      encodeNotice({ t: 'gone', o: '', q: 1, c: 5 }),
      encodeNotice({ t: 'nope', o: 'x' } as unknown as BusNotice),
      Buffer.concat([Buffer.from([2]), Buffer.from('null')]),
    ];
    for (const b of bad) expect(decodeBusMessage(b)).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const d = decodeBusMessage(Buffer.from(b));
        expect(d === undefined || d.kind === 'rtmsg' || d.kind === 'notice').toBe(true);
      }),
    );
  });

  it('names keys and channels under the prefix, with the slot first in an origin', () => {
    const k = new ClusterKeys('p:');
    expect([k.bus, k.rtmsg('3.ab'), k.slot(3), k.conns('3.ab'), k.instances, k.slotSequence]).toEqual([
      'p:bus',
      'p:rt:3.ab',
      'p:slot:3',
      'p:conns:3.ab',
      'p:instances',
      'p:slot-seq',
    ]);
    expect(slotOf('1023.ffee')).toBe(1023);
  });
});
