import { type Clock, canonicalJson, type PDU } from '@parley/core';
import type { Logger } from 'pino';
import type { FederatedEventMode } from '../storage/federation-storage.js';
import type { Storage, StoredEvent } from '../storage/storage.js';
import { authorizeByAuthEvents } from './event-auth.js';
import type { KnownEvents } from './known-events.js';
import type { RoomCache } from './room-cache.js';

/** The outcome of an event's evaluation, as `/send` reports it. */
export type Decision = { ok: true } | { ok: false; reason: string };

/** What an {@link EventSink} is built from. */
export interface EventSinkDeps {
  storage: Storage;
  known: KnownEvents;
  rooms: RoomCache;
  clock: Clock;
  logger: Logger;
  /** Hands stored events to the server's listeners (sync, realtime, metrics). */
  announce: (event: StoredEvent) => void;
}

// Waiters for one event's decision (a /send waiting to report it); bounded per process.
const MAX_WAITED = 10_000;

/**
 * Where events from other servers end: each is checked against the authorization rules with its
 * auth events (read from storage, so the events before it must be stored first — the fetch driver
 * hands them over one at a time in topological order), then stored as accepted (and announced to
 * the server's listeners) or as rejected.
 */
export class EventSink {
  readonly #d: EventSinkDeps;
  readonly #waiters = new Map<string, Array<(d: Decision) => void>>();

  constructor(deps: EventSinkDeps) {
    this.#d = deps;
  }

  get storage(): Storage {
    return this.#d.storage;
  }

  /** Authorizes and stores an event the scheduler evaluated. */
  async accept(roomId: string, eventId: string, pdu: PDU, mode: FederatedEventMode): Promise<void> {
    const { known, storage } = this.#d;
    // Known at once: the scheduler must not fetch it again while it is being stored.
    known.add(eventId);
    let verdict: Decision;
    try {
      verdict = await authorizeByAuthEvents(storage, pdu);
    } catch (err) {
      known.delete(eventId);
      throw err;
    }
    if (!verdict.ok) {
      await this.reject(roomId, eventId, pdu, verdict.reason);
      return;
    }
    await this.store(roomId, eventId, pdu, mode);
    this.#decide(eventId, { ok: true });
  }

  /** Stores an event already checked (a join's state, a `send_join`), announcing it when new. */
  async store(
    roomId: string,
    eventId: string,
    pdu: PDU,
    mode: FederatedEventMode,
  ): Promise<StoredEvent | undefined> {
    const { known, storage, rooms, announce, logger } = this.#d;
    known.add(eventId);
    let stored: StoredEvent | undefined;
    try {
      stored = await storage.storeFederatedEvent(roomId, { eventId, event: pdu }, mode);
    } catch (err) {
      known.delete(eventId);
      throw err;
    }
    if (stored === undefined) return undefined;
    if (mode !== 'historical' || pdu.type === 'm.room.member') await rooms.refresh(roomId);
    // History is not news: listeners (sync, the realtime feed, outgoing federation) see only
    // events that extend the room or its state.
    if (mode !== 'historical') {
      try {
        announce(stored);
      } catch (err) {
        logger.error({ err, eventId }, 'federation: a stored-event listener failed');
      }
    }
    return stored;
  }

  /** Records an event that failed authorization. */
  async reject(roomId: string, eventId: string, pdu: PDU, reason: string): Promise<void> {
    const { known, storage, clock, logger } = this.#d;
    known.add(eventId);
    logger.info({ roomId, eventId, reason }, 'federation: event rejected');
    await storage.storeRejectedEvent(roomId, eventId, canonicalJson(pdu), reason, clock.now());
    this.#decide(eventId, { ok: false, reason });
  }

  /**
   * Resolves when `eventId` is decided here, or `undefined` after `ms` (or when too many are
   * waited for already).
   */
  waitDecided(eventId: string, ms: number): Promise<Decision | undefined> {
    if (ms <= 0 || this.#waiters.size >= MAX_WAITED) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let list = this.#waiters.get(eventId);
      if (list === undefined) {
        list = [];
        this.#waiters.set(eventId, list);
      }
      const timer = setTimeout(() => {
        const l = this.#waiters.get(eventId);
        const i = l?.indexOf(done) ?? -1;
        if (l !== undefined && i >= 0) l.splice(i, 1);
        if (l?.length === 0) this.#waiters.delete(eventId);
        resolve(undefined);
      }, ms);
      timer.unref();
      const done = (d: Decision): void => {
        clearTimeout(timer);
        resolve(d);
      };
      list.push(done);
    });
  }

  #decide(eventId: string, d: Decision): void {
    const list = this.#waiters.get(eventId);
    if (list === undefined) return;
    this.#waiters.delete(eventId);
    for (const w of list) w(d);
  }
}
