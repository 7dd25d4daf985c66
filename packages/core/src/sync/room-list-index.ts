import type { SyncChanges, SyncChangesQuery, SyncCursor, SyncPage, SyncPageQuery } from './data-source.js';
import { SnapshotList } from './snapshot-list.js';
import type { SyncInviteSummary, SyncRoomListEntry, SyncRoomSort, SyncRoomSummary } from './types.js';

const ROOM_SHAPES = { by_recency: ['number', 'string'], by_name: ['string', 'string'] } as const;

/** The folded form names are sorted by: case-insensitive, locale-independent (and so stable). */
export function foldName(name: string): string {
  return name.toLowerCase();
}

/**
 * Every user's rooms, sorted `by_recency` (latest event first) and `by_name`, for the `room_list`
 * stream: the rooms the user is joined to and those they are invited to. The server keeps it up
 * to date as events arrive: on each event of a room, {@link upsert} one new summary object for
 * each joined member (treat it as immutable: members share it); on an invite (and on a rename of
 * a room with pending invites), {@link invite} for the invitee; on a leave, a rejected or
 * retracted invite or a ban, {@link leave} for the member.
 * A room no longer listed stays as a marker so that deltas can report the leave.
 */
export class RoomListIndex {
  readonly #users = new Map<string, SnapshotList<SyncRoomSort, SyncRoomListEntry>>();
  readonly #shared = new WeakMap<SyncRoomSummary, SyncRoomListEntry>();

  /** Records that `userId` is joined to the room of `summary`, as changed at `position`. */
  upsert(userId: string, summary: SyncRoomSummary, position: number): void {
    // Members of a room share one entry when the caller passes them one summary object.
    let entry = this.#shared.get(summary);
    if (entry === undefined) {
      entry = { ...summary, membership: 'join' };
      this.#shared.set(summary, entry);
    }
    this.#list(userId).put(summary.room_id, entry, position, keysOf(summary));
  }

  /**
   * Records that `userId` is invited to the room of `invite`, as changed at `position` (the
   * invite's, or a later rename's: the entry's `recency` stays the invite's).
   */
  invite(userId: string, invite: SyncInviteSummary, position: number): void {
    this.#list(userId).put(invite.room_id, { ...invite, membership: 'invite' }, position, keysOf(invite));
  }

  /**
   * Records that `userId` left the room, or that their invite was rejected or retracted, or that
   * they were banned, at `position`. Does nothing when the room is not listed for the user (never
   * joined nor invited, or already gone), so callers need not know.
   */
  leave(userId: string, roomId: string, roomHandle: string, position: number): void {
    const list = this.#users.get(userId);
    const old = list?.get(roomId);
    if (list === undefined || old === undefined || old.membership === 'leave') return;
    const entry: SyncRoomListEntry = {
      room_id: roomId,
      room_handle: roomHandle,
      membership: 'leave',
      recency: position,
    };
    list.put(roomId, entry, position);
  }

  /** The entry `userId` has for `roomId` (joined, invited or a leave marker), if any. */
  get(userId: string, roomId: string): SyncRoomListEntry | undefined {
    return this.#users.get(userId)?.get(roomId);
  }

  /** The rooms listed for `userId`: joined and invited. */
  listedCount(userId: string): number {
    return this.#users.get(userId)?.listedCount ?? 0;
  }

  /** A page of `userId`'s joined and invited rooms (see {@link SyncDataSource.roomListPage}). */
  page(userId: string, query: SyncPageQuery<SyncRoomSort>): SyncPage<SyncRoomListEntry> {
    return this.#users.get(userId)?.page(query) ?? { items: [] };
  }

  /** Rooms of `userId` changed, joined, invited to or left in the window (see {@link SyncDataSource.roomListChanges}). */
  changes(userId: string, query: SyncChangesQuery): SyncChanges<SyncRoomListEntry> {
    return this.#users.get(userId)?.changes(query) ?? { items: [] };
  }

  #list(userId: string): SnapshotList<SyncRoomSort, SyncRoomListEntry> {
    let list = this.#users.get(userId);
    if (list === undefined) {
      list = new SnapshotList<SyncRoomSort, SyncRoomListEntry>(ROOM_SHAPES);
      this.#users.set(userId, list);
    }
    return list;
  }
}

function keysOf(room: { room_id: string; name: string; recency: number }): Record<SyncRoomSort, SyncCursor> {
  return { by_recency: [-room.recency, room.room_id], by_name: [foldName(room.name), room.room_id] };
}
