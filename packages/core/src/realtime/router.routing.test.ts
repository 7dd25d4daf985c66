import { describe, expect, it } from 'vitest';
import { ClientIds } from './client-ids.js';
import type { ClientRtmsg } from './commands.js';
import { ZERO_HANDLE } from './handle.js';
import {
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
  RejectCode,
} from './opcodes.js';
import { h, RouterHarness } from './router-harness.js';

const ROOM = h(100);
const OTHER_ROOM = h(200);
const [A, B, C] = [h(1), h(2), h(3)];

function rtmsg(receiverUser: string, receiverClient: number, text: string, room = ROOM): ClientRtmsg {
  return {
    op: OP_RTMSG,
    room,
    receiverUser,
    receiverClient,
    msgtype: 9,
    data: new TextEncoder().encode(text),
  };
}

/** A room with users A (two devices), B (two devices) and C (one device); everything received so far cleared. */
function roomOfThree() {
  const t = new RouterHarness();
  t.router.setRoomMembers(ROOM, [A, B, C]);
  const a1 = t.login(A);
  const a2 = t.login(A);
  const b1 = t.login(B);
  const b2 = t.login(B);
  const c1 = t.login(C);
  t.clear();
  const id = (conn: number) => t.router.connection(conn)!.clientId;
  return { t, a1, a2, b1, b2, c1, id };
}

function rtmsgs(t: RouterHarness, conn: number) {
  return t.take(conn).filter((c) => c.op === OP_RTMSG);
}

describe('RealtimeRouter: HELLO and client ids', () => {
  it('answers HELLO with a fresh non-zero client id per connection', () => {
    const t = new RouterHarness();
    const c1 = t.login(A);
    const c2 = t.login(A);
    const hello1 = t.take(c1)[0];
    const hello2 = t.take(c2)[0];
    expect(hello1).toEqual({ op: OP_HELLO, clientId: 1 });
    expect(hello2).toEqual({ op: OP_HELLO, clientId: 2 });
    expect(t.router.connection(c1)).toMatchObject({ user: A, clientId: 1, clientVersion: 1 });
  });

  it('wraps the 4-byte counter to 1, never handing out 0', () => {
    const t = new RouterHarness({ firstClientId: 0xfffffffe });
    const conns = [t.login(A), t.login(A), t.login(B), t.login(B)];
    expect(conns.map((c) => t.router.connection(c)!.clientId)).toEqual([0xfffffffe, 0xffffffff, 1, 2]);
    expect(t.take(conns[2]!)[0]).toEqual({ op: OP_HELLO, clientId: 1 });
  });

  it('reuses no id still in use after wrap-around (counter with a small range)', () => {
    const ids = new ClientIds<string>(1, 4);
    expect(['a', 'b', 'c', 'd'].map((o) => ids.allocate(o))).toEqual([1, 2, 3, 4]);
    ids.release(2);
    ids.release(4);
    // Wraps to 1 (in use), takes 2; then 3 is in use, takes 4; then 1, 2, 3 in use... all full but one.
    expect(ids.allocate('e')).toBe(2);
    expect(ids.allocate('f')).toBe(4);
    expect(ids.get(2)).toBe('e');
    ids.release(3);
    expect(ids.allocate('g')).toBe(3);
  });

  it('answers OP_KEEPALIVE with OP_KEEPALIVE', () => {
    const t = new RouterHarness();
    const c = t.login(A);
    t.clear();
    t.send(c, { op: OP_KEEPALIVE }, { op: OP_KEEPALIVE });
    expect(t.take(c)).toEqual([{ op: OP_KEEPALIVE }, { op: OP_KEEPALIVE }]);
  });
});

describe('RealtimeRouter: RTMSG addressing', () => {
  it('(0, 0) reaches every connection of every member but the sending one; its other device gets it', () => {
    const { t, a1, a2, b1, b2, c1, id } = roomOfThree();
    t.send(a1, rtmsg(ZERO_HANDLE, 0, 'hi all'));
    const expected = [
      {
        op: OP_RTMSG,
        room: ROOM,
        senderUser: A,
        senderClient: id(a1),
        msgtype: 9,
        data: new TextEncoder().encode('hi all'),
      },
    ];
    expect(rtmsgs(t, a1)).toEqual([]);
    for (const c of [a2, b1, b2, c1]) expect(rtmsgs(t, c)).toEqual(expected);
  });

  it('(U, 0) reaches every connection of U and nobody else', () => {
    const { t, a1, a2, b1, b2, c1, id } = roomOfThree();
    t.send(c1, rtmsg(B, 0, 'to B'));
    for (const c of [b1, b2]) expect(rtmsgs(t, c)).toMatchObject([{ senderUser: C, senderClient: id(c1) }]);
    for (const c of [a1, a2, c1]) expect(rtmsgs(t, c)).toEqual([]);
  });

  it("(own user, 0) reaches the sender's other devices but not the sending connection", () => {
    const { t, a1, a2, b1 } = roomOfThree();
    t.send(a1, rtmsg(A, 0, 'to my devices'));
    expect(rtmsgs(t, a2)).toHaveLength(1);
    expect(rtmsgs(t, a1)).toEqual([]);
    expect(rtmsgs(t, b1)).toEqual([]);
  });

  it('(U, C) reaches exactly connection C of U', () => {
    const { t, a1, a2, b1, b2, c1, id } = roomOfThree();
    t.send(a1, rtmsg(B, id(b2), 'just b2'));
    expect(rtmsgs(t, b2)).toMatchObject([{ senderUser: A, senderClient: id(a1), msgtype: 9 }]);
    for (const c of [a1, a2, b1, c1]) expect(rtmsgs(t, c)).toEqual([]);
  });

  it('(own user, own client) reaches the sending connection itself: it was named explicitly', () => {
    const { t, a1, a2, id } = roomOfThree();
    t.send(a1, rtmsg(A, id(a1), 'loopback'));
    expect(rtmsgs(t, a1)).toMatchObject([{ senderUser: A, senderClient: id(a1) }]);
    expect(rtmsgs(t, a2)).toEqual([]);
  });

  it('(U, 0) for a member with no open connection reaches nobody and is not refused', () => {
    const { t, a1 } = roomOfThree();
    t.router.joinRoom(h(4), ROOM);
    t.drain();
    t.send(a1, rtmsg(h(4), 0, 'offline'));
    expect(t.take(a1)).toEqual([]);
  });

  it('forwards msgtype and data untouched, also an empty message', () => {
    const { t, a1, b1 } = roomOfThree();
    t.send(a1, {
      op: OP_RTMSG,
      room: ROOM,
      receiverUser: B,
      receiverClient: 0,
      msgtype: 255,
      data: new Uint8Array(),
    });
    expect(rtmsgs(t, b1)).toMatchObject([{ msgtype: 255, data: new Uint8Array() }]);
  });

  it('joins everything one connection gets from one input into one binary message', () => {
    const { t, a1, b1 } = roomOfThree();
    t.messages.clear();
    t.send(a1, rtmsg(ZERO_HANDLE, 0, 'one'), rtmsg(ZERO_HANDLE, 0, 'two'), rtmsg(B, 0, 'three'));
    expect(rtmsgs(t, b1).map((c) => new TextDecoder().decode((c as { data: Uint8Array }).data))).toEqual([
      'one',
      'two',
      'three',
    ]);
    expect(t.messages.get(b1)).toBe(1);
  });

  it("a kicked user stops receiving the room's RTMSGs at once", () => {
    const { t, a1, c1 } = roomOfThree();
    t.router.leaveRoom(C, ROOM);
    t.drain();
    t.clear();
    t.send(a1, rtmsg(ZERO_HANDLE, 0, 'after the kick'));
    expect(rtmsgs(t, c1)).toEqual([]);
    t.send(c1, rtmsg(ZERO_HANDLE, 0, 'let me in'));
    expect(t.take(c1)).toEqual([
      { op: OP_REJECT, refusedOp: OP_RTMSG, room: ROOM, code: RejectCode.NOT_IN_ROOM },
    ]);
  });
});

describe('RealtimeRouter: OP_REJECT codes', () => {
  const reject = (refusedOp: number, room: string, code: number) => ({
    op: OP_REJECT,
    refusedOp,
    room,
    code,
  });

  it('NOT_IN_ROOM: RTMSG or IN_CALL in a room the sender is not in (known or unknown room)', () => {
    const { t, a1 } = roomOfThree();
    t.router.setRoomMembers(OTHER_ROOM, [B]);
    t.send(a1, rtmsg(ZERO_HANDLE, 0, 'x', OTHER_ROOM), rtmsg(B, 0, 'x', h(999)));
    t.send(a1, { op: OP_IN_CALL, room: OTHER_ROOM, status: 1 });
    expect(t.take(a1)).toEqual([
      reject(OP_RTMSG, OTHER_ROOM, RejectCode.NOT_IN_ROOM),
      reject(OP_RTMSG, h(999), RejectCode.NOT_IN_ROOM),
      reject(OP_IN_CALL, OTHER_ROOM, RejectCode.NOT_IN_ROOM),
    ]);
  });

  it('RECEIVER_NOT_IN_ROOM: RTMSG to (U, 0) or (U, C) with U not a member', () => {
    const { t, a1 } = roomOfThree();
    const d1 = t.login(h(4)); // connected, but not in ROOM
    const dId = t.router.connection(d1)!.clientId;
    t.send(a1, rtmsg(h(4), 0, 'x'), rtmsg(h(4), dId, 'x'), rtmsg(h(77), 0, 'x'));
    expect(t.take(a1)).toEqual([
      reject(OP_RTMSG, ROOM, RejectCode.RECEIVER_NOT_IN_ROOM),
      reject(OP_RTMSG, ROOM, RejectCode.RECEIVER_NOT_IN_ROOM),
      reject(OP_RTMSG, ROOM, RejectCode.RECEIVER_NOT_IN_ROOM),
    ]);
    expect(rtmsgs(t, d1)).toEqual([]);
  });

  it('UNKNOWN_CLIENT: (U, C) where C is no open connection of U', () => {
    const { t, a1, b1, c1, id } = roomOfThree();
    const gone = id(b1);
    t.disconnect(b1);
    t.clear();
    t.send(a1, rtmsg(B, gone, 'x'), rtmsg(B, id(c1), 'x'), rtmsg(B, 0xabcdef, 'x'));
    expect(t.take(a1)).toEqual([
      reject(OP_RTMSG, ROOM, RejectCode.UNKNOWN_CLIENT),
      reject(OP_RTMSG, ROOM, RejectCode.UNKNOWN_CLIENT), // c1 belongs to C, not to B
      reject(OP_RTMSG, ROOM, RejectCode.UNKNOWN_CLIENT),
    ]);
    expect(rtmsgs(t, c1)).toEqual([]);
  });

  it('TOO_LARGE: data over the configured limit (default 64 KiB); at the limit passes', () => {
    const t = new RouterHarness({ maxRtmsgBytes: 1000 });
    t.router.setRoomMembers(ROOM, [A, B]);
    const a = t.login(A);
    const b = t.login(B);
    t.clear();
    const msg = (n: number): ClientRtmsg => ({ ...rtmsg(B, 0, ''), data: new Uint8Array(n) });
    t.send(a, msg(1001), msg(1000));
    expect(t.take(a)).toEqual([reject(OP_RTMSG, ROOM, RejectCode.TOO_LARGE)]);
    expect(rtmsgs(t, b)).toHaveLength(1);
    expect(new RouterHarness().router.options.maxRtmsgBytes).toBe(65536);
  });

  it('RATE_LIMITED: commands past the token bucket are refused until it refills', () => {
    const t = new RouterHarness({ commandsPerSecond: 10, commandBurst: 3 });
    t.router.setRoomMembers(ROOM, [A, B]);
    const a = t.login(A);
    const b = t.login(B);
    t.clear();
    t.send(a, rtmsg(B, 0, '1'), rtmsg(B, 0, '2'), rtmsg(B, 0, '3'), rtmsg(B, 0, '4'), {
      op: OP_SETPRES,
      presence: 1,
    });
    expect(t.take(a)).toEqual([
      reject(OP_RTMSG, ROOM, RejectCode.RATE_LIMITED),
      reject(OP_SETPRES, ZERO_HANDLE, RejectCode.RATE_LIMITED),
    ]);
    expect(rtmsgs(t, b)).toHaveLength(3);
    // Refused commands count as debt: 2 tokens owed, so 300 ms (3 tokens) buys one command.
    t.advance(200);
    t.send(a, rtmsg(B, 0, '5'));
    expect(t.take(a)).toEqual([reject(OP_RTMSG, ROOM, RejectCode.RATE_LIMITED)]);
    t.advance(400);
    t.send(a, rtmsg(B, 0, '6'));
    expect(t.take(a)).toEqual([]);
    expect(rtmsgs(t, b)).toHaveLength(1);
  });
});
