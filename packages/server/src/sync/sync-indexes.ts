import {
  MemberListIndex,
  RoomListIndex,
  type SyncChange,
  type SyncEvent,
  type SyncInviteSummary,
  type SyncMembership,
  type SyncRoomSummary,
} from '@parley/core';
import { toClientEvent } from '../rooms/client-event.js';
import type { StoredEvent } from '../storage/storage.js';
import type { RoomHead } from '../storage/sync-storage.js';

/** The handle of a user the server has none for (a remote user): 0 is the invalid handle. */
export const NO_HANDLE = '0000000000000000';

/** The state types the indexes are built from. */
export const INDEXED_STATE_TYPES = ['m.room.create', 'm.room.name', 'm.room.power_levels', 'm.room.member'];

interface PowerLevels {
  users: Map<string, number>;
  usersDefault: number;
}

interface Invite {
  inviter: string;
  position: number;
  ts: number;
}

interface RoomInfo {
  roomId: string;
  handle: string;
  name: string;
  creator: string | undefined;
  joined: Set<string>;
  /** Pending invites by invitee: what their room list shows. */
  invited: Map<string, Invite>;
  /** `undefined` until the room has an `m.room.power_levels` event. */
  levels: PowerLevels | undefined;
  lastPosition: number;
  lastTs: number;
}

/** What one event did to the indexes. */
export interface AppliedEvent {
  /** The change to tell the engine. */
  change: SyncChange;
  /** Users whose membership stopped being `join` with this event. */
  left: string[];
}

const MEMBERSHIPS = new Set(['join', 'leave', 'invite', 'ban', 'knock']);

function toLevel(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

function parseLevels(content: Record<string, unknown>): PowerLevels {
  const users = new Map<string, number>();
  const raw = content.users;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [u, v] of Object.entries(raw)) {
      const level = toLevel(v);
      if (level !== undefined) users.set(u, level);
    }
  }
  return { users, usersDefault: toLevel(content.users_default) ?? 0 };
}

/**
 * The in-memory indexes sync pages are served from: every user's joined and invited rooms (core's
 * {@link RoomListIndex}) and every room's members ({@link MemberListIndex}), plus what a room
 * summary needs (name, handle, joined set, power levels, latest event). Rebuilt from storage at
 * start, then kept up to date by {@link apply} for each stored event, in stream order.
 */
export class SyncIndexes {
  readonly roomList = new RoomListIndex();
  readonly members = new MemberListIndex();
  readonly #rooms = new Map<string, RoomInfo>();
  readonly #handleOf: (userId: string) => string;

  /** `handleOf` gives a user's handle (callers make sure it is known before applying). */
  constructor(handleOf: (userId: string) => string) {
    this.#handleOf = handleOf;
  }

  /** Rooms indexed. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  hasRoom(roomId: string): boolean {
    return this.#rooms.has(roomId);
  }

  /** Starts indexing a room (before its first event is applied). */
  addRoom(roomId: string, handle: string): void {
    if (this.#rooms.has(roomId)) return;
    this.#rooms.set(roomId, {
      roomId,
      handle,
      name: '',
      creator: undefined,
      joined: new Set(),
      invited: new Map(),
      levels: undefined,
      lastPosition: 0,
      lastTs: 0,
    });
  }

  /** The users joined to a room now. */
  joinedMembers(roomId: string): ReadonlySet<string> {
    return this.#rooms.get(roomId)?.joined ?? new Set();
  }

  /** `userId`'s membership of `roomId`. */
  membership(userId: string, roomId: string): SyncMembership | undefined {
    return this.members.membership(roomId, userId);
  }

  /**
   * Builds the indexes from storage: the rooms with their latest events, and the current state
   * of {@link INDEXED_STATE_TYPES} in stream order. `positionOf` maps a stream ordering to a
   * sync position.
   */
  rebuild(
    heads: readonly RoomHead[],
    state: readonly StoredEvent[],
    positionOf: (o: number) => number,
  ): void {
    for (const h of heads) {
      this.addRoom(h.roomId, h.handle);
      const info = this.#rooms.get(h.roomId) as RoomInfo;
      info.lastPosition = positionOf(h.streamOrdering);
      info.lastTs = h.originServerTs;
    }
    for (const e of state) {
      const info = this.#rooms.get(e.event.room_id);
      if (info !== undefined) this.#applyState(info, e, positionOf(e.streamOrdering));
    }
    for (const info of this.#rooms.values()) {
      const summary = this.#summary(info);
      for (const u of info.joined) this.roomList.upsert(u, summary, info.lastPosition);
    }
  }

  /** Applies one newly stored event at `position` (its room must be known: {@link addRoom}). */
  apply(stored: StoredEvent, position: number): AppliedEvent {
    const info = this.#rooms.get(stored.event.room_id);
    if (info === undefined) throw new Error(`sync index: unknown room ${stored.event.room_id}`);
    const { left, target, renamed } = this.#applyState(info, stored, position);
    info.lastPosition = position;
    info.lastTs = stored.event.origin_server_ts;
    const summary = this.#summary(info);
    for (const u of info.joined) this.roomList.upsert(u, summary, position);
    const userIds = [...info.joined];
    if (target !== undefined && !info.joined.has(target)) userIds.push(target);
    // Invitees hear of a rename only: the room's other events are not theirs to see.
    if (renamed) for (const u of info.invited.keys()) if (u !== target) userIds.push(u);
    return { change: { type: 'room', room_id: info.roomId, user_ids: userIds }, left };
  }

  #applyState(
    info: RoomInfo,
    stored: StoredEvent,
    position: number,
  ): { left: string[]; target?: string; renamed?: boolean } {
    const { event } = stored;
    if (typeof event.state_key !== 'string') return { left: [] };
    const content = event.content as Record<string, unknown>;
    switch (event.type) {
      case 'm.room.create':
        info.creator = event.sender;
        return { left: [] };
      case 'm.room.name':
        if (event.state_key !== '') return { left: [] };
        info.name = typeof content.name === 'string' ? content.name : '';
        for (const u of info.invited.keys()) this.#listInvite(info, u, position);
        return { left: [], renamed: true };
      case 'm.room.power_levels':
        if (event.state_key === '') {
          info.levels = parseLevels(content);
          for (const u of info.joined)
            this.members.setPowerLevel(info.roomId, u, this.#levelOf(info, u), position);
        }
        return { left: [] };
      case 'm.room.member':
        return this.#applyMember(info, stored, position);
      default:
        return { left: [] };
    }
  }

  #applyMember(info: RoomInfo, stored: StoredEvent, position: number): { left: string[]; target: string } {
    const { event } = stored;
    const target = event.state_key as string;
    const content = event.content as Record<string, unknown>;
    const raw = String(content.membership);
    const membership = (MEMBERSHIPS.has(raw) ? raw : 'leave') as SyncMembership['membership'];
    const displayname = typeof content.displayname === 'string' ? content.displayname : undefined;
    this.members.upsert(
      info.roomId,
      {
        user_id: target,
        user_handle: this.#handleOf(target),
        event: toClientEvent(stored.eventId, event) as unknown as SyncEvent,
        membership,
        ...(displayname === undefined ? {} : { displayname }),
        power_level: this.#levelOf(info, target),
      },
      position,
    );
    const wasJoined = info.joined.has(target);
    info.invited.delete(target);
    if (membership === 'join') {
      // The room list entry (an invite's included) becomes a join with the summary `apply` puts.
      info.joined.add(target);
      return { left: [], target };
    }
    info.joined.delete(target);
    if (membership === 'invite') {
      info.invited.set(target, { inviter: event.sender, position, ts: event.origin_server_ts });
      this.#listInvite(info, target, position);
    } else {
      // Leave, ban or knock: a joined room or a pending invite goes; else nothing was listed.
      this.roomList.leave(target, info.roomId, info.handle, position);
    }
    return { left: wasJoined ? [target] : [], target };
  }

  /** Lists (again) `userId`'s pending invite to the room, as changed at `position`. */
  #listInvite(info: RoomInfo, userId: string, position: number): void {
    const invite = info.invited.get(userId);
    if (invite === undefined) return;
    const entry: SyncInviteSummary = {
      room_id: info.roomId,
      room_handle: info.handle,
      name: info.name,
      inviter: invite.inviter,
      last_event_ts: invite.ts,
      recency: invite.position,
    };
    this.roomList.invite(userId, entry, position);
  }

  #levelOf(info: RoomInfo, userId: string): number {
    if (info.levels === undefined) return userId === info.creator ? 100 : 0;
    return info.levels.users.get(userId) ?? info.levels.usersDefault;
  }

  #summary(info: RoomInfo): SyncRoomSummary {
    return {
      room_id: info.roomId,
      room_handle: info.handle,
      name: info.name,
      last_event_ts: info.lastTs,
      member_count: info.joined.size,
      recency: info.lastPosition,
    };
  }
}
