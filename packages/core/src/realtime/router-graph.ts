/**
 * Who is in which room, who added whom as a contact, and therefore who sees whose presence; and
 * the presence and in-call news that follow when any of it changes. Internal to the router.
 *
 * Visibility of A and B (A != B): they are mutual contacts, or they share a joined room. It is
 * computed on demand rather than stored per pair, because a pair table grows with the square of
 * room sizes.
 *
 * @packageDocumentation
 */

import { encodeInCallFast, encodePresFast } from './encode.js';
import { type HandleHex, handleToBytes } from './handle.js';
import type { Outbox } from './outbox.js';
import { mergePresence } from './presence.js';
import type { RouterConn, RouterRoom, RouterUser } from './router-state.js';

/** @internal */
export class RouterGraph {
  readonly users = new Map<HandleHex, RouterUser>();
  readonly rooms = new Map<HandleHex, RouterRoom>();
  #epoch = 0;

  constructor(readonly outbox: Outbox) {}

  user(handle: HandleHex): RouterUser {
    let u = this.users.get(handle);
    if (u === undefined) {
      u = {
        handle,
        bytes: handleToBytes(handle),
        conns: new Set(),
        live: new Set(),
        remote: new Set(),
        rooms: new Set(),
        contacts: new Set(),
        presence: 0,
        mark: 0,
      };
      this.users.set(handle, u);
    }
    return u;
  }

  room(handle: HandleHex): RouterRoom {
    let r = this.rooms.get(handle);
    if (r === undefined) {
      r = {
        handle,
        bytes: handleToBytes(handle),
        members: new Set(),
        calls: new Map(),
        callUsers: new Map(),
        flag: 0,
      };
      this.rooms.set(handle, r);
    }
    return r;
  }

  /**
   * Drops a user record that nothing refers to any more (contacts of others are kept by handle).
   * Callers do this last: a forgotten record must not be written to again.
   */
  forgetIfUnused(u: RouterUser): void {
    if (
      u.conns.size === 0 &&
      u.remote.size === 0 &&
      u.rooms.size === 0 &&
      u.contacts.size === 0 &&
      this.users.get(u.handle) === u
    ) {
      this.users.delete(u.handle);
    }
  }

  /** Drops a room record with no members (and so no calls). Callers do this last. */
  forgetRoomIfUnused(r: RouterRoom): void {
    if (r.members.size === 0 && r.calls.size === 0 && this.rooms.get(r.handle) === r)
      this.rooms.delete(r.handle);
  }

  /** Sends `bytes` to every live connection of `u`, but `skip`. */
  sendToUser(u: RouterUser, bytes: Uint8Array, skip?: RouterConn): void {
    for (const c of u.live) if (c !== skip) this.outbox.push(c.id, bytes);
  }

  /** Sends `bytes` to every live connection of every member of `r`. */
  sendToRoom(r: RouterRoom, bytes: Uint8Array): void {
    for (const m of r.members) for (const c of m.live) this.outbox.push(c.id, bytes);
  }

  isMutual(a: RouterUser, b: RouterUser): boolean {
    return a.contacts.has(b.handle) && b.contacts.has(a.handle);
  }

  sharesRoom(a: RouterUser, b: RouterUser): boolean {
    const [small, big] = a.rooms.size <= b.rooms.size ? [a, b] : [b, a];
    for (const r of small.rooms) if (r.members.has(big)) return true;
    return false;
  }

  isVisible(a: RouterUser, b: RouterUser): boolean {
    return a !== b && (this.isMutual(a, b) || this.sharesRoom(a, b));
  }

  /** Calls `fn` once for every user who sees `u` (room peers and mutual contacts), never `u`. */
  forEachWatcher(u: RouterUser, fn: (w: RouterUser) => void): void {
    const epoch = ++this.#epoch;
    u.mark = epoch;
    for (const r of u.rooms) {
      for (const w of r.members) {
        if (w.mark === epoch) continue;
        w.mark = epoch;
        fn(w);
      }
    }
    for (const handle of u.contacts) {
      const w = this.users.get(handle);
      if (w === undefined || w.mark === epoch || !w.contacts.has(u.handle)) continue;
      w.mark = epoch;
      fn(w);
    }
  }

  /**
   * Recomputes `u`'s merged presence and, if it changed, sends it to `u`'s connections (as user 0,
   * but `skip`) and to every watcher. Returns true on a change.
   */
  updatePresence(u: RouterUser, skip?: RouterConn): boolean {
    // Connections on other instances (cluster mode) count like local ones.
    const p = u.remote.size === 0 ? mergePresence(u.live) : mergePresence([...u.live, ...u.remote]);
    if (p === u.presence) return false;
    u.presence = p;
    this.sendToUser(u, encodePresFast(null, p), skip);
    const msg = encodePresFast(u.bytes, p);
    this.forEachWatcher(u, (w) => this.sendToUser(w, msg));
    return true;
  }

  /** A and B just started to see each other: each gets the other's presence if it is not 0. */
  #reveal(a: RouterUser, b: RouterUser): void {
    if (b.presence !== 0) this.sendToUser(a, encodePresFast(b.bytes, b.presence));
    if (a.presence !== 0) this.sendToUser(b, encodePresFast(a.bytes, a.presence));
  }

  /** A and B just stopped seeing each other: each that saw the other as non-zero now gets 0. */
  #conceal(a: RouterUser, b: RouterUser): void {
    if (b.presence !== 0) this.sendToUser(a, encodePresFast(b.bytes, 0));
    if (a.presence !== 0) this.sendToUser(b, encodePresFast(a.bytes, 0));
  }

  join(u: RouterUser, r: RouterRoom): void {
    if (r.members.has(u)) return;
    const newlyVisible: RouterUser[] = [];
    for (const m of r.members) if (!this.isVisible(u, m)) newlyVisible.push(m);
    r.members.add(u);
    u.rooms.add(r);
    for (const m of newlyVisible) this.#reveal(u, m);
    // The joiner hears no earlier flag change, so it gets the current flag like a login dump.
    if (r.flag === 1) this.sendToUser(u, encodeInCallFast(r.bytes, 1));
  }

  /**
   * Removes `u` from `r`; `leaveCalls` takes `u`'s connections out of the room's call first, so a
   * kicked user stops counting (and hearing) at once.
   */
  leave(u: RouterUser, r: RouterRoom, leaveCalls: (u: RouterUser, r: RouterRoom) => void): void {
    if (!r.members.has(u)) return;
    const flagBefore = r.flag;
    r.members.delete(u);
    u.rooms.delete(r);
    leaveCalls(u, r);
    // It will hear no more of this room's flag, so it must not be left believing a call is on.
    if (flagBefore === 1) this.sendToUser(u, encodeInCallFast(r.bytes, 0));
    for (const m of r.members) if (!this.isVisible(u, m)) this.#conceal(u, m);
  }

  addContact(u: RouterUser, handle: HandleHex): void {
    if (handle === u.handle || u.contacts.has(handle)) return;
    const other = this.users.get(handle);
    const wasVisible = other !== undefined && this.isVisible(u, other);
    u.contacts.add(handle);
    if (other !== undefined && !wasVisible && this.isVisible(u, other)) this.#reveal(u, other);
  }

  removeContact(u: RouterUser, handle: HandleHex): void {
    if (!u.contacts.has(handle)) return;
    const other = this.users.get(handle);
    const wasVisible = other !== undefined && this.isVisible(u, other);
    u.contacts.delete(handle);
    if (other !== undefined && wasVisible && !this.isVisible(u, other)) this.#conceal(u, other);
  }

  /** Sends the room's flag to all its members' connections if `callUsers` moved it across 2. */
  updateFlag(r: RouterRoom): void {
    const flag = r.callUsers.size >= 2 ? 1 : 0;
    if (flag === r.flag) return;
    r.flag = flag;
    this.sendToRoom(r, encodeInCallFast(r.bytes, flag));
  }

  /** The login dump of a connection that just said HELLO (after the HELLO reply). */
  loginDump(conn: RouterConn): void {
    const u = conn.user;
    for (const r of u.rooms) if (r.flag === 1) this.outbox.push(conn.id, encodeInCallFast(r.bytes, 1));
    this.forEachWatcher(u, (w) => {
      // Watching is symmetric, so the users who see u are the users u sees.
      if (w.presence !== 0) this.outbox.push(conn.id, encodePresFast(w.bytes, w.presence));
    });
    this.outbox.push(conn.id, encodePresFast(null, u.presence));
  }
}
