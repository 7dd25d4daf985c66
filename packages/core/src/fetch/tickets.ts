import type { FetchContext, FetchWaiter } from './context.js';
import type { FetchFailReason, FetchPdu } from './types.js';

interface Entry {
  readonly eventId: string;
  /** Set while the event is being fetched; the fetch is left when the ticket is cancelled. */
  waiter: FetchWaiter | undefined;
  /** Runs once when the ticket is answered or cancelled. */
  onClose?: () => void;
}

type Starter = (now: number, eventId: string, roomId: string, hints: string[], waiter: FetchWaiter) => void;

/**
 * The tickets of `requestEvent` and the other calls that answer later: each open ticket gets
 * exactly one answer, unless it is cancelled first.
 */
export class TicketBook<P extends FetchPdu> {
  readonly #ctx: FetchContext<P>;
  readonly #open = new Map<number, Entry>();
  #next = 1;

  constructor(ctx: FetchContext<P>) {
    this.#ctx = ctx;
  }

  /** A fresh ticket number (for calls that answer by ticket without an entry here). */
  next(): number {
    return this.#next++;
  }

  /** Opens a ticket for one event: answered at once if it is stored, when decided if it is held, else after a fetch. */
  open(now: number, roomId: string, eventId: string, hint: string | undefined, start: Starter): number {
    const ctx = this.#ctx;
    const ticket = this.next();
    if (ctx.graph.isDecided(eventId)) {
      if (ctx.host.has(eventId)) ctx.emit({ type: 'event_done', ticket, eventId, ok: true });
      else ctx.emit({ type: 'event_done', ticket, eventId, ok: false, reason: 'rejected' });
      return ticket;
    }
    const entry: Entry = { eventId, waiter: undefined };
    this.#open.set(ticket, entry);
    if (ctx.graph.has(eventId)) {
      this.#watch(ticket, eventId);
      return ticket;
    }
    entry.waiter = {
      fetched: (_t, id) => {
        entry.waiter = undefined;
        if (!this.#watch(ticket, id)) this.#answer(ticket, true);
      },
      failed: (_t, _id, reason) => {
        entry.waiter = undefined;
        this.#answer(ticket, false, reason);
      },
    };
    try {
      start(now, eventId, roomId, hint === undefined ? [] : [hint], entry.waiter);
    } catch (e) {
      this.#open.delete(ticket);
      throw e;
    }
    return ticket;
  }

  /** Cancels an open ticket; `leave` takes it off its fetch. False when it is not open. */
  cancel(ticket: number, leave: (eventId: string, waiter: FetchWaiter) => void): boolean {
    const entry = this.#open.get(ticket);
    if (entry === undefined) return false;
    this.#open.delete(ticket);
    if (entry.waiter !== undefined) leave(entry.eventId, entry.waiter);
    entry.onClose?.();
    return true;
  }

  /** Runs `f` when the ticket closes (at once if it is closed already). */
  onClose(ticket: number, f: () => void): void {
    const entry = this.#open.get(ticket);
    if (entry === undefined) f();
    else entry.onClose = f;
  }

  #watch(ticket: number, eventId: string): boolean {
    return this.#ctx.graph.onDecided(eventId, (accepted) => this.#answer(ticket, accepted, 'rejected'));
  }

  #answer(ticket: number, ok: boolean, reason: FetchFailReason = 'rejected'): void {
    const entry = this.#open.get(ticket);
    if (entry === undefined) return;
    this.#open.delete(ticket);
    entry.onClose?.();
    const { eventId } = entry;
    if (ok) this.#ctx.emit({ type: 'event_done', ticket, eventId, ok: true });
    else this.#ctx.emit({ type: 'event_done', ticket, eventId, ok: false, reason });
  }
}
