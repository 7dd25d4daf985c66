/**
 * The commands of the realtime channel as typed values, one union per direction (the same opcode
 * has a different layout each way, e.g. `OP_HELLO`).
 *
 * @packageDocumentation
 */

import type { HandleHex } from './handle.js';
import type {
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_PRES,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
} from './opcodes.js';

/** C->S `OP_HELLO client_version.2 user_presence.1 reserved.1`: the first command of a connection. */
export interface ClientHello {
  op: typeof OP_HELLO;
  /** The dialect the client speaks (u16). */
  clientVersion: number;
  /** The connection's initial presence byte, same meaning as in `OP_SETPRES` (MSB = idle-set). */
  presence: number;
}

/** `OP_KEEPALIVE` (no fields), both ways. */
export interface Keepalive {
  op: typeof OP_KEEPALIVE;
}

/**
 * C->S `OP_RTMSG room.8 receiver_user.8 receiver_client.4 msgtype.1 msglen.3 data`.
 * Addressing: (0, 0) the whole room, (U, 0) every connection of U, (U, C) one connection.
 */
export interface ClientRtmsg {
  op: typeof OP_RTMSG;
  room: HandleHex;
  receiverUser: HandleHex;
  /** u32; 0 = every connection of `receiverUser` (or of the room when the user is 0 too). */
  receiverClient: number;
  /** u8, opaque to the server. */
  msgtype: number;
  /** At most 2^24-1 bytes. Decoded values are views into the received message. */
  data: Uint8Array;
}

/** C->S `OP_IN_CALL room.8 status.1`: 1 = in a call (heartbeat), 0 = left the call. */
export interface ClientInCall {
  op: typeof OP_IN_CALL;
  room: HandleHex;
  status: 0 | 1;
}

/** C->S `OP_SETPRES presence.1`: MSB set = chosen by the client's idle timer. */
export interface SetPres {
  op: typeof OP_SETPRES;
  presence: number;
}

/** Every command a client may send. */
export type ClientCommand = ClientHello | Keepalive | ClientRtmsg | ClientInCall | SetPres;

/** S->C `OP_HELLO client_id.4`: the connection's client id (never 0). */
export interface ServerHello {
  op: typeof OP_HELLO;
  clientId: number;
}

/** S->C `OP_RTMSG room.8 sender_user.8 sender_client.4 msgtype.1 msglen.3 data`. */
export interface ServerRtmsg {
  op: typeof OP_RTMSG;
  room: HandleHex;
  senderUser: HandleHex;
  senderClient: number;
  msgtype: number;
  /** Decoded values are views into the received message. */
  data: Uint8Array;
}

/** S->C `OP_IN_CALL room.8 status.1`: the room's in-call flag (1 while >= 2 users are in a call). */
export interface ServerInCall {
  op: typeof OP_IN_CALL;
  room: HandleHex;
  status: 0 | 1;
}

/** S->C `OP_PRES user.8 presence.1`: a user's merged presence; user 0 = your own. MSB always 0. */
export interface Pres {
  op: typeof OP_PRES;
  user: HandleHex;
  presence: number;
}

/** S->C `OP_REJECT op.1 room.8 code.1`: the command `refusedOp` (for `room`, or 0) was refused. */
export interface Reject {
  op: typeof OP_REJECT;
  refusedOp: number;
  room: HandleHex;
  /** One of `RejectCode`; a decoder keeps unknown codes as they are. */
  code: number;
}

/** Every command a server may send. */
export type ServerCommand = ServerHello | Keepalive | ServerRtmsg | ServerInCall | Pres | Reject;
