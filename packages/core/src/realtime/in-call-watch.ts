/**
 * The in-call watchdog of the router: a connection is in a room's call while its `OP_IN_CALL room 1`
 * heartbeats keep coming within the timeout and it has neither sent 0 nor gone; a user is in the
 * call while any of its connections is; the room's flag is 1 while at least two users are.
 *
 * @packageDocumentation
 */

import type { DeadlineHeap } from './deadline-heap.js';
import type { RouterGraph } from './router-graph.js';
import type { CallTimer, RouterConn, RouterRoom, RouterTimer, RouterUser } from './router-state.js';

/** @internal */
export class InCallWatch {
  constructor(
    readonly graph: RouterGraph,
    readonly timers: DeadlineHeap<RouterTimer>,
    readonly timeoutMs: number,
  ) {}

  /** A heartbeat (`OP_IN_CALL room 1`) from `conn`, a member of `r`. */
  beat(conn: RouterConn, r: RouterRoom, now: number): void {
    const known = r.calls.get(conn);
    if (known !== undefined) {
      // The heap entry is pushed forward lazily, when it comes due (see onTimer).
      known.lastBeat = now;
      return;
    }
    const timer: CallTimer = { kind: 'call', at: now + this.timeoutMs, conn, room: r, lastBeat: now };
    r.calls.set(conn, timer);
    conn.callRooms.add(r);
    this.timers.push(timer);
    r.callUsers.set(conn.user, (r.callUsers.get(conn.user) ?? 0) + 1);
    this.graph.updateFlag(r);
  }

  /** `conn` left `r`'s call (sent 0, timed out, disconnected or was removed from the room). */
  leave(conn: RouterConn, r: RouterRoom): void {
    if (!r.calls.delete(conn)) return;
    conn.callRooms.delete(r);
    const n = (r.callUsers.get(conn.user) ?? 1) - 1;
    if (n === 0) r.callUsers.delete(conn.user);
    else r.callUsers.set(conn.user, n);
    this.graph.updateFlag(r);
  }

  /** Every call of a connection that is going away. */
  leaveAll(conn: RouterConn): void {
    for (const r of [...conn.callRooms]) this.leave(conn, r);
  }

  /** Every connection of `u` leaves `r`'s call (u left or was kicked from `r`). */
  leaveUser(u: RouterUser, r: RouterRoom): void {
    for (const conn of u.conns) if (conn.callRooms.has(r)) this.leave(conn, r);
    for (const conn of u.remote) if (conn.callRooms.has(r)) this.leave(conn, r);
  }

  /** A heartbeat deadline came due: re-arm it if a beat came meanwhile, else end the call. */
  onTimer(t: CallTimer, now: number): void {
    if (t.room.calls.get(t.conn) !== t) return; // stale: the call already ended
    const due = t.lastBeat + this.timeoutMs;
    if (due > now) {
      t.at = due;
      this.timers.push(t);
      return;
    }
    this.leave(t.conn, t.room);
  }
}
