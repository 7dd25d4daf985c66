import type { Store, TimerId, Timers } from '../io.js';
import type { RoomMember, RoomSummary } from './room.js';
import type { RoomList } from './room-list.js';
import type { TimelineItem } from './timeline.js';

/** Limits of the {@link RoomCache}. */
export interface RoomCacheOptions {
  store: Store;
  timers: Timers;
  /** Store key prefix. Default `cache/`. */
  prefix?: string;
  /** Rooms kept, most recent first. Default 200. */
  maxRooms?: number;
  /** Newest confirmed timeline events kept per room. Default 50. */
  maxEvents?: number;
  /** Members kept per room. Default 500. */
  maxMembers?: number;
  /** Writes are gathered for this long (ms) before going to the store. Default 500. */
  debounceMs?: number;
}

interface CachedRoom {
  summary: RoomSummary;
  members: RoomMember[];
  events: TimelineItem[];
  prevBatch: string | undefined;
  atStart: boolean;
}

/**
 * A bounded snapshot of the room list, members and recent timelines in the store, so an app
 * shows its rooms at once after a reload, before the first sync answer. Writes are debounced:
 * a burst of sync traffic costs one write per changed room.
 */
export class RoomCache {
  readonly #o: Required<Omit<RoomCacheOptions, 'store' | 'timers'>> &
    Pick<RoomCacheOptions, 'store' | 'timers'>;
  readonly #dirty = new Set<string>();
  #timer: TimerId | undefined;
  #rooms: RoomList | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: RoomCacheOptions) {
    this.#o = {
      prefix: 'cache/',
      maxRooms: 200,
      maxEvents: 50,
      maxMembers: 500,
      debounceMs: 500,
      ...options,
    };
  }

  /** Fills `rooms` from the store; returns how many rooms were restored. */
  async load(rooms: RoomList): Promise<number> {
    const ids = (await this.#o.store.get<string[]>(`${this.#o.prefix}index`)) ?? [];
    let n = 0;
    for (const roomId of ids) {
      const cached = await this.#o.store.get<CachedRoom>(this.#key(roomId));
      if (!cached?.summary) continue;
      const room = rooms.ensure(roomId);
      room.applySummary(cached.summary);
      rooms.setRoomHandle(room, cached.summary.roomHandle);
      for (const m of cached.members ?? []) {
        room.members.set(m.userId, m);
        rooms.setUserHandle(m.userId, m.userHandle);
      }
      room.timeline.reset(cached.events ?? [], cached.prevBatch);
      room.timeline.atStart = cached.atStart === true;
      // Without a token that fits the first event, history is fetched again from the newest end.
      room.timeline.trimmed = cached.prevBatch === undefined && !room.timeline.atStart;
      n++;
    }
    return n;
  }

  /** Notes that `roomId` changed; it is written after the debounce delay. */
  markDirty(rooms: RoomList, roomId: string): void {
    this.#rooms = rooms;
    this.#dirty.add(roomId);
    this.#timer ??= this.#o.timers.set(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.debounceMs);
  }

  /** Writes every pending change now; resolves when the store has them. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#o.timers.clear(this.#timer);
      this.#timer = undefined;
    }
    const rooms = this.#rooms;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    // Writes are chained so that a slow store never sees an older snapshot after a newer one.
    this.#writing = this.#writing
      .then(() => (rooms ? this.#write(rooms, dirty) : undefined))
      .catch(() => undefined);
    return this.#writing;
  }

  /** Removes the whole cache (logout). */
  async clear(): Promise<void> {
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#dirty.clear();
    await this.#writing;
    for (const key of await this.#o.store.keys(this.#o.prefix)) await this.#o.store.delete(key);
  }

  async #write(rooms: RoomList, dirty: string[]): Promise<void> {
    const kept = rooms.sorted().slice(0, this.#o.maxRooms);
    const keptIds = new Set(kept.map((r) => r.roomId));
    for (const roomId of dirty) {
      const room = rooms.rooms.get(roomId);
      if (!room || !keptIds.has(roomId)) {
        await this.#o.store.delete(this.#key(roomId));
        continue;
      }
      const cut = room.timeline.events.length > this.#o.maxEvents;
      const entry: CachedRoom = {
        summary: room.summary(),
        members: [...room.members.values()].slice(0, this.#o.maxMembers),
        events: room.timeline.events.slice(-this.#o.maxEvents),
        // The token pages back from the first event held; it no longer fits once events are cut.
        prevBatch: cut || room.timeline.trimmed ? undefined : room.timeline.prevBatch,
        atStart: !cut && room.timeline.atStart,
      };
      await this.#o.store.set(this.#key(roomId), entry);
    }
    const previous = (await this.#o.store.get<string[]>(`${this.#o.prefix}index`)) ?? [];
    for (const gone of previous) if (!keptIds.has(gone)) await this.#o.store.delete(this.#key(gone));
    await this.#o.store.set(`${this.#o.prefix}index`, [...keptIds]);
  }

  #key(roomId: string): string {
    return `${this.#o.prefix}room/${roomId}`;
  }
}
