/**
 * Opcodes, field sizes, `OP_REJECT` codes and close codes of the realtime channel, as fixed in
 * DESIGN.md ("Realtime channel") and `docs/realtime-protocol.md`.
 *
 * @packageDocumentation
 */

/** C->S: nothing; the server answers with `OP_KEEPALIVE`. */
export const OP_KEEPALIVE = 0;
/** S->C: a command was refused without closing the connection. */
export const OP_REJECT = 11;
/** Both ways: a realtime message inside a room. */
export const OP_RTMSG = 22;
/** C->S: `client_version.2 user_presence.1 reserved.1`; S->C: `client_id.4`. */
export const OP_HELLO = 23;
/** Both ways: in-call heartbeat (C->S) and the room's in-call flag (S->C). */
export const OP_IN_CALL = 28;
/** C->S: sets this connection's presence (MSB set = by the idle timer). */
export const OP_SETPRES = 60;
/** S->C: a user's merged presence (user 0 = your own). */
export const OP_PRES = 61;

/** The `client_version` this implementation speaks (the only dialect so far). */
export const REALTIME_CLIENT_VERSION = 1;

/** Set in an `OP_SETPRES` / `OP_HELLO` presence byte when the client's idle timer chose the value. */
export const PRESENCE_IDLE_FLAG = 0x80;
/** The presence value part of a presence byte. */
export const PRESENCE_VALUE_MASK = 0x7f;

/** Largest `msglen` the 3-byte field can carry. */
export const RTMSG_MAX_MSGLEN = 0xffffff;

/** Encoded sizes, opcode byte included (RTMSG: without its data). */
export const CLIENT_HELLO_SIZE = 5;
export const SERVER_HELLO_SIZE = 5;
export const KEEPALIVE_SIZE = 1;
export const RTMSG_HEADER_SIZE = 25;
export const IN_CALL_SIZE = 10;
export const SETPRES_SIZE = 2;
export const PRES_SIZE = 10;
export const REJECT_SIZE = 11;

/**
 * `OP_REJECT` codes: why the server refused a command (the connection stays open).
 *
 * - `NOT_IN_ROOM` (1): the sender is not a member of the command's room (RTMSG, IN_CALL).
 * - `RECEIVER_NOT_IN_ROOM` (2): RTMSG to user U, and U is not a member of the room.
 * - `UNKNOWN_CLIENT` (3): RTMSG to (U, C), and no open connection of U has client id C.
 * - `TOO_LARGE` (4): RTMSG data longer than the server's limit (default 64 KiB).
 * - `RATE_LIMITED` (5): the connection's command budget (token bucket) is spent.
 */
export const RejectCode = {
  NOT_IN_ROOM: 1,
  RECEIVER_NOT_IN_ROOM: 2,
  UNKNOWN_CLIENT: 3,
  TOO_LARGE: 4,
  RATE_LIMITED: 5,
} as const;

/** One of the {@link RejectCode} values (decoders accept any byte, for newer servers). */
export type RejectCodeValue = (typeof RejectCode)[keyof typeof RejectCode];

/** WebSocket close codes the realtime channel uses. */
export const RealtimeCloseCode = {
  /** The server or client is going away (client: the server stopped answering keepalives). */
  GOING_AWAY: 1001,
  /** Malformed bytes, unknown opcode, a command before or a second `OP_HELLO`. */
  PROTOCOL_ERROR: 1002,
  /** A limit or policy: connections per user, total connections, flooding, HELLO/idle timeout. */
  POLICY_VIOLATION: 1008,
  /** A binary message larger than the inbound message limit. */
  MESSAGE_TOO_BIG: 1009,
} as const;
