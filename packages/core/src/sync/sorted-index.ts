/**
 * A sorted map in chunks of at most {@link MAX_CHUNK} keys: inserts and deletes move at most one
 * chunk's worth of entries, and a seek is two binary searches, so a page from the middle of
 * 100,000 entries costs about what one from 100 does. Written here rather than taken from npm
 * because the one well-known B+ tree package ships CommonJS only, which core (ESM, no bundler at
 * test time) cannot import cleanly.
 */

const MAX_CHUNK = 256;
const MIN_CHUNK = MAX_CHUNK / 4;

interface Chunk<K, V> {
  keys: K[];
  values: V[];
}

/** Compares two keys: negative when `a` sorts first, 0 when equal, positive otherwise. */
export type SortedIndexComparator<K> = (a: K, b: K) => number;

/**
 * A sorted map with seeks, for the sync indexes (a user's rooms by recency or name, a room's
 * members by name or power level). The server keeps one up to date per user and per room as
 * events arrive, so that a first page never scans storage.
 */
export class SortedIndex<K, V = undefined> {
  readonly #compare: SortedIndexComparator<K>;
  #chunks: Chunk<K, V>[] = [];
  #size = 0;

  constructor(compare: SortedIndexComparator<K>) {
    this.#compare = compare;
  }

  /** The number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value stored under `key`, if any. */
  get(key: K): V | undefined {
    const at = this.#find(key);
    return at === undefined ? undefined : (this.#chunks[at[0]] as Chunk<K, V>).values[at[1]];
  }

  /** True when `key` is present. */
  has(key: K): boolean {
    return this.#find(key) !== undefined;
  }

  /** Stores `value` under `key`, replacing an equal key's value. True when the key is new. */
  set(key: K, value: V): boolean {
    if (this.#chunks.length === 0) {
      this.#chunks.push({ keys: [key], values: [value] });
      this.#size = 1;
      return true;
    }
    let ci = this.#chunkFor((k) => this.#compare(k, key) >= 0);
    if (ci === this.#chunks.length) ci--;
    const chunk = this.#chunks[ci] as Chunk<K, V>;
    const i = lowerBound(chunk.keys, (k) => this.#compare(k, key) >= 0);
    if (i < chunk.keys.length && this.#compare(chunk.keys[i] as K, key) === 0) {
      chunk.keys[i] = key;
      chunk.values[i] = value;
      return false;
    }
    chunk.keys.splice(i, 0, key);
    chunk.values.splice(i, 0, value);
    this.#size++;
    if (chunk.keys.length > MAX_CHUNK) {
      const half = chunk.keys.length >> 1;
      this.#chunks.splice(ci + 1, 0, { keys: chunk.keys.splice(half), values: chunk.values.splice(half) });
    }
    return true;
  }

  /** Removes `key`. True when it was present. */
  delete(key: K): boolean {
    const at = this.#find(key);
    if (at === undefined) return false;
    const [ci, i] = at;
    const chunk = this.#chunks[ci] as Chunk<K, V>;
    chunk.keys.splice(i, 1);
    chunk.values.splice(i, 1);
    this.#size--;
    if (chunk.keys.length === 0) this.#chunks.splice(ci, 1);
    else if (chunk.keys.length < MIN_CHUNK) this.#merge(ci);
    return true;
  }

  /** The first entry, or `undefined` when empty. */
  first(): [K, V] | undefined {
    const c = this.#chunks[0];
    return c === undefined ? undefined : [c.keys[0] as K, c.values[0] as V];
  }

  /**
   * Entries in order, starting at the first key for which `start` holds. `start` must be
   * monotone over the order (false for a prefix, then true), e.g. `k => compare(k, cursor) > 0`
   * to resume after a cursor. Without `start`, from the first entry. Do not modify the index
   * while iterating.
   */
  *entries(start?: (key: K) => boolean): Generator<[K, V]> {
    let ci = start === undefined ? 0 : this.#chunkFor(start);
    let i = 0;
    if (start !== undefined && ci < this.#chunks.length) {
      i = lowerBound((this.#chunks[ci] as Chunk<K, V>).keys, start);
    }
    for (; ci < this.#chunks.length; ci++, i = 0) {
      const chunk = this.#chunks[ci] as Chunk<K, V>;
      for (; i < chunk.keys.length; i++) yield [chunk.keys[i] as K, chunk.values[i] as V];
    }
  }

  /** The index of the first chunk whose last key satisfies `pred` (monotone), or the chunk count. */
  #chunkFor(pred: (key: K) => boolean): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.#chunks[mid] as Chunk<K, V>;
      if (pred(c.keys[c.keys.length - 1] as K)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  #find(key: K): [number, number] | undefined {
    const ci = this.#chunkFor((k) => this.#compare(k, key) >= 0);
    const chunk = this.#chunks[ci];
    if (chunk === undefined) return undefined;
    const i = lowerBound(chunk.keys, (k) => this.#compare(k, key) >= 0);
    return i < chunk.keys.length && this.#compare(chunk.keys[i] as K, key) === 0 ? [ci, i] : undefined;
  }

  /** Joins a small chunk to a neighbour, so that deletes cannot leave many tiny chunks. */
  #merge(ci: number): void {
    const left = this.#chunks[ci + 1] === undefined ? ci - 1 : ci;
    const a = this.#chunks[left];
    const b = this.#chunks[left + 1];
    if (a === undefined || b === undefined || a.keys.length + b.keys.length > MAX_CHUNK) return;
    a.keys.push(...b.keys);
    a.values.push(...b.values);
    this.#chunks.splice(left + 1, 1);
  }
}

/** The first index of `arr` whose element satisfies the monotone `pred`, or `arr.length`. */
function lowerBound<K>(arr: readonly K[], pred: (key: K) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pred(arr[mid] as K)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Compares tuples of strings and numbers element by element (numbers numerically, strings by
 * UTF-16 code units, a number before a string); a shorter tuple that is a prefix sorts first.
 */
export function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string | number;
    const y = b[i] as string | number;
    if (x === y) continue;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
