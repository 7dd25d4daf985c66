/**
 * The storage the federation layer needs beyond the single-node {@link Storage}: events from other
 * servers (live, history paged in, room state at a join), rejected events, the servers of a room
 * and the walks the federation read endpoints answer from.
 */
import type { StoredEvent } from './storage.js';

/**
 * How an event from another server joins the room:
 * - `live`: new in the DAG (a `/send`, or fetched to fill a gap before a live event): it gets the
 *   next stream ordering, becomes a forward extremity unless a stored event cites it, and removes
 *   its `prev_events` from the forward extremities.
 * - `historical`: older than what we hold (backfill, or an auth event fetched on its own): a
 *   stream ordering below every live one, ordered by depth, so `/messages` shows it in place and
 *   sync never reports it as new; the forward extremities do not move.
 * - `state`: room state received with a join (`send_join`): the next stream ordering (so sync and
 *   the realtime channel see the members), but the forward extremities do not move.
 *
 * In every mode a state event becomes the current state of its `(type, state_key)` when that slot
 * is empty or holds an event of smaller `(depth, event_id)`: the rule Parley uses in place of
 * state resolution (docs/federation.md).
 */
export type FederatedEventMode = 'live' | 'historical' | 'state';

/** A server with joined members in a room. */
export interface RoomServerRecord {
  name: string;
  /** The smallest depth among the current join events of its members (in the room longest first). */
  joinedAt: number;
}

/** The storage methods of federation (implemented by every {@link Storage}). */
export interface FederationStorage {
  /**
   * Stores an event from another server (already verified and authorized). Resolves `undefined`
   * when the event is stored already (nothing changes). The room must exist.
   */
  storeFederatedEvent(
    roomId: string,
    event: { eventId: string; event: StoredEvent['event'] },
    mode: FederatedEventMode,
  ): Promise<StoredEvent | undefined>;
  /** Records an event that failed authorization, so it is never fetched or evaluated again. */
  storeRejectedEvent(
    roomId: string,
    eventId: string,
    json: string,
    reason: string,
    ts: number,
  ): Promise<void>;
  /** Of `ids`, those stored as events (`stored`) and those recorded as rejected (`rejected`). */
  getEventStatus(ids: readonly string[]): Promise<{ stored: Set<string>; rejected: Set<string> }>;
  /** The stored (not rejected) events among `ids`, in no particular order. */
  getEvents(ids: readonly string[]): Promise<StoredEvent[]>;
  /** The servers with a joined member in the room (current state). */
  getRoomServers(roomId: string): Promise<RoomServerRecord[]>;
  /**
   * Backward extremities: `prev_events` of the room's stored events that are neither stored nor
   * rejected, those cited by the shallowest events first, at most `limit`.
   */
  getBackwardExtremities(roomId: string, limit: number): Promise<string[]>;
  /**
   * The room state before the event at `depth`: per `(type, state_key)`, the state event of the
   * room with the largest `(depth, event_id)` below `depth` (the same rule as the current state).
   */
  getStateBeforeDepth(roomId: string, depth: number): Promise<StoredEvent[]>;
}
