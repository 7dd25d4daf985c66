import type { RealtimeRouter } from '@parley/core';
import type { Logger } from 'pino';
import type { Storage, StoredEvent } from '../storage/storage.js';
import { SerialQueue } from './serial-queue.js';

/** What a {@link MembershipFeed} reads from and writes to. */
export interface MembershipFeedDeps {
  storage: Storage;
  router: RealtimeRouter;
  logger: Logger;
  /** Called after the router was changed, to send what the change queued (the hub's `flush`). */
  flush: () => void;
}

/**
 * Keeps the router's rooms and contacts in step with storage, loading lazily: a user's joined
 * rooms (with all their members) and contacts (both directions) are loaded when the user first
 * connects, and from then on every membership and contact change that touches a loaded user or
 * room is applied as it happens.
 *
 * Invariant: every room a loaded user has joined is loaded, and the router's member list of a
 * loaded room is the room's joined local members. Contacts are loaded for every pair with at least
 * one loaded side, which is every pair whose visibility can matter (a user with a connection is
 * loaded). Changes run through one `SerialQueue`, in the order storage committed them, and
 * decide what to do when they run, not when they were handed in, so a change racing a load is
 * applied after it. Applying an older change after a newer snapshot is harmless: changes are
 * replayed in commit order and end at the same state.
 *
 * Loaded users and rooms stay loaded until the server stops: the router's memory is bounded by
 * the memberships and contacts of users who connected since the start.
 */
export class MembershipFeed {
  readonly #deps: MembershipFeedDeps;
  readonly #queue = new SerialQueue();
  readonly #loadedUsers = new Set<string>();
  /** Loaded rooms: room id to room handle. */
  readonly #rooms = new Map<string, string>();
  /** User id to handle, for every user seen in a loaded room or contact list. */
  readonly #handles = new Map<string, string>();

  constructor(deps: MembershipFeedDeps) {
    this.#deps = deps;
  }

  /**
   * Runs a change in order, then sends what it queued (even when it failed half way): at once
   * when the change ran synchronously, so its effects are on the sockets before the call returns.
   */
  #run(op: () => void | Promise<void>): Promise<void> {
    const flush = this.#deps.flush;
    return this.#queue.run(() => {
      let result: void | Promise<void>;
      try {
        result = op();
      } catch (err) {
        flush();
        throw err;
      }
      if (result instanceof Promise) return result.finally(flush);
      flush();
    });
  }

  /** Loads a user's rooms and contacts into the router (once). Call before the user's first `connect`. */
  loadUser(userId: string, handle: string): Promise<void> {
    return this.#run(async () => {
      if (this.#loadedUsers.has(userId)) return;
      const { storage, router } = this.#deps;
      this.#handles.set(userId, handle);
      for (const roomId of await storage.getJoinedRooms(userId)) {
        if (!this.#rooms.has(roomId)) await this.#loadRoom(roomId);
      }
      const contacts = await storage.getContacts(userId);
      const contactOf = await storage.getContactOf(userId);
      for (const c of [...contacts, ...contactOf]) this.#handles.set(c.userId, c.handle);
      router.setContacts(
        handle,
        contacts.map((c) => c.handle),
      );
      for (const c of contactOf) router.addContact(c.handle, handle);
      this.#loadedUsers.add(userId);
    });
  }

  /** Applies a stored event if it changes a membership (join, or leaving it by leave, kick or ban). */
  onEvent(stored: StoredEvent): void {
    const e = stored.event;
    if (e.type !== 'm.room.member' || typeof e.state_key !== 'string') return;
    const membership = e.content.membership;
    const roomId = e.room_id;
    const userId = e.state_key;
    // Only `join` counts: invite and knock are not membership for the realtime channel.
    const joined = membership === 'join';
    void this.#run(() => this.#applyMembership(roomId, userId, joined)).catch((err: unknown) =>
      this.#deps.logger.error({ err, roomId, userId }, 'realtime: could not apply a membership change'),
    );
  }

  /** `userId` added `contactId` (both local, with their handles). */
  contactAdded(userId: string, userHandle: string, contactId: string, contactHandle: string): Promise<void> {
    return this.#run(() => {
      if (!this.#loadedUsers.has(userId) && !this.#loadedUsers.has(contactId)) return;
      this.#deps.router.addContact(userHandle, contactHandle);
    });
  }

  /** `userId` removed `contactId`. */
  contactRemoved(
    userId: string,
    userHandle: string,
    contactId: string,
    contactHandle: string,
  ): Promise<void> {
    return this.#run(() => {
      if (!this.#loadedUsers.has(userId) && !this.#loadedUsers.has(contactId)) return;
      this.#deps.router.removeContact(userHandle, contactHandle);
    });
  }

  /**
   * `userId`'s contact entry for `contactId` changed on another server instance: reads the pair
   * from storage and applies it (reading, rather than trusting the notice, keeps the router right
   * whatever order changes from several instances arrive in).
   */
  contactChanged(userId: string, contactId: string): Promise<void> {
    return this.#run(async () => {
      if (!this.#loadedUsers.has(userId) && !this.#loadedUsers.has(contactId)) return;
      const { storage, router } = this.#deps;
      const [user, contact, contacts] = await Promise.all([
        this.#handleOf(userId),
        this.#handleOf(contactId),
        storage.getContacts(userId),
      ]);
      if (user === undefined || contact === undefined) return;
      if (contacts.some((c) => c.userId === contactId)) router.addContact(user, contact);
      else router.removeContact(user, contact);
    });
  }

  async #handleOf(userId: string): Promise<string | undefined> {
    const known = this.#handles.get(userId);
    if (known !== undefined) return known;
    const u = await this.#deps.storage.getUser(userId);
    if (u !== undefined) this.#handles.set(userId, u.handle);
    return u?.handle;
  }

  /** Resolves once every change handed in so far is applied. */
  settled(): Promise<void> {
    return this.#queue.run(() => {});
  }

  /** Whether the user's rooms and contacts are loaded. */
  isLoaded(userId: string): boolean {
    return this.#loadedUsers.has(userId);
  }

  #applyMembership(roomId: string, userId: string, joined: boolean): void | Promise<void> {
    const roomHandle = this.#rooms.get(roomId);
    if (roomHandle === undefined) {
      // Nobody loaded is in the room; it matters only when a loaded user joins it.
      return joined && this.#loadedUsers.has(userId) ? this.#loadRoom(roomId) : undefined;
    }
    const userHandle = this.#handles.get(userId);
    if (userHandle !== undefined) return this.#applyTo(roomHandle, userHandle, joined);
    if (!joined) return; // never loaded as a member, so not one in the router
    return this.#deps.storage.getUser(userId).then((u) => {
      if (u === undefined) return; // a remote user: no handle, no realtime traffic
      this.#handles.set(userId, u.handle);
      this.#applyTo(roomHandle, u.handle, joined);
    });
  }

  #applyTo(roomHandle: string, userHandle: string, joined: boolean): void {
    if (joined) this.#deps.router.joinRoom(userHandle, roomHandle);
    else this.#deps.router.leaveRoom(userHandle, roomHandle);
  }

  async #loadRoom(roomId: string): Promise<void> {
    const { storage, router } = this.#deps;
    const room = await storage.getRoom(roomId);
    if (room === undefined) return;
    const members = await storage.getJoinedMembers(roomId);
    for (const m of members) this.#handles.set(m.userId, m.handle);
    router.setRoomMembers(
      room.handle,
      members.map((m) => m.handle),
    );
    this.#rooms.set(roomId, room.handle);
  }
}
