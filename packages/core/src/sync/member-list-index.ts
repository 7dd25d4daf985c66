import type {
  SyncChanges,
  SyncChangesQuery,
  SyncMembership,
  SyncPage,
  SyncPageQuery,
} from './data-source.js';
import { foldName } from './room-list-index.js';
import { SnapshotList } from './snapshot-list.js';
import type { SyncEvent, SyncMemberEntry, SyncMemberSort } from './types.js';

const MEMBER_SHAPES = { by_name: ['string', 'string'], by_pl: ['number', 'string', 'string'] } as const;

/** A member as the server knows it from the room's current state. */
export interface MemberRecord {
  user_id: string;
  user_handle: string;
  /** The member's current `m.room.member` event. */
  event: SyncEvent;
  membership: SyncMembership['membership'];
  /** The display name, when the member event sets one. */
  displayname?: string;
  power_level: number;
}

interface Stored {
  record: MemberRecord;
  entry: SyncMemberEntry;
  since: number;
  /** Set while not joined after having been: see {@link SyncMembership.last_join}. */
  lastJoin: SyncMembership['last_join'];
}

/**
 * Every room's members, the joined ones sorted `by_name` and `by_pl` (highest level first), for
 * the `room_members` stream; also the membership lookup that gates every room stream. The server
 * calls {@link upsert} for each `m.room.member` event and {@link setPowerLevel} for each member
 * whose level an `m.room.power_levels` event changes.
 */
export class MemberListIndex {
  readonly #rooms = new Map<string, SnapshotList<SyncMemberSort, Stored>>();

  /** Records the member's new state, changed at `position`. */
  upsert(roomId: string, record: MemberRecord, position: number): void {
    const list = this.#list(roomId);
    const old = list.get(record.user_id);
    const since = old !== undefined && old.record.membership === record.membership ? old.since : position;
    let lastJoin: SyncMembership['last_join'];
    if (record.membership !== 'join') {
      lastJoin = old?.record.membership === 'join' ? { since: old.since, until: position } : old?.lastJoin;
    }
    this.#put(list, record, position, since, lastJoin);
  }

  /** Records a member's new power level, changed at `position`. Unknown users are ignored. */
  setPowerLevel(roomId: string, userId: string, level: number, position: number): void {
    const list = this.#rooms.get(roomId);
    const old = list?.get(userId);
    if (list === undefined || old === undefined || old.record.power_level === level) return;
    this.#put(list, { ...old.record, power_level: level }, position, old.since, old.lastJoin);
  }

  /** The member's record, if the room has one for them. */
  get(roomId: string, userId: string): MemberRecord | undefined {
    return this.#rooms.get(roomId)?.get(userId)?.record;
  }

  /** `userId`'s membership of `roomId` (see {@link SyncDataSource.membership}). */
  membership(roomId: string, userId: string): SyncMembership | undefined {
    const stored = this.#rooms.get(roomId)?.get(userId);
    if (stored === undefined) return undefined;
    const { record, since, lastJoin } = stored;
    return lastJoin === undefined
      ? { membership: record.membership, since }
      : { membership: record.membership, since, last_join: lastJoin };
  }

  /** The number of joined members. */
  joinedCount(roomId: string): number {
    return this.#rooms.get(roomId)?.listedCount ?? 0;
  }

  /** A page of joined members (see {@link SyncDataSource.memberPage}). */
  page(roomId: string, query: SyncPageQuery<SyncMemberSort>): SyncPage<SyncMemberEntry> {
    const list = this.#rooms.get(roomId);
    if (list === undefined) return { items: [] };
    const page = list.page(query);
    return { ...page, items: page.items.map((s) => s.entry) };
  }

  /** Members changed in the window (see {@link SyncDataSource.memberChanges}). */
  changes(roomId: string, query: SyncChangesQuery): SyncChanges<SyncMemberEntry> {
    const list = this.#rooms.get(roomId);
    if (list === undefined) return { items: [] };
    const changes = list.changes(query);
    return { ...changes, items: changes.items.map((s) => s.entry) };
  }

  #put(
    list: SnapshotList<SyncMemberSort, Stored>,
    record: MemberRecord,
    position: number,
    since: number,
    lastJoin: SyncMembership['last_join'],
  ): void {
    const entry: SyncMemberEntry = {
      ...record.event,
      user_handle: record.user_handle,
      power_level: record.power_level,
    };
    const name = foldName(record.displayname ?? record.user_id);
    const keys =
      record.membership === 'join'
        ? { by_name: [name, record.user_id], by_pl: [-record.power_level, name, record.user_id] }
        : undefined;
    list.put(record.user_id, { record, entry, since, lastJoin }, position, keys);
  }

  #list(roomId: string): SnapshotList<SyncMemberSort, Stored> {
    let list = this.#rooms.get(roomId);
    if (list === undefined) {
      list = new SnapshotList<SyncMemberSort, Stored>(MEMBER_SHAPES);
      this.#rooms.set(roomId, list);
    }
    return list;
  }
}
