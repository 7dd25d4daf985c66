/**
 * The parts of a sync v3 response the client reads (DESIGN.md "Sync v3"; the full wire types
 * live in `core/src/sync`). Declared structurally here so the client's state model stays
 * testable on its own; sync's `SyncResponseBody` fits it.
 */

/** A sync event or EDU: the client reads the fields it knows and keeps the rest. */
export interface SyncNewsEvent {
  type: string;
  [key: string]: unknown;
}

/** A `room_list` entry: a joined room, or (in deltas) a room the user left. */
export interface SyncNewsRoom {
  room_id: string;
  room_handle?: string;
  name?: string;
  last_event_ts?: number;
  member_count?: number;
  membership?: string;
}

/** What one sync response brought, stream by stream. */
export interface SyncNews {
  typing?: { events: SyncNewsEvent[] };
  to_device?: { events: SyncNewsEvent[] };
  room_members?: { room_id: string; events: SyncNewsEvent[] };
  room_list?: { rooms: SyncNewsRoom[] };
  room?: { room_id: string; events: SyncNewsEvent[]; limited?: boolean; prev_batch?: string };
}
