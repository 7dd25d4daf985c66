import type { MatrixEvent } from './api-types.js';

/** Where a timeline item stands: confirmed by the server, or a local echo still being sent. */
export type TimelineItemStatus = 'sending' | 'sent' | 'failed' | 'remote';

/** One entry of a room's timeline as apps see it. */
export interface TimelineItem {
  /** The server's event id; absent on a local echo the server has not acknowledged yet. */
  eventId: string | undefined;
  /** The transaction id of a local echo (also kept on the confirmed event that replaced it). */
  txnId: string | undefined;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  stateKey: string | undefined;
  /** `origin_server_ts`, or the local clock time for an echo. */
  ts: number;
  /** `remote` for events from the server; the other values for local echoes. */
  status: TimelineItemStatus;
}

/** Converts a server event into a timeline item. */
export function itemFromEvent(event: MatrixEvent): TimelineItem {
  return {
    eventId: event.event_id,
    txnId: event.unsigned?.transaction_id,
    type: event.type,
    sender: event.sender,
    content: event.content ?? {},
    stateKey: event.state_key,
    ts: event.origin_server_ts,
    status: 'remote',
  };
}

/**
 * A room's timeline: confirmed events in server order, then local echoes in sending order. An
 * echo is replaced by the server's event when the event arrives with the echo's txnId in
 * `unsigned.transaction_id`, or with the event id the send call returned. Confirmed events are
 * capped at `maxEvents`; the oldest are dropped first.
 */
export class Timeline {
  readonly #maxEvents: number;
  #events: TimelineItem[] = [];
  #pending: TimelineItem[] = [];
  readonly #ids = new Set<string>();
  /** Token for `/messages?dir=b` to load events before the first one held. */
  prevBatch: string | undefined;
  /** True once history paging reached the room's creation. */
  atStart = false;
  /** True when old events were dropped by the cap, so `prevBatch` no longer fits the first event. */
  trimmed = false;

  constructor(maxEvents = 500) {
    this.#maxEvents = maxEvents;
  }

  /** Confirmed events followed by pending echoes. */
  get items(): readonly TimelineItem[] {
    return this.#pending.length === 0 ? this.#events : [...this.#events, ...this.#pending];
  }

  /** Confirmed events only. */
  get events(): readonly TimelineItem[] {
    return this.#events;
  }

  /** True when the event is already held. */
  has(eventId: string): boolean {
    return this.#ids.has(eventId);
  }

  /** Appends a local echo. */
  addEcho(item: TimelineItem): void {
    this.#pending.push(item);
  }

  /**
   * Appends new events from the server (sync, oldest first). Returns the items that were added
   * and the txn ids of echoes they replaced.
   */
  appendLive(events: readonly MatrixEvent[]): { added: TimelineItem[]; replaced: string[] } {
    const added: TimelineItem[] = [];
    const replaced: string[] = [];
    for (const event of events) {
      if (typeof event.event_id !== 'string' || this.#ids.has(event.event_id)) continue;
      const item = itemFromEvent(event);
      const echo = this.#pending.findIndex(
        (p) => (item.txnId !== undefined && p.txnId === item.txnId) || p.eventId === item.eventId,
      );
      if (echo >= 0) {
        const [old] = this.#pending.splice(echo, 1);
        item.txnId = old?.txnId;
        if (old?.txnId) replaced.push(old.txnId);
      }
      this.#events.push(item);
      this.#ids.add(event.event_id);
      added.push(item);
    }
    this.#trim();
    return { added, replaced };
  }

  /** Adds older events from `/messages?dir=b` (newest first, as the server sends them). */
  prependHistory(chunkNewestFirst: readonly MatrixEvent[], end: string | undefined): TimelineItem[] {
    const older: TimelineItem[] = [];
    for (const event of chunkNewestFirst) {
      if (typeof event.event_id !== 'string' || this.#ids.has(event.event_id)) continue;
      older.push(itemFromEvent(event));
      this.#ids.add(event.event_id);
    }
    older.reverse();
    this.#events = [...older, ...this.#events];
    this.prevBatch = end;
    if (end === undefined) this.atStart = true;
    return older;
  }

  /**
   * The server acknowledged the echo `txnId` as `eventId`. When the event itself already came
   * through sync, the echo is dropped; otherwise it waits, marked `sent`, to be replaced.
   * Returns false when no such echo is held.
   */
  markSent(txnId: string, eventId: string): boolean {
    const i = this.#pending.findIndex((p) => p.txnId === txnId);
    if (i < 0) return false;
    const echo = this.#pending[i] as TimelineItem;
    if (this.#ids.has(eventId)) {
      this.#pending.splice(i, 1);
      const confirmed = this.#events.find((e) => e.eventId === eventId);
      if (confirmed) confirmed.txnId ??= txnId;
    } else {
      this.#pending[i] = { ...echo, eventId, status: 'sent' };
    }
    return true;
  }

  /** Sets the status of the echo `txnId`; false when no such echo is held. */
  setEchoStatus(txnId: string, status: 'sending' | 'failed'): boolean {
    const i = this.#pending.findIndex((p) => p.txnId === txnId);
    if (i < 0) return false;
    this.#pending[i] = { ...(this.#pending[i] as TimelineItem), status };
    return true;
  }

  /** Removes the echo `txnId` (the app cancelled the message). */
  removeEcho(txnId: string): boolean {
    const i = this.#pending.findIndex((p) => p.txnId === txnId);
    if (i >= 0) this.#pending.splice(i, 1);
    return i >= 0;
  }

  /**
   * Replaces the confirmed events with `items` (a cache restore, or a fresh window after a gap
   * in sync); echoes stay.
   */
  reset(items: readonly TimelineItem[], prevBatch: string | undefined): void {
    this.#events = items
      .filter((i) => i.eventId !== undefined)
      .map((i) => ({ ...i, status: 'remote' as const }));
    this.#ids.clear();
    for (const i of this.#events) this.#ids.add(i.eventId as string);
    this.prevBatch = prevBatch;
    this.atStart = false;
    this.trimmed = false;
    this.#trim();
  }

  #trim(): void {
    const excess = this.#events.length - this.#maxEvents;
    if (excess <= 0) return;
    for (const dropped of this.#events.splice(0, excess))
      if (dropped.eventId) this.#ids.delete(dropped.eventId);
    this.trimmed = true;
    this.atStart = false;
  }
}
