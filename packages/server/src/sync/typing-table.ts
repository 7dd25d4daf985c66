import { compareTuples, SortedIndex, type SyncTypingState } from '@parley/core';

type ExpiryKey = readonly [number, string, string];

interface RoomTyping {
  /** User → when their typing notice expires. */
  users: Map<string, number>;
  /** The position of the last change of the set. */
  position: number;
}

/**
 * Who is typing in each room, with expiry times (a client's `timeout`, capped), in memory only:
 * typing is volatile and lost on restart, as in Matrix. The caller gives each change its stream
 * position and arms one timer at {@link nextExpiry}. A room's entry stays once it had a notice
 * (bounded by the number of rooms): its position must not fall back to 0, or sessions that saw
 * someone typing would never be told that nobody is.
 */
export class TypingTable {
  readonly #rooms = new Map<string, RoomTyping>();
  readonly #expiries = new SortedIndex<ExpiryKey, undefined>(compareTuples);

  /** Typing notices held, over all rooms. */
  get size(): number {
    return this.#expiries.size;
  }

  /** True when `userId` is typing in `roomId`. */
  isTyping(roomId: string, userId: string): boolean {
    return this.#rooms.get(roomId)?.users.has(userId) ?? false;
  }

  /**
   * Marks `userId` typing until `expiresAt`. Returns true when the set changed (the user was
   * not typing): only then does the caller give the room a new position. A renewal only moves
   * the expiry.
   */
  start(roomId: string, userId: string, expiresAt: number): boolean {
    let room = this.#rooms.get(roomId);
    if (room === undefined) {
      room = { users: new Map(), position: 0 };
      this.#rooms.set(roomId, room);
    }
    const old = room.users.get(userId);
    if (old !== undefined) this.#expiries.delete([old, roomId, userId]);
    room.users.set(userId, expiresAt);
    this.#expiries.set([expiresAt, roomId, userId], undefined);
    return old === undefined;
  }

  /** Removes `userId`'s notice; true when there was one. */
  stop(roomId: string, userId: string): boolean {
    const room = this.#rooms.get(roomId);
    const old = room?.users.get(userId);
    if (room === undefined || old === undefined) return false;
    this.#expiries.delete([old, roomId, userId]);
    room.users.delete(userId);
    return true;
  }

  /** Records the position of a change of the room's set. */
  setPosition(roomId: string, position: number): void {
    const room = this.#rooms.get(roomId);
    if (room === undefined) return;
    room.position = position;
  }

  /** The notices due at `now`, earliest first. */
  due(now: number): { roomId: string; userId: string }[] {
    const out: { roomId: string; userId: string }[] = [];
    for (const [key] of this.#expiries.entries()) {
      if (key[0] > now) break;
      out.push({ roomId: key[1], userId: key[2] });
    }
    return out;
  }

  /** The earliest expiry, if anyone is typing. */
  nextExpiry(): number | undefined {
    return this.#expiries.first()?.[0][0];
  }

  /** The room's typing set, sorted, and the position of its last change. */
  state(roomId: string): SyncTypingState {
    const room = this.#rooms.get(roomId);
    if (room === undefined) return { user_ids: [], position: 0 };
    return { user_ids: [...room.users.keys()].sort(), position: room.position };
  }
}
