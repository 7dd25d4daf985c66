import type {
  AuthorizeVerdict,
  EvaluationContext,
  FetchHost,
  FetchOutput,
  FetchPdu,
  RoomServer,
} from '../../fetch/index.js';

/** A PDU that may carry a state key (state events), as both fake and real PDUs do. */
export type StatePdu = FetchPdu & { type?: string; state_key?: string };

/**
 * A minimal server store for tests and the simulator: events by id (accepted, rejected, outliers),
 * forward extremities per room, the room's servers, and the evaluation order. It is the
 * scheduler's {@link FetchHost} and answers federation reads (see `serveFederation`).
 */
export class SimRoomStore<P extends StatePdu> implements FetchHost<P> {
  readonly events = new Map<string, P>();
  readonly rejected = new Map<string, string>();
  readonly outliers = new Set<string>();
  /** Event ids in the order they were stored. */
  readonly order: string[] = [];
  readonly #servers = new Map<string, RoomServer[]>();
  readonly #extremities = new Map<string, Set<string>>();
  readonly #cited = new Set<string>();
  /** Authorization rule; the default accepts everything whose auth events are stored. */
  authorizeHook: (pdu: P, ctx: EvaluationContext) => AuthorizeVerdict = () => ({ ok: true });

  /** Sets the servers of a room (in the room longest first, unless `joinedAt` says otherwise). */
  setServers(roomId: string, servers: readonly (string | RoomServer)[]): void {
    this.#servers.set(
      roomId,
      servers.map((s, i) => (typeof s === 'string' ? { name: s, joinedAt: i } : s)),
    );
  }

  has(eventId: string): boolean {
    return this.events.has(eventId) || this.rejected.has(eventId);
  }

  roomServers(roomId: string): readonly RoomServer[] {
    return this.#servers.get(roomId) ?? [];
  }

  forwardExtremities(roomId: string): readonly string[] {
    return [...(this.#extremities.get(roomId) ?? [])].sort();
  }

  authorize(pdu: P, ctx: EvaluationContext): AuthorizeVerdict {
    return this.authorizeHook(pdu, ctx);
  }

  /** Stores an accepted event; timeline events move the room's forward extremities. */
  store(eventId: string, pdu: P, outlier = false): void {
    if (this.events.has(eventId)) return;
    this.events.set(eventId, pdu);
    this.order.push(eventId);
    if (outlier) {
      this.outliers.add(eventId);
      return;
    }
    let ext = this.#extremities.get(pdu.room_id);
    if (ext === undefined) {
      ext = new Set();
      this.#extremities.set(pdu.room_id, ext);
    }
    for (const p of pdu.prev_events) {
      ext.delete(p);
      this.#cited.add(p);
    }
    // An event older than what cites it (backfill) must not become an extremity again.
    if (!this.#cited.has(eventId)) ext.add(eventId);
  }

  /** Applies one scheduler output that concerns storage; true when it did. */
  apply(o: FetchOutput<P>): boolean {
    if (o.type === 'evaluated') {
      this.store(o.eventId, o.pdu, o.outlier);
      return true;
    }
    if (o.type === 'rejected') {
      this.rejected.set(o.eventId, o.reason);
      this.order.push(o.eventId);
      return true;
    }
    return false;
  }

  /** Timeline events (not outliers) of a room, sorted by id: what convergence compares. */
  timelineIds(roomId: string): string[] {
    return [...this.events]
      .filter(([id, p]) => p.room_id === roomId && !this.outliers.has(id))
      .map(([id]) => id)
      .sort();
  }
}
