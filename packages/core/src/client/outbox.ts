import { ParleyError } from '../errors.js';
import type { Store } from '../io.js';

/** A room event waiting to be sent, as kept in the store. */
export interface OutboxEntry {
  /** The transaction id: sent unchanged on every attempt, so the server stores the event once. */
  txnId: string;
  roomId: string;
  type: string;
  content: Record<string, unknown>;
  /** Clock time when the app sent it (the local echo's timestamp). */
  createdAt: number;
  /** Global order of sending. */
  seq: number;
  /** Set when the server refused it for good; a failed entry is skipped until retried or cancelled. */
  failed?: { code: string; message: string };
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  store: Store;
  /** Store key prefix. Default `outbox/`. */
  prefix?: string;
  /** Most entries kept; sending more fails with `outbox_full`. Default 1000. */
  maxEntries?: number;
}

/**
 * The persisted queue of room events not yet acknowledged by the server. An entry is written to
 * the store before the first attempt to send it and removed only once the server has answered
 * with an event id, so a crash or reload between the two resends it with the same txnId.
 */
export class Outbox {
  readonly #store: Store;
  readonly #prefix: string;
  readonly #max: number;
  #entries: OutboxEntry[] = [];
  #nextSeq = 1;

  constructor(options: OutboxOptions) {
    this.#store = options.store;
    this.#prefix = options.prefix ?? 'outbox/';
    this.#max = options.maxEntries ?? 1000;
  }

  /** Reads what a previous run left in the store. */
  async load(): Promise<readonly OutboxEntry[]> {
    const keys = await this.#store.keys(this.#prefix);
    const loaded: OutboxEntry[] = [];
    for (const key of keys) {
      const entry = await this.#store.get<OutboxEntry>(key);
      if (entry && typeof entry.txnId === 'string' && typeof entry.seq === 'number') loaded.push(entry);
    }
    loaded.sort((a, b) => a.seq - b.seq || a.createdAt - b.createdAt);
    this.#entries = loaded;
    this.#nextSeq = (loaded.at(-1)?.seq ?? 0) + 1;
    return this.entries;
  }

  /** Entries in sending order. */
  get entries(): readonly OutboxEntry[] {
    return this.#entries;
  }

  /** The entry for `txnId`, if still queued. */
  get(txnId: string): OutboxEntry | undefined {
    return this.#entries.find((e) => e.txnId === txnId);
  }

  /** The first entry that is not failed: the next one to send. */
  next(): OutboxEntry | undefined {
    return this.#entries.find((e) => e.failed === undefined);
  }

  /** Queues and persists an entry; resolves once it is in the store. */
  async add(entry: Omit<OutboxEntry, 'seq'>): Promise<OutboxEntry> {
    if (this.#entries.length >= this.#max) {
      throw new ParleyError('outbox_full', `The outbox holds its limit of ${this.#max} unsent messages`);
    }
    const full: OutboxEntry = { ...entry, seq: this.#nextSeq++ };
    this.#entries.push(full);
    await this.#store.set(this.#key(full), full);
    return full;
  }

  /** Removes an entry (acknowledged by the server, or cancelled by the app). */
  async remove(txnId: string): Promise<OutboxEntry | undefined> {
    const i = this.#entries.findIndex((e) => e.txnId === txnId);
    if (i < 0) return undefined;
    const [entry] = this.#entries.splice(i, 1);
    if (entry) await this.#store.delete(this.#key(entry));
    return entry;
  }

  /** Marks an entry failed for good (or clears the mark with `undefined`, to retry it). */
  async setFailed(txnId: string, failed: OutboxEntry['failed']): Promise<void> {
    const entry = this.get(txnId);
    if (!entry) return;
    if (failed === undefined) delete entry.failed;
    else entry.failed = failed;
    await this.#store.set(this.#key(entry), entry);
  }

  /** Drops every entry (logout). */
  async clear(): Promise<void> {
    const all = this.#entries;
    this.#entries = [];
    for (const e of all) await this.#store.delete(this.#key(e));
  }

  #key(entry: OutboxEntry): string {
    // Zero-padded so that the store's lexicographic key order is the sending order; the txnId
    // keeps two writers of one store (two tabs) from overwriting each other's entry.
    return `${this.#prefix}${String(entry.seq).padStart(12, '0')}-${entry.txnId}`;
  }
}
