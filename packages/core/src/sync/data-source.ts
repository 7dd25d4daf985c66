import type { SyncEvent, SyncMemberEntry, SyncMemberSort, SyncRoomListEntry, SyncRoomSort } from './types.js';

/**
 * A key in a sorted index, as a page cursor: the sort key of the last item of a page. It travels
 * inside `p.next`, so it must be JSON (strings and numbers only).
 */
export type SyncCursor = readonly (string | number)[];

/**
 * Where a delta resumes: after every change at `position` when `id` is absent, else after the
 * change of item `id` at `position` (several items may change at one position, e.g. one
 * `m.room.power_levels` event moves many members).
 */
export interface SyncDeltaCursor {
  position: number;
  id?: string;
}

/** A page of a snapshot, asked of a {@link SyncDataSource}. */
export interface SyncPageQuery<S extends string> {
  sort: S;
  /**
   * The snapshot's stream position. Only items present at it and unchanged since (last change
   * ≤ `snapshot`) are eligible: those that changed later come as deltas instead, so a page never
   * repeats an item nor skips an unchanged one however the data moves between page requests.
   */
  snapshot: number;
  /** Resume strictly after this sort key; absent for the first page. */
  after?: SyncCursor;
  limit: number;
}

/** An answer to a {@link SyncPageQuery}. */
export interface SyncPage<T> {
  items: T[];
  /** The sort key of the last item, present when at least one more eligible item follows. */
  next?: SyncCursor;
}

/** A delta asked of a {@link SyncDataSource}: items whose last change is in (`after`, `upTo`]. */
export interface SyncChangesQuery {
  after: SyncDeltaCursor;
  upTo: number;
  limit: number;
}

/** An answer to a {@link SyncChangesQuery}, ordered by (last change, id). */
export interface SyncChanges<T> {
  items: T[];
  /** Where to resume when the answer was cut at `limit`; absent when it reached `upTo`. */
  next?: SyncDeltaCursor;
}

/** A user's membership of a room. */
export interface SyncMembership {
  membership: 'join' | 'leave' | 'invite' | 'ban' | 'knock';
  /**
   * The stream position at which the membership became what it is (a profile change while joined
   * does not move it): the leave position ends a left room's data; a join after the stream's
   * position restarts the stream.
   */
  since: number;
  /**
   * When the user is not joined now but was: the positions at which their most recent join
   * began (its `since`) and ended. The `room` stream sends a left room's events up to `until`,
   * and never those of a time the user was not joined (after a leave, an invite or a ban).
   */
  last_join?: { since: number; until: number };
}

/** A room's timeline slice. */
export interface SyncTimeline {
  /** The newest `limit` events of the window (oldest first). */
  events: SyncEvent[];
  /** True when the window held more events than `limit`. */
  limited: boolean;
  /** A `/messages` token paging backwards from the oldest event returned. */
  prev_batch?: string;
}

/** The users typing in a room, and the position of the last change of that set. */
export interface SyncTypingState {
  user_ids: string[];
  position: number;
}

/** A stored to-device message. */
export interface SyncToDeviceMessage {
  position: number;
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

/**
 * What the sync engine reads, implemented by the server over its storage and in-memory indexes
 * (and by {@link MemorySyncDataSource} for tests).
 *
 * Positions: one global stream position, a positive integer that grows by at least 1 with every
 * change the engine can report (room event, membership, typing change, to-device message). A
 * position must be visible through every method before {@link currentPosition} returns it, so
 * that a read bounded by `upTo` is a snapshot. Every method is async: PostgreSQL implements it too.
 *
 * Access control is the engine's job (it asks {@link membership} before reading a room); room
 * methods take no user so that they can be served from one shared per-room index.
 */
export interface SyncDataSource {
  /** The newest stream position. */
  currentPosition(): Promise<number>;
  /** `userId`'s membership of `roomId`, or `undefined` when it never had one. */
  membership(userId: string, roomId: string): Promise<SyncMembership | undefined>;
  /**
   * A page of the rooms `userId` is joined to (`membership: "join"`) or invited to
   * (`membership: "invite"`, sorted by the invite's position and the room's name). Entries may be
   * shared objects: the engine never modifies them.
   */
  roomListPage(userId: string, query: SyncPageQuery<SyncRoomSort>): Promise<SyncPage<SyncRoomListEntry>>;
  /** Rooms of `userId` that changed, were joined, invited to or left (`membership: "leave"`) within the window `(after, upTo]`. */
  roomListChanges(userId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncRoomListEntry>>;
  /** A page of the joined members of `roomId`. */
  memberPage(roomId: string, query: SyncPageQuery<SyncMemberSort>): Promise<SyncPage<SyncMemberEntry>>;
  /** Members of `roomId` whose member event or power level changed within the window `(after, upTo]`. */
  memberChanges(roomId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncMemberEntry>>;
  /** The newest `limit` events of `roomId` with a position in (`after`, `upTo`]. */
  timeline(roomId: string, query: { after?: number; upTo: number; limit: number }): Promise<SyncTimeline>;
  /** The users typing in `roomId` now. */
  typing(roomId: string): Promise<SyncTypingState>;
  /** Up to `limit` undeleted messages of the device with a position in (`after`, `upTo`], oldest first. */
  toDevice(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<SyncToDeviceMessage[]>;
  /** Deletes the device's messages with a position ≤ `upTo`. Idempotent. */
  deleteToDevice(userId: string, deviceId: string, upTo: number): Promise<void>;
}
