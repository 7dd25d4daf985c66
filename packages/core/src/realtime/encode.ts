/**
 * Encoders for realtime commands. Many commands go back to back into one binary message.
 *
 * Encoding checks every field (ranges, handles, the (0, C) addressing) and throws a
 * `ParleyError` with code `invalid_argument` on a value that cannot go on the wire: that is a bug
 * in the caller, not bad input from a peer. Decoding never throws (see `decode.ts`).
 *
 * @packageDocumentation
 */

import { ParleyError } from '../errors.js';
import type { ClientCommand, ServerCommand } from './commands.js';
import { assertHandleHex, type HandleHex, writeHandle, ZERO_HANDLE } from './handle.js';
import {
  CLIENT_HELLO_SIZE,
  IN_CALL_SIZE,
  KEEPALIVE_SIZE,
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_PRES,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
  PRES_SIZE,
  REJECT_SIZE,
  RTMSG_HEADER_SIZE,
  RTMSG_MAX_MSGLEN,
  SERVER_HELLO_SIZE,
  SETPRES_SIZE,
} from './opcodes.js';

function bad(message: string): ParleyError {
  return new ParleyError('invalid_argument', message);
}

function uint(value: unknown, bits: 8 | 16 | 32, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw bad(`${what} must be an integer 0 .. 2^${bits}-1, got ${String(value)}`);
  }
  return value;
}

function nonZeroHandle(value: unknown, what: string): HandleHex {
  const h = assertHandleHex(value, what);
  if (h === ZERO_HANDLE) throw bad(`${what} must not be the zero handle`);
  return h;
}

function status(value: unknown): 0 | 1 {
  if (value !== 0 && value !== 1) throw bad(`OP_IN_CALL status must be 0 or 1, got ${String(value)}`);
  return value;
}

function data(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw bad('OP_RTMSG data must be a Uint8Array');
  if (value.length > RTMSG_MAX_MSGLEN) throw bad(`OP_RTMSG data is ${value.length} bytes; at most 2^24-1`);
  return value;
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function writeRtmsg(
  out: Uint8Array,
  at: number,
  room: HandleHex,
  user: HandleHex,
  client: number,
  msgtype: number,
  body: Uint8Array,
): number {
  out[at] = OP_RTMSG;
  writeHandle(out, at + 1, room);
  writeHandle(out, at + 9, user);
  writeU32(out, at + 17, client);
  out[at + 21] = msgtype;
  out[at + 22] = body.length >>> 16;
  out[at + 23] = (body.length >>> 8) & 0xff;
  out[at + 24] = body.length & 0xff;
  out.set(body, at + RTMSG_HEADER_SIZE);
  return at + RTMSG_HEADER_SIZE + body.length;
}

function clientSize(cmd: ClientCommand): number {
  switch (cmd.op) {
    case OP_HELLO:
      uint(cmd.clientVersion, 16, 'OP_HELLO client_version');
      uint(cmd.presence, 8, 'OP_HELLO user_presence');
      return CLIENT_HELLO_SIZE;
    case OP_KEEPALIVE:
      return KEEPALIVE_SIZE;
    case OP_RTMSG: {
      nonZeroHandle(cmd.room, 'OP_RTMSG room');
      const user = assertHandleHex(cmd.receiverUser, 'OP_RTMSG receiver_user');
      const client = uint(cmd.receiverClient, 32, 'OP_RTMSG receiver_client');
      if (user === ZERO_HANDLE && client !== 0) throw bad('OP_RTMSG to (user 0, client C) is invalid');
      uint(cmd.msgtype, 8, 'OP_RTMSG msgtype');
      return RTMSG_HEADER_SIZE + data(cmd.data).length;
    }
    case OP_IN_CALL:
      nonZeroHandle(cmd.room, 'OP_IN_CALL room');
      status(cmd.status);
      return IN_CALL_SIZE;
    case OP_SETPRES:
      uint(cmd.presence, 8, 'OP_SETPRES presence');
      return SETPRES_SIZE;
    default:
      throw bad(`not a client command: op ${String((cmd as { op: unknown }).op)}`);
  }
}

function writeClient(out: Uint8Array, at: number, cmd: ClientCommand): number {
  switch (cmd.op) {
    case OP_HELLO:
      out[at] = OP_HELLO;
      out[at + 1] = cmd.clientVersion >>> 8;
      out[at + 2] = cmd.clientVersion & 0xff;
      out[at + 3] = cmd.presence;
      out[at + 4] = 0; // reserved
      return at + CLIENT_HELLO_SIZE;
    case OP_KEEPALIVE:
      out[at] = OP_KEEPALIVE;
      return at + 1;
    case OP_RTMSG:
      return writeRtmsg(out, at, cmd.room, cmd.receiverUser, cmd.receiverClient, cmd.msgtype, cmd.data);
    case OP_IN_CALL:
      out[at] = OP_IN_CALL;
      writeHandle(out, at + 1, cmd.room);
      out[at + 9] = cmd.status;
      return at + IN_CALL_SIZE;
    case OP_SETPRES:
      out[at] = OP_SETPRES;
      out[at + 1] = cmd.presence;
      return at + SETPRES_SIZE;
  }
}

function serverSize(cmd: ServerCommand): number {
  switch (cmd.op) {
    case OP_HELLO:
      if (uint(cmd.clientId, 32, 'OP_HELLO client_id') === 0) throw bad('OP_HELLO client_id must not be 0');
      return SERVER_HELLO_SIZE;
    case OP_KEEPALIVE:
      return KEEPALIVE_SIZE;
    case OP_RTMSG:
      nonZeroHandle(cmd.room, 'OP_RTMSG room');
      nonZeroHandle(cmd.senderUser, 'OP_RTMSG sender_user');
      if (uint(cmd.senderClient, 32, 'OP_RTMSG sender_client') === 0) {
        throw bad('OP_RTMSG sender_client must not be 0');
      }
      uint(cmd.msgtype, 8, 'OP_RTMSG msgtype');
      return RTMSG_HEADER_SIZE + data(cmd.data).length;
    case OP_IN_CALL:
      nonZeroHandle(cmd.room, 'OP_IN_CALL room');
      status(cmd.status);
      return IN_CALL_SIZE;
    case OP_PRES:
      assertHandleHex(cmd.user, 'OP_PRES user');
      if (uint(cmd.presence, 8, 'OP_PRES presence') > 0x7f) throw bad('OP_PRES presence has its MSB set');
      return PRES_SIZE;
    case OP_REJECT:
      uint(cmd.refusedOp, 8, 'OP_REJECT op');
      assertHandleHex(cmd.room, 'OP_REJECT room');
      uint(cmd.code, 8, 'OP_REJECT code');
      return REJECT_SIZE;
    default:
      throw bad(`not a server command: op ${String((cmd as { op: unknown }).op)}`);
  }
}

function writeServer(out: Uint8Array, at: number, cmd: ServerCommand): number {
  switch (cmd.op) {
    case OP_HELLO:
      out[at] = OP_HELLO;
      writeU32(out, at + 1, cmd.clientId);
      return at + SERVER_HELLO_SIZE;
    case OP_KEEPALIVE:
      out[at] = OP_KEEPALIVE;
      return at + 1;
    case OP_RTMSG:
      return writeRtmsg(out, at, cmd.room, cmd.senderUser, cmd.senderClient, cmd.msgtype, cmd.data);
    case OP_IN_CALL:
      out[at] = OP_IN_CALL;
      writeHandle(out, at + 1, cmd.room);
      out[at + 9] = cmd.status;
      return at + IN_CALL_SIZE;
    case OP_PRES:
      out[at] = OP_PRES;
      writeHandle(out, at + 1, cmd.user);
      out[at + 9] = cmd.presence;
      return at + PRES_SIZE;
    case OP_REJECT:
      out[at] = OP_REJECT;
      out[at + 1] = cmd.refusedOp;
      writeHandle(out, at + 2, cmd.room);
      out[at + 10] = cmd.code;
      return at + REJECT_SIZE;
  }
}

/** Encodes client commands back to back into one binary message. */
export function encodeClientCommands(commands: readonly ClientCommand[]): Uint8Array {
  let size = 0;
  for (const cmd of commands) size += clientSize(cmd);
  const out = new Uint8Array(size);
  let at = 0;
  for (const cmd of commands) at = writeClient(out, at, cmd);
  return out;
}

/** Encodes server commands back to back into one binary message. */
export function encodeServerCommands(commands: readonly ServerCommand[]): Uint8Array {
  let size = 0;
  for (const cmd of commands) size += serverSize(cmd);
  const out = new Uint8Array(size);
  let at = 0;
  for (const cmd of commands) at = writeServer(out, at, cmd);
  return out;
}

/** Encodes one client command. */
export function encodeClientCommand(command: ClientCommand): Uint8Array {
  return encodeClientCommands([command]);
}

/** Encodes one server command. */
export function encodeServerCommand(command: ServerCommand): Uint8Array {
  return encodeServerCommands([command]);
}

// Hot-path encoders for the router: fields come from its own validated state, so no checks.

/** S->C `OP_PRES` from the user's 8 handle bytes. @internal */
export function encodePresFast(userBytes: Uint8Array | null, presence: number): Uint8Array {
  const out = new Uint8Array(PRES_SIZE);
  out[0] = OP_PRES;
  if (userBytes) out.set(userBytes, 1);
  out[9] = presence;
  return out;
}

/** S->C `OP_IN_CALL`. @internal */
export function encodeInCallFast(roomBytes: Uint8Array, flag: 0 | 1): Uint8Array {
  const out = new Uint8Array(IN_CALL_SIZE);
  out[0] = OP_IN_CALL;
  out.set(roomBytes, 1);
  out[9] = flag;
  return out;
}

/** S->C `OP_REJECT`. @internal */
export function encodeRejectFast(refusedOp: number, roomBytes: Uint8Array | null, code: number): Uint8Array {
  const out = new Uint8Array(REJECT_SIZE);
  out[0] = OP_REJECT;
  out[1] = refusedOp;
  if (roomBytes) out.set(roomBytes, 2);
  out[10] = code;
  return out;
}

/** S->C `OP_RTMSG` from byte fields. @internal */
export function encodeServerRtmsgFast(
  roomBytes: Uint8Array,
  senderBytes: Uint8Array,
  senderClient: number,
  msgtype: number,
  body: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(RTMSG_HEADER_SIZE + body.length);
  out[0] = OP_RTMSG;
  out.set(roomBytes, 1);
  out.set(senderBytes, 9);
  writeU32(out, 17, senderClient);
  out[21] = msgtype;
  out[22] = body.length >>> 16;
  out[23] = (body.length >>> 8) & 0xff;
  out[24] = body.length & 0xff;
  out.set(body, RTMSG_HEADER_SIZE);
  return out;
}
