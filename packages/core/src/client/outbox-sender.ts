import { isParleyError, ParleyError } from '../errors.js';
import type { Clock, TimerId, Timers } from '../io.js';
import { isRetryable } from './api-error.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { ReconnectTracker } from './reconnect-tracker.js';

/** Options of {@link OutboxSender}. */
export interface OutboxSenderOptions {
  outbox: Outbox;
  /** Sends one entry with its txnId; resolves with the server's event id. */
  send: (entry: OutboxEntry, signal: AbortSignal) => Promise<string>;
  clock: Clock;
  timers: Timers;
  /** Delays between attempts while the server cannot be reached. */
  retryPolicy: ReconnectPolicy;
  /** The server acknowledged `entry` as `eventId` (it has left the outbox). */
  onSent: (entry: OutboxEntry, eventId: string) => void;
  /** The server refused `entry` for good; it stays in the outbox marked failed. */
  onFailed: (entry: OutboxEntry, error: ParleyError) => void;
  /** An attempt failed in a way worth retrying; the sender waits and tries again. */
  onRetry?: (entry: OutboxEntry, error: ParleyError, delayMs: number | null) => void;
}

/**
 * Drains the {@link Outbox} one entry at a time, in order, always with the entry's original
 * txnId. Transient failures (network, 5xx, 429) pause it with backoff; {@link kick} (called when
 * the connection comes back) resumes it at once. A 401 pauses it until kicked, without marking
 * anything failed: the message is kept for when the user is logged in again.
 */
export class OutboxSender {
  readonly #o: OutboxSenderOptions;
  readonly #tracker: ReconnectTracker;
  #running = false;
  #stopped = false;
  #timer: TimerId | undefined;
  #abort: AbortController | undefined;
  #idle: Promise<void> = Promise.resolve();

  constructor(options: OutboxSenderOptions) {
    this.#o = options;
    this.#tracker = new ReconnectTracker(options.retryPolicy, { stableAfterMs: 0 });
  }

  /** True while an entry is being sent. */
  get busy(): boolean {
    return this.#running;
  }

  /** Starts draining now (if not already), cancelling any backoff wait. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) {
      this.#o.timers.clear(this.#timer);
      this.#timer = undefined;
    }
    if (this.#running) return;
    this.#tracker.reset();
    this.#running = true;
    this.#idle = this.#drain()
      // A store failure ends this drain; the entry stays queued and the next kick resends it
      // with the same txnId, which the server deduplicates.
      .catch(() => undefined)
      .finally(() => {
        this.#running = false;
      });
  }

  /** Resolves when the current drain (if any) has finished. */
  whenIdle(): Promise<void> {
    return this.#idle;
  }

  /** Allows sending again after {@link stop} and starts draining. */
  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Stops sending: aborts the request in flight (the entry stays queued) and cancels timers. */
  stop(): void {
    this.#stopped = true;
    this.#abort?.abort(ParleyError.aborted('client stopped'));
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timer = undefined;
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const entry = this.#o.outbox.next();
      if (!entry) return;
      const ac = new AbortController();
      this.#abort = ac;
      try {
        const eventId = await this.#o.send(entry, ac.signal);
        await this.#o.outbox.remove(entry.txnId);
        this.#tracker.reset();
        this.#o.onSent(entry, eventId);
      } catch (thrown) {
        if (this.#stopped) return;
        const error = isParleyError(thrown) ? thrown : ParleyError.network(String(thrown), thrown);
        if (error.httpStatus === 401) return;
        if (!isRetryable(error)) {
          await this.#o.outbox.setFailed(entry.txnId, { code: error.code, message: error.message });
          this.#o.onFailed(entry, error);
          continue;
        }
        const delay = this.#tracker.down(this.#o.clock.now(), error);
        this.#o.onRetry?.(entry, error, delay);
        if (delay !== null) {
          this.#timer = this.#o.timers.set(() => {
            this.#timer = undefined;
            if (!this.#running) this.#resume();
          }, delay);
        }
        return;
      } finally {
        this.#abort = undefined;
      }
    }
  }

  // A timer-driven retry keeps the backoff count, unlike kick().
  #resume(): void {
    if (this.#stopped) return;
    this.#running = true;
    this.#idle = this.#drain()
      // A store failure ends this drain; the entry stays queued and the next kick resends it
      // with the same txnId, which the server deduplicates.
      .catch(() => undefined)
      .finally(() => {
        this.#running = false;
      });
  }
}
