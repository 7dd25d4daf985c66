import type { Logger } from 'pino';
import type { StoredEvent } from '../storage/storage.js';

/** What {@link OrderedEventStream} reads: the shared database's stream (PostgreSQL). */
export interface StreamReads {
  /** The newest committed stream ordering; every ordering up to it is committed or reserved. */
  maxOrdering(): Promise<number>;
  /** Up to `limit` events with an ordering in (`after`, `upTo`], in ordering order. */
  eventsAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]>;
}

/** Options of {@link OrderedEventStream}. */
export interface OrderedEventStreamOptions {
  reads: StreamReads;
  /** The ordering the stream starts after (what the listeners' own snapshot already holds). */
  start: number;
  logger: Logger;
  /** Events read per query. */
  batch?: number;
}

interface Waiter {
  kicks: number;
  ordering: number;
  resolve: () => void;
}

/**
 * Every event committed by any server instance, handed to the listeners once each, in stream
 * order, read back from the shared database. On PostgreSQL an ordering is taken under a row lock
 * held until COMMIT, so once ordering `n` is visible every lower ordering is committed or was
 * reserved for no event: reading `(applied, max]` never skips an event that commits later.
 *
 * A *kick* (this instance committed, or another one said so over Redis, or the periodic timer)
 * starts a catch-up pass, or another pass after the running one. {@link settled} resolves once
 * a pass that started after every kick so far has ended, which is how a client reads its own
 * writes on this instance.
 */
export class OrderedEventStream {
  readonly #o: Required<Omit<OrderedEventStreamOptions, 'start'>>;
  readonly #listeners: ((e: StoredEvent) => void)[] = [];
  readonly #waiters = new Set<Waiter>();
  #applied: number;
  #kicks = 0;
  #doneKicks = 0;
  #running = false;
  #started = false;
  #closed = false;

  constructor(options: OrderedEventStreamOptions) {
    this.#o = { batch: 256, ...options };
    this.#applied = options.start;
  }

  /** The highest ordering handed out (or skipped as reserved). */
  get position(): number {
    return this.#applied;
  }

  onEvent(listener: (e: StoredEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Begins catching up (call once every listener is attached). */
  start(): void {
    this.#started = true;
    this.kick();
  }

  /** Something was committed: catch up. */
  kick(): void {
    this.#kicks++;
    if (this.#started && !this.#running && !this.#closed) void this.#run();
  }

  /** Resolves once every event committed before this call (and kicked) was handed out. */
  settled(): Promise<void> {
    if (this.#doneKicks >= this.#kicks || this.#closed) return Promise.resolve();
    return this.#wait(this.#kicks, 0);
  }

  /** Resolves once every event up to `ordering` was handed out. */
  reached(ordering: number): Promise<void> {
    if (this.#applied >= ordering || this.#closed) return Promise.resolve();
    this.kick();
    return this.#wait(0, ordering);
  }

  /** Stops; pending waiters resolve. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w.resolve();
    this.#waiters.clear();
  }

  #wait(kicks: number, ordering: number): Promise<void> {
    return new Promise((resolve) => this.#waiters.add({ kicks, ordering, resolve }));
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#doneKicks < this.#kicks && !this.#closed) {
        const kicks = this.#kicks;
        try {
          await this.#pass();
        } catch (err) {
          // The next kick (at the latest the periodic one) tries again; nobody waits forever.
          this.#o.logger.error({ err }, 'cluster: reading the event stream failed');
        }
        this.#doneKicks = kicks;
        this.#release();
      }
    } finally {
      this.#running = false;
    }
  }

  async #pass(): Promise<void> {
    const { reads, batch } = this.#o;
    const max = await reads.maxOrdering();
    while (this.#applied < max && !this.#closed) {
      const events = await reads.eventsAfter(this.#applied, max, batch);
      for (const e of events) {
        this.#applied = e.streamOrdering;
        for (const l of this.#listeners) {
          try {
            l(e);
          } catch (err) {
            this.#o.logger.error({ err, eventId: e.eventId }, 'cluster: an event listener failed');
          }
        }
      }
      // Fewer than asked for: nothing else up to `max` is an event (the rest were reserved).
      if (events.length < batch) this.#applied = max;
      this.#release();
    }
  }

  #release(): void {
    for (const w of this.#waiters) {
      if (w.kicks <= this.#doneKicks && w.ordering <= this.#applied) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }
}
