/**
 * The router's records of connections, users and rooms, and its timer entries. Internal: the
 * router's public API speaks in connection ids and handles.
 *
 * @packageDocumentation
 */

import type { Deadline } from './deadline-heap.js';
import type { HandleHex } from './handle.js';
import type { ConnectionPresence } from './presence.js';
import type { TokenBucket } from './token-bucket.js';

/** A connection. Its presence fields (`value`, `idle`) are the merge rule's per-connection state. */
export interface RouterConn extends ConnectionPresence {
  readonly id: number;
  readonly user: RouterUser;
  /** 0 until `OP_HELLO`. */
  clientId: number;
  clientVersion: number;
  /** True once `OP_HELLO` was handled: only live connections route, count for presence and get news. */
  live: boolean;
  /** True once removed; timer entries that still point here are stale. */
  closed: boolean;
  lastSeen: number;
  readonly bucket: TokenBucket;
  /** Rooms in which this connection is in a call. */
  readonly callRooms: Set<RouterRoom>;
}

/**
 * A live connection held by another server instance (cluster mode): it counts for its user's
 * presence and in-call state here, and RTMSG for it is forwarded to `origin`; nothing is ever
 * sent to it from this router.
 */
export interface RemoteConn extends RouterConn {
  /** The instance that holds the connection. */
  readonly origin: string;
}

/** A user the router was told about (by a connection, a membership or a contact list). */
export interface RouterUser {
  readonly handle: HandleHex;
  readonly bytes: Uint8Array;
  /** Every connection, live or still waiting for `OP_HELLO` (the per-user limit counts both). */
  readonly conns: Set<RouterConn>;
  readonly live: Set<RouterConn>;
  /** Live connections of this user on other server instances (cluster mode). */
  readonly remote: Set<RemoteConn>;
  readonly rooms: Set<RouterRoom>;
  /** Users this user has added as contacts (visibility needs both sides). */
  readonly contacts: Set<HandleHex>;
  /** The merged presence as last sent. */
  presence: number;
  /** Visit stamp, to list each watcher once per fan-out without allocating a set. */
  mark: number;
}

/** A room: its members and its in-call state. */
export interface RouterRoom {
  readonly handle: HandleHex;
  readonly bytes: Uint8Array;
  readonly members: Set<RouterUser>;
  /** Connections in a call, each with its heartbeat timer. */
  readonly calls: Map<RouterConn, CallTimer>;
  /** How many of each user's connections are in the call. */
  readonly callUsers: Map<RouterUser, number>;
  flag: 0 | 1;
}

/** A connection's in-call heartbeat deadline in one room. */
export interface CallTimer extends Deadline {
  readonly kind: 'call';
  readonly conn: RouterConn;
  readonly room: RouterRoom;
  lastBeat: number;
}

/** The deadline for a connection's `OP_HELLO`. */
export interface HelloTimer extends Deadline {
  readonly kind: 'hello';
  readonly conn: RouterConn;
}

/** The deadline for a connection to send anything at all. */
export interface SilenceTimer extends Deadline {
  readonly kind: 'silence';
  readonly conn: RouterConn;
}

export type RouterTimer = CallTimer | HelloTimer | SilenceTimer;
