import { ParleyError } from '../errors.js';
import type { SyncChanges, SyncChangesQuery, SyncCursor, SyncPage, SyncPageQuery } from './data-source.js';
import { compareTuples, SortedIndex } from './sorted-index.js';

/** The element types of a sort's key, used to check a cursor that came back from a client. */
export type SyncKeyShape = readonly ('number' | 'string')[];

interface Entry<E> {
  value: E;
  lastChange: number;
  /** The entry's key in each sort, or `undefined` when it is not listed (a left room or member). */
  keys: Record<string, SyncCursor> | undefined;
}

type ChangeKey = readonly [number, string];

const compareChange = (a: ChangeKey, b: ChangeKey): number =>
  a[0] - b[0] || (a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1);

/**
 * A set of items by id, listed in several sort orders and by last change: the one structure behind
 * `room_list` (one per user) and `room_members` (one per room). Pages are keyset pages over a
 * sort, restricted to items unchanged since the snapshot; deltas walk the change order.
 */
export class SnapshotList<S extends string, E> {
  readonly #shapes: Record<S, SyncKeyShape>;
  readonly #entries = new Map<string, Entry<E>>();
  readonly #sorted = new Map<S, SortedIndex<SyncCursor, string>>();
  readonly #changes = new SortedIndex<ChangeKey, string>(compareChange);

  /** `shapes` names each sort and the types of its key's elements. */
  constructor(shapes: Record<S, SyncKeyShape>) {
    this.#shapes = shapes;
    for (const sort of Object.keys(shapes) as S[]) this.#sorted.set(sort, new SortedIndex(compareTuples));
  }

  /** Items listed in the sorts. */
  get listedCount(): number {
    for (const index of this.#sorted.values()) return index.size;
    return 0;
  }

  /** The value stored for `id`, listed or not. */
  get(id: string): E | undefined {
    return this.#entries.get(id)?.value;
  }

  /**
   * Stores `value` for `id`, changed at `position`. With `keys` (one per sort; the id should end
   * each key so keys are unique) the item is listed; without, it is kept only for deltas.
   */
  put(id: string, value: E, position: number, keys?: Record<S, SyncCursor>): void {
    const old = this.#entries.get(id);
    if (old !== undefined) {
      this.#changes.delete([old.lastChange, id]);
      if (old.keys !== undefined)
        for (const [sort, index] of this.#sorted) index.delete(old.keys[sort] as SyncCursor);
    }
    this.#entries.set(id, { value, lastChange: position, keys });
    this.#changes.set([position, id], id);
    if (keys !== undefined) for (const [sort, index] of this.#sorted) index.set(keys[sort], id);
  }

  /** A page of listed items in `query.sort`, restricted to those unchanged since the snapshot. */
  page(query: SyncPageQuery<S>): SyncPage<E> {
    const index = this.#sorted.get(query.sort);
    if (index === undefined) throw ParleyError.matrix('M_INVALID_PARAM', `Unknown sort ${query.sort}`, 400);
    const after = query.after;
    if (after !== undefined) checkCursor(after, this.#shapes[query.sort]);
    const items: E[] = [];
    let lastKey: SyncCursor | undefined;
    const start = after === undefined ? undefined : (k: SyncCursor) => compareTuples(k, after) > 0;
    for (const [key, id] of index.entries(start)) {
      const entry = this.#entries.get(id) as Entry<E>;
      if (entry.lastChange > query.snapshot) continue;
      if (items.length === query.limit) return { items, next: lastKey as SyncCursor };
      items.push(entry.value);
      lastKey = key;
    }
    return { items };
  }

  /** Items (listed or not) whose last change is after `query.after` and at most `query.upTo`. */
  changes(query: SyncChangesQuery): SyncChanges<E> {
    const { position, id } = query.after;
    const start = (k: ChangeKey): boolean =>
      k[0] > position || (k[0] === position && id !== undefined && k[1] > id);
    const items: E[] = [];
    let last: ChangeKey | undefined;
    for (const [key] of this.#changes.entries(start)) {
      if (key[0] > query.upTo) break;
      if (items.length === query.limit) {
        const l = last as ChangeKey;
        return { items, next: { position: l[0], id: l[1] } };
      }
      items.push((this.#entries.get(key[1]) as Entry<E>).value);
      last = key;
    }
    return { items };
  }
}

/** Throws `M_INVALID_PARAM` unless `cursor` has the element types of `shape`. */
function checkCursor(cursor: SyncCursor, shape: SyncKeyShape): void {
  const ok =
    Array.isArray(cursor) &&
    cursor.length === shape.length &&
    cursor.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isFinite(v)));
  if (!ok) throw ParleyError.matrix('M_INVALID_PARAM', 'p.since does not fit this stream and sort', 400);
}
