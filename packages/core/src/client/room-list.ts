import { ParleyError } from '../errors.js';
import type { MatrixEvent, ToDeviceMessage } from './api-types.js';
import { Room, type RoomMember } from './room.js';
import type { SyncNews, SyncNewsEvent } from './sync-news.js';
import type { TimelineItem } from './timeline.js';

/** What applying one sync response changed, for the client to announce. */
export interface RoomListChanges {
  /** Rooms added or whose summary changed. */
  rooms: Room[];
  /** Rooms the user left (removed from the list). */
  left: string[];
  timelines: Array<{ room: Room; added: TimelineItem[]; replaced: string[]; reset: boolean }>;
  members: Room[];
  typing: Room[];
  toDevice: ToDeviceMessage[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The client's rooms and the handle maps the realtime channel needs (user and room handles to
 * Matrix ids), kept up to date from sync responses, API answers and the cache.
 */
export class RoomList {
  readonly rooms = new Map<string, Room>();
  /** Matrix user id by realtime user handle. */
  readonly userByHandle = new Map<string, string>();
  /** Matrix room id by realtime room handle. */
  readonly roomByHandle = new Map<string, string>();
  readonly #handleByUser = new Map<string, string>();
  readonly #maxTimelineEvents: number | undefined;

  constructor(maxTimelineEvents?: number) {
    this.#maxTimelineEvents = maxTimelineEvents;
  }

  /** The room with `roomId`, created empty when unknown. */
  ensure(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Room(roomId, this.#maxTimelineEvents);
      this.rooms.set(roomId, room);
    }
    return room;
  }

  /** Records a room handle learnt from an API answer, sync or the cache. */
  setRoomHandle(room: Room, handle: string | undefined): void {
    if (!handle) return;
    room.roomHandle = handle;
    this.roomByHandle.set(handle, room.roomId);
  }

  /** Records a user handle. */
  setUserHandle(userId: string, handle: string | undefined): void {
    if (!handle) return;
    this.userByHandle.set(handle, userId);
    this.#handleByUser.set(userId, handle);
  }

  /** A user's realtime handle, when known (from members, contacts or login). */
  userHandleOf(userId: string): string | undefined {
    return this.#handleByUser.get(userId);
  }

  /** A room's realtime handle; throws `unknown_room` when the client does not know it yet. */
  roomHandleOf(roomId: string): string {
    const h = this.rooms.get(roomId)?.roomHandle;
    if (!h)
      throw new ParleyError(
        'unknown_room',
        `No realtime handle known for ${roomId}; sync the room list first`,
      );
    return h;
  }

  /** Forgets every room and handle (logout). */
  clear(): void {
    this.rooms.clear();
    this.userByHandle.clear();
    this.roomByHandle.clear();
    this.#handleByUser.clear();
  }

  /** Joined rooms, newest activity first. */
  sorted(): Room[] {
    return [...this.rooms.values()]
      .filter((r) => r.membership === 'join' || r.membership === 'invite')
      .sort((a, b) => (b.lastEventTs ?? 0) - (a.lastEventTs ?? 0) || a.roomId.localeCompare(b.roomId));
  }

  /** Applies one sync response; `typingRoomId` is the room the typing stream is subscribed to. */
  applySync(news: SyncNews, typingRoomId: string | undefined): RoomListChanges {
    const changes: RoomListChanges = {
      rooms: [],
      left: [],
      timelines: [],
      members: [],
      typing: [],
      toDevice: [],
    };
    for (const entry of news.room_list?.rooms ?? []) {
      if (typeof entry?.room_id !== 'string') continue;
      const room = this.ensure(entry.room_id);
      this.setRoomHandle(room, entry.room_handle);
      if (entry.membership === 'leave') {
        room.membership = 'leave';
        changes.left.push(room.roomId);
        continue;
      }
      room.applySummary({
        name: entry.name,
        lastEventTs: entry.last_event_ts,
        memberCount: entry.member_count,
        membership: entry.membership ?? 'join',
      });
      changes.rooms.push(room);
    }
    if (news.room_members && typeof news.room_members.room_id === 'string') {
      const room = this.ensure(news.room_members.room_id);
      for (const e of news.room_members.events ?? []) this.#applyMember(room, e);
      changes.members.push(room);
    }
    if (news.room && typeof news.room.room_id === 'string') {
      const room = this.ensure(news.room.room_id);
      const events = (news.room.events ?? []) as unknown as MatrixEvent[];
      // A limited window means a gap before it: start the timeline afresh from this window of events.
      const reset = news.room.limited === true;
      if (reset) room.timeline.reset([], news.room.prev_batch);
      else if (room.timeline.events.length === 0) room.timeline.prevBatch ??= news.room.prev_batch;
      const { added, replaced } = room.timeline.appendLive(events);
      for (const e of events)
        if (e.type === 'm.room.member') this.#applyMember(room, e as unknown as SyncNewsEvent);
      const last = events.at(-1);
      if (last && typeof last.origin_server_ts === 'number')
        room.applySummary({ lastEventTs: last.origin_server_ts });
      changes.timelines.push({ room, added, replaced, reset });
    }
    for (const e of news.typing?.events ?? []) {
      const roomId = str(e.room_id) ?? typingRoomId;
      const ids = (e.content as { user_ids?: unknown } | undefined)?.user_ids;
      if (!roomId || !Array.isArray(ids)) continue;
      const room = this.ensure(roomId);
      room.typing = ids.filter((u): u is string => typeof u === 'string');
      changes.typing.push(room);
    }
    for (const e of news.to_device?.events ?? []) {
      changes.toDevice.push({
        type: e.type,
        sender: str(e.sender) ?? '',
        content: (e.content as Record<string, unknown> | undefined) ?? {},
      });
    }
    return changes;
  }

  #applyMember(room: Room, e: SyncNewsEvent): void {
    const userId = str(e.state_key);
    if (!userId) return;
    const content = (e.content ?? {}) as { membership?: unknown; displayname?: unknown };
    const handle = str(e.user_handle);
    this.setUserHandle(userId, handle);
    const member: RoomMember = {
      userId,
      userHandle: handle ?? room.members.get(userId)?.userHandle,
      displayName: str(content.displayname),
      membership: str(content.membership) ?? 'join',
    };
    if (member.membership === 'leave' || member.membership === 'ban') room.members.delete(userId);
    else room.members.set(userId, member);
  }
}
