/**
 * What sync v3 (docs/sync.md) needs of the storage beyond the room tables: the bulk reads that
 * rebuild its in-memory indexes at start, and the to-device message queue.
 */
import type { StoredEvent, TxnKey } from './storage.js';

/** A room and its latest event, as the sync indexes are rebuilt from. */
export interface RoomHead {
  roomId: string;
  handle: string;
  /** The stream ordering of the room's latest event. */
  streamOrdering: number;
  /** `origin_server_ts` of that event. */
  originServerTs: number;
}

/** A to-device message waiting for one device. */
export interface ToDeviceRecord {
  userId: string;
  deviceId: string;
  /** The sync stream position the message was stored at; unique per device. */
  position: number;
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

/** Bounds checked by {@link SyncStorage.addToDeviceMessages} in its transaction. */
export interface ToDeviceBounds {
  /** Undeleted messages a device may hold; a send that would exceed it stores nothing. */
  maxQueuedPerDevice: number;
  /** Transaction ids older than this (ms before `now`) are forgotten. */
  txnRetentionMs: number;
  now: number;
  /**
   * When given, the send takes a new stream ordering inside its transaction, as an event does,
   * and its messages are stored at the positions `ordering × 2^orderingBits + 1, + 2, …` in the
   * order given (their `position` is ignored); the result names the ordering. Several server
   * instances use this (docs/scale-out.md): commits happen in ordering order, so an instance that
   * has read up to an ordering can no longer miss a message stored below it.
   */
  orderingBits?: number;
}

/** The outcome of {@link SyncStorage.addToDeviceMessages}. */
export type ToDeviceAddResult =
  /** Stored; `ordering` is the stream ordering taken when `orderingBits` was given. */
  | { kind: 'stored'; ordering?: number }
  /** The `(device, txnId)` was seen before: nothing stored. */
  | { kind: 'duplicate' }
  /** A recipient device's queue is full: nothing stored. */
  | { kind: 'queue_full'; userId: string; deviceId: string };

/** The sync part of the {@link Storage} interface. */
export interface SyncStorage {
  /** Every room with its handle and latest event. */
  getRoomHeads(): Promise<RoomHead[]>;
  /** The current state events of the given types, in every room. */
  getCurrentStateOfTypes(types: readonly string[]): Promise<StoredEvent[]>;
  /** The newest stream ordering handed out so far (0 when none). */
  getMaxStreamOrdering(): Promise<number>;
  /**
   * Takes a stream ordering that no event will ever get (the event sequence moves past it), for
   * sync positions that need a new base without an event.
   */
  reserveStreamOrdering(): Promise<number>;
  /** The ids of a user's devices. */
  getDeviceIds(userId: string): Promise<string[]>;

  /** True when the sender's `(device, txnId)` was already used for a to-device send. */
  hasToDeviceTxn(txn: TxnKey): Promise<boolean>;
  /**
   * Stores the messages of one send and its transaction id, all or nothing, unless the txn id
   * was seen or a queue would exceed its bound.
   */
  addToDeviceMessages(
    messages: readonly ToDeviceRecord[],
    txn: TxnKey,
    bounds: ToDeviceBounds,
  ): Promise<ToDeviceAddResult>;
  /** Up to `limit` messages of the device with a position in (`after`, `upTo`], oldest first. */
  getToDeviceMessages(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<ToDeviceRecord[]>;
  /** Deletes the device's messages with a position ≤ `upTo`; returns how many went. */
  deleteToDeviceMessages(userId: string, deviceId: string, upTo: number): Promise<number>;
  /** Undeleted messages, of one device or of all. */
  countToDeviceMessages(device?: { userId: string; deviceId: string }): Promise<number>;
  /** The highest position of an undeleted message (0 when none). */
  getMaxToDevicePosition(): Promise<number>;
}
