import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZERO_HANDLE } from './handle.js';
import { OP_HELLO, OP_KEEPALIVE, OP_PRES, OP_RTMSG, OP_SETPRES, RealtimeCloseCode } from './opcodes.js';
import { h, RouterHarness } from './router-harness.js';

const [A, B] = [h(1), h(2)];
const ROOM = h(100);
const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('RealtimeRouter: malformed input closes with 1002 and a reason', () => {
  const rows: [string, string, RegExp][] = [
    ['unknown opcode', '63', /unknown client opcode 99/],
    ['truncated command', '3c', /truncated OP_SETPRES/],
    ['msglen past the end', `16 ${ROOM} ${B} 00000000 01 000010 aa`, /msglen 16 runs past the end/],
    ['(0, C) addressing', `16 ${ROOM} ${ZERO_HANDLE} 00000007 01 000000`, /user 0 with client 7/],
    ['room 0', `1c ${ZERO_HANDLE} 01`, /room 0/],
    ['an empty message', '', /empty/],
    ['a second HELLO', '17 0001 03 00', /second OP_HELLO/],
  ];

  it.each(rows)('%s', (_name, wire, reason) => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B, 3);
    const a = t.login(A, 3);
    t.clear();
    t.sendRaw(a, hex(wire));
    expect(t.closed.get(a)).toEqual({
      code: RealtimeCloseCode.PROTOCOL_ERROR,
      reason: expect.stringMatching(reason),
    });
    // The connection is gone at once: its user went offline for the watcher, and it gets nothing more.
    expect(t.take(w)).toEqual([{ op: OP_PRES, user: A, presence: 0 }]);
    expect(t.router.connection(a)).toBeUndefined();
    t.sendRaw(a, hex('00'));
    expect(t.take(a)).toEqual([]);
  });

  it('a command before HELLO closes with 1002', () => {
    const t = new RouterHarness();
    const a = t.connect(A);
    t.send(a, { op: OP_KEEPALIVE });
    expect(t.closed.get(a)).toEqual({ code: 1002, reason: 'OP_KEEPALIVE before OP_HELLO' });
  });

  it('a malformed message is refused whole: no command of it runs', () => {
    const t = new RouterHarness();
    t.router.setRoomMembers(ROOM, [A, B]);
    const w = t.login(B, 3);
    const a = t.login(A, 3);
    t.clear();
    // A valid RTMSG to B, then garbage, in one message.
    t.sendRaw(a, hex(`16 ${ROOM} ${B} 00000000 01 000001 aa ff`));
    expect(t.take(w).filter((c) => c.op === OP_RTMSG)).toEqual([]);
    expect(t.closed.get(a)?.code).toBe(1002);
  });

  it('never throws and never emits undecodable bytes, whatever a client sends', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (messages) => {
        const t = new RouterHarness();
        t.router.setRoomMembers(ROOM, [A, B]);
        t.login(B);
        const a = t.connect(A);
        t.sendRaw(a, hex(`17 0001 03 00`));
        for (const m of messages) t.sendRaw(a, m); // drain() throws on undecodable output
        const closed = t.closed.get(a);
        if (closed) expect([1002, 1008]).toContain(closed.code);
      }),
    );
  });
});

describe('RealtimeRouter: limits', () => {
  it('closes a connection over the per-user limit (default 16) with 1008', () => {
    const t = new RouterHarness();
    const conns = Array.from({ length: 16 }, () => t.login(A));
    expect(conns.every((c) => !t.closed.has(c))).toBe(true);
    const extra = t.connect(A);
    expect(t.closed.get(extra)).toEqual({ code: 1008, reason: expect.stringContaining('limit 16') });
    expect(t.router.connectionCount).toBe(16);
    t.disconnect(conns[0]!);
    const again = t.login(A);
    expect(t.closed.has(again)).toBe(false);
  });

  it('closes a connection over the total limit with 1008', () => {
    const t = new RouterHarness({ maxConnections: 2 });
    t.login(A);
    t.login(B);
    const third = t.connect(h(3));
    expect(t.closed.get(third)?.code).toBe(1008);
  });

  it('closes a message over maxMessageBytes with 1009', () => {
    const t = new RouterHarness({ maxMessageBytes: 100 });
    const a = t.login(A);
    t.sendRaw(a, new Uint8Array(101));
    expect(t.closed.get(a)?.code).toBe(1009);
  });

  it('closes a connection that keeps flooding past its rate limit with 1008', () => {
    const t = new RouterHarness({ commandsPerSecond: 1, commandBurst: 5 });
    const a = t.login(A);
    t.send(a, ...Array.from({ length: 10 }, () => ({ op: OP_SETPRES, presence: 1 }) as const));
    expect(t.closed.has(a)).toBe(false);
    t.send(a, { op: OP_SETPRES, presence: 1 }, { op: OP_SETPRES, presence: 1 });
    expect(t.closed.get(a)).toEqual({ code: 1008, reason: 'kept sending over the command rate limit' });
  });

  it('closes a connection that sends no HELLO in time with 1008', () => {
    const t = new RouterHarness({ helloTimeoutMs: 5000 });
    const a = t.connect(A);
    const b = t.connect(B);
    t.advance(1000);
    t.send(b, { op: OP_HELLO, clientVersion: 1, presence: 3 });
    t.advance(4000);
    expect(t.closed.get(a)?.code).toBe(1008);
    expect(t.closed.has(b)).toBe(false);
  });

  it('closes a connection silent for clientTimeoutMs with 1008; any command keeps it open', () => {
    const t = new RouterHarness({ clientTimeoutMs: 30_000 });
    const a = t.login(A);
    const b = t.login(B);
    for (let i = 0; i < 5; i++) {
      t.advance(20_000);
      t.send(a, { op: OP_KEEPALIVE });
    }
    expect(t.closed.get(b)).toEqual({ code: 1008, reason: 'nothing received for 30000 ms' });
    expect(t.closed.has(a)).toBe(false);
  });

  it('checks its options', () => {
    expect(() => new RouterHarness({ maxRtmsgBytes: 0 })).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => new RouterHarness({ maxRtmsgBytes: 1 << 24 })).toThrowError(/3-byte msglen/);
    expect(() => new RouterHarness({ firstClientId: 0 })).toThrowError(/firstClientId/);
  });
});
