import type {
  SyncChanges,
  SyncChangesQuery,
  SyncDataSource,
  SyncEvent,
  SyncMemberEntry,
  SyncMemberSort,
  SyncMembership,
  SyncPage,
  SyncPageQuery,
  SyncRoomListEntry,
  SyncRoomSort,
  SyncTimeline,
  SyncToDeviceMessage,
  SyncTypingState,
} from '@parley/core';
import { toClientEvent } from '../rooms/client-event.js';
import { encodeStreamToken } from '../rooms/stream-token.js';
import type { Storage } from '../storage/storage.js';
import type { SyncPositions } from './positions.js';
import type { SyncIndexes } from './sync-indexes.js';
import type { TypingTable } from './typing-table.js';

/**
 * The {@link SyncDataSource} of the server: room lists, member lists and memberships from the
 * in-memory {@link SyncIndexes}, typing from the {@link TypingTable}, timelines and to-device
 * messages from storage. Positions are those of {@link SyncPositions}.
 */
export class StorageSyncSource implements SyncDataSource {
  readonly #storage: Storage;
  readonly #positions: SyncPositions;
  readonly #indexes: SyncIndexes;
  readonly #typing: TypingTable;

  constructor(deps: {
    storage: Storage;
    positions: SyncPositions;
    indexes: SyncIndexes;
    typing: TypingTable;
  }) {
    this.#storage = deps.storage;
    this.#positions = deps.positions;
    this.#indexes = deps.indexes;
    this.#typing = deps.typing;
  }

  async currentPosition(): Promise<number> {
    return this.#positions.current;
  }

  async membership(userId: string, roomId: string): Promise<SyncMembership | undefined> {
    return this.#indexes.membership(userId, roomId);
  }

  async roomListPage(
    userId: string,
    query: SyncPageQuery<SyncRoomSort>,
  ): Promise<SyncPage<SyncRoomListEntry>> {
    return this.#indexes.roomList.page(userId, query);
  }

  async roomListChanges(userId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncRoomListEntry>> {
    return this.#indexes.roomList.changes(userId, query);
  }

  async memberPage(roomId: string, query: SyncPageQuery<SyncMemberSort>): Promise<SyncPage<SyncMemberEntry>> {
    return this.#indexes.members.page(roomId, query);
  }

  async memberChanges(roomId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncMemberEntry>> {
    return this.#indexes.members.changes(roomId, query);
  }

  async timeline(
    roomId: string,
    query: { after?: number; upTo: number; limit: number },
  ): Promise<SyncTimeline> {
    const from = this.#positions.orderingAt(query.upTo);
    const after = query.after === undefined ? 0 : this.#positions.orderingAt(query.after);
    // One more than asked tells whether the window held more than `limit`.
    const newestFirst = await this.#storage.getRoomEvents({ roomId, dir: 'b', from, limit: query.limit + 1 });
    const inWindow = newestFirst.filter((e) => e.streamOrdering > after);
    const limited = inWindow.length > query.limit;
    const kept = inWindow.slice(0, query.limit).reverse();
    const oldest = kept[0];
    return {
      events: kept.map((e) => toClientEvent(e.eventId, e.event) as unknown as SyncEvent),
      limited,
      // Backwards from `t<n>` gives the events at or before n: the ones before the oldest sent.
      ...(oldest === undefined ? {} : { prev_batch: encodeStreamToken(oldest.streamOrdering - 1) }),
    };
  }

  async typing(roomId: string): Promise<SyncTypingState> {
    return this.#typing.state(roomId);
  }

  async toDevice(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<SyncToDeviceMessage[]> {
    const rows = await this.#storage.getToDeviceMessages(userId, deviceId, query);
    return rows.map((r) => ({ position: r.position, type: r.type, sender: r.sender, content: r.content }));
  }

  async deleteToDevice(userId: string, deviceId: string, upTo: number): Promise<void> {
    await this.#storage.deleteToDeviceMessages(userId, deviceId, upTo);
  }
}
