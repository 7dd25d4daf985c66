import { Timeline } from './timeline.js';

/** A member of a room, from the `room_members` stream and membership events. */
export interface RoomMember {
  userId: string;
  /** The user's realtime handle (16 hex digits), when the server sent it. */
  userHandle: string | undefined;
  displayName: string | undefined;
  membership: string;
}

/** What the room list knows about a room without opening it. */
export interface RoomSummary {
  roomId: string;
  /** The room's realtime handle (16 hex digits). */
  roomHandle: string | undefined;
  name: string | undefined;
  /** Timestamp of the newest event, for sorting by recency. */
  lastEventTs: number | undefined;
  memberCount: number | undefined;
  /** `join` for rooms the user is in; `invite` for pending invitations. */
  membership: string;
}

/**
 * The client's state of one room: its summary, members, who is typing, the in-call flag and the
 * timeline. Apps read it; only the client changes it.
 */
export class Room {
  readonly roomId: string;
  roomHandle: string | undefined;
  name: string | undefined;
  lastEventTs: number | undefined;
  memberCount: number | undefined;
  membership: string;
  /** Members by user id. */
  readonly members = new Map<string, RoomMember>();
  /** User ids typing now, as the server last said. */
  typing: readonly string[] = [];
  /** The room's in-call flag from the realtime channel: 1 while at least two users are in a call. */
  inCall = false;
  readonly timeline: Timeline;

  constructor(roomId: string, maxTimelineEvents?: number) {
    this.roomId = roomId;
    this.roomHandle = undefined;
    this.name = undefined;
    this.lastEventTs = undefined;
    this.memberCount = undefined;
    this.membership = 'join';
    this.timeline = new Timeline(maxTimelineEvents);
  }

  /** A plain copy of the summary fields (for the cache and for events). */
  summary(): RoomSummary {
    return {
      roomId: this.roomId,
      roomHandle: this.roomHandle,
      name: this.name,
      lastEventTs: this.lastEventTs,
      memberCount: this.memberCount,
      membership: this.membership,
    };
  }

  /** Copies the defined fields of `s` in. */
  applySummary(s: Partial<RoomSummary>): void {
    if (s.roomHandle !== undefined) this.roomHandle = s.roomHandle;
    if (s.name !== undefined) this.name = s.name;
    if (s.lastEventTs !== undefined) this.lastEventTs = Math.max(this.lastEventTs ?? 0, s.lastEventTs);
    if (s.memberCount !== undefined) this.memberCount = s.memberCount;
    if (s.membership !== undefined) this.membership = s.membership;
  }
}
