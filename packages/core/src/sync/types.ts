/**
 * Wire shapes of sync v3 (docs/sync.md): the request body, one object per stream, and the
 * response, one object per stream with news plus `next`.
 */

/** A Matrix event or EDU as JSON. Sync passes events through; it reads none of their fields. */
export interface SyncEvent {
  type: string;
  [key: string]: unknown;
}

/** The names of the streams, in the order a response lists them. */
export const SYNC_STREAMS = ['typing', 'to_device', 'room_members', 'room_list', 'room'] as const;

/** One of {@link SYNC_STREAMS}. */
export type SyncStreamName = (typeof SYNC_STREAMS)[number];

/** The sort orders of `room_list`; the first is the default. */
export const SYNC_ROOM_SORTS = ['by_recency', 'by_name'] as const;
/** A sort of `room_list`. */
export type SyncRoomSort = (typeof SYNC_ROOM_SORTS)[number];

/** The sort orders of `room_members`; the first is the default. */
export const SYNC_MEMBER_SORTS = ['by_name', 'by_pl'] as const;
/** A sort of `room_members`. */
export type SyncMemberSort = (typeof SYNC_MEMBER_SORTS)[number];

/** The `p` object of a request: pagination parameters of a paginated stream. */
export interface SyncPageParams {
  /** Items per page or per delta; capped by the server. Sticky. */
  limit?: number;
  /** A sort of the stream; an unknown one is replaced by the default. Sticky. */
  sort?: string;
  /** `"1"` for the first page, or a `p.next` from an earlier page. Applies to this request only. */
  since?: string;
}

/** The `p` object of a response: the parameters the server used, and the next page. */
export interface SyncPageResult<S extends string = string> {
  limit: number;
  sort: S;
  /** Present when another page of the same snapshot follows. */
  next?: string;
}

/** Request parameters of each stream. `null` unsubscribes the stream. */
export interface SyncRequestBody {
  typing?: { room_id?: string } | null;
  to_device?: { limit?: number } | null;
  room_members?: { room_id?: string; p?: SyncPageParams } | null;
  room_list?: { p?: SyncPageParams } | null;
  room?: { room_id?: string; timeline_limit?: number } | null;
}

/** A room as `room_list` reports it. `recency` is the stream position of its latest event. */
export interface SyncRoomSummary {
  room_id: string;
  room_handle: string;
  name: string;
  /** `origin_server_ts` of the room's latest event. */
  last_event_ts: number;
  member_count: number;
  /** The `by_recency` key: the stream position of the room's latest event. */
  recency: number;
}

/**
 * A room the user is invited to, as `room_list` reports it: what the invitation shows, not the
 * room's activity (an invited user is not a member: the room's later events do not move it).
 */
export interface SyncInviteSummary {
  room_id: string;
  room_handle: string;
  /** The room's current `m.room.name` (a rename while invited comes as a delta). */
  name: string;
  /** The user who sent the invite. */
  inviter: string;
  /** `origin_server_ts` of the invite event. */
  last_event_ts: number;
  /** The `by_recency` key: the stream position of the invite event. */
  recency: number;
}

/**
 * An entry of `room_list`: a joined room, a pending invitation, or (in deltas only) a room the
 * user left, whose invitation was rejected or retracted, or from which the user was banned.
 */
export type SyncRoomListEntry =
  | (SyncRoomSummary & { membership: 'join' })
  | (SyncInviteSummary & { membership: 'invite' })
  | { room_id: string; room_handle: string; membership: 'leave'; recency: number };

/** An entry of `room_members`: the member's `m.room.member` event plus its handle and level. */
export interface SyncMemberEntry extends SyncEvent {
  user_handle: string;
  power_level: number;
}

/** The `typing` stream's answer. */
export interface SyncTypingResult {
  events: SyncEvent[];
}

/** The `to_device` stream's answer: messages oldest first. */
export interface SyncToDeviceResult {
  events: SyncEvent[];
}

/** The `room_members` stream's answer. */
export interface SyncRoomMembersResult {
  room_id: string;
  events: SyncMemberEntry[];
  p?: SyncPageResult<SyncMemberSort>;
}

/** The `room_list` stream's answer. */
export interface SyncRoomListResult {
  rooms: SyncRoomListEntry[];
  p?: SyncPageResult<SyncRoomSort>;
}

/** The `room` stream's answer: timeline events oldest first. */
export interface SyncRoomResult {
  room_id: string;
  events: SyncEvent[];
  /** True when events were left out before `events`: fetch them with `/messages?from=prev_batch`. */
  limited: boolean;
  /** A `/messages` token that pages backwards from the oldest event of `events`. */
  prev_batch?: string;
}

/** A sync v3 response: `next`, and one object per subscribed stream with news. */
export interface SyncResponseBody {
  next: string;
  typing?: SyncTypingResult;
  to_device?: SyncToDeviceResult;
  room_members?: SyncRoomMembersResult;
  room_list?: SyncRoomListResult;
  room?: SyncRoomResult;
}
