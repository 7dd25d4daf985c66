/**
 * Client id allocation: a 4-byte counter per server, never 0, skipping ids still in use after it
 * wraps around (MEGAchat: "a new clientid every millisecond for 49 days until a wraparound").
 *
 * @internal
 */
export class ClientIds<T> {
  readonly #inUse = new Map<number, T>();
  #next: number;

  /** `last` is the highest id before wrapping to 1: 2^32-1 on the wire; smaller only in tests. */
  constructor(
    first = 1,
    readonly last = 0xffffffff,
  ) {
    this.#next = first;
  }

  /** Hands out the next free id for `owner`. */
  allocate(owner: T): number {
    // Terminates: the router's connection limit keeps the ids in use far below 2^32-1.
    for (;;) {
      const id = this.#next;
      this.#next = id >= this.last ? 1 : id + 1;
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
