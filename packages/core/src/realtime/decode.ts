/**
 * Strict decoders for realtime binary messages, one per direction. They never throw: a malformed
 * message gives `{ ok: false, error }` with a {@link RealtimeProtocolError}, and none of the
 * message's commands (the receiver acts on a message all or nothing).
 *
 * @packageDocumentation
 */

import type { ClientCommand, ServerCommand } from './commands.js';
import { isZeroHandleAt, readHandle } from './handle.js';
import {
  CLIENT_HELLO_SIZE,
  IN_CALL_SIZE,
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
  SERVER_HELLO_SIZE,
  SETPRES_SIZE,
} from './opcodes.js';
import { type RealtimeDecodeReason, RealtimeProtocolError } from './protocol-error.js';

/** The outcome of decoding one binary message. */
export type RealtimeDecodeResult<T> =
  | { ok: true; commands: T[] }
  | { ok: false; error: RealtimeProtocolError };

const NAMES: Record<number, string> = {
  [OP_KEEPALIVE]: 'OP_KEEPALIVE',
  [OP_REJECT]: 'OP_REJECT',
  [OP_RTMSG]: 'OP_RTMSG',
  [OP_HELLO]: 'OP_HELLO',
  [OP_IN_CALL]: 'OP_IN_CALL',
  [OP_SETPRES]: 'OP_SETPRES',
  [OP_PRES]: 'OP_PRES',
};

/** The protocol name of an opcode (`OP_RTMSG`), or `opcode N` for an unknown one. */
export function realtimeOpName(op: number): string {
  return NAMES[op] ?? `opcode ${op}`;
}

// Thrown only inside this module and caught by the public decoders.
class Fail {
  constructor(
    readonly reason: RealtimeDecodeReason,
    readonly message: string,
  ) {}
}

function need(bytes: Uint8Array, at: number, size: number, op: number): void {
  if (at + size > bytes.length) {
    throw new Fail(
      'truncated',
      `truncated ${realtimeOpName(op)}: needs ${size} bytes, ${bytes.length - at} left`,
    );
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) * 0x1000000 +
      (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))) >>>
    0
  );
}

function room(bytes: Uint8Array, at: number, op: number): string {
  if (isZeroHandleAt(bytes, at)) throw new Fail('zero_handle', `${realtimeOpName(op)} with room 0`);
  return readHandle(bytes, at);
}

function status(bytes: Uint8Array, at: number): 0 | 1 {
  const s = bytes[at] as number;
  if (s > 1) throw new Fail('invalid_value', `OP_IN_CALL status ${s}, expected 0 or 1`);
  return s as 0 | 1;
}

/** Reads an RTMSG's `msgtype msglen data` tail; returns the data view. */
function rtmsgData(bytes: Uint8Array, at: number): Uint8Array {
  const len =
    ((bytes[at + 22] as number) << 16) | ((bytes[at + 23] as number) << 8) | (bytes[at + 24] as number);
  const start = at + RTMSG_HEADER_SIZE;
  if (start + len > bytes.length) {
    throw new Fail(
      'msglen_past_end',
      `OP_RTMSG msglen ${len} runs past the end (${bytes.length - start} left)`,
    );
  }
  return bytes.subarray(start, start + len);
}

function decodeClientAt(bytes: Uint8Array, at: number, out: ClientCommand[]): number {
  const op = bytes[at] as number;
  switch (op) {
    case OP_HELLO:
      need(bytes, at, CLIENT_HELLO_SIZE, op);
      // The reserved byte is ignored, so that a later dialect may use it.
      out.push({
        op,
        clientVersion: ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number),
        presence: bytes[at + 3] as number,
      });
      return at + CLIENT_HELLO_SIZE;
    case OP_KEEPALIVE:
      out.push({ op });
      return at + 1;
    case OP_RTMSG: {
      need(bytes, at, RTMSG_HEADER_SIZE, op);
      const r = room(bytes, at + 1, op);
      const receiverClient = u32(bytes, at + 17);
      if (receiverClient !== 0 && isZeroHandleAt(bytes, at + 9)) {
        throw new Fail('invalid_addressing', `OP_RTMSG to user 0 with client ${receiverClient}`);
      }
      const data = rtmsgData(bytes, at);
      out.push({
        op,
        room: r,
        receiverUser: readHandle(bytes, at + 9),
        receiverClient,
        msgtype: bytes[at + 21] as number,
        data,
      });
      return at + RTMSG_HEADER_SIZE + data.length;
    }
    case OP_IN_CALL:
      need(bytes, at, IN_CALL_SIZE, op);
      out.push({ op, room: room(bytes, at + 1, op), status: status(bytes, at + 9) });
      return at + IN_CALL_SIZE;
    case OP_SETPRES:
      need(bytes, at, SETPRES_SIZE, op);
      out.push({ op, presence: bytes[at + 1] as number });
      return at + SETPRES_SIZE;
    default:
      throw new Fail('unknown_opcode', `unknown client opcode ${op}`);
  }
}

function decodeServerAt(bytes: Uint8Array, at: number, out: ServerCommand[]): number {
  const op = bytes[at] as number;
  switch (op) {
    case OP_HELLO: {
      need(bytes, at, SERVER_HELLO_SIZE, op);
      const clientId = u32(bytes, at + 1);
      if (clientId === 0) throw new Fail('zero_handle', 'OP_HELLO with client_id 0');
      out.push({ op, clientId });
      return at + SERVER_HELLO_SIZE;
    }
    case OP_KEEPALIVE:
      out.push({ op });
      return at + 1;
    case OP_RTMSG: {
      need(bytes, at, RTMSG_HEADER_SIZE, op);
      const r = room(bytes, at + 1, op);
      if (isZeroHandleAt(bytes, at + 9)) throw new Fail('zero_handle', 'OP_RTMSG with sender_user 0');
      const senderClient = u32(bytes, at + 17);
      if (senderClient === 0) throw new Fail('zero_handle', 'OP_RTMSG with sender_client 0');
      const data = rtmsgData(bytes, at);
      out.push({
        op,
        room: r,
        senderUser: readHandle(bytes, at + 9),
        senderClient,
        msgtype: bytes[at + 21] as number,
        data,
      });
      return at + RTMSG_HEADER_SIZE + data.length;
    }
    case OP_IN_CALL:
      need(bytes, at, IN_CALL_SIZE, op);
      out.push({ op, room: room(bytes, at + 1, op), status: status(bytes, at + 9) });
      return at + IN_CALL_SIZE;
    case OP_PRES: {
      need(bytes, at, PRES_SIZE, op);
      const presence = bytes[at + 9] as number;
      if (presence > 0x7f) throw new Fail('invalid_value', `OP_PRES presence ${presence} has its MSB set`);
      out.push({ op, user: readHandle(bytes, at + 1), presence });
      return at + PRES_SIZE;
    }
    case OP_REJECT:
      need(bytes, at, REJECT_SIZE, op);
      out.push({
        op,
        refusedOp: bytes[at + 1] as number,
        room: readHandle(bytes, at + 2),
        code: bytes[at + 10] as number,
      });
      return at + REJECT_SIZE;
    default:
      throw new Fail('unknown_opcode', `unknown server opcode ${op}`);
  }
}

function decodeAll<T>(
  bytes: Uint8Array,
  step: (bytes: Uint8Array, at: number, out: T[]) => number,
): RealtimeDecodeResult<T> {
  if (!(bytes instanceof Uint8Array)) {
    return { ok: false, error: new RealtimeProtocolError('empty', 0, -1, 'not a binary message') };
  }
  if (bytes.length === 0) {
    return { ok: false, error: new RealtimeProtocolError('empty', 0, -1, 'empty binary message') };
  }
  const commands: T[] = [];
  let at = 0;
  try {
    while (at < bytes.length) at = step(bytes, at, commands);
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    return { ok: false, error: new RealtimeProtocolError(e.reason, at, bytes[at] as number, e.message) };
  }
  return { ok: true, commands };
}

/** Decodes a binary message a client sent (what the server receives). Never throws. */
export function decodeClientCommands(bytes: Uint8Array): RealtimeDecodeResult<ClientCommand> {
  return decodeAll(bytes, decodeClientAt);
}

/** Decodes a binary message a server sent (what the client receives). Never throws. */
export function decodeServerCommands(bytes: Uint8Array): RealtimeDecodeResult<ServerCommand> {
  return decodeAll(bytes, decodeServerAt);
}
