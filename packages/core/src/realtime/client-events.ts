import type { ParleyError } from '../errors.js';
import type { HandleHex } from './handle.js';

/** The connection state of a {@link RealtimeClient}. */
export type RealtimeClientState =
  /** No socket: before `handleOpen` and after `handleClose`. */
  | 'disconnected'
  /** The socket is open and `OP_HELLO` is sent; waiting for the server's `OP_HELLO`. */
  | 'hello_sent'
  /** The server gave us a client id. */
  | 'logged_in'
  /** The client asked for the socket to be closed (protocol error or dead server); waiting for `handleClose`. */
  | 'closing';

/** An event of a {@link RealtimeClient}, taken with {@link RealtimeClient.poll}. */
export type RealtimeClientEvent =
  /** The server answered `OP_HELLO` with this connection's client id. */
  | { type: 'hello'; clientId: number }
  /** The login dump is complete (its last command, our own presence, arrived). */
  | { type: 'ready' }
  /** Our own merged presence, as the server computed it (`OP_PRES` user 0). */
  | { type: 'own_presence'; presence: number }
  /** Another user's presence changed (0 = offline, invisible or no longer visible to us). */
  | { type: 'presence'; user: HandleHex; presence: number }
  /** A room's in-call flag (true while at least two users are in its call). */
  | { type: 'in_call'; room: HandleHex; flag: boolean }
  /** A realtime message; `data` is a view into the received binary message. */
  | {
      type: 'rtmsg';
      room: HandleHex;
      senderUser: HandleHex;
      senderClient: number;
      msgtype: number;
      data: Uint8Array;
    }
  /** The server refused a command we sent (see `RejectCode`). */
  | { type: 'reject'; refusedOp: number; room: HandleHex; code: number }
  /** The server stopped answering; a close was queued (adapters should not wait for the handshake). */
  | { type: 'dead' }
  /** The server broke the protocol; a close with 1002 was queued. */
  | { type: 'error'; error: ParleyError }
  /** The socket is closed (`handleClose`). */
  | { type: 'closed'; code: number | undefined; reason: string | undefined };

/** One output of {@link RealtimeClient.pollTransmit}: bytes to send, or a close to perform. */
export type RealtimeClientTransmit = { bytes: Uint8Array } | { close: { code: number; reason: string } };
