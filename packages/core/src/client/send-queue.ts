import { ParleyError, throwIfAborted } from '../errors.js';
import type { Clock, Random, Store, Timers } from '../io.js';
import type { ClientApi } from './client-api.js';
import type { ParleyClientEvents } from './client-events.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { OutboxSender } from './outbox-sender.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { RoomList } from './room-list.js';
import type { TimelineItem } from './timeline.js';
import { newTxnId } from './txn-id.js';

type Emit = <K extends keyof ParleyClientEvents>(
  event: K,
  ...args: Parameters<ParleyClientEvents[K]>
) => void;

interface Waiter {
  resolve: (eventId: string) => void;
  reject: (error: ParleyError) => void;
}

/** What the {@link SendQueue} is built from. */
export interface SendQueueOptions {
  api: ClientApi;
  store: Store;
  rooms: RoomList;
  clock: Clock;
  timers: Timers;
  random: Random;
  retryPolicy: ReconnectPolicy;
  maxOutbox: number;
  sentMemory: number;
  emit: Emit;
  userId: () => string | undefined;
}

/**
 * Sending room messages: each goes to the persisted outbox first, shows as a local echo at
 * once, and is sent in order with its txnId by the {@link OutboxSender}; the echo then becomes
 * the server's event.
 */
export class SendQueue {
  readonly outbox: Outbox;
  readonly #o: SendQueueOptions;
  readonly #sender: OutboxSender;
  readonly #waiters = new Map<string, Waiter[]>();
  /** Recent outcomes: event id, or the error that failed the message. Insertion-ordered, bounded. */
  readonly #outcomes = new Map<string, string | ParleyError>();

  constructor(options: SendQueueOptions) {
    this.#o = options;
    this.outbox = new Outbox({ store: options.store, maxEntries: options.maxOutbox });
    this.#sender = new OutboxSender({
      outbox: this.outbox,
      send: (e, signal) => options.api.sendEvent(e.roomId, e.type, e.content, e.txnId, { signal }),
      clock: options.clock,
      timers: options.timers,
      retryPolicy: options.retryPolicy,
      onSent: (e, eventId) => this.#sent(e, eventId),
      onFailed: (e, error) => this.#failed(e, error),
      onRetry: (_e, error) => options.emit('warning', error),
    });
  }

  /** Loads what a previous run left unsent and shows it as echoes. */
  async restore(): Promise<void> {
    for (const entry of await this.outbox.load()) {
      const room = this.#o.rooms.ensure(entry.roomId);
      if (!room.timeline.items.some((i) => i.txnId === entry.txnId && i.status !== 'remote')) {
        room.timeline.addEcho(this.#echo(entry, entry.failed ? 'failed' : 'sending'));
      }
    }
  }

  /** Queues a message; resolves with its local echo once it is persisted. */
  async send(
    roomId: string,
    type: string,
    content: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<TimelineItem> {
    throwIfAborted(signal);
    const txnId = newTxnId(this.#o.clock, this.#o.random);
    const entry = await this.outbox.add({ txnId, roomId, type, content, createdAt: this.#o.clock.now() });
    const room = this.#o.rooms.ensure(roomId);
    const echo = this.#echo(entry, 'sending');
    room.timeline.addEcho(echo);
    this.#o.emit('echo', room, txnId, 'sending');
    this.#o.emit('timeline', room, [echo], false);
    this.#sender.kick();
    return echo;
  }

  /** Resolves with the event id once the server has the message; rejects if it failed for good. */
  whenSent(txnId: string, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal);
    const known = this.#outcomes.get(txnId);
    if (typeof known === 'string') return Promise.resolve(known);
    if (known) return Promise.reject(known);
    if (!this.outbox.get(txnId)) {
      return Promise.reject(new ParleyError('not_found', `No message with txnId ${txnId} is queued`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (id) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(id);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        const list = this.#waiters.get(txnId) ?? [];
        this.#waiters.set(
          txnId,
          list.filter((w) => w !== waiter),
        );
        reject(ParleyError.aborted(signal?.reason));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(txnId, [...(this.#waiters.get(txnId) ?? []), waiter]);
    });
  }

  /** Sends a failed message again, with its original txnId. */
  async retry(txnId: string): Promise<void> {
    const entry = this.outbox.get(txnId);
    if (!entry) throw new ParleyError('not_found', `No message with txnId ${txnId} is queued`);
    await this.outbox.setFailed(txnId, undefined);
    this.#outcomes.delete(txnId);
    const room = this.#o.rooms.ensure(entry.roomId);
    room.timeline.setEchoStatus(txnId, 'sending');
    this.#o.emit('echo', room, txnId, 'sending');
    this.#sender.kick();
  }

  /** Drops a message that has not been sent (a failed one, or one waiting while offline). */
  async cancel(txnId: string): Promise<void> {
    const entry = await this.outbox.remove(txnId);
    if (!entry) return;
    const room = this.#o.rooms.ensure(entry.roomId);
    room.timeline.removeEcho(txnId);
    this.#o.emit('echo', room, txnId, 'cancelled');
    this.#settle(txnId, new ParleyError('cancelled', 'The message was cancelled'));
  }

  /** The connection is back (or a message was queued): try sending now. */
  kick(): void {
    this.#sender.kick();
  }

  /** (Re)starts sending after {@link stop}. */
  start(): void {
    this.#sender.start();
  }

  /** Stops sending; queued messages stay in the store. */
  stop(): void {
    this.#sender.stop();
  }

  /** Resolves when no send is in progress. */
  whenIdle(): Promise<void> {
    return this.#sender.whenIdle();
  }

  #sent(entry: OutboxEntry, eventId: string): void {
    const room = this.#o.rooms.ensure(entry.roomId);
    room.timeline.markSent(entry.txnId, eventId);
    const stillEcho = room.timeline.items.some((i) => i.txnId === entry.txnId && i.status !== 'remote');
    this.#o.emit('echo', room, entry.txnId, stillEcho ? 'sent' : 'replaced');
    this.#settle(entry.txnId, eventId);
  }

  #failed(entry: OutboxEntry, error: ParleyError): void {
    const room = this.#o.rooms.ensure(entry.roomId);
    room.timeline.setEchoStatus(entry.txnId, 'failed');
    this.#o.emit('echo', room, entry.txnId, 'failed');
    this.#settle(entry.txnId, error);
  }

  #settle(txnId: string, outcome: string | ParleyError): void {
    this.#outcomes.set(txnId, outcome);
    if (this.#outcomes.size > this.#o.sentMemory) {
      const oldest = this.#outcomes.keys().next().value;
      if (oldest !== undefined) this.#outcomes.delete(oldest);
    }
    const waiters = this.#waiters.get(txnId) ?? [];
    this.#waiters.delete(txnId);
    for (const w of waiters) {
      if (typeof outcome === 'string') w.resolve(outcome);
      else w.reject(outcome);
    }
  }

  #echo(entry: OutboxEntry, status: 'sending' | 'failed'): TimelineItem {
    return {
      eventId: undefined,
      txnId: entry.txnId,
      type: entry.type,
      sender: this.#o.userId() ?? '',
      content: entry.content,
      stateKey: undefined,
      ts: entry.createdAt,
      status,
    };
  }
}
