import type {
  SyncChanges,
  SyncChangesQuery,
  SyncDataSource,
  SyncMembership,
  SyncPage,
  SyncPageQuery,
  SyncTimeline,
  SyncToDeviceMessage,
  SyncTypingState,
} from './data-source.js';
import { MemberListIndex } from './member-list-index.js';
import { RoomListIndex } from './room-list-index.js';
import { deviceKeyOf } from './session-table.js';
import type {
  SyncEvent,
  SyncMemberEntry,
  SyncMemberSort,
  SyncRoomListEntry,
  SyncRoomSort,
  SyncRoomSummary,
} from './types.js';
import type { SyncChange } from './wait-set.js';

interface MemoryRoom {
  room_id: string;
  room_handle: string;
  name: string;
  joined: Set<string>;
  /** Pending invites: the invite event's sender, position and time. */
  invited: Map<string, { inviter: string; position: number; ts: number }>;
  timeline: { position: number; event: SyncEvent }[];
}

const handle = (n: number): string => n.toString(16).padStart(16, '0');

/**
 * A {@link SyncDataSource} held in memory, with methods that make the changes a server would
 * (create a room, invite, join, leave, ban, send, type, send to a device), each returning the {@link SyncChange} to
 * pass to `SyncEngine.notify`. For tests and benchmarks; it shows how a server keeps
 * {@link RoomListIndex} and {@link MemberListIndex} up to date.
 */
export class MemorySyncDataSource implements SyncDataSource {
  /** Every user's rooms, kept up to date by the mutation methods. */
  readonly roomList = new RoomListIndex();
  /** Every room's members, kept up to date by the mutation methods. */
  readonly members = new MemberListIndex();
  readonly #rooms = new Map<string, MemoryRoom>();
  readonly #typing = new Map<string, SyncTypingState>();
  readonly #toDevice = new Map<string, SyncToDeviceMessage[]>();
  readonly #userHandles = new Map<string, string>();
  readonly #now: () => number;
  #position = 0;

  /** `now` gives `origin_server_ts`; by default the position stands in for the time. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => this.#position);
  }

  /** The newest position, without a promise. */
  get position(): number {
    return this.#position;
  }

  /** Creates a room joined by `creator`. */
  createRoom(roomId: string, options: { creator: string; name?: string }): SyncChange {
    if (this.#rooms.has(roomId)) throw new Error(`room ${roomId} exists`);
    this.#rooms.set(roomId, {
      room_id: roomId,
      room_handle: handle(this.#rooms.size + 1),
      name: options.name ?? roomId,
      joined: new Set(),
      invited: new Map(),
      timeline: [],
    });
    this.#append(roomId, options.creator, 'm.room.create', {}, '');
    return this.join(roomId, options.creator, { power_level: 100 });
  }

  /** `userId` joins the room. */
  join(
    roomId: string,
    userId: string,
    options: { displayname?: string; power_level?: number } = {},
  ): SyncChange {
    return this.#member(roomId, userId, userId, 'join', options.displayname, options.power_level ?? 0);
  }

  /** `userId` leaves the room, or rejects their invite. */
  leave(roomId: string, userId: string): SyncChange {
    return this.kick(roomId, userId, userId);
  }

  /** `sender` invites `target`. */
  invite(roomId: string, sender: string, target: string): SyncChange {
    return this.#member(roomId, sender, target, 'invite', undefined, 0);
  }

  /** `sender` makes `target` leave: a kick, or a retracted invite (`sender` = `target`: a leave). */
  kick(roomId: string, sender: string, target: string): SyncChange {
    const old = this.members.get(roomId, target);
    return this.#member(roomId, sender, target, 'leave', old?.displayname, old?.power_level ?? 0);
  }

  /** `sender` bans `target`. */
  ban(roomId: string, sender: string, target: string): SyncChange {
    return this.#member(
      roomId,
      sender,
      target,
      'ban',
      undefined,
      this.members.get(roomId, target)?.power_level ?? 0,
    );
  }

  /** A joined member changes their display name in the room. */
  setDisplayName(roomId: string, userId: string, displayname: string): SyncChange {
    return this.#member(
      roomId,
      userId,
      userId,
      'join',
      displayname,
      this.members.get(roomId, userId)?.power_level ?? 0,
    );
  }

  /** An `m.room.power_levels` event that changes one member's level. */
  setPowerLevel(roomId: string, userId: string, level: number): SyncChange {
    const position = this.#append(roomId, userId, 'm.room.power_levels', { users: { [userId]: level } }, '');
    this.members.setPowerLevel(roomId, userId, level, position);
    return this.#roomChanged(roomId, position, []);
  }

  /** An `m.room.name` event: invitees see the new name too. */
  setRoomName(roomId: string, sender: string, name: string): SyncChange {
    const room = this.#room(roomId);
    room.name = name;
    const position = this.#append(roomId, sender, 'm.room.name', { name }, '');
    for (const u of room.invited.keys()) this.#listInvite(room, u, position);
    return this.#roomChanged(roomId, position, [...room.invited.keys()]);
  }

  /** An `m.room.message` event. */
  sendMessage(roomId: string, sender: string, body: string): SyncChange {
    const position = this.#append(roomId, sender, 'm.room.message', { msgtype: 'm.text', body });
    return this.#roomChanged(roomId, position, []);
  }

  /** Replaces the room's typing set. */
  setTyping(roomId: string, userIds: string[]): SyncChange {
    this.#typing.set(roomId, { user_ids: [...userIds], position: ++this.#position });
    return { type: 'typing', room_id: roomId };
  }

  /** Stores a to-device message for the device. */
  sendToDevice(
    userId: string,
    deviceId: string,
    msg: { type: string; sender: string; content: Record<string, unknown> },
  ): SyncChange {
    const key = deviceKeyOf(userId, deviceId);
    const queue = this.#toDevice.get(key) ?? [];
    queue.push({ position: ++this.#position, ...msg });
    this.#toDevice.set(key, queue);
    return { type: 'to_device', user_id: userId, device_id: deviceId };
  }

  /** The device's stored (undeleted) messages. */
  storedToDevice(userId: string, deviceId: string): SyncToDeviceMessage[] {
    return [...(this.#toDevice.get(deviceKeyOf(userId, deviceId)) ?? [])];
  }

  async currentPosition(): Promise<number> {
    return this.#position;
  }

  async membership(userId: string, roomId: string): Promise<SyncMembership | undefined> {
    return this.members.membership(roomId, userId);
  }

  async roomListPage(
    userId: string,
    query: SyncPageQuery<SyncRoomSort>,
  ): Promise<SyncPage<SyncRoomListEntry>> {
    return this.roomList.page(userId, query);
  }

  async roomListChanges(userId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncRoomListEntry>> {
    return this.roomList.changes(userId, query);
  }

  async memberPage(roomId: string, query: SyncPageQuery<SyncMemberSort>): Promise<SyncPage<SyncMemberEntry>> {
    return this.members.page(roomId, query);
  }

  async memberChanges(roomId: string, query: SyncChangesQuery): Promise<SyncChanges<SyncMemberEntry>> {
    return this.members.changes(roomId, query);
  }

  async timeline(
    roomId: string,
    query: { after?: number; upTo: number; limit: number },
  ): Promise<SyncTimeline> {
    const tl = this.#rooms.get(roomId)?.timeline ?? [];
    const lo = firstAbove(tl, query.after ?? 0);
    const hi = firstAbove(tl, query.upTo);
    const start = Math.max(lo, hi - query.limit);
    const events = tl.slice(start, hi);
    const first = events[0];
    return {
      events: events.map((e) => e.event),
      limited: start > lo,
      ...(first === undefined ? {} : { prev_batch: `t${first.position}` }),
    };
  }

  async typing(roomId: string): Promise<SyncTypingState> {
    const t = this.#typing.get(roomId);
    return t === undefined
      ? { user_ids: [], position: 0 }
      : { user_ids: [...t.user_ids], position: t.position };
  }

  async toDevice(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<SyncToDeviceMessage[]> {
    const queue = this.#toDevice.get(deviceKeyOf(userId, deviceId)) ?? [];
    return queue.filter((m) => m.position > query.after && m.position <= query.upTo).slice(0, query.limit);
  }

  async deleteToDevice(userId: string, deviceId: string, upTo: number): Promise<void> {
    const key = deviceKeyOf(userId, deviceId);
    const kept = (this.#toDevice.get(key) ?? []).filter((m) => m.position > upTo);
    if (kept.length === 0) this.#toDevice.delete(key);
    else this.#toDevice.set(key, kept);
  }

  #member(
    roomId: string,
    sender: string,
    userId: string,
    membership: 'join' | 'leave' | 'invite' | 'ban',
    displayname: string | undefined,
    powerLevel: number,
  ): SyncChange {
    const room = this.#room(roomId);
    const content = { membership, ...(displayname === undefined ? {} : { displayname }) };
    const position = this.#append(roomId, sender, 'm.room.member', content, userId);
    const event = (room.timeline[room.timeline.length - 1] as { event: SyncEvent }).event;
    let userHandle = this.#userHandles.get(userId);
    if (userHandle === undefined) {
      userHandle = handle(this.#userHandles.size + 1);
      this.#userHandles.set(userId, userHandle);
    }
    const record = { user_id: userId, user_handle: userHandle, event, membership, power_level: powerLevel };
    this.members.upsert(roomId, displayname === undefined ? record : { ...record, displayname }, position);
    room.invited.delete(userId);
    if (membership === 'join') room.joined.add(userId);
    else {
      room.joined.delete(userId);
      if (membership === 'invite') {
        room.invited.set(userId, { inviter: sender, position, ts: event.origin_server_ts as number });
        this.#listInvite(room, userId, position);
      } else this.roomList.leave(userId, roomId, room.room_handle, position);
    }
    return this.#roomChanged(roomId, position, [userId]);
  }

  #listInvite(room: MemoryRoom, userId: string, position: number): void {
    const inv = room.invited.get(userId);
    if (inv === undefined) return;
    this.roomList.invite(
      userId,
      {
        room_id: room.room_id,
        room_handle: room.room_handle,
        name: room.name,
        inviter: inv.inviter,
        last_event_ts: inv.ts,
        recency: inv.position,
      },
      position,
    );
  }

  /** Every joined member's room list learns the room's new summary. */
  #roomChanged(roomId: string, position: number, also: string[]): SyncChange {
    const room = this.#room(roomId);
    const last = room.timeline[room.timeline.length - 1] as { event: SyncEvent };
    const summary: SyncRoomSummary = {
      room_id: roomId,
      room_handle: room.room_handle,
      name: room.name,
      last_event_ts: last.event.origin_server_ts as number,
      member_count: room.joined.size,
      recency: position,
    };
    for (const u of room.joined) this.roomList.upsert(u, summary, position);
    return {
      type: 'room',
      room_id: roomId,
      user_ids: [...room.joined, ...also.filter((u) => !room.joined.has(u))],
    };
  }

  #append(
    roomId: string,
    sender: string,
    type: string,
    content: Record<string, unknown>,
    stateKey?: string,
  ): number {
    const room = this.#room(roomId);
    const position = ++this.#position;
    const event: SyncEvent = {
      type,
      room_id: roomId,
      sender,
      event_id: `$${position}`,
      origin_server_ts: this.#now(),
      content,
      ...(stateKey === undefined ? {} : { state_key: stateKey }),
    };
    room.timeline.push({ position, event });
    return position;
  }

  #room(roomId: string): MemoryRoom {
    const room = this.#rooms.get(roomId);
    if (room === undefined) throw new Error(`no room ${roomId}`);
    return room;
  }
}

/** The index of the first entry with a position above `position` (entries are in order). */
function firstAbove(tl: readonly { position: number }[], position: number): number {
  let lo = 0;
  let hi = tl.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((tl[mid] as { position: number }).position > position) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
