/**
 * Client id allocation: a 4-byte counter per server (or over a cluster instance's range), never
 * 0, skipping ids still in use after it wraps around (MEGAchat: "a new clientid every millisecond
 * for 49 days until a wraparound").
 *
 * @internal
 */
export class ClientIds<T> {
  readonly #inUse = new Map<number, T>();
  #next: number;

  /**
   * Ids run from `first` up to `last` (2^32-1 on the wire), then wrap around to `low` (1, or
   * the start of a cluster instance's range).
   */
  constructor(
    first = 1,
    readonly last = 0xffffffff,
    readonly low = 1,
  ) {
    this.#next = first;
  }

  /** Hands out the next free id for `owner`. */
  allocate(owner: T): number {
    // Terminates: the router's options keep its connection limit below the size of the range.
    for (;;) {
      const id = this.#next;
      this.#next = id >= this.last ? this.low : id + 1;
      if (!this.#inUse.has(id)) {
        this.#inUse.set(id, owner);
        return id;
      }
    }
  }

  get(id: number): T | undefined {
    return this.#inUse.get(id);
  }

  release(id: number): void {
    this.#inUse.delete(id);
  }
}
