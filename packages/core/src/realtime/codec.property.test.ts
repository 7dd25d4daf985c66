import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClientCommand, ServerCommand } from './commands.js';
import { decodeClientCommands, decodeServerCommands } from './decode.js';
import { encodeClientCommands, encodeServerCommands } from './encode.js';
import { ZERO_HANDLE } from './handle.js';
import { OP_HELLO, OP_IN_CALL, OP_KEEPALIVE, OP_PRES, OP_REJECT, OP_RTMSG, OP_SETPRES } from './opcodes.js';

const handle = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((b) => b.toString(16).padStart(16, '0'));
const nonZeroHandle = handle.filter((h) => h !== ZERO_HANDLE);
const u8 = fc.integer({ min: 0, max: 255 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const nonZeroU32 = fc.integer({ min: 1, max: 0xffffffff });
const data = fc.uint8Array({ maxLength: 300 });
const status = fc.constantFrom<0 | 1>(0, 1);

const clientCommand: fc.Arbitrary<ClientCommand> = fc.oneof(
  fc.record({ op: fc.constant(OP_HELLO), clientVersion: fc.integer({ min: 0, max: 0xffff }), presence: u8 }),
  fc.record({ op: fc.constant(OP_KEEPALIVE) }),
  fc
    .record({
      op: fc.constant(OP_RTMSG),
      room: nonZeroHandle,
      receiverUser: fc.oneof(fc.constant(ZERO_HANDLE), handle),
      receiverClient: fc.oneof(fc.constant(0), u32),
      msgtype: u8,
      data,
    })
    .map((c) => (c.receiverUser === ZERO_HANDLE ? { ...c, receiverClient: 0 } : c)),
  fc.record({ op: fc.constant(OP_IN_CALL), room: nonZeroHandle, status }),
  fc.record({ op: fc.constant(OP_SETPRES), presence: u8 }),
);

const serverCommand: fc.Arbitrary<ServerCommand> = fc.oneof(
  fc.record({ op: fc.constant(OP_HELLO), clientId: nonZeroU32 }),
  fc.record({ op: fc.constant(OP_KEEPALIVE) }),
  fc.record({
    op: fc.constant(OP_RTMSG),
    room: nonZeroHandle,
    senderUser: nonZeroHandle,
    senderClient: nonZeroU32,
    msgtype: u8,
    data,
  }),
  fc.record({ op: fc.constant(OP_IN_CALL), room: nonZeroHandle, status }),
  fc.record({ op: fc.constant(OP_PRES), user: handle, presence: fc.integer({ min: 0, max: 127 }) }),
  fc.record({ op: fc.constant(OP_REJECT), refusedOp: u8, room: handle, code: u8 }),
);

// Decoded RTMSG data are views; compare them as plain byte arrays.
function plain<T>(cmds: T[]): T[] {
  return cmds.map((c) => {
    const d = (c as { data?: Uint8Array }).data;
    return d ? { ...c, data: Uint8Array.from(d) } : c;
  });
}

describe('realtime codec properties', () => {
  it('decode(encode(commands)) is the identity for client messages', () => {
    fc.assert(
      fc.property(fc.array(clientCommand, { minLength: 1, maxLength: 20 }), (cmds) => {
        const r = decodeClientCommands(encodeClientCommands(cmds));
        expect(r.ok).toBe(true);
        if (r.ok) expect(plain(r.commands)).toEqual(plain(cmds));
      }),
    );
  });

  it('decode(encode(commands)) is the identity for server messages', () => {
    fc.assert(
      fc.property(fc.array(serverCommand, { minLength: 1, maxLength: 20 }), (cmds) => {
        const r = decodeServerCommands(encodeServerCommands(cmds));
        expect(r.ok).toBe(true);
        if (r.ok) expect(plain(r.commands)).toEqual(plain(cmds));
      }),
    );
  });

  it('encode(decode(bytes)) gives the bytes back whenever they decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        const c = decodeServerCommands(bytes);
        if (c.ok) expect(encodeServerCommands(c.commands)).toEqual(bytes);
        // The client HELLO's reserved byte is dropped, so compare modulo that byte.
        const d = decodeClientCommands(bytes);
        if (d.ok) expect(decodeClientCommands(encodeClientCommands(d.commands))).toEqual(d);
      }),
    );
  });

  it('any strict prefix of a valid message with an RTMSG or fixed command last fails as truncated', () => {
    fc.assert(
      fc.property(fc.array(serverCommand, { minLength: 1, maxLength: 5 }), fc.nat(), (cmds, cut) => {
        const last = cmds[cmds.length - 1]!;
        fc.pre(last.op !== OP_KEEPALIVE);
        const whole = encodeServerCommands(cmds);
        const lastSize = whole.length - encodeServerCommands(cmds.slice(0, -1)).length;
        const cutAt = whole.length - 1 - (cut % (lastSize - 1));
        const r = decodeServerCommands(whole.subarray(0, cutAt));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(['truncated', 'msglen_past_end']).toContain(r.error.reason);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const a = decodeClientCommands(bytes);
        const b = decodeServerCommands(bytes);
        expect(typeof a.ok).toBe('boolean');
        expect(typeof b.ok).toBe('boolean');
      }),
    );
  });
});
