/**
 * The storage interface of the server. Every method is async so that a networked database
 * (PostgreSQL) can implement it as well as embedded SQLite; every write resolves only once it is
 * committed.
 */
import type { PDU, StateEntry } from '@parley/core';
import type { FederationStorage } from './federation-storage.js';
import type { RealtimeStorage } from './realtime-storage.js';
import type { SyncStorage } from './sync-storage.js';

/** A local user account. */
export interface UserRecord {
  userId: string;
  localpart: string;
  /** The scrypt hash string of the password (see `auth/passwords.ts`). */
  passwordHash: string;
  /** The user's 8-byte handle, 16 lowercase hex digits. */
  handle: string;
  createdTs: number;
}

/** What an access token (stored as its SHA-256) stands for. */
export interface AccessTokenRecord {
  userId: string;
  deviceId: string;
}

/** A room this server knows. */
export interface RoomRecord {
  roomId: string;
  /** The room's 8-byte handle, 16 lowercase hex digits. */
  handle: string;
  roomVersion: string;
  creator: string;
  createdTs: number;
}

/** An event about to be stored: its id (the reference hash) and the signed PDU. */
export interface NewEvent {
  eventId: string;
  event: PDU;
}

/** An event as stored, with its position in the server's stream. */
export interface StoredEvent extends NewEvent {
  /** Increases with each stored event, never reused; `/messages` tokens are made of it. */
  streamOrdering: number;
}

/** A forward extremity of a room's DAG: an event with no child yet. */
export interface Extremity {
  eventId: string;
  depth: number;
}

/** A `(device, txnId)` a client sent an event under, for idempotent `send`. */
export interface TxnKey {
  userId: string;
  deviceId: string;
  txnId: string;
}

/** The state key of a room state entry. */
export interface StateKeyRef {
  type: string;
  stateKey: string;
}

/** A page of a room's timeline, for `/messages`. */
export interface RoomEventsQuery {
  roomId: string;
  /** `b`: events at or before `from`, newest first; `f`: events after `from`, oldest first. */
  dir: 'b' | 'f';
  /** A stream ordering. */
  from: number;
  limit: number;
}

/** Produces a fresh random handle (16 lowercase hex digits, not all zero). */
export type HandleFactory = () => string;

/** The server's storage. */
export interface Storage extends RealtimeStorage, SyncStorage, FederationStorage {
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** A value of the server's own key-value table (e.g. `server_name`). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;

  /**
   * Creates a user with a fresh handle.
   *
   * @throws `400 M_USER_IN_USE` when the user id is taken.
   */
  createUser(user: Omit<UserRecord, 'handle'>, newHandle: HandleFactory): Promise<UserRecord>;
  getUser(userId: string): Promise<UserRecord | undefined>;

  /** Stores an access token (its SHA-256) for a device, creating the device if new. */
  addAccessToken(tokenHash: string, record: AccessTokenRecord, createdTs: number): Promise<void>;
  getAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined>;
  deleteAccessToken(tokenHash: string): Promise<void>;

  /** Creates a room with a fresh handle and stores its first events, all in one transaction. */
  createRoom(
    room: Omit<RoomRecord, 'handle'>,
    newHandle: HandleFactory,
    events: readonly NewEvent[],
  ): Promise<{ room: RoomRecord; events: StoredEvent[] }>;
  getRoom(roomId: string): Promise<RoomRecord | undefined>;

  /**
   * Appends an event to a room: stores it, moves the forward extremities, updates the current
   * state when it is a state event, and records `txn` when given — in one transaction.
   *
   * Refuses, storing nothing, an event whose `prev_events` are not all forward extremities
   * (`prev_events_stale`: rebuild it) or whose `txn` was already used (`txn_exists`); on
   * PostgreSQL another server instance may have appended in between. See `append-conflict.ts`.
   */
  appendEvent(roomId: string, event: NewEvent, txn?: TxnKey): Promise<StoredEvent>;
  /**
   * Builds and appends an event under the room's write lock, in one transaction: reads the
   * current state entries of `stateKeys` that exist and the room's deepest `maxPrevEvents`
   * forward extremities, calls `build` with them (synchronously; it throws to refuse), and
   * stores what it returns as {@link appendEvent} does. No other writer (another instance on
   * PostgreSQL) appends to the room in between, so the event cannot fork the room.
   */
  appendBuiltEvent(
    roomId: string,
    stateKeys: readonly StateKeyRef[],
    maxPrevEvents: number,
    build: (state: StateEntry[], prevEvents: Extremity[]) => NewEvent,
    txn?: TxnKey,
  ): Promise<StoredEvent>;
  /** The event id a `(device, txnId)` was sent as, if any. */
  getTxnEventId(txn: TxnKey): Promise<string | undefined>;
  /**
   * The txn ids under which the device `(userId, deviceId)` sent any of `eventIds`, by event id;
   * events it did not send with a txn id are absent. For `unsigned.transaction_id`.
   */
  getTxnIdsOfEvents(
    userId: string,
    deviceId: string,
    eventIds: readonly string[],
  ): Promise<Map<string, string>>;
  getEvent(eventId: string): Promise<StoredEvent | undefined>;

  /** The current state entries of `keys` that exist (for authorization). */
  getStateEntries(roomId: string, keys: readonly StateKeyRef[]): Promise<StateEntry[]>;
  /** The whole current state of a room. */
  getFullState(roomId: string): Promise<StateEntry[]>;
  /** The room's forward extremities, deepest first, at most `limit`. */
  getForwardExtremities(roomId: string, limit: number): Promise<Extremity[]>;
  /** A page of the room's events in stream order. */
  getRoomEvents(query: RoomEventsQuery): Promise<StoredEvent[]>;
  /** The rooms a user's current membership is `join` in. */
  getJoinedRooms(userId: string): Promise<string[]>;

  /** Closes the database; pending writes are committed first. */
  close(): Promise<void>;
}
