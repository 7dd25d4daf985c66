import type { ParleyError } from '../errors.js';
import type { SyncSession } from '../sync/sync-session.js';
import type { ParleyClientEvents } from './client-events.js';
import type { ParleyClientSyncOptions } from './client-options.js';
import type { RoomCache } from './room-cache.js';
import type { RoomList } from './room-list.js';
import type { SyncDriver } from './sync-driver.js';
import type { SyncNews } from './sync-news.js';

type Emit = <K extends keyof ParleyClientEvents>(
  event: K,
  ...args: Parameters<ParleyClientEvents[K]>
) => void;

/**
 * Joins a `SyncSession` to the client's state: chooses the streams (the room list and to-device
 * always; timeline, members and typing for the room the app has open), applies each answer to
 * the {@link RoomList} and announces the changes.
 */
export class SyncBinding {
  readonly #session: SyncSession;
  readonly #driver: SyncDriver;
  readonly #rooms: RoomList;
  readonly #cache: RoomCache;
  readonly #emit: Emit;
  readonly #o: Required<ParleyClientSyncOptions>;
  #openRoom: string | undefined;
  readonly #onResponse = (body: SyncNews): void => this.#apply(body);
  readonly #onRestart = (e: ParleyError): void => this.#emit('warning', e);
  /** Called after each answer was applied (the client uses it to sync the in-call flags). */
  afterApply: () => void = () => undefined;

  constructor(options: {
    session: SyncSession;
    driver: SyncDriver;
    rooms: RoomList;
    cache: RoomCache;
    emit: Emit;
    sync: Required<ParleyClientSyncOptions>;
  }) {
    this.#session = options.session;
    this.#driver = options.driver;
    this.#rooms = options.rooms;
    this.#cache = options.cache;
    this.#emit = options.emit;
    this.#o = options.sync;
    this.#session.on('response', this.#onResponse);
    this.#session.on('restart', this.#onRestart);
    const open = this.#session.params.room?.room_id;
    this.#openRoom = open;
  }

  /** The room whose timeline, members and typing are synced. */
  get openRoom(): string | undefined {
    return this.#openRoom;
  }

  /** Subscribes the streams every client needs (before the loop's first request). */
  subscribeDefaults(): void {
    this.#session.subscribe('room_list', { p: { limit: this.#o.roomListLimit, sort: 'by_recency' } });
    this.#session.subscribe('to_device', { limit: this.#o.toDeviceLimit });
  }

  /**
   * Fetches the first page of the room list when the session has none yet (a paginated stream
   * without `p.since` sends only deltas). A resumed session already has it and gets deltas.
   */
  async firstPage(signal?: AbortSignal): Promise<void> {
    if (this.#session.since !== undefined && this.#rooms.rooms.size > 0) return;
    this.#driver.refresh();
    await this.#session.page('room_list', { first: true, signal });
  }

  /** Fetches the next page of the room list; false when there was none. */
  async moreRooms(signal?: AbortSignal): Promise<boolean> {
    if (!this.#session.hasMorePages('room_list')) return false;
    this.#driver.refresh();
    await this.#session.page('room_list', { signal });
    return true;
  }

  /** Opens a room: its timeline, members and typing are synced from now on (one room at a time). */
  async open(roomId: string, signal?: AbortSignal): Promise<void> {
    this.#openRoom = roomId;
    this.#session.subscribe('room', { room_id: roomId, timeline_limit: this.#o.timelineLimit });
    this.#session.subscribe('typing', { room_id: roomId });
    this.#session.subscribe('room_members', {
      room_id: roomId,
      p: { limit: this.#o.membersLimit, sort: 'by_name' },
    });
    this.#driver.refresh();
    await this.#session.page('room_members', { first: true, signal });
  }

  /** Stops syncing the open room's timeline, members and typing. */
  close(): void {
    this.#openRoom = undefined;
    this.#session.unsubscribe('room');
    this.#session.unsubscribe('typing');
    this.#session.unsubscribe('room_members');
    this.#driver.refresh();
  }

  /** Detaches from the session. */
  dispose(): void {
    this.#session.off('response', this.#onResponse);
    this.#session.off('restart', this.#onRestart);
  }

  #apply(body: SyncNews): void {
    const ch = this.#rooms.applySync(body, this.#openRoom);
    for (const roomId of ch.left) {
      this.#emit('roomLeft', roomId);
      this.#cache.markDirty(this.#rooms, roomId);
    }
    for (const { room, added, replaced, reset } of ch.timelines) {
      for (const txnId of replaced) this.#emit('echo', room, txnId, 'replaced');
      if (added.length > 0 || reset) this.#emit('timeline', room, added, reset);
      this.#cache.markDirty(this.#rooms, room.roomId);
    }
    for (const room of ch.members) {
      this.#emit('members', room);
      this.#cache.markDirty(this.#rooms, room.roomId);
    }
    for (const room of ch.typing) this.#emit('typing', room, room.typing);
    for (const room of ch.rooms) this.#cache.markDirty(this.#rooms, room.roomId);
    if (ch.rooms.length > 0 || ch.left.length > 0 || ch.timelines.length > 0)
      this.#emit('rooms', this.#rooms.sorted());
    for (const m of ch.toDevice) this.#emit('toDevice', m);
    this.afterApply();
  }
}
