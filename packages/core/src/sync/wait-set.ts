import type { ParsedSyncBody, SyncStickyParams } from './params.js';
import type { SyncCheckpoint, SyncSessionRecord } from './session-table.js';
import { deviceKeyOf } from './session-table.js';
import { SortedIndex } from './sorted-index.js';
import type { SyncResponseBody } from './types.js';

/** A change the server tells the engine about, to wake the long-polls it concerns. */
export type SyncChange =
  /**
   * New event(s) in a room, membership changes included. `user_ids`: the users whose room list
   * it changes (the joined members, the member whose membership changed, and on a rename the
   * room's invitees); without it every waiting `room_list` is recomputed.
   */
  | { type: 'room'; room_id: string; user_ids?: readonly string[] }
  /** The room's typing set changed. */
  | { type: 'typing'; room_id: string }
  /** A to-device message was stored for the device. */
  | { type: 'to_device'; user_id: string; device_id: string };

/** A request waiting in a long-poll. */
export interface SyncWait {
  readonly id: number;
  readonly session: SyncSessionRecord;
  readonly deadline: number;
  readonly base: SyncCheckpoint;
  readonly params: SyncStickyParams;
  readonly request: ParsedSyncBody;
  readonly resolve: (body: SyncResponseBody) => void;
  readonly reject: (error: unknown) => void;
  /** A wake is queued on the session and has not started yet: further wakes can be dropped. */
  wakeQueued: boolean;
  /** Detaches the abort listener. */
  detach: () => void;
}

type DeadlineKey = readonly [number, number];

/**
 * The waiting requests, by deadline (for `pollTimeout` and timeouts) and by what they listen to
 * (rooms, a user's room list, a device's to-device queue), so that a change wakes only the
 * long-polls it can concern.
 */
export class WaitSet {
  readonly #byDeadline = new SortedIndex<DeadlineKey, SyncWait>((a, b) => a[0] - b[0] || a[1] - b[1]);
  readonly #byRoom = new Map<string, Set<SyncWait>>();
  readonly #roomLists = new Map<string, Set<SyncWait>>();
  readonly #byDevice = new Map<string, Set<SyncWait>>();

  get size(): number {
    return this.#byDeadline.size;
  }

  add(w: SyncWait): void {
    this.#byDeadline.set([w.deadline, w.id], w);
    for (const [map, key] of this.#interests(w)) addTo(map, key, w);
  }

  delete(w: SyncWait): void {
    this.#byDeadline.delete([w.deadline, w.id]);
    for (const [map, key] of this.#interests(w)) {
      const set = map.get(key);
      set?.delete(w);
      if (set?.size === 0) map.delete(key);
    }
  }

  /** The earliest deadline, if any request waits. */
  nextDeadline(): number | undefined {
    return this.#byDeadline.first()?.[0][0];
  }

  /** Waits whose deadline is `now` or earlier. */
  due(now: number): SyncWait[] {
    const out: SyncWait[] = [];
    for (const [key, w] of this.#byDeadline.entries()) {
      if (key[0] > now) break;
      out.push(w);
    }
    return out;
  }

  /** The waits `change` may concern. */
  concerned(change: SyncChange): Set<SyncWait> {
    const out = new Set<SyncWait>();
    const addAll = (set: Set<SyncWait> | undefined): void => {
      if (set !== undefined) for (const w of set) out.add(w);
    };
    if (change.type === 'to_device') {
      addAll(this.#byDevice.get(deviceKeyOf(change.user_id, change.device_id)));
      return out;
    }
    addAll(this.#byRoom.get(change.room_id));
    if (change.type === 'room') {
      if (change.user_ids === undefined) for (const set of this.#roomLists.values()) addAll(set);
      else for (const u of change.user_ids) addAll(this.#roomLists.get(u));
    }
    return out;
  }

  *#interests(w: SyncWait): Generator<[Map<string, Set<SyncWait>>, string]> {
    const p = w.params;
    const rooms = new Set([p.typing?.room_id, p.room_members?.room_id, p.room?.room_id]);
    for (const r of rooms) if (r !== undefined) yield [this.#byRoom, r];
    if (p.room_list !== undefined) yield [this.#roomLists, w.session.userId];
    if (p.to_device !== undefined) yield [this.#byDevice, w.session.deviceKey];
  }
}

function addTo(map: Map<string, Set<SyncWait>>, key: string, w: SyncWait): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(w);
}
