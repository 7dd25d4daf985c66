import type { SyncStreamStates } from './compute.js';
import type { SyncStickyParams } from './params.js';
import type { SyncResponseBody } from './types.js';

/** What a `since` token names: the sticky parameters and stream positions after a response. */
export interface SyncCheckpoint {
  seq: number;
  token: string;
  position: number;
  params: SyncStickyParams;
  state: SyncStreamStates;
}

/** One sync session of a device, as the engine keeps it. */
export interface SyncSessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly deviceKey: string;
  readonly createdAt: number;
  lastUsed: number;
  /** The sequence number of the newest checkpoint. */
  seq: number;
  /** The checkpoint the last response issued (its `next`). */
  last: SyncCheckpoint;
  /**
   * The request behind {@link last}: the checkpoint it started from, its body's key and its
   * response, kept to answer a retransmit identically. Only these two checkpoints are valid.
   */
  prev: { cp: SyncCheckpoint; key: string; response: SyncResponseBody } | undefined;
  /** The to-device position this session has acknowledged by sending a `since` past it. */
  ack: number;
  waiting: boolean;
  live: boolean;
  /** Serialises the session's work: requests, wakes and timeouts run one at a time. */
  chain: Promise<unknown>;
}

/** The key of a device in the per-device maps. */
export function deviceKeyOf(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}

/**
 * The engine's sessions: by id, by device, and the idle ones in least-recently-used order (a Map
 * keeps insertion order, and a use re-inserts), which gives idle expiry and the caps their
 * oldest session in O(1). A session that is waiting in a long-poll is not idle and not listed.
 */
export class SessionTable {
  readonly #byId = new Map<string, SyncSessionRecord>();
  readonly #idle = new Map<string, SyncSessionRecord>();
  readonly #byDevice = new Map<string, Set<SyncSessionRecord>>();

  /** Live sessions. */
  get size(): number {
    return this.#byId.size;
  }

  /** The live session with this id. */
  get(id: string): SyncSessionRecord | undefined {
    return this.#byId.get(id);
  }

  /** Every live session, in no particular order. */
  all(): IterableIterator<SyncSessionRecord> {
    return this.#byId.values();
  }

  add(s: SyncSessionRecord): void {
    this.#byId.set(s.id, s);
    this.#idle.set(s.id, s);
    let set = this.#byDevice.get(s.deviceKey);
    if (set === undefined) {
      set = new Set();
      this.#byDevice.set(s.deviceKey, set);
    }
    set.add(s);
  }

  /** Marks a use at `now`: the session becomes the most recently used. */
  touch(s: SyncSessionRecord, now: number): void {
    s.lastUsed = now;
    if (this.#idle.delete(s.id)) this.#idle.set(s.id, s);
  }

  /** Enters or leaves a long-poll; leaving counts as a use at `now`. */
  setWaiting(s: SyncSessionRecord, waiting: boolean, now: number): void {
    s.waiting = waiting;
    if (waiting) this.#idle.delete(s.id);
    else if (s.live) {
      s.lastUsed = now;
      this.#idle.set(s.id, s);
    }
  }

  remove(s: SyncSessionRecord): void {
    s.live = false;
    this.#byId.delete(s.id);
    this.#idle.delete(s.id);
    const set = this.#byDevice.get(s.deviceKey);
    set?.delete(s);
    if (set?.size === 0) this.#byDevice.delete(s.deviceKey);
  }

  /** The live sessions of a device. */
  ofDevice(deviceKey: string): ReadonlySet<SyncSessionRecord> {
    return this.#byDevice.get(deviceKey) ?? new Set();
  }

  /** The device's least recently used session. */
  oldestOfDevice(deviceKey: string): SyncSessionRecord | undefined {
    let oldest: SyncSessionRecord | undefined;
    for (const s of this.ofDevice(deviceKey))
      if (oldest === undefined || s.lastUsed < oldest.lastUsed) oldest = s;
    return oldest;
  }

  /** The least recently used session: an idle one when there is any, else the oldest waiting. */
  oldest(): SyncSessionRecord | undefined {
    for (const s of this.#idle.values()) return s;
    let oldest: SyncSessionRecord | undefined;
    for (const s of this.#byId.values()) if (oldest === undefined || s.lastUsed < oldest.lastUsed) oldest = s;
    return oldest;
  }

  /** Idle sessions unused since `cutoff` or earlier, oldest first. */
  idleSince(cutoff: number): SyncSessionRecord[] {
    const out: SyncSessionRecord[] = [];
    for (const s of this.#idle.values()) {
      if (s.lastUsed > cutoff) break;
      out.push(s);
    }
    return out;
  }

  /** When the oldest idle session was last used, if any is idle. */
  oldestIdleUse(): number | undefined {
    for (const s of this.#idle.values()) return s.lastUsed;
    return undefined;
  }
}
