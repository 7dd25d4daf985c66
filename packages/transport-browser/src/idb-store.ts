import type { Store } from '@parley/core';
import { type IDBPDatabase, openDB } from 'idb';

/** Options of {@link IdbStore}. */
export interface IdbStoreOptions {
  /** The IndexedDB database name. Default `parley`. */
  name?: string;
}

const STORE = 'kv';

/**
 * A {@link Store} in IndexedDB through `idb`. Each call is one short transaction that awaits
 * nothing but its own request, so it never commits early (an IndexedDB transaction closes as
 * soon as control returns to the event loop with no request pending).
 */
export class IdbStore implements Store {
  readonly name: string;
  #db: Promise<IDBPDatabase> | undefined;

  constructor(options: IdbStoreOptions = {}) {
    this.name = options.name ?? 'parley';
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    return (await (await this.#open()).get(STORE, key)) as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    // Values go through JSON, as the Store contract says: what is read back is a plain copy.
    await (await this.#open()).put(STORE, JSON.parse(JSON.stringify(value ?? null)), key);
  }

  async delete(key: string): Promise<void> {
    await (await this.#open()).delete(STORE, key);
  }

  async keys(prefix: string): Promise<string[]> {
    const db = await this.#open();
    // Every string key that starts with `prefix` sorts between it and prefix + U+FFFF.
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
    const keys = await db.getAllKeys(STORE, range);
    return (keys as string[]).filter((k) => k.startsWith(prefix)).sort();
  }

  /** Closes the database connection (e.g. before deleting it). */
  async close(): Promise<void> {
    if (this.#db) (await this.#db).close();
    this.#db = undefined;
  }

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.name, 1, {
      upgrade(db) {
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
      },
      // Another tab upgrading the schema: let go so it is not blocked.
      blocking: () => {
        void this.close();
      },
    });
    return this.#db;
  }
}
