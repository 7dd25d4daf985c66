import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import type { ClientCommand, ServerCommand } from './commands.js';
import { decodeClientCommands, decodeServerCommands } from './decode.js';
import {
  encodeClientCommand,
  encodeClientCommands,
  encodeServerCommand,
  encodeServerCommands,
} from './encode.js';
import { handleFromBigInt, ZERO_HANDLE } from './handle.js';
import {
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_PRES,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
  RejectCode,
} from './opcodes.js';
import type { RealtimeDecodeReason } from './protocol-error.js';

const ROOM = '0102030405060708';
const USER = 'a1a2a3a4a5a6a7a8';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
function bytes(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
}

describe('realtime codec: byte layouts of DESIGN.md', () => {
  // Each row: a command and its exact bytes (opcode, then fields big-endian).
  const clientRows: [string, ClientCommand, string][] = [
    ['HELLO', { op: OP_HELLO, clientVersion: 0x0102, presence: 0x83 }, '17 0102 83 00'],
    ['KEEPALIVE', { op: OP_KEEPALIVE }, '00'],
    [
      'RTMSG',
      {
        op: OP_RTMSG,
        room: ROOM,
        receiverUser: USER,
        receiverClient: 0xdeadbeef,
        msgtype: 7,
        data: bytes('cafe'),
      },
      `16 ${ROOM} ${USER} deadbeef 07 000002 cafe`,
    ],
    ['IN_CALL', { op: OP_IN_CALL, room: ROOM, status: 1 }, `1c ${ROOM} 01`],
    ['SETPRES', { op: OP_SETPRES, presence: 0x82 }, '3c 82'],
  ];
  const serverRows: [string, ServerCommand, string][] = [
    ['HELLO', { op: OP_HELLO, clientId: 0xfffffffe }, '17 fffffffe'],
    ['KEEPALIVE', { op: OP_KEEPALIVE }, '00'],
    [
      'RTMSG',
      { op: OP_RTMSG, room: ROOM, senderUser: USER, senderClient: 1, msgtype: 255, data: new Uint8Array() },
      `16 ${ROOM} ${USER} 00000001 ff 000000`,
    ],
    ['IN_CALL', { op: OP_IN_CALL, room: ROOM, status: 0 }, `1c ${ROOM} 00`],
    ['PRES own', { op: OP_PRES, user: ZERO_HANDLE, presence: 3 }, `3d ${ZERO_HANDLE} 03`],
    ['PRES', { op: OP_PRES, user: USER, presence: 127 }, `3d ${USER} 7f`],
    [
      'REJECT',
      { op: OP_REJECT, refusedOp: OP_RTMSG, room: ROOM, code: RejectCode.UNKNOWN_CLIENT },
      `0b 16 ${ROOM} 03`,
    ],
  ];

  it.each(clientRows)('client %s encodes to its layout and decodes back', (_name, cmd, wire) => {
    const encoded = encodeClientCommand(cmd);
    expect(hex(encoded)).toBe(wire.replace(/\s+/g, ''));
    expect(decodeClientCommands(encoded)).toEqual({ ok: true, commands: [cmd] });
  });

  it.each(serverRows)('server %s encodes to its layout and decodes back', (_name, cmd, wire) => {
    const encoded = encodeServerCommand(cmd);
    expect(hex(encoded)).toBe(wire.replace(/\s+/g, ''));
    expect(decodeServerCommands(encoded)).toEqual({ ok: true, commands: [cmd] });
  });

  it('puts many commands back to back in one message, in order', () => {
    const cmds = clientRows.map((r) => r[1]);
    const encoded = encodeClientCommands(cmds);
    expect(hex(encoded)).toBe(clientRows.map((r) => r[2].replace(/\s+/g, '')).join(''));
    expect(decodeClientCommands(encoded)).toEqual({ ok: true, commands: cmds });
    const scmds = serverRows.map((r) => r[1]);
    expect(decodeServerCommands(encodeServerCommands(scmds))).toEqual({ ok: true, commands: scmds });
  });

  it('ignores the reserved byte of the client HELLO, for later dialects', () => {
    expect(decodeClientCommands(bytes('17 0001 03 ff'))).toEqual({
      ok: true,
      commands: [{ op: OP_HELLO, clientVersion: 1, presence: 3 }],
    });
  });

  it('decodes RTMSG data as a view of the message, not a copy', () => {
    const wire = bytes(`16 ${ROOM} ${ZERO_HANDLE} 00000000 01 000003 aabbcc 00`);
    const r = decodeClientCommands(wire);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const cmd = r.commands[0];
    expect(cmd?.op).toBe(OP_RTMSG);
    if (cmd?.op !== OP_RTMSG) return;
    expect(cmd.data.buffer).toBe(wire.buffer);
    expect(hex(cmd.data)).toBe('aabbcc');
    expect(r.commands[1]).toEqual({ op: OP_KEEPALIVE });
  });
});

describe('realtime codec: strict decoding', () => {
  const rtmsgHead = (room: string, user: string, client: string, len: string) =>
    `16 ${room} ${user} ${client} 01 ${len}`;
  // Each row: what the bytes are, the bytes, the reason, the offset of the bad command.
  const clientBad: [string, string, RealtimeDecodeReason, number][] = [
    ['empty message', '', 'empty', 0],
    ['truncated HELLO', '17 0001 03', 'truncated', 0],
    ['truncated SETPRES after a KEEPALIVE', '00 3c', 'truncated', 1],
    ['truncated IN_CALL', `1c ${ROOM}`, 'truncated', 0],
    ['RTMSG header cut short', `16 ${ROOM} ${USER} 0000`, 'truncated', 0],
    ['unknown opcode', '00 63', 'unknown_opcode', 1],
    ['server-only opcode OP_PRES from a client', `3d ${USER} 01`, 'unknown_opcode', 0],
    ['server-only opcode OP_REJECT from a client', `0b 16 ${ROOM} 01`, 'unknown_opcode', 0],
    ['msglen past the end', `${rtmsgHead(ROOM, USER, '00000000', '000004')} aabbcc`, 'msglen_past_end', 0],
    ['msglen of 2^24-1 with no data', rtmsgHead(ROOM, USER, '00000000', 'ffffff'), 'msglen_past_end', 0],
    ['RTMSG to room 0', `${rtmsgHead(ZERO_HANDLE, USER, '00000000', '000000')}`, 'zero_handle', 0],
    ['IN_CALL for room 0', `1c ${ZERO_HANDLE} 01`, 'zero_handle', 0],
    ['RTMSG to (0, C)', `${rtmsgHead(ROOM, ZERO_HANDLE, '00000005', '000000')}`, 'invalid_addressing', 0],
    ['IN_CALL status 2', `1c ${ROOM} 02`, 'invalid_value', 0],
  ];
  const serverBad: [string, string, RealtimeDecodeReason, number][] = [
    ['empty message', '', 'empty', 0],
    ['truncated HELLO', '17 000001', 'truncated', 0],
    ['truncated PRES', `3d ${USER}`, 'truncated', 0],
    ['truncated REJECT', `0b 16 ${ROOM}`, 'truncated', 0],
    ['HELLO with client id 0', '17 00000000', 'zero_handle', 0],
    ['client-only opcode OP_SETPRES', '3c 01', 'unknown_opcode', 0],
    ['unknown opcode', 'ff', 'unknown_opcode', 0],
    ['RTMSG from user 0', rtmsgHead(ROOM, ZERO_HANDLE, '00000001', '000000'), 'zero_handle', 0],
    ['RTMSG from client 0', rtmsgHead(ROOM, USER, '00000000', '000000'), 'zero_handle', 0],
    ['RTMSG in room 0', rtmsgHead(ZERO_HANDLE, USER, '00000001', '000000'), 'zero_handle', 0],
    ['RTMSG msglen past the end', `${rtmsgHead(ROOM, USER, '00000001', '000002')} aa`, 'msglen_past_end', 0],
    ['PRES with the MSB set', `3d ${USER} 81`, 'invalid_value', 0],
    ['IN_CALL status 7 after a PRES', `3d ${USER} 01 1c ${ROOM} 07`, 'invalid_value', 10],
  ];

  it.each(clientBad)('client message: %s', (_name, wire, reason, offset) => {
    const r = decodeClientCommands(bytes(wire));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(isParleyError(r.error)).toBe(true);
    expect(r.error.code).toBe('protocol');
    expect(r.error.reason).toBe(reason);
    expect(r.error.offset).toBe(offset);
    expect(new TextEncoder().encode(r.error.closeReason).length).toBeLessThanOrEqual(123);
  });

  it.each(serverBad)('server message: %s', (_name, wire, reason, offset) => {
    const r = decodeServerCommands(bytes(wire));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(reason);
    expect(r.error.offset).toBe(offset);
  });

  it('rejects a non-Uint8Array without throwing', () => {
    const r = decodeClientCommands('hello' as unknown as Uint8Array);
    expect(r.ok).toBe(false);
  });

  it('never throws on any short byte string (exhaustive over 2-byte messages)', () => {
    let errors = 0;
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const m = new Uint8Array([a, b]);
        if (!decodeClientCommands(m).ok) errors++;
        if (!decodeServerCommands(m).ok) errors++;
      }
    }
    // Only [0,0] (two keepalives) and [0x3c, x] (SETPRES) decode on the client side;
    // only [0,0] on the server side.
    expect(errors).toBe(2 * 65536 - 1 - 256 - 1);
  });
});

describe('realtime codec: encoding refuses what cannot go on the wire', () => {
  const bad: [string, () => unknown][] = [
    [
      'RTMSG to (0, C)',
      () =>
        encodeClientCommand({
          op: OP_RTMSG,
          room: ROOM,
          receiverUser: ZERO_HANDLE,
          receiverClient: 3,
          msgtype: 0,
          data: new Uint8Array(),
        }),
    ],
    [
      'RTMSG in room 0',
      () =>
        encodeClientCommand({
          op: OP_RTMSG,
          room: ZERO_HANDLE,
          receiverUser: ZERO_HANDLE,
          receiverClient: 0,
          msgtype: 0,
          data: new Uint8Array(),
        }),
    ],
    [
      'an upper-case handle',
      () => encodeClientCommand({ op: OP_IN_CALL, room: 'A1A2A3A4A5A6A7A8', status: 1 }),
    ],
    ['a short handle', () => encodeServerCommand({ op: OP_PRES, user: 'abc', presence: 1 })],
    [
      'msgtype 256',
      () =>
        encodeClientCommand({
          op: OP_RTMSG,
          room: ROOM,
          receiverUser: USER,
          receiverClient: 0,
          msgtype: 256,
          data: new Uint8Array(),
        }),
    ],
    [
      'data over 2^24-1 bytes',
      () =>
        encodeServerCommand({
          op: OP_RTMSG,
          room: ROOM,
          senderUser: USER,
          senderClient: 1,
          msgtype: 0,
          data: new Uint8Array(0x1000000),
        }),
    ],
    ['PRES with the MSB set', () => encodeServerCommand({ op: OP_PRES, user: USER, presence: 0x80 })],
    ['HELLO client id 0', () => encodeServerCommand({ op: OP_HELLO, clientId: 0 })],
    ['client version 65536', () => encodeClientCommand({ op: OP_HELLO, clientVersion: 65536, presence: 0 })],
    ['IN_CALL status 2', () => encodeServerCommand({ op: OP_IN_CALL, room: ROOM, status: 2 as 1 })],
    ['a server command as a client command', () => encodeClientCommand({ op: OP_PRES } as never)],
  ];
  it.each(bad)('%s', (_name, f) => {
    expect(f).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('accepts the largest values of every field', () => {
    const big = handleFromBigInt((1n << 64n) - 1n);
    expect(big).toBe('ffffffffffffffff');
    const wire = encodeServerCommand({
      op: OP_RTMSG,
      room: big,
      senderUser: big,
      senderClient: 0xffffffff,
      msgtype: 255,
      data: new Uint8Array(3),
    });
    expect(hex(wire)).toBe(`16${big}${big}ffffffffff000003000000`);
  });
});
