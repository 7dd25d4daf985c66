import type { SyncChanges, SyncChangesQuery, SyncPage, SyncPageQuery } from './data-source.js';
import { SnapshotList } from './snapshot-list.js';
import type { SyncRoomListEntry, SyncRoomSort, SyncRoomSummary } from './types.js';

const ROOM_SHAPES = { by_recency: ['number', 'string'], by_name: ['string', 'string'] } as const;

/** The folded form names are sorted by: case-insensitive, locale-independent (and so stable). */
export function foldName(name: string): string {
  return name.toLowerCase();
}

/**
 * Every user's rooms, sorted `by_recency` (latest event first) and `by_name`, for the `room_list`
 * stream. The server keeps it up to date as events arrive: on each event of a room, {@link upsert}
 * one new summary object for each joined member (treat it as immutable: members share it); on a
 * leave, {@link leave} for the member who left.
 * A left room stays as a marker so that deltas can report the leave.
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
    this.#list(userId).put(summary.room_id, entry, position, {
      by_recency: [-summary.recency, summary.room_id],
      by_name: [foldName(summary.name), summary.room_id],
    });
  }

  /** Records that `userId` left (or was removed from) the room at `position`. */
  leave(userId: string, roomId: string, roomHandle: string, position: number): void {
    const entry: SyncRoomListEntry = {
      room_id: roomId,
      room_handle: roomHandle,
      membership: 'leave',
      recency: position,
    };
    this.#list(userId).put(roomId, entry, position);
  }

  /** The rooms `userId` is joined to. */
  joinedCount(userId: string): number {
    return this.#users.get(userId)?.listedCount ?? 0;
  }

  /** A page of `userId`'s joined rooms (see {@link SyncDataSource.roomListPage}). */
  page(userId: string, query: SyncPageQuery<SyncRoomSort>): SyncPage<SyncRoomListEntry> {
    return this.#users.get(userId)?.page(query) ?? { items: [] };
  }

  /** Rooms of `userId` changed, joined or left in the window (see {@link SyncDataSource.roomListChanges}). */
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
