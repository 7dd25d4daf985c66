/**
 * The IO that core is handed instead of touching globals: a clock, timers, randomness and a
 * key-value store. Node, the browser and the deterministic simulator each provide their own.
 *
 * @packageDocumentation
 */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
}

/** An opaque handle returned by {@link Timers.set}. */
export type TimerId = unknown;

/**
 * Timers, in the shape of TanStack's timeout provider: state machines never call them
 * directly (they report deadlines); adapters and client facades do.
 */
export interface Timers {
  set(callback: () => void, delayMs: number): TimerId;
  clear(id: TimerId): void;
}

/** A source of random bytes. Production uses a CSPRNG; tests use a seeded generator. */
export interface Random {
  bytes(n: number): Uint8Array;
}

/**
 * A small async key-value store (matrix-js-sdk's store/backend split): the client keeps its sync
 * token, outbox and cache here. Values are JSON-serialisable.
 */
export interface Store {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, in lexicographic order. */
  keys(prefix: string): Promise<string[]>;
}

/** A {@link Store} held in memory; the default for tests and for apps that want no persistence. */
export class MemoryStore implements Store {
  readonly #data = new Map<string, string>();

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const raw = this.#data.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown): Promise<void> {
    // Stored as JSON so callers cannot mutate what was stored, as with a real backend.
    this.#data.set(key, JSON.stringify(value));
  }

  async delete(key: string): Promise<void> {
    this.#data.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
